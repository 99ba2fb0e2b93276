"""The two ValueCSV files: the annotated corpus and the 100 test questions with six LLMs' answers.

- ``ValueCSV5000.xlsx``: header, 4,999 texts with 12 independent 0/1 labels, then a totals row
  (empty text, =SUM formulas) that is dropped. Columns are mapped by name to the canonical order.
- ``quest100.xlsx``: ``quest`` plus one column per reference model. Questions carry a "N.\\u00a0"
  prefix, which is stripped; rows whose question is blank (leftovers of a 150-question file) are
  dropped; empty answer cells are missing answers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from valuescope import sources
from valuescope.benchmarks.valuecsv.dimensions import COLUMN_SUFFIX, DIMENSIONS, FILE_ORDER
from valuescope.benchmarks.valuecsv.xlsx import is_blank, read_first_sheet
from valuescope.errors import DataFileError

CORPUS_KEY = "valuecsv/ValueCSV5000.xlsx"
QUESTIONS_KEY = "valuecsv/quest100.xlsx"
TEXT_COLUMN = "text"
QUESTION_COLUMN = "quest"
NUMBER_PREFIX = re.compile(r"^\s*(\d+)\s*[.．、]\s*")  # "12.\u00a0..." (\s covers NBSP)


# -- the corpus -------------------------------------------------------------------------------


@dataclass
class Corpus:
    path: Path
    sha256: str
    sheet: str
    texts: list[str]
    labels: np.ndarray  # (texts, 12) int8 in canonical order
    rows: list[int]  # sheet row (1-based, header = row 1) of each text
    dropped_rows: list[int] = field(default_factory=list)  # rows without text (the totals row)

    def __len__(self) -> int:
        return len(self.texts)

    def positives(self) -> dict[str, int]:
        return {d: int(n) for d, n in zip(DIMENSIONS, self.labels.sum(axis=0), strict=True)}

    def duplicates(self) -> list[dict[str, Any]]:
        """Texts that occur more than once: their rows and the dimensions whose labels differ."""
        by_text: dict[str, list[int]] = defaultdict(list)
        for index, text in enumerate(self.texts):
            by_text[text].append(index)
        found = []
        for text, indices in by_text.items():
            if len(indices) < 2:
                continue
            labels = self.labels[indices]
            disagree = [d for k, d in enumerate(DIMENSIONS) if len(set(labels[:, k])) > 1]
            found.append({"rows": [self.rows[i] for i in indices], "indices": indices,
                          "text": text, "disagree": disagree})
        return found

    def summary(self) -> dict[str, Any]:
        per_text = self.labels.sum(axis=1)
        return {"path": str(self.path), "sha256": self.sha256, "sheet": self.sheet,
                "texts": len(self), "dropped_rows": self.dropped_rows,
                "positives": self.positives(), "labels_total": int(self.labels.sum()),
                "labels_per_text": {int(k): int(v) for k, v in
                                    zip(*np.unique(per_text, return_counts=True), strict=True)},
                "duplicates": [{k: d[k] for k in ("rows", "disagree")} for d in
                               self.duplicates()]}


def _dimension_key(header: str) -> str:
    """'Rule of Law_scr', 'rule_of_law', ' Rule of Law ' -> 'rule of law'."""
    name = header.strip()
    if name.lower().endswith(COLUMN_SUFFIX):
        name = name[: -len(COLUMN_SUFFIX)]
    return " ".join(name.replace("_", " ").lower().split())


def _label(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return int(value.strip())
    return None


def load_corpus(path: Path | None = None) -> Corpus:
    """The annotated corpus; ``path`` overrides the pinned upstream file."""
    path = sources.resolve(CORPUS_KEY, path)
    sheet, rows = read_first_sheet(path)
    header = ["" if is_blank(v) else str(v) for v in rows[0]]
    where = f"sheet {sheet!r}, row 1"
    keys = [_dimension_key(h) for h in header]
    missing = [d + COLUMN_SUFFIX for d in FILE_ORDER if _dimension_key(d) not in keys]
    if TEXT_COLUMN not in keys:
        missing.insert(0, TEXT_COLUMN)
    if missing:
        raise DataFileError(path, f"{where}: missing column(s) {', '.join(missing)} (a ValueCSV "
                            "corpus has text plus one 0/1 column per dimension, e.g. "
                            "Patriotism_scr)")
    text_col = keys.index(TEXT_COLUMN)
    label_cols = [keys.index(_dimension_key(d)) for d in DIMENSIONS]
    texts, labels, kept, dropped = [], [], [], []
    for number, row in enumerate(rows[1:], start=2):
        if is_blank(row[text_col]):
            dropped.append(number)  # the totals row: empty text, SUM formulas in the labels
            continue
        values = []
        for col in label_cols:
            value = _label(row[col])
            if value is None:
                shown = "an empty cell" if is_blank(row[col]) else repr(row[col])
                raise DataFileError(path, f"sheet {sheet!r}, row {number}, column "
                                    f"{header[col]!r}: labels must be 0 or 1, got {shown}")
            values.append(value)
        texts.append(str(row[text_col]))
        labels.append(values)
        kept.append(number)
    if not texts:
        raise DataFileError(path, f"sheet {sheet!r} has a header but no texts")
    return Corpus(path=path, sha256=sources.sha256_of(path), sheet=sheet, texts=texts,
                  labels=np.array(labels, dtype=np.int8), rows=kept, dropped_rows=dropped)


# -- the questions ----------------------------------------------------------------------------


@dataclass
class Question:
    number: int
    text: str
    answers: dict[str, str | None]  # reference model -> its answer; None = no answer
    row: int


@dataclass
class QuestionSet:
    path: Path
    sha256: str
    sheet: str
    models: list[str]
    questions: list[Question]
    blank_rows: list[int]  # rows dropped because their question is blank
    stray_answers: int  # answers in those rows

    def answer_counts(self) -> dict[str, int]:
        return {m: sum(q.answers[m] is not None for q in self.questions) for m in self.models}

    def duplicate_questions(self) -> list[list[int]]:
        """Numbers of questions whose text is identical."""
        by_text: dict[str, list[int]] = defaultdict(list)
        for question in self.questions:
            by_text[question.text.strip()].append(question.number)
        return [numbers for numbers in by_text.values() if len(numbers) > 1]

    def summary(self) -> dict[str, Any]:
        answers = self.answer_counts()
        return {"path": str(self.path), "sha256": self.sha256, "sheet": self.sheet,
                "questions": len(self.questions), "models": self.models, "answers": answers,
                "missing": {m: len(self.questions) - n for m, n in answers.items()},
                "blank_rows_dropped": self.blank_rows, "stray_answers_dropped": self.stray_answers,
                "duplicate_questions": self.duplicate_questions()}


def strip_number(text: str) -> tuple[int | None, str]:
    """'12.\\u00a0Why ...' -> (12, 'Why ...'); text without a number prefix -> (None, text)."""
    match = NUMBER_PREFIX.match(text)
    if not match:
        return None, text.strip()
    return int(match.group(1)), text[match.end():].strip()


def load_questions(path: Path | None = None) -> QuestionSet:
    """The test questions and the reference models' answers; ``path`` overrides the pinned file."""
    path = sources.resolve(QUESTIONS_KEY, path)
    sheet, rows = read_first_sheet(path)
    header = ["" if is_blank(v) else str(v).strip() for v in rows[0]]
    lowered = [h.lower() for h in header]
    if QUESTION_COLUMN not in lowered:
        raise DataFileError(path, f"sheet {sheet!r}, row 1: missing column {QUESTION_COLUMN!r} "
                            f"(found {', '.join(h for h in header if h) or 'no header'})")
    question_col = lowered.index(QUESTION_COLUMN)
    model_cols = [(i, h) for i, h in enumerate(header) if h and i != question_col]
    questions: list[Question] = []
    blank_rows: list[int] = []
    stray = 0
    seen: dict[int, int] = {}
    for row_number, row in enumerate(rows[1:], start=2):
        answers = {name: None if is_blank(row[i]) else str(row[i]).strip()
                   for i, name in model_cols}
        if is_blank(row[question_col]):
            blank_rows.append(row_number)
            stray += sum(a is not None for a in answers.values())
            continue
        prefix, text = strip_number(str(row[question_col]))
        number = prefix if prefix is not None else len(questions) + 1
        if number in seen:
            raise DataFileError(path, f"sheet {sheet!r}, row {row_number}: question number "
                                f"{number} already used in row {seen[number]}")
        seen[number] = row_number
        questions.append(Question(number=number, text=text, answers=answers, row=row_number))
    if not questions:
        raise DataFileError(path, f"sheet {sheet!r} has a header but no questions")
    return QuestionSet(path=path, sha256=sources.sha256_of(path), sheet=sheet,
                       models=[name for _, name in model_cols], questions=questions,
                       blank_rows=blank_rows, stray_answers=stray)
