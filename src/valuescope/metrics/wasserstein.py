"""Wasserstein-1 between answer distributions on an integer scale, computed from counts.

Equal to ``scipy.stats.wasserstein_distance`` on the min-max-normalised samples (the original
WorldValuesBench evaluator), but it counts answers per scale point instead of sorting samples, so
scoring millions of answers takes milliseconds. Values outside the scale (kept in paper mode) are
simply further support points.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def normalise(points: np.ndarray, scale_min: int, scale_max: int) -> np.ndarray:
    """Min-max scaling exactly as the original: ``0 + (x - min) * 1 / (max - min)``."""
    return 0 + (points - scale_min) * 1 / (scale_max - scale_min)


def w1_weighted(support: np.ndarray, p_weights: np.ndarray, q_weights: np.ndarray,
                scale_min: int, scale_max: int) -> float:
    """W1 between two distributions given as (non-normalised) weights on sorted integer points."""
    p_total, q_total = p_weights.sum(), q_weights.sum()
    if p_total <= 0 or q_total <= 0:
        return float("nan")
    keep = (p_weights > 0) | (q_weights > 0)  # scipy's support: only values that occur
    points = normalise(support[keep].astype(np.float64), scale_min, scale_max)
    p_cdf = np.cumsum(p_weights[keep])[:-1] / p_total
    q_cdf = np.cumsum(q_weights[keep])[:-1] / q_total
    return float(np.dot(np.abs(p_cdf - q_cdf), np.diff(points)))


def w1_samples(gt: Sequence[int] | np.ndarray, model: Sequence[int] | np.ndarray,
               scale_min: int, scale_max: int,
               gt_weights: Sequence[float] | np.ndarray | None = None) -> float:
    """W1 between two samples of integer answers (the evaluator's per-question score)."""
    gt_arr = np.asarray(gt, dtype=np.int64)
    model_arr = np.asarray(model, dtype=np.int64)
    if gt_arr.size == 0 or model_arr.size == 0:
        return float("nan")
    low = int(min(gt_arr.min(), model_arr.min()))
    high = int(max(gt_arr.max(), model_arr.max()))
    support = np.arange(low, high + 1)
    gt_counts = np.bincount(gt_arr - low, weights=gt_weights, minlength=support.size)
    model_counts = np.bincount(model_arr - low, minlength=support.size).astype(np.float64)
    return w1_weighted(support, gt_counts.astype(np.float64), model_counts, scale_min, scale_max)


def w1_to_distribution(gt: Sequence[int] | np.ndarray, probs: Sequence[float] | np.ndarray,
                       scale_min: int, scale_max: int,
                       gt_weights: Sequence[float] | np.ndarray | None = None) -> float:
    """W1 between a sample of answers and a probability vector over scale_min..scale_max."""
    gt_arr = np.asarray(gt, dtype=np.int64)
    probs_arr = np.asarray(probs, dtype=np.float64)
    if gt_arr.size == 0:
        return float("nan")
    low = int(min(gt_arr.min(), scale_min))
    high = int(max(gt_arr.max(), scale_max))
    support = np.arange(low, high + 1)
    gt_counts = np.bincount(gt_arr - low, weights=gt_weights, minlength=support.size)
    model = np.zeros(support.size)
    model[scale_min - low: scale_max - low + 1] = probs_arr
    return w1_weighted(support, gt_counts.astype(np.float64), model, scale_min, scale_max)
