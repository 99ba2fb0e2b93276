"""Classification quality of an evaluator on labelled texts, as the original scripts report it:
per dimension accuracy, precision, recall and F1 of the positive class; over all dimensions micro
precision/recall/F1, macro F1 and subset (exact-match) accuracy.

Precision of a dimension that is never predicted is 0 (scikit-learn's ``zero_division`` default).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from valuescope.benchmarks.valuecsv.dimensions import DIMENSIONS


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return _ratio(2 * precision * recall, precision + recall)


def classification_report(truth: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """``truth`` and ``predicted``: (texts, 12) 0/1 arrays in canonical dimension order."""
    truth, predicted = np.asarray(truth).astype(bool), np.asarray(predicted).astype(bool)
    if truth.shape != predicted.shape or truth.ndim != 2 or truth.shape[1] != len(DIMENSIONS):
        raise ValueError(f"expected two (n, 12) arrays, got {truth.shape} and {predicted.shape}")
    tp = (truth & predicted).sum(axis=0)
    fp = (~truth & predicted).sum(axis=0)
    fn = (truth & ~predicted).sum(axis=0)
    per_dimension = {}
    for k, dim in enumerate(DIMENSIONS):
        precision, recall = _ratio(tp[k], tp[k] + fp[k]), _ratio(tp[k], tp[k] + fn[k])
        per_dimension[dim] = {
            "accuracy": float((truth[:, k] == predicted[:, k]).mean()) if len(truth) else 0.0,
            "precision": precision, "recall": recall, "f1": _f1(precision, recall),
            "support": int(truth[:, k].sum()), "predicted": int(predicted[:, k].sum())}
    micro_p, micro_r = _ratio(tp.sum(), tp.sum() + fp.sum()), _ratio(tp.sum(), tp.sum() + fn.sum())
    return {
        "texts": int(len(truth)),
        "micro": {"precision": micro_p, "recall": micro_r, "f1": _f1(micro_p, micro_r)},
        "macro_f1": float(np.mean([m["f1"] for m in per_dimension.values()])),
        "subset_accuracy": float((truth == predicted).all(axis=1).mean()) if len(truth) else 0.0,
        "per_dimension": per_dimension,
    }
