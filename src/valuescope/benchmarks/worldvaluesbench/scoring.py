"""Score an outputs file against the respondent tables, as the original ``evaluate.py``."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from valuescope.benchmarks.worldvaluesbench import metric
from valuescope.benchmarks.worldvaluesbench.metadata import load_metadata
from valuescope.benchmarks.worldvaluesbench.outputs_file import read_outputs
from valuescope.errors import DataFileError, UserError


def score_outputs(outputs: Path, wvs: Path) -> tuple[dict[str, float], dict[str, Any]]:
    """Return ({question: W1} in first-seen order, summary with thresholds and baselines)."""
    from valuescope.benchmarks.worldvaluesbench.build import load_tables

    meta = load_metadata()
    rows = read_outputs(outputs)
    if not wvs.exists():
        raise UserError(f"{wvs}: no such file or folder (given as --wvs)")
    tables = load_tables(wvs, meta)
    row_of = tables.row_of()
    column_of = {name: i for i, name in enumerate(tables.value_columns)}
    gt: dict[str, list[int]] = defaultdict(list)
    model: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.question not in column_of:
            raise DataFileError(outputs, f"unknown question {row.question!r}; expected one of the "
                                f"{len(column_of)} value questions (Q1, Q2, ...)", line=row.line,
                                column="QUESTION_ID")
        if row.participant not in row_of:
            raise DataFileError(outputs, f"participant {row.participant} is not in {wvs}",
                                line=row.line, column="PARTICIPANT_ID")
        value = int(tables.values[row_of[row.participant], column_of[row.question]])
        if value >= 0:  # the original looks up every listed participant; blanks have no answer
            gt[row.question].append(value)
        else:
            gt.setdefault(row.question, [])
        if row.score is not None:
            model[row.question].append(row.score)
    scores = {}
    for question in gt:
        low, high = meta.questions[question].scale_min, meta.questions[question].scale_max
        scores[question] = metric.sample_scores(gt[question], model[question], low, high)
    per_question = {question: s["w1"] for question, s in scores.items()}
    summary = metric.summarise(scores)
    summary.update(samples=len(rows), invalid=sum(1 for r in rows if r.score is None),
                   synthetic_ground_truth=bool(tables.manifest.get("synthetic")))
    return per_question, summary
