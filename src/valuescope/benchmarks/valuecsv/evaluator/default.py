"""The default evaluator: the ``linear`` recipe on the pinned corpus, seed 0, trained once and
cached under ``<cache>/valuecsv/``, so ``valuescope run valuecsv`` and ``valuescope demo`` work
without any setup. Training is deterministic, so every user's default evaluator is the same."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from valuescope import sources
from valuescope.benchmarks.valuecsv.evaluator import card as cards
from valuescope.benchmarks.valuecsv.evaluator import linear

SEED = 0


def default_dir() -> Path:
    return sources.cache_dir() / "valuecsv" / f"linear-v{linear.VERSION}-seed{SEED}"


def ensure_default(show_progress: bool = True) -> Path:
    """The default evaluator's folder, training it first if the cache lacks it (~30 s)."""
    target = default_dir()
    if (target / cards.CARD_NAME).is_file():  # only ever created by the rename below
        return target
    from valuescope.benchmarks.valuecsv.data import load_corpus

    corpus = load_corpus()
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    if show_progress:
        from rich.console import Console

        Console(stderr=True).print(f"ValueCSV: training the default linear evaluator once "
                                   f"(about half a minute); cached in {target}")
    try:
        linear.train(corpus, partial, seed=SEED, show_progress=show_progress)
        try:
            partial.rename(target)
        except OSError:  # another process finished first: its copy is the same
            if not (target / cards.CARD_NAME).is_file():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target
