"""Small formatting helpers shared by the benchmarks' report sections."""

from __future__ import annotations

from typing import Any


def number(value: Any, digits: int = 3) -> str:
    """A table cell for a number, "–" when missing."""
    return "–" if value is None else f"{value:.{digits}f}"


def percent(share: Any) -> str:
    """A share between 0 and 1 as a percentage with one decimal, "–" when missing."""
    return "–" if share is None else f"{100 * share:.1f}"


def run_label(run: dict[str, Any], index: int) -> str:
    """How a run is named in a multi-run report: "#1 model (variant)"."""
    return f"#{index + 1} {run['model']['spec']} ({run['variant']})"
