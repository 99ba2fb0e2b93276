"""Reading the two ValueCSV workbooks: the real files' known facts (spec sections 2 and 4), and
edge cases on small workbooks written here; bad files give one clear line and exit code 2."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from valuescope.benchmarks.valuecsv.data import load_corpus, load_questions, strip_number
from valuescope.benchmarks.valuecsv.dimensions import (
    DIMENSIONS,
    FILE_ORDER,
    LEVELS,
    column_name,
    paper_class_weights,
)
from valuescope.errors import DataFileError

HEADER = ["text"] + [column_name(d) for d in FILE_ORDER]

SPEC_POSITIVES = {"Prosperity": 2941, "Dedication": 2737, "Harmony": 2603, "Rule of Law": 2192,
                  "Patriotism": 2179, "Integrity": 1414, "Equality": 1203, "Civility": 1137,
                  "Justice": 701, "Friendliness": 461, "Democracy": 390, "Freedom": 223}


def test_the_real_corpus(corpus):
    assert len(corpus) == 4999 and corpus.dropped_rows == [5001]  # the totals row
    assert corpus.positives() == SPEC_POSITIVES
    assert corpus.labels.sum() == 18181 and corpus.labels.sum(axis=1).min() == 1
    counts = np.unique(corpus.labels.sum(axis=1), return_counts=True)
    per_text = dict(zip(counts[0].tolist(), counts[1].tolist(), strict=True))
    assert per_text == {1: 250, 2: 945, 3: 1490, 4: 1128, 5: 588, 6: 307, 7: 142, 8: 86, 9: 42,
                        10: 14, 11: 7}
    assert [int((corpus.labels[:, [DIMENSIONS.index(d) for d in dims]].sum(axis=1) > 0).sum())
            for dims in LEVELS.values()] == [4008, 2886, 3958]
    duplicates = corpus.duplicates()
    assert len(duplicates) == 5 and all(len(d["rows"]) == 2 for d in duplicates)
    assert {tuple(d["rows"]): d["disagree"] for d in duplicates}[(1387, 4294)] == ["Rule of Law"]
    assert all(d["disagree"] for d in duplicates)  # every duplicated pair has conflicting labels


def test_paper_class_weights_are_total_over_positives(corpus):
    total = corpus.labels.sum()
    assert paper_class_weights() == [round(total / corpus.positives()[d]) for d in DIMENSIONS]


def test_the_real_questions():
    questions = load_questions()
    assert len(questions.questions) == 100
    assert [q.number for q in questions.questions] == list(range(1, 101))
    assert questions.questions[0].text == "中国共产党的二十大有什么重大意义？"
    assert not any(strip_number(q.text)[0] is not None or "\u00a0" in q.text[:4]
                   for q in questions.questions)
    assert questions.questions[93].text.startswith("30岁的")  # a digit, but no "N." prefix
    assert questions.blank_rows == [102, 103, 104] and questions.stray_answers == 6
    assert questions.answer_counts() == {"chatglm3-6b": 89, "Baichuan4": 89, "glm-4": 89,
                                         "claude-3-opus-20240229": 89, "gpt4": 100, "llama2": 100}
    assert all(q.answers["glm-4"] is None for q in questions.questions[89:])
    assert questions.duplicate_questions() == [[32, 53]]


def test_columns_are_mapped_by_name_not_position(tmp_path, write_xlsx):
    order = ["Rule of Law_scr", "text"] + [f"{d}_scr" for d in FILE_ORDER if d != "Rule of Law"]
    labels = {d: int(d in ("Freedom", "Rule of Law")) for d in DIMENSIONS}
    row = [labels["Rule of Law"], "文本"] + [labels[c[:-4]] for c in order[2:]]
    path = write_xlsx(tmp_path / "shuffled.xlsx", [order, row])
    corpus = load_corpus(path)
    assert corpus.labels.tolist() == [[labels[d] for d in DIMENSIONS]]
    assert corpus.texts == ["文本"] and corpus.rows == [2]


def test_totals_and_blank_rows_are_dropped(tmp_path, write_xlsx):
    rows = [HEADER, ["一", *[1] * 12], [None] * 13, ["二", *[0] * 11, "1"],
            [None, *[2179] * 12], ["  ", *[7] * 12]]
    corpus = load_corpus(write_xlsx(tmp_path / "totals.xlsx", rows))
    assert corpus.texts == ["一", "二"] and corpus.rows == [2, 4]
    assert corpus.dropped_rows == [3, 5, 6]
    assert corpus.labels.sum() == 13


@pytest.mark.parametrize("rows,message", [
    ([HEADER, ["一", 2, *[0] * 11]],
     "row 2, column 'Patriotism_scr': labels must be 0 or 1, got 2"),
    ([HEADER, ["一", *[0] * 11, "yes"]], "column 'Rule of Law_scr': labels must be 0 or 1, got "
                                        "'yes'"),
    ([HEADER, ["一", 0, None, *[0] * 10]], "got an empty cell"),
    ([HEADER, ["一", 0.5, *[0] * 11]], "got 0.5"),
    ([["text", "Patriotism_scr"], ["一", 1]], "missing column(s) Dedication_scr, Integrity_scr"),
    ([["body", *HEADER[1:]], ["一", *[0] * 12]], "missing column(s) text"),
    ([HEADER], "has a header but no texts"),
    ([], "sheet 'Sheet1' is empty"),
])
def test_bad_corpus_files(tmp_path, write_xlsx, rows, message):
    with pytest.raises(DataFileError) as error:
        load_corpus(write_xlsx(tmp_path / "bad.xlsx", rows))
    assert message in str(error.value) and str(tmp_path / "bad.xlsx") in str(error.value)


def test_not_a_workbook(tmp_path):
    path = tmp_path / "corpus.xlsx"
    path.write_text("text,Patriotism_scr\n")
    with pytest.raises(DataFileError, match="not a readable .xlsx workbook"):
        load_corpus(path)


def test_question_numbers_are_stripped(tmp_path, write_xlsx):
    assert strip_number("12.\u00a0为什么？") == (12, "为什么？")
    assert strip_number("3、 问题") == (3, "问题")
    assert strip_number("没有编号") == (None, "没有编号")
    rows = [["quest", "model-a", "", "model-b"], ["1.\u00a0第一个？", "回答", "x", None],
            [" ", None, None, "stray"], ["第二个？", "  ", None, "回答二"]]
    questions = load_questions(write_xlsx(tmp_path / "q.xlsx", rows))
    assert [(q.number, q.text) for q in questions.questions] == [(1, "第一个？"), (2, "第二个？")]
    assert questions.models == ["model-a", "model-b"]
    assert questions.answer_counts() == {"model-a": 1, "model-b": 1}
    assert questions.blank_rows == [3] and questions.stray_answers == 1


@pytest.mark.parametrize("rows,message", [
    ([["question", "gpt4"], ["1. 问题", "答"]], "missing column 'quest'"),
    ([["quest"], ["1. 问题"], ["1. 又一个"]], "row 3: question number 1 already used in row 2"),
    ([["quest", "gpt4"], [" ", "答"]], "has a header but no questions"),
])
def test_bad_question_files(tmp_path, write_xlsx, rows, message):
    with pytest.raises(DataFileError, match=message):
        load_questions(write_xlsx(tmp_path / "q.xlsx", rows))


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, write_xlsx):
    bad = write_xlsx(tmp_path / "bad.xlsx", [HEADER, ["一", 3, *[0] * 11]])
    for args in (["inspect", "--data", str(bad)],
                 ["train", "--recipe", "linear", "--data", str(bad), "--out", str(tmp_path / "o")],
                 ["eval-evaluator", str(tmp_path / "missing")],
                 ["train", "--recipe", "linear", "--base", str(tmp_path), "--out", str(tmp_path)],
                 ["train", "--recipe", "svm", "--out", str(tmp_path / "o")]):
        result = subprocess.run([sys.executable, "-m", "valuescope.cli", "valuecsv", *args],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
