"""ValueCSV's ``linear`` evaluator recipe against a plain baseline, on the real corpus.

For each seed, on the same seeded 80/20 split:
- the recipe (``valuescope valuecsv train --recipe linear``): char 1-3-gram TF-IDF (sublinear,
  min_df 2, 100k features), logistic regression C=2 per dimension, thresholds tuned on 5-fold
  out-of-fold predictions; wall and CPU time of the whole training, saving included;
- the plain baseline the issue names: char 1-3-gram TF-IDF with default settings and a
  class-balanced logistic regression per dimension, threshold 0.5;
- the majority baseline: every dimension set to its majority value in the training part.

Usage: ``.venv/bin/python benchmarks/valuecsv_linear.py [--seeds 0 1 2] [--markdown FILE]``
(needs the corpus: ``VALUESCOPE_DATA`` or ``valuescope data pull``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from valuescope.benchmarks.valuecsv import splits
from valuescope.benchmarks.valuecsv.data import Corpus, load_corpus
from valuescope.benchmarks.valuecsv.dimensions import DIMENSIONS
from valuescope.benchmarks.valuecsv.evaluator import linear
from valuescope.benchmarks.valuecsv.evaluator.metrics import classification_report


def plain_baseline(corpus: Corpus, train: list[int], test: list[int]) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    started = time.perf_counter()
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3))
    features = vectorizer.fit_transform([corpus.texts[i] for i in train])
    held = vectorizer.transform([corpus.texts[i] for i in test])
    predicted = np.column_stack([
        LogisticRegression(class_weight="balanced", max_iter=1000)
        .fit(features, corpus.labels[train, d]).predict(held) for d in range(len(DIMENSIONS))])
    return {"report": classification_report(corpus.labels[test], predicted),
            "seconds": time.perf_counter() - started}


def majority(corpus: Corpus, train: list[int], test: list[int]) -> dict:
    common = corpus.labels[train].mean(axis=0) > 0.5
    return {"report": classification_report(corpus.labels[test],
                                             np.tile(common, (len(test), 1)))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--markdown", type=Path, help="also write the tables here")
    args = parser.parse_args()
    corpus = load_corpus()
    rows, per_dimension = [], {}
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as folder:
            wall, cpu = time.perf_counter(), time.process_time()
            card = linear.train(corpus, Path(folder) / "linear", seed=seed, show_progress=False)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        # The recipe's split is a pure function of the seed: rebuild it for the baselines.
        split = splits.seeded(len(corpus), linear.SETTINGS["split"], seed, corpus.sha256)
        train, test = split.parts["train"], split.parts["test"]
        plain = plain_baseline(corpus, train, test)
        base = majority(corpus, train, test)
        timed = f"{wall:.1f} ({cpu:.1f} CPU)"
        for name, report, seconds in (("linear recipe", card["metrics"], timed),
                                      ("plain char 1-3-gram LR", plain["report"],
                                       f"{plain['seconds']:.1f}"),
                                      ("majority", base["report"], "-")):
            rows.append(f"| {seed} | {name} | {report['micro']['f1']:.3f} | "
                        f"{report['macro_f1']:.3f} | {report['subset_accuracy']:.3f} | {seconds} |")
        if seed == args.seeds[0]:
            per_dimension = {"recipe": card["metrics"]["per_dimension"],
                             "plain": plain["report"]["per_dimension"]}
        print(*rows[-3:], sep="\n", flush=True)
    load = os.getloadavg()[0]
    lines = [
        f"Corpus: {len(corpus)} texts ({corpus.path.name}); seeded 80/20 split (1,000 test "
        f"texts). Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {load:.1f} at the end (shared machine: times are upper bounds).", "",
        "| seed | evaluator | micro-F1 | macro-F1 | subset acc. | training time (s) |",
        "|---|---|---:|---:|---:|---|", *rows, "",
        f"Per dimension, seed {args.seeds[0]} (F1 on the test split):", "",
        "| dimension | linear recipe | plain baseline |", "|---|---:|---:|",
        *(f"| {d} | {per_dimension['recipe'][d]['f1']:.3f} | "
          f"{per_dimension['plain'][d]['f1']:.3f} |" for d in DIMENSIONS)]
    print("\n".join(lines))
    if args.markdown:
        args.markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
