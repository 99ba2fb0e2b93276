"""The synthetic WVS-7 file: WVS layout, determinism, the probe respondents with their groups,
and answers that really depend on demographics (else demographic prompting has nothing to find)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from valuescope import sources
from valuescope.benchmarks.worldvaluesbench.build import MISSING, build_tables
from valuescope.benchmarks.worldvaluesbench.metadata import load_metadata
from valuescope.benchmarks.worldvaluesbench.synth import SYNTHETIC_VERSION, synthesize

DROPPED = 858069901
PROBE_RESPONDENTS = 4860


@pytest.fixture(scope="module")
def meta():
    return load_metadata()


@pytest.fixture(scope="module")
def probe_rows() -> list[dict[str, str]]:
    with open(sources.resolve("wvb/samples.tsv"), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(scope="module")
def full(tmp_path_factory, meta):
    """All probe respondents plus 1,140 others; built once for the module."""
    path = tmp_path_factory.mktemp("synth") / "wvs.csv"
    summary = synthesize(6000, 7, path, meta, extra_columns=4)
    return path, summary, build_tables(path, meta)


def header(path) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return handle.readline().rstrip("\n").split(",")


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, meta):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert synthesize(300, 3, a, meta) == {**synthesize(300, 3, b, meta), "path": str(a)}
    synthesize(300, 4, c, meta)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_wvs_layout(full, meta):
    path, summary, _ = full
    names = header(path)
    assert names[0] == "version"
    assert set(meta.questions) <= set(names)
    assert {"W_WEIGHT", "S018", "doi", "A_WAVE", "Q42", "Q223"} <= set(names)
    assert names[-4:] == ["Z_FILLER_001", "Z_FILLER_002", "Z_FILLER_003", "Z_FILLER_004"]
    assert len(names) == len(set(names)) == summary["columns"] == len(meta.codebook) + 4
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6001 == summary["rows"]
    assert {row["version"] for row in rows} == {SYNTHETIC_VERSION}
    weights = np.array([float(row["W_WEIGHT"]) for row in rows])
    assert weights.min() > 0 and 0.85 < weights.mean() < 1.25
    assert sum(row["D_INTERVIEW"] == str(DROPPED) for row in rows) == 1
    ids = [int(row["D_INTERVIEW"]) for row in rows]
    assert len(set(ids)) == len(ids)
    countries = set(meta.choices("B_COUNTRY"))
    for row in rows[PROBE_RESPONDENTS:]:  # WVS pattern: country code, then six digits
        assert int(row["D_INTERVIEW"]) // 1_000_000 == int(row["B_COUNTRY"])
        assert row["B_COUNTRY"] in countries
    value_cells = np.array([[row[q] for q in meta.value_columns] for row in rows[:2000]])
    for code in ("-1", "-2", "-4", "-5"):
        assert 0 < (value_cells == code).mean() < 0.05, code


def test_build_sees_a_synthetic_file_with_its_flaws(full):
    _, summary, tables = full
    manifest = tables.manifest
    assert manifest["synthetic"] is True
    assert manifest["dropped_rows"] == 1 and manifest["rows"]["full"] == 6000
    assert sum(manifest["junk"].values()) == len(summary["junk"]) == 3
    assert sum(manifest["out_of_range"].values()) == len(summary["out_of_range"]) == 5
    for cell in summary["out_of_range"]:
        row = tables.row_of()[cell["id"]]
        assert tables.values[row, tables.value_columns.index(cell["question"])] == cell["value"]


def test_probe_respondents_have_their_groups_and_answers(full, meta, probe_rows):
    _, summary, tables = full
    assert summary["probe_respondents"] == PROBE_RESPONDENTS
    first_seen = list(dict.fromkeys(int(row["D_INTERVIEW"]) for row in probe_rows))
    assert tables.ids[:PROBE_RESPONDENTS].tolist() == first_seen
    row_of = tables.row_of()
    country = tables.demographics.column("B_COUNTRY").to_pylist()
    settlement = tables.demographics.column("H_URBRURAL").to_pylist()
    education = tables.demographics.column("Q275").to_pylist()
    for probe in probe_rows:
        row = row_of[int(probe["D_INTERVIEW"])]
        assert meta.country_to_continent[country[row]] == probe["Continent"]
        assert settlement[row] == probe["Urban / Rural"]
        assert meta.education_to_level[education[row]] == probe["Education"]
        question = meta.questions[probe["Question"]]
        answer = tables.values[row, tables.value_columns.index(question.id)]
        assert question.scale_min <= answer <= question.scale_max, probe


def test_small_files_take_the_first_probe_respondents(tmp_path, meta, probe_rows):
    path = tmp_path / "small.csv"
    summary = synthesize(40, 1, path, meta)
    tables = build_tables(path, meta)
    first = list(dict.fromkeys(int(row["D_INTERVIEW"]) for row in probe_rows))[:40]
    assert summary["rows"] == 41 and tables.ids.tolist() == first
    assert tables.manifest["dropped_rows"] == 1


def _gap(values: np.ndarray, labels: np.ndarray, left: str, right: str) -> float:
    """Largest z-score of the difference in mean answer between two groups, over all questions."""
    best = 0.0
    for j in range(values.shape[1]):
        answers = values[:, j].astype(float)
        answered = answers != MISSING
        a, b = answers[answered & (labels == left)], answers[answered & (labels == right)]
        spread = np.sqrt(a.var() / len(a) + b.var() / len(b))
        best = max(best, abs(a.mean() - b.mean()) / spread)
    return best


def test_demographics_shift_answers(full):
    _, _, tables = full
    settlement = np.array(tables.demographics.column("H_URBRURAL").to_pylist(), dtype=object)
    education = np.array(tables.demographics.column("Q275").to_pylist(), dtype=object)
    assert _gap(tables.values, settlement, "Urban", "Rural") > 10
    assert _gap(tables.values, education, "Primary education (ISCED 1)",
                "Bachelor or equivalent (ISCED 6)") > 10
    # control: with the labels shuffled the same statistic stays at noise level
    np.random.default_rng(0).shuffle(settlement)
    assert _gap(tables.values, settlement, "Urban", "Rural") < 5
