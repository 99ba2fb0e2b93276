"""``eval-evaluator``: a trained evaluator's quality on the held-out part of its saved split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from valuescope.benchmarks.valuecsv import splits
from valuescope.benchmarks.valuecsv.data import load_corpus
from valuescope.benchmarks.valuecsv.evaluator import load, summary
from valuescope.benchmarks.valuecsv.evaluator.metrics import classification_report

EVAL_NAME = "eval.json"


def heldout_metrics(folder: Path, data: Path | None = None,
                    show_progress: bool = False) -> dict[str, Any]:
    evaluator = load(folder)
    split = splits.load(folder)
    corpus = load_corpus(data)
    splits.check_corpus(split, corpus.sha256, len(corpus), folder)
    test = split.parts["test"]
    probs = evaluator.predict_proba([corpus.texts[i] for i in test], show_progress)
    described = summary(evaluator)
    described.pop("heldout")
    return {"evaluator": described, "split": split.describe(),
            "corpus": {"path": str(corpus.path), "sha256": corpus.sha256},
            "metrics": {"split": "test", **classification_report(
                corpus.labels[test], probs > evaluator.thresholds)}}
