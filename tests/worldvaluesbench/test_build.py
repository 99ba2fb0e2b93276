"""The WVB build against hand-made WVS-7 files: every rule of the original data_preparation.py,
the seed-0 split, the output layouts and every kind of bad input."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from pathlib import Path

import numpy as np
import pytest

from valuescope.benchmarks.worldvaluesbench import build
from valuescope.benchmarks.worldvaluesbench.build import (
    MISSING,
    build_tables,
    load_build,
    load_tables,
    split_rows,
    write_build,
)
from valuescope.benchmarks.worldvaluesbench.metadata import load_metadata
from valuescope.errors import DataFileError

DROPPED = 858069901
# 13 kept respondents; the dropped one sits at position 3, so pandas' labels have a gap there
IDS = [156070001, 156070002, 156070003, DROPPED] + [156070004 + k for k in range(10)]
EDGE_ROWS = {
    156070001: {"Q1": "1.0", "Q56": "2", "Q111": "3", "Q119": "0", "Q241": "0", "Q254": "5",
                "Q2": "-1", "Q3": "7", "Q4": "", "Q5": "x", "Q260": "-2", "Q262": "45",
                "B_COUNTRY": "156", "H_URBRURAL": "2", "Q261": "", "Q288": "-1"},
    156070002: {"Q56": "3", "Q119": "3", "Q221": "4", "Q94": "0", "Q241": "10", "Q242": "0.0",
                "Q6": " 3", "Q288": "5", "H_URBRURAL": "-5", "Q275": "7"},
    156070003: {"Q1": "2.5", "Q119": "4", "Q56": "1", "Q262": "30.5", "Q290": "abc",
                "Q289": '"a""b"', "Q7": "1e0"},
    DROPPED: {"Q8": "x", "Q9": "99", "Q262": "junk"},  # dropped first: none of this is counted
    156070004: {"Q111": "1", "Q254": "4", "Q221": "3"},
}


@pytest.fixture(scope="module")
def meta():
    return load_metadata()


def columns_of(meta) -> list[str]:
    return ["version", *meta.questions, "W_WEIGHT", "S018"]


def default_cell(meta, column: str) -> str:
    question = meta.questions.get(column)
    if question is not None and question.use_case == "value":
        return str(question.scale_min)
    return "1"


def wvs_text(meta, ids=IDS, rows=EDGE_ROWS, version="5-0-0 (2022-12-14)", sep=",",
             drop=()) -> str:
    """A WVS-7-like CSV: cells are raw CSV text (so a test can write quotes or junk)."""
    columns = [c for c in columns_of(meta) if c not in drop]
    lines = [sep.join(columns)]
    for respondent in ids:
        overrides = {"D_INTERVIEW": str(respondent), "version": version, "W_WEIGHT": "1.25",
                     "S018": "1",
                     **rows.get(respondent, {})}
        lines.append(sep.join(overrides.get(c, default_cell(meta, c)) for c in columns))
    return "\n".join(lines) + "\n"


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def edge_csv(tmp_path_factory, meta) -> Path:
    return write(tmp_path_factory.mktemp("wvs") / "wvs7.csv", wvs_text(meta))


@pytest.fixture(scope="module")
def tables(edge_csv, meta):
    return build_tables(edge_csv, meta)


def value(tables, respondent: int, question: str) -> int:
    return int(tables.values[tables.row_of()[respondent], tables.value_columns.index(question)])


def label(tables, respondent: int, column: str):
    return tables.demographics.column(column)[tables.row_of()[respondent]].as_py()


# ---------------------------------------------------------------------------- §3 processing rules

def test_drops_the_repeated_respondent_and_keeps_file_order(tables):
    assert tables.ids.dtype == np.int64
    assert tables.ids.tolist() == [i for i in IDS if i != DROPPED]
    assert tables.manifest["dropped_rows"] == 1
    assert tables.demographics.column("D_INTERVIEW").to_pylist() == tables.ids.tolist()


def test_value_rules_remaps_and_missing(tables):
    expected = {
        (156070001, "Q1"): 1,  # "1.0" -> 1
        (156070001, "Q56"): 3, (156070002, "Q56"): 2, (156070003, "Q56"): 1,  # swap 2 <-> 3
        (156070001, "Q111"): MISSING, (156070004, "Q111"): 1,  # 3 = "Other answer" dropped
        (156070001, "Q119"): 3, (156070002, "Q119"): 4, (156070003, "Q119"): 5,  # 0->3 3->4 4->5
        (156070001, "Q241"): 1, (156070002, "Q241"): 10, (156070002, "Q242"): 1,  # 0 -> 1
        (156070001, "Q254"): MISSING, (156070004, "Q254"): 4,  # 5 = "not [nationality]" dropped
        (156070002, "Q221"): MISSING, (156070004, "Q221"): 3,  # 4 = not allowed to vote dropped
        (156070001, "Q2"): MISSING,  # negative code
        (156070001, "Q3"): 7,  # out of range (1-4): kept
        (156070001, "Q4"): MISSING,  # blank
        (156070001, "Q5"): MISSING,  # junk
        (156070002, "Q94"): 0,  # 0 is a valid answer on 0-2 scales
        (156070002, "Q6"): 3,  # spaces around a number
        (156070003, "Q1"): 2,  # 2.5 truncated like int(2.5)
        (156070003, "Q7"): 1,  # "1e0"
        (156070004, "Q1"): 1,
    }
    actual = {key: value(tables, *key) for key in expected}
    assert actual == expected
    assert tables.values.dtype == np.int16 and tables.values.shape == (13, 239)


def test_demographic_labels_keep_negative_codes_and_raw_values(tables):
    assert label(tables, 156070001, "Q260") == "No answer"  # negative code -> its label
    assert label(tables, 156070002, "H_URBRURAL") == "No answer; Missing"
    assert label(tables, 156070001, "H_URBRURAL") == "Rural"
    assert label(tables, 156070004, "H_URBRURAL") == "Urban"
    assert label(tables, 156070001, "B_COUNTRY") == "China"
    assert label(tables, 156070004, "B_COUNTRY") == "1"  # no label: the value as is
    assert label(tables, 156070001, "Q262") == "45"  # ages have no labels
    assert label(tables, 156070001, "Q261") is None  # blank stays blank
    assert label(tables, 156070002, "Q275") == "Master or equivalent (ISCED 7)"
    assert label(tables, 156070003, "Q262") == "30.5"  # non-integer kept as text
    assert label(tables, 156070003, "Q290") == "abc"  # junk kept verbatim, as the original
    assert label(tables, 156070003, "Q289") == 'a"b'
    # Q288 is the one ordinal demographic: negative -> blank, else the integer
    assert label(tables, 156070001, "Q288") is None
    assert label(tables, 156070002, "Q288") == "5"


def test_manifest_counts(tables, edge_csv):
    manifest = tables.manifest
    assert manifest["out_of_range"] == {"Q3": 1}
    assert manifest["junk"] == {"Q5": 1, "Q289": 1, "Q290": 1}
    assert manifest["non_integer"] == {"Q1": 1, "Q262": 1}
    assert manifest["synthetic"] is False
    assert manifest["source"]["name"] == "wvs7.csv"
    assert len(manifest["source"]["sha256"]) == 64
    assert manifest["rows"] == {"full": 13, "train": 9, "test": 1, "valid": 3}
    missing_cells = 5 + 1  # row 1: Q111 Q254 Q2 Q4 Q5; row 2: Q221
    assert manifest["examples"]["full"] == 13 * 239 - missing_cells
    assert sum(manifest["examples"][s] for s in ("train", "test", "valid")) == 13 * 239 - 6
    assert manifest["columns"] == {"value": 239, "demographic": 42}


def test_synthetic_flag_comes_from_the_version_column(tmp_path, meta):
    path = write(tmp_path / "s.csv", wvs_text(meta, version="SYNTHETIC valuescope test"))
    assert build_tables(path, meta).manifest["synthetic"] is True


# -------------------------------------------------------------------------------------- split

def test_split_is_the_originals_seed0_shuffle_of_gapped_labels(tables):
    labels = [k for k, respondent in enumerate(IDS) if respondent != DROPPED]  # pandas' index
    random.seed(0)
    random.shuffle(labels)
    n = len(labels)
    train_end = int(0.7 * n)
    test_end = train_end + int(0.15 * n)
    expected = {}
    for position, label_ in enumerate(labels):
        part = "train" if position < train_end else "test" if position < test_end else "valid"
        expected[IDS[label_]] = (part, position)
    actual = {int(i): (str(s), int(r))
              for i, s, r in zip(tables.ids, tables.split, tables.shuffle_rank, strict=True)}
    assert actual == expected


def test_split_sizes_match_the_paper():
    split, rank = split_rows(93_278)
    assert {s: int((split == s).sum()) for s in ("train", "test", "valid")} == {
        "train": 65_294, "test": 13_991, "valid": 13_993}
    assert sorted(rank.tolist()) == list(range(93_278))


# ------------------------------------------------------------------------------ other formats

def test_zip_input_builds_the_same_tables(tmp_path, edge_csv, tables, meta):
    archive = tmp_path / "WVS_Cross-National_Wave_7_csv_v6_0.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.write(edge_csv, "WVS_Cross-National_Wave_7_csv_v6_0.csv")
        handle.writestr("__MACOSX/._WVS.csv", "junk")
    zipped = build_tables(archive, meta)
    assert np.array_equal(zipped.values, tables.values)
    assert zipped.demographics.equals(tables.demographics)
    assert zipped.split.tolist() == tables.split.tolist()


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_spss_and_stata_exports(tmp_path, meta, suffix):
    pd = pytest.importorskip("pandas")
    pyreadstat = pytest.importorskip("pyreadstat")
    rows = {156070001: {"Q56": "2", "Q260": "-2", "Q2": "-1", "Q119": "0"}}
    text = wvs_text(meta, rows=rows)
    csv_path = write(tmp_path / "clean.csv", text)
    frame = pd.read_csv(io.StringIO(text))
    path = tmp_path / f"wvs{suffix}"
    (pyreadstat.write_sav if suffix == ".sav" else pyreadstat.write_dta)(frame, str(path))
    from_stat, from_csv = build_tables(path, meta), build_tables(csv_path, meta)
    assert np.array_equal(from_stat.values, from_csv.values)
    assert from_stat.demographics.equals(from_csv.demographics)
    assert label(from_stat, 156070001, "Q260") == "No answer"
    assert value(from_stat, 156070001, "Q56") == 3


# --------------------------------------------------------------------------------- bad inputs

def bad(tmp_path: Path, name: str, data: str | bytes) -> Path:
    return write(tmp_path / name, data)


@pytest.mark.parametrize("make, pattern", [
    (lambda m: b"", r"wvs\.csv: the file is empty"),
    (lambda m: b"\n\n", r"the file is empty"),
    (lambda m: wvs_text(m, ids=[]), r"header but no respondent rows"),
    (lambda m: "a,b,c\n1,2,3\n",
     r"line 1: not a WVS-7 cross-national export: 282 of the 282 required columns are missing "
     r"\(A_YEAR, B_COUNTRY, D_INTERVIEW, J_INTDATE, N_TOWN, \.\.\.\)"),
    (lambda m: wvs_text(m, drop=("Q56",)), r"line 1: .*1 of the 282 required columns are missing "
                                           r"\(Q56\)"),
    (lambda m: wvs_text(m, sep=";"), r"line 1: fields are separated by semicolons \(;\)"),
    (lambda m: wvs_text(m, sep="\t"), r"line 1: fields are separated by tabs"),
])
def test_unusable_files(tmp_path, meta, make, pattern):
    with pytest.raises(DataFileError, match=pattern):
        build_tables(bad(tmp_path, "wvs.csv", make(meta)), meta)


def test_truncated_line_names_the_line(tmp_path, meta):
    lines = wvs_text(meta).splitlines()
    lines[3] = ",".join(lines[3].split(",")[:40])  # fourth line: the third respondent
    with pytest.raises(DataFileError, match=r"line 4: truncated or malformed row: 40 fields "
                                            r"where the header has 285"):
        build_tables(bad(tmp_path, "wvs.csv", "\n".join(lines) + "\n"), meta)


def test_non_utf8_names_line_and_column(tmp_path, meta):
    data = wvs_text(meta, rows={156070002: {"Q3": "\udcff"}}).encode("utf-8", "surrogateescape")
    with pytest.raises(DataFileError, match=r"line 3, column 'Q3': not UTF-8 text \(byte 0xff\)"):
        build_tables(bad(tmp_path, "wvs.csv", data), meta)


def test_non_utf8_in_columns_wvb_does_not_read(tmp_path, meta):
    rows = {156070001: {"S018": "1\udce9"}}  # S018 is not read: fine on its own
    path = bad(tmp_path, "ok.csv", wvs_text(meta, rows=rows).encode("utf-8", "surrogateescape"))
    assert build_tables(path, meta).manifest["rows"]["full"] == 13
    rows[156070002] = {"Q3": "\udcff"}  # ... but the error names the cell that matters
    data = wvs_text(meta, rows=rows).encode("utf-8", "surrogateescape")
    with pytest.raises(DataFileError, match=r"line 3, column 'Q3': not UTF-8 text \(byte 0xff\)"):
        build_tables(bad(tmp_path, "wvs.csv", data), meta)


def test_non_utf8_header(tmp_path, meta):
    data = b"caf\xe9," + wvs_text(meta).encode()
    with pytest.raises(DataFileError, match=r"line 1: not UTF-8 text \(byte 0xe9"):
        build_tables(bad(tmp_path, "wvs.csv", data), meta)


def test_missing_interview_id_names_line_and_column(tmp_path, meta):
    text = wvs_text(meta).replace(",156070002,", ",,", 1)  # blank ID on the third line
    with pytest.raises(DataFileError, match=r"line 3, column 'D_INTERVIEW': 1 respondent"):
        build_tables(bad(tmp_path, "wvs.csv", text), meta)


def test_unreadable_zip(tmp_path, meta):
    with pytest.raises(DataFileError, match=r"not a readable zip archive"):
        build_tables(bad(tmp_path, "wvs.zip", b"PK\x03\x04 this is not a zip"), meta)


def test_zip_must_hold_one_csv(tmp_path, meta):
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("a.csv", wvs_text(meta))
        handle.writestr("b.csv", wvs_text(meta))
    with pytest.raises(DataFileError, match=r"exactly one \.csv .* found 2 \(a\.csv, b\.csv\)"):
        build_tables(archive, meta)


def test_errors_inside_a_zip_name_the_member_and_line(tmp_path, meta):
    lines = wvs_text(meta).splitlines()
    lines[2] = lines[2] + ",extra"
    archive = tmp_path / "wvs.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("inner.csv", "\n".join(lines) + "\n")
    with pytest.raises(DataFileError, match=r"wvs\.zip \(inner\.csv\), line 3: truncated"):
        build_tables(archive, meta)


def test_unreadable_spss_file(tmp_path, meta):
    pytest.importorskip("pyreadstat")
    with pytest.raises(DataFileError, match=r"cannot read as a SPSS file"):
        build_tables(bad(tmp_path, "wvs.sav", b"not spss at all"), meta)


# ---------------------------------------------------------------------------- writing, loading

def test_write_and_load_round_trip(tmp_path, tables):
    write_build(tables, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "demographic.parquet", "manifest.json", "value.parquet"]
    loaded = load_build(tmp_path / "out")
    assert np.array_equal(loaded.ids, tables.ids)
    assert loaded.split.tolist() == tables.split.tolist()
    assert np.array_equal(loaded.shuffle_rank, tables.shuffle_rank)
    assert loaded.value_columns == tables.value_columns
    assert loaded.values.dtype == np.int16 and np.array_equal(loaded.values, tables.values)
    assert loaded.demographic_columns == tables.demographic_columns
    assert loaded.demographics.equals(tables.demographics)
    assert loaded.manifest == tables.manifest
    assert loaded.row_of() == tables.row_of() == {i: k for k, i in enumerate(tables.ids.tolist())}


def read_tsv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter="\t"))


def test_tsv_layout_is_the_originals(tmp_path, tables):
    out = tmp_path / "out"
    write_build(tables, out, tsv=True)
    for split in ("full", "train", "valid", "test"):
        assert sorted(p.name for p in (out / split).iterdir()) == [
            f"{split}_demographic_qa.tsv", f"{split}_value_qa.tsv"]
    full = read_tsv(out / "full" / "full_value_qa.tsv")
    assert full[0] == ["D_INTERVIEW", *tables.value_columns]
    expected = [[str(i), *("" if v == MISSING else str(v) for v in row)]
                for i, row in zip(tables.ids.tolist(), tables.values.tolist(), strict=True)]
    assert full[1:] == expected
    for split in ("train", "valid", "test"):
        rows = read_tsv(out / split / f"{split}_value_qa.tsv")[1:]
        in_split = [(int(r), int(i)) for i, s, r in
                    zip(tables.ids, tables.split, tables.shuffle_rank, strict=True) if s == split]
        assert [int(row[0]) for row in rows] == [i for _, i in sorted(in_split)]
        demographic = read_tsv(out / split / f"{split}_demographic_qa.tsv")
        assert [int(row[0]) for row in demographic[1:]] == [int(row[0]) for row in rows]
    demographic = read_tsv(out / "full" / "full_demographic_qa.tsv")
    assert demographic[0] == ["D_INTERVIEW", *tables.demographic_columns]
    text = (out / "full" / "full_demographic_qa.tsv").read_text(encoding="utf-8")
    assert '\t"a""b"\t' in text  # quoted like pandas' to_csv


def test_tsv_bytes_match_pandas_to_csv(tmp_path, tables):
    pd = pytest.importorskip("pandas")
    write_build(tables, tmp_path, tsv=True)
    values = pd.DataFrame({"D_INTERVIEW": tables.ids, **{
        q: [("" if v == MISSING else int(v)) for v in tables.values[:, j].tolist()]
        for j, q in enumerate(tables.value_columns)}})
    demographics = pd.DataFrame({c: tables.demographics.column(c).to_pylist()
                                 for c in tables.demographics.column_names})
    order = [int(i) for i in np.argsort(tables.shuffle_rank) if tables.split[i] == "valid"]
    for frame, name in ((values, "value"), (demographics, "demographic")):
        assert (tmp_path / "full" / f"full_{name}_qa.tsv").read_text() == frame.to_csv(
            sep="\t", index=False)
        assert (tmp_path / "valid" / f"valid_{name}_qa.tsv").read_text() == frame.iloc[
            order].to_csv(sep="\t", index=False)


def test_load_tables_builds_once_into_the_cache(tmp_path, edge_csv, tables, meta, monkeypatch):
    monkeypatch.setenv("VALUESCOPE_CACHE", str(tmp_path / "cache"))
    first = load_tables(edge_csv, meta)
    builds = tmp_path / "cache" / "wvb-builds"
    assert [p.name for p in builds.iterdir()] == [tables.manifest["source"]["sha256"]]
    assert np.array_equal(first.values, tables.values)

    def no_rebuild(*args, **kwargs):
        raise AssertionError("rebuilt instead of loading the cached build")

    monkeypatch.setattr(build, "_build", no_rebuild)
    again = load_tables(edge_csv, meta)
    assert np.array_equal(again.values, tables.values) and again.manifest == tables.manifest
    from_dir = load_tables(builds / tables.manifest["source"]["sha256"], meta)
    assert from_dir.demographics.equals(tables.demographics)


def test_load_build_refuses_other_folders(tmp_path, meta):
    with pytest.raises(DataFileError, match=r"not a WorldValuesBench build \(no manifest\.json\)"):
        load_tables(tmp_path, meta)


def test_survey_weights_are_kept_for_the_weights_option(tmp_path, meta):
    rows = {156070001: {"W_WEIGHT": "2.5"}, 156070002: {"W_WEIGHT": "-5"},
            156070003: {"W_WEIGHT": ""}}
    tables = build_tables(write(tmp_path / "w.csv", wvs_text(meta, rows=rows)), meta)
    weight_of = dict(zip(tables.ids.tolist(), tables.weights.tolist(), strict=True))
    assert weight_of[156070001] == 2.5
    assert np.isnan(weight_of[156070002]) and np.isnan(weight_of[156070003])
    assert weight_of[156070004] == 1.25
    write_build(tables, tmp_path / "out")
    loaded = load_build(tmp_path / "out")
    np.testing.assert_array_equal(loaded.weights, tables.weights)
