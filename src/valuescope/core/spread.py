"""``--limit`` that still covers the data: the first rows round-robin over groups, file order kept."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

Row = TypeVar("Row")


def spread(rows: Sequence[Row], limit: int, group: Callable[[Row], Hashable],
           unit: Callable[[Row], Hashable] | None = None) -> list[Row]:
    """The first ``limit`` rows taken round-robin over ``group(row)`` values, whole units at a
    time (rows with the same ``unit(row)``, e.g. both orders of a pair, stay together), returned
    in their original order."""
    units: dict[Hashable, list[int]] = {}
    for index, row in enumerate(rows):
        units.setdefault(unit(row) if unit else index, []).append(index)
    queues: dict[Hashable, list[list[int]]] = {}
    for members in units.values():
        queues.setdefault(group(rows[members[0]]), []).append(members)
    chosen: list[int] = []
    depth = 0
    while len(chosen) < limit and any(depth < len(q) for q in queues.values()):
        for queue in queues.values():
            if depth < len(queue) and len(chosen) < limit:
                chosen.extend(queue[depth])
        depth += 1
    return [rows[i] for i in sorted(chosen[:limit])]
