"""Per-dimension decision thresholds tuned on out-of-fold probabilities (the linear recipe).

A fixed 0.5 suits neither rare dimensions (Freedom: 4 % of texts) nor class-weighted models. The
thresholds maximise ``micro_weight * micro-F1 + (1 - micro_weight) * macro-F1`` by coordinate
ascent over a grid, a few sweeps over the 12 dimensions. A text is positive when P > threshold.
"""

from __future__ import annotations

import numpy as np

GRID = np.round(np.linspace(0.05, 0.95, 91), 2)


def tune(probs: np.ndarray, truth: np.ndarray, micro_weight: float = 0.7,
         sweeps: int = 3) -> np.ndarray:
    """Thresholds for (texts, dims) probabilities against 0/1 truth; starts from 0.5 each."""
    truth = truth.astype(bool)
    dims = truth.shape[1]
    positives = truth.sum(axis=0)
    thresholds = np.full(dims, 0.5)
    for _ in range(sweeps):
        for d in range(dims):
            predicted = probs > thresholds
            tp = (predicted & truth).sum(axis=0)
            fp = (predicted & ~truth).sum(axis=0)
            f1 = _f1(tp, fp, positives)
            # Every grid value for dimension d at once: (texts, grid) predictions.
            candidates = probs[:, d][:, None] > GRID[None, :]
            tp_d = (candidates & truth[:, d][:, None]).sum(axis=0)
            fp_d = (candidates & ~truth[:, d][:, None]).sum(axis=0)
            micro = _f1(tp.sum() - tp[d] + tp_d, fp.sum() - fp[d] + fp_d, positives.sum())
            macro = (f1.sum() - f1[d] + _f1(tp_d, fp_d, positives[d])) / dims
            objective = micro_weight * micro + (1 - micro_weight) * macro
            thresholds[d] = GRID[int(np.argmax(objective))]  # first best: ties keep it low
    return thresholds


def _f1(tp: np.ndarray, fp: np.ndarray, positives: np.ndarray) -> np.ndarray:
    """F1 from counts: 2tp / (tp + fp + positives); 0 where nothing is positive or predicted."""
    denominator = tp + fp + positives
    return np.divide(2.0 * tp, denominator, out=np.zeros(np.shape(denominator)),
                     where=denominator > 0)
