"""Bootstrap confidence intervals (percentile method, seeded)."""

from __future__ import annotations

import numpy as np


def mean_ci(values: np.ndarray | list[float], reps: int = 2000, level: float = 0.95,
            seed: int = 0) -> tuple[float, float, float]:
    """Mean of ``values`` (NaNs dropped) with a percentile bootstrap interval."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = arr[rng.integers(0, arr.size, size=(reps, arr.size))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(arr.mean()), float(low), float(high)
