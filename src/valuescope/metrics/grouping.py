"""Records grouped by one of their fields, for per-domain / per-category breakdowns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any


def group_by(records: Iterable[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    """Field value -> its records, in order of first appearance."""
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[record[key]].append(record)
    return groups
