"""Train / validation / test splits of the corpus, saved next to each trained evaluator.

- ``seeded``: shuffle with a seeded generator, then cut at cumulative fractions (the binary
  recipe's 70/20/10 and the linear recipe's 80/20). The original binary script shuffled without a
  seed, so its split cannot be recovered; a saved, seeded one is the documented replacement.
- ``sequential``: the multi-label script's file-order split: rows 1-3,500 train, the next 1,000
  validation, the rest test. Smaller corpora are cut at the same 70 % / 90 % proportions.

Parts hold 0-based corpus indices (text ``i`` is sheet row ``i + 2`` of the pinned file).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from valuescope.errors import DataFileError, UserError

SPLIT_NAME = "split.json"
SEQUENTIAL_CUTS = (3500, 4500)


@dataclass
class Split:
    kind: str  # "seeded" or "sequential"
    seed: int | None
    fractions: dict[str, float]
    corpus_sha256: str
    corpus_texts: int
    parts: dict[str, list[int]]

    def sizes(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.parts.items()}

    def describe(self) -> dict[str, Any]:
        """The split without its index lists, for model cards and reports."""
        return {"kind": self.kind, "seed": self.seed, "fractions": self.fractions,
                "sizes": self.sizes(), "file": SPLIT_NAME}


def _cut(order: np.ndarray, fractions: dict[str, float]) -> dict[str, list[int]]:
    n = len(order)
    parts, start, total = {}, 0, 0.0
    names = list(fractions)
    for index, name in enumerate(names):
        total += fractions[name]
        # round: 0.7 + 0.2 is 0.8999999999999999 in floats, and int(30 * that) would be 26
        end = n if index == len(names) - 1 else int(n * round(total, 9))
        parts[name] = [int(i) for i in order[start:end]]
        start = end
    return parts


def seeded(n: int, fractions: dict[str, float], seed: int, corpus_sha256: str) -> Split:
    if abs(sum(fractions.values()) - 1.0) > 1e-9:
        raise ValueError(f"split fractions must add up to 1, got {fractions}")
    order = np.random.default_rng(seed).permutation(n)
    return Split("seeded", seed, dict(fractions), corpus_sha256, n, _cut(order, fractions))


def sequential(n: int, corpus_sha256: str) -> Split:
    train_end, validation_end = SEQUENTIAL_CUTS
    if n <= validation_end:
        train_end, validation_end = int(n * 0.7), int(n * 0.9)
    parts = {"train": list(range(train_end)), "validation": list(range(train_end, validation_end)),
             "test": list(range(validation_end, n))}
    fractions = {name: round(len(rows) / n, 4) for name, rows in parts.items()}
    return Split("sequential", None, fractions, corpus_sha256, n, parts)


def save(split: Split, folder: Path) -> Path:
    path = folder / SPLIT_NAME
    path.write_text(json.dumps(asdict(split)), encoding="utf-8")
    return path


def load(folder: Path) -> Split:
    path = folder / SPLIT_NAME
    if not path.is_file():
        raise UserError(f"{folder}: no {SPLIT_NAME} (not a trained ValueCSV evaluator folder?)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        split = Split(**data)
        if not all(isinstance(i, int) for rows in split.parts.values() for i in rows):
            raise TypeError("indices must be integers")
    except (ValueError, TypeError) as exc:
        raise DataFileError(path, f"not a valuescope split file ({exc})") from None
    return split


def check_corpus(split: Split, corpus_sha256: str, corpus_texts: int, where: Path) -> None:
    """The split's indices only mean something for the corpus it was made from."""
    if split.corpus_sha256 != corpus_sha256 or split.corpus_texts != corpus_texts:
        raise UserError(f"{where}: the evaluator's split was made for another corpus (sha256 "
                        f"{split.corpus_sha256[:12]}…, {split.corpus_texts} texts); pass the same "
                        "--data file it was trained on")
