"""The ``linear`` recipe (beyond the paper; the CPU default): character n-gram TF-IDF and one
logistic regression per dimension, with per-dimension thresholds tuned on out-of-fold predictions.

Training takes well under a minute on two cores. Split: seeded 80 % train / 20 % test. Thresholds:
5-fold cross-validation inside the training part gives every training text a probability from a
model that did not see it; ``thresholds.tune`` picks the cut-offs on those. The final models are fit
on the whole training part. Probabilities come from class-weighted ("balanced") models, so they are
comparable across dimensions rather than calibrated to each dimension's base rate.

Saved without pickle: ``vocabulary.json`` (the n-grams in column order) and ``weights.npz`` (idf,
coefficients, intercepts, thresholds; read with ``allow_pickle=False``).
"""

from __future__ import annotations

import hashlib
import json
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from valuescope.benchmarks.valuecsv import splits
from valuescope.benchmarks.valuecsv.data import Corpus
from valuescope.benchmarks.valuecsv.dimensions import DIMENSIONS
from valuescope.benchmarks.valuecsv.evaluator import card as cards
from valuescope.benchmarks.valuecsv.evaluator import thresholds as threshold_tuning
from valuescope.benchmarks.valuecsv.evaluator.metrics import classification_report
from valuescope.errors import DataFileError, UserError

RECIPE = "linear"
VERSION = 1  # bump when training changes, so cached default evaluators are retrained
VOCABULARY_NAME = "vocabulary.json"
WEIGHTS_NAME = "weights.npz"
MIN_TEXTS = 20
SETTINGS: dict[str, Any] = {
    "features": "tf-idf of character n-grams", "ngram_range": [1, 3], "min_df": 2,
    "max_features": 100_000, "sublinear_tf": True,
    "model": "logistic regression per dimension (liblinear, L2)", "C": 2.0,
    "class_weight": "balanced", "threshold_folds": 5, "threshold_micro_weight": 0.7,
    "split": {"train": 0.8, "test": 0.2},
}
INSTALL = "pip install scikit-learn (or valuescope[valuecsv])"


def _sklearn() -> Any:
    try:
        import sklearn
    except ImportError:
        raise UserError(f"the linear ValueCSV evaluator needs scikit-learn: {INSTALL}") from None
    return sklearn


def _vectorizer(settings: dict[str, Any], vocabulary: dict[str, int] | None = None) -> Any:
    _sklearn()
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=tuple(settings["ngram_range"]),
                           min_df=settings["min_df"], max_features=settings["max_features"],
                           sublinear_tf=settings["sublinear_tf"], vocabulary=vocabulary)


def _fit(features: Any, target: np.ndarray, C: float, seed: int) -> tuple[np.ndarray, float]:
    """(coefficients, intercept) of one dimension. A dimension with one class in ``target`` (a
    small corpus or fold) gets a constant model at its smoothed base rate."""
    if target.min() == target.max():
        rate = (target.sum() + 0.5) / (len(target) + 1)
        return np.zeros(features.shape[1]), float(np.log(rate / (1 - rate)))
    from sklearn.linear_model import LogisticRegression

    # The dual solver is ~10x faster here (far fewer texts than features). liblinear draws its
    # coordinate order from one process-wide generator, so fits run one after another.
    model = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", dual=True,
                               max_iter=1000, random_state=seed)
    model.fit(features, target)
    return model.coef_[0].copy(), float(model.intercept_[0])


def _probabilities(features: Any, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    logits = np.asarray(features @ coef.T) + intercept
    return 1.0 / (1.0 + np.exp(-logits))


def train(corpus: Corpus, out: Path, seed: int = 0, show_progress: bool = True) -> dict[str, Any]:
    """Train into ``out`` (a new or empty folder); return the model card."""
    _sklearn()
    from sklearn.model_selection import KFold

    from valuescope.core.progress import progress_bar

    if len(corpus) < MIN_TEXTS:
        raise DataFileError(corpus.path, f"only {len(corpus)} texts; the linear recipe needs at "
                            f"least {MIN_TEXTS}")
    cards.prepare_output(out, RECIPE, {"seed": seed, **SETTINGS})
    started = time.perf_counter()
    split = splits.seeded(len(corpus), SETTINGS["split"], seed, corpus.sha256)
    train_rows = split.parts["train"]
    vectorizer = _vectorizer(SETTINGS)
    features = vectorizer.fit_transform([corpus.texts[i] for i in train_rows])
    truth = corpus.labels[train_rows]
    C, folds = SETTINGS["C"], SETTINGS["threshold_folds"]
    out_of_fold = np.zeros(truth.shape)
    coef = np.zeros((len(DIMENSIONS), features.shape[1]))
    intercept = np.zeros(len(DIMENSIONS))
    with progress_bar("linear evaluator: fitting", show_progress) as advance:
        advance(0, len(DIMENSIONS) * (folds + 1))
        for fit_rows, held_rows in KFold(folds, shuffle=True, random_state=seed).split(truth):
            fit_x, held_x = features[fit_rows], features[held_rows]
            for d in range(len(DIMENSIONS)):
                w, b = _fit(fit_x, truth[fit_rows, d], C, seed)
                out_of_fold[held_rows, d] = _probabilities(held_x, w[None], np.array([b]))[:, 0]
                advance(1, len(DIMENSIONS) * (folds + 1))
        for d in range(len(DIMENSIONS)):
            coef[d], intercept[d] = _fit(features, truth[:, d], C, seed)
            advance(1, len(DIMENSIONS) * (folds + 1))
    cutoffs = threshold_tuning.tune(out_of_fold, truth, SETTINGS["threshold_micro_weight"])
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    save_weights(out, vocabulary, vectorizer.idf_, coef, intercept, cutoffs)
    splits.save(split, out)
    seconds = time.perf_counter() - started

    card = {"recipe": RECIPE, "dimensions": list(DIMENSIONS), "seed": seed,
            "corpus": {"path": str(corpus.path), "sha256": corpus.sha256, "texts": len(corpus)},
            "split": split.describe(), "settings": SETTINGS,
            "threshold": {"rule": "P > threshold", "values": dict(zip(DIMENSIONS, cutoffs.tolist(),
                                                                      strict=True))},
            "files": [VOCABULARY_NAME, WEIGHTS_NAME, splits.SPLIT_NAME],
            "weights_sha256": weights_fingerprint(out),
            "training_seconds": round(seconds, 1)}
    evaluator = LinearEvaluator(out, card)  # measure what was saved, not the in-memory model
    test = split.parts["test"]
    probs = evaluator.predict_proba([corpus.texts[i] for i in test])
    card["metrics"] = {"split": "test", **classification_report(
        corpus.labels[test], probs > evaluator.thresholds)}
    cards.write(out, card)
    return card


def save_weights(out: Path, vocabulary: list[str], idf: np.ndarray, coef: np.ndarray,
                 intercept: np.ndarray, cutoffs: np.ndarray) -> None:
    """Plain JSON and numeric arrays: nothing that needs unpickling to load."""
    (out / VOCABULARY_NAME).write_text(json.dumps(vocabulary, ensure_ascii=False),
                                       encoding="utf-8")
    np.savez(out / WEIGHTS_NAME, idf=idf, coef=coef.astype(np.float32),
             intercept=np.asarray(intercept, dtype=np.float64),
             thresholds=np.asarray(cutoffs, dtype=np.float64))


def weights_fingerprint(folder: Path) -> str:
    """sha256 of the vocabulary and the arrays' contents (an .npz file's own bytes carry zip
    timestamps, so identical trainings would otherwise get different fingerprints)."""
    digest = hashlib.sha256((folder / VOCABULARY_NAME).read_bytes())
    with np.load(folder / WEIGHTS_NAME, allow_pickle=False) as weights:
        for name in sorted(weights.files):
            array = np.ascontiguousarray(weights[name])
            digest.update(f"{name} {array.dtype.str} {array.shape}".encode())
            digest.update(array.tobytes())
    return digest.hexdigest()


class LinearEvaluator:
    """P(dimension) for any text from a saved linear evaluator; no pickle involved."""

    def __init__(self, folder: Path, card: dict[str, Any]):
        self.directory, self.card = folder, card
        try:
            vocabulary = json.loads((folder / VOCABULARY_NAME).read_text(encoding="utf-8"))
            with np.load(folder / WEIGHTS_NAME, allow_pickle=False) as weights:
                idf, coef = weights["idf"], weights["coef"].astype(np.float64)
                self._intercept = weights["intercept"]
                self.thresholds = weights["thresholds"]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise UserError(f"{folder}: incomplete or damaged linear evaluator ({exc})") from None
        dims = len(DIMENSIONS)
        if not (isinstance(vocabulary, list) and coef.shape == (dims, len(vocabulary))
                and idf.shape == (len(vocabulary),) and self._intercept.shape == (dims,)
                and self.thresholds.shape == (dims,)):
            raise UserError(f"{folder}: the linear evaluator's files do not fit together")
        self._coef = coef
        self._vectorizer = _vectorizer(card.get("settings", SETTINGS),
                                       {gram: i for i, gram in enumerate(vocabulary)})
        self._vectorizer.idf_ = idf

    def predict_proba(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(DIMENSIONS)))
        return _probabilities(self._vectorizer.transform(list(texts)), self._coef,
                              self._intercept)
