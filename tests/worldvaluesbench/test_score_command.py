"""`valuescope wvb score`: the original evaluator's contract, its sample fixture and bad input."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from valuescope.benchmarks.worldvaluesbench.metadata import load_metadata

# Ground truth reverse-engineered in the spec (section 10) for evaluation/sample_input.tsv.
SIX = {156070594: {"Q1": 1}, 586070648: {"Q1": 1}, 608070097: {"Q2": 1}, 702070734: {"Q2": 2},
       410070959: {"Q3": 1}, 364072161: {"Q3": 1}}


def write_wvs(path: Path, answers: dict[int, dict[str, int]]) -> Path:
    """A minimal WVS-7-shaped CSV: every metadata column, the given answers, other cells blank."""
    columns = list(load_metadata().questions)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for participant, values in answers.items():
            row = {"D_INTERVIEW": participant, "B_COUNTRY": str(participant)[:3].lstrip("0"),
                   "H_URBRURAL": 1, "Q275": 3, **values}
            writer.writerow([row.get(c, "") for c in columns])
    return path


def valuescope(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "valuescope.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_reproduces_sample_output_bit_for_bit(tmp_path, wvb_dir):
    wvs = write_wvs(tmp_path / "six.csv", SIX)
    out = tmp_path / "w1.json"
    result = valuescope("wvb", "score", "--outputs", str(wvb_dir / "evaluation/sample_input.tsv"),
                        "--wvs", str(wvs), "--json", str(out))
    assert result.returncode == 0, result.stderr
    expected = (wvb_dir / "evaluation/sample_output.json").read_bytes()
    assert out.read_bytes() == expected
    assert result.stdout.startswith(expected.decode())


@pytest.mark.parametrize("content,message", [
    ("QUESTION_ID\tPARTICIPANT_ID\tSCORE\nQ999\t156070594\t3\n", "line 2, column 'QUESTION_ID'"),
    ("QUESTION_ID\tPARTICIPANT_ID\tSCORE\nQ1\t123\t3\n", "line 2, column 'PARTICIPANT_ID'"),
    ("QUESTION_ID\tPARTICIPANT_ID\tSCORE\nQ1\t156070594\tthree\n", "line 2, column 'SCORE'"),
    ("QID\tPID\tS\nQ1\t156070594\t3\n", "missing column(s) QUESTION_ID"),
    ("", "empty file"),
])
def test_bad_outputs_files(tmp_path, content, message):
    wvs = write_wvs(tmp_path / "six.csv", SIX)
    outputs = tmp_path / "outputs.tsv"
    outputs.write_text(content)
    result = valuescope("wvb", "score", "--outputs", str(outputs), "--wvs", str(wvs))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_blank_scores_and_csv_input(tmp_path):
    wvs = write_wvs(tmp_path / "six.csv", SIX)
    outputs = tmp_path / "outputs.csv"
    outputs.write_text("PARTICIPANT_ID,SCORE,QUESTION_ID\n608070097,,Q2\n702070734,4,Q2\n")
    result = valuescope("wvb", "score", "--outputs", str(outputs), "--wvs", str(wvs))
    assert result.returncode == 0, result.stderr
    per_question = json.loads(result.stdout[: result.stdout.index("}") + 1])
    # Humans {1, 2} (both listed participants), model {4}: W1 = (1 + 2/3) / 2 ... on [0,1] scale.
    assert per_question["Q2"] == pytest.approx((1.0 + 2 / 3) / 2)
