"""Time W1 scoring of every example of a full-size WorldValuesBench table.

A synthetic table with the real shape (93,278 respondents x 239 value questions, ~21.5 M answered
cells, the real scales) plays the human side; a perturbed copy plays the model. valuescope's
counting W1 (``valuescope.metrics.wasserstein.w1_samples``, the kernel every WVB score goes through)
is timed against the original evaluator's approach (``scipy.stats.wasserstein_distance`` on the
normalised samples), on the same data in the same run, and the results are checked to agree.

    .venv/bin/python benchmarks/wvb_score.py
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import scipy.stats

from valuescope.benchmarks.worldvaluesbench.metadata import load_metadata
from valuescope.metrics.wasserstein import w1_samples

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("VALUESCOPE_DATA", str(ROOT.parent / "shared" / "seeds-data"))
RESPONDENTS = 93_278
TARGET_EXAMPLES = 21_492_393  # the README's full count


def make_tables(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    meta = load_metadata()
    columns = meta.value_columns
    scales = [(meta.questions[c].scale_min, meta.questions[c].scale_max) for c in columns]
    rng = np.random.default_rng(seed)
    gt = np.empty((RESPONDENTS, len(columns)), dtype=np.int16)
    model = np.empty_like(gt)
    blank_rate = 1 - TARGET_EXAMPLES / (RESPONDENTS * len(columns))
    for j, (low, high) in enumerate(scales):
        gt[:, j] = rng.integers(low, high + 1, RESPONDENTS)
        model[:, j] = np.clip(gt[:, j] + rng.integers(-1, 2, RESPONDENTS), low, high)
        gt[rng.random(RESPONDENTS) < blank_rate, j] = -1
        model[rng.random(RESPONDENTS) < 0.01, j] = -1  # invalid model answers
    return gt, model, scales


def score_counting(gt: np.ndarray, model: np.ndarray, scales: list) -> list[float]:
    out = []
    for j, (low, high) in enumerate(scales):
        listed = gt[:, j] >= 0  # respondents with a human answer are the listed participants
        answers = model[listed, j]
        out.append(w1_samples(gt[listed, j], answers[answers >= 0], low, high))
    return out


def score_scipy(gt: np.ndarray, model: np.ndarray, scales: list) -> list[float]:
    out = []
    for j, (low, high) in enumerate(scales):
        listed = gt[:, j] >= 0
        answers = model[listed, j]
        answers = answers[answers >= 0]
        out.append(scipy.stats.wasserstein_distance(
            0 + (gt[listed, j].astype(np.float64) - low) * 1 / (high - low),
            0 + (answers.astype(np.float64) - low) * 1 / (high - low)))
    return out


def main() -> None:
    gt, model, scales = make_tables()
    examples = int((gt >= 0).sum())
    started = time.perf_counter()
    ours = score_counting(gt, model, scales)
    ours_seconds = time.perf_counter() - started
    started = time.perf_counter()
    reference = score_scipy(gt, model, scales)
    scipy_seconds = time.perf_counter() - started
    worst = max(abs(a - b) for a, b in zip(ours, reference))
    print("| what | value |\n|---|---|")
    print(f"| examples scored | {examples:,} ({len(scales)} questions) |")
    print(f"| valuescope counting W1 | {ours_seconds:.2f} s |")
    print(f"| scipy.stats.wasserstein_distance (original approach) | {scipy_seconds:.2f} s |")
    print(f"| speed-up | {scipy_seconds / ours_seconds:.1f}x |")
    print(f"| largest difference between the two | {worst:.1e} |")


if __name__ == "__main__":
    main()
