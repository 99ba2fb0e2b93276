"""Rates and agreement statistics shared by the benchmarks (None where they are undefined)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    if len(xs) < 2:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx, syy = sum((x - mx) ** 2 for x in xs), sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else None


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Agreement of two raters beyond what their label frequencies alone would give."""
    if not a:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
    labels = set(a) | set(b)
    expected = sum((a.count(k) / len(a)) * (b.count(k) / len(b)) for k in labels)
    return (observed - expected) / (1 - expected) if expected < 1 else None
