"""Evaluators: classifiers giving P(dimension present) for any text, in canonical order.

Three recipes train them (``valuescope valuecsv train --recipe``): ``linear`` (TF-IDF + logistic
regression, CPU, the default), ``binary-bert`` (the paper's "Value-BERT": 12 two-class BERT models)
and ``multilabel-bert`` ("M.Value-BERT": one 12-output BERT). Each saves a folder with a JSON model
card; ``load`` reads any of them. An evaluator is not a model backend: the benchmark calls it while
scoring, on the answers the store already holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from valuescope.benchmarks.valuecsv.evaluator import card as cards


class Evaluator(Protocol):
    directory: Path
    card: dict[str, Any]
    thresholds: np.ndarray  # (12,): a dimension is predicted present when P > threshold

    def predict_proba(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        """(len(texts), 12) probabilities in canonical dimension order."""
        ...


def load(folder: Path) -> Evaluator:
    card = cards.read(folder)
    if card["recipe"] == "linear":
        from valuescope.benchmarks.valuecsv.evaluator.linear import LinearEvaluator

        return LinearEvaluator(folder, card)
    from valuescope.benchmarks.valuecsv.evaluator.bert import BertEvaluator

    return BertEvaluator(folder, card)


def summary(evaluator: Evaluator) -> dict[str, Any]:
    """What a run records about its evaluator: identity and held-out quality."""
    card = evaluator.card
    metrics = card.get("metrics", {})
    return {"path": str(evaluator.directory), "recipe": card["recipe"], "seed": card.get("seed"),
            "weights_sha256": card.get("weights_sha256"), "split": card.get("split"),
            "base": card.get("base"), "corpus_sha256": card.get("corpus", {}).get("sha256"),
            "heldout": {"texts": metrics.get("texts"),
                        "micro_f1": metrics.get("micro", {}).get("f1"),
                        "macro_f1": metrics.get("macro_f1"),
                        "subset_accuracy": metrics.get("subset_accuracy"),
                        "per_dimension": metrics.get("per_dimension")}}
