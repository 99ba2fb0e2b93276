"""Read a model-outputs file in the original evaluator's contract.

Columns ``QUESTION_ID, PARTICIPANT_ID, SCORE`` (CSV or TSV, any order of rows and columns, extra
columns ignored). A blank SCORE is an invalid answer (excluded on the model side only, as the
original). Anything else that is not an integer is an error naming the line.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from valuescope.core.datafiles import read_utf8
from valuescope.errors import DataFileError

REQUIRED = ("QUESTION_ID", "PARTICIPANT_ID", "SCORE")


@dataclass(frozen=True)
class OutputRow:
    line: int
    question: str
    participant: int
    score: int | None


def read_outputs(path: Path) -> list[OutputRow]:
    if not path.is_file():
        raise DataFileError(path, "no such file")
    text = read_utf8(path)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise DataFileError(path, "empty file; expected a header " + ", ".join(REQUIRED))
    delimiter = "\t" if "\t" in lines[0] else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DataFileError(path, f"missing column(s) {', '.join(missing)}; expected "
                            f"{', '.join(REQUIRED)} (tab- or comma-separated)", line=1)
    index = {name: header.index(name) for name in REQUIRED}
    rows = []
    for number, fields in enumerate(reader, start=2):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) < len(header):
            raise DataFileError(path, f"{len(fields)} field(s), expected {len(header)}",
                                line=number)
        question = fields[index["QUESTION_ID"]].strip()
        participant = _integer(fields[index["PARTICIPANT_ID"]], path, number, "PARTICIPANT_ID")
        raw_score = fields[index["SCORE"]].strip()
        score = None if raw_score in ("", "nan", "NaN", "<NA>") else _integer(
            raw_score, path, number, "SCORE")
        if participant is None:
            raise DataFileError(path, "blank participant id", line=number, column="PARTICIPANT_ID")
        rows.append(OutputRow(number, question, participant, score))
    return rows


def _integer(text: str, path: Path, line: int, column: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise DataFileError(path, f"{text!r} is not a number", line=line, column=column) from None
    if not value.is_integer():
        raise DataFileError(path, f"{text!r} is not an integer", line=line, column=column)
    return int(value)
