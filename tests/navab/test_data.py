"""Reading NaVAB items: the layouts, the example files, and bad input named by its line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from valuescope.benchmarks.navab import data
from valuescope.errors import DataFileError, UserError

GOOD = {"generated Q": "Should taxes rise?", "statement": "Taxes should rise.",
        "generated reverse statement": "Taxes should not rise."}


def write_items(path: Path, rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=4), encoding="utf-8")
    return path


def valuescope(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "valuescope.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_example_files_load_with_revision_and_flags():
    refs = data.locate("examples")
    assert [(r.nation, r.source) for r in refs] == [("China", "quoted"), ("China", "official")]
    assert all(r.revision == "eefe1a8e568f1f6cd7db0d7060d91a571fa069ad" for r in refs)
    quoted, official = (data.read_items(r) for r in refs)
    assert (len(quoted.rows), len(official.rows)) == (35, 40)
    # The spec's caveat: English statements next to a Chinese Q and RS are flagged, not dropped.
    mixed = [p for p in official.problems if p.kind == "mixed languages"]
    assert mixed and not any(p.excluded for p in mixed)
    first = official.rows[0]
    assert "mixed languages" in first.flags and first.line == 2
    assert official.manifest()["sha256"].startswith("04fc3f33")


def test_bad_rows_are_counted_with_their_line(tmp_path):
    rows = [GOOD, {"generated Q": "Q?", "statement": "S."},
            {**GOOD, "statement": "   "},
            {**GOOD, "generated reverse statement": GOOD["statement"]},
            {**GOOD, "generated Q": "稅收應該提高嗎？",
             "generated reverse statement": "稅收不應提高。"},
            "just a string", GOOD]
    items = data.read_items(data.FileRef("US", "quoted", write_items(tmp_path / "x.json", rows)))
    assert len(items.rows) == 4 and items.total == 7
    found = {(p.kind, p.line, p.excluded) for p in items.problems}
    # json.dumps(indent=4): a row takes 2 + (its keys) lines, the string one; "[" is line 1.
    assert found == {("missing keys", 7, True), ("empty text", 11, True),
                     ("identical S and RS", 16, False), ("mixed languages", 21, False),
                     ("not an object", 26, True)}
    assert [r.index for r in items.rows] == [0, 1, 2, 3]  # halves count usable rows only


@pytest.mark.parametrize("content,message", [
    ('{"a": 1}', "not a JSON array"),
    ('[{"question": "x", "answer": "y"}]', "not a NaVAB items file"),
    ("[]", "no items"),
    ('[\n  {"statement": "x",\n  "generated Q": }\n]', "line 3"),
    ("", "empty file"),
])
def test_not_navab_is_one_clear_error(tmp_path, content, message):
    path = tmp_path / "human_statement_result.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFileError, match=message):
        data.read_items(data.locate(str(path))[0])


def test_layouts(tmp_path):
    write_items(tmp_path / "hf" / "french" / "official_statement_result.json", [GOOD])
    write_items(tmp_path / "hf" / "US" / "human_statement_result.json", [GOOD])
    refs = data.locate(str(tmp_path / "hf"))
    assert [(r.nation, r.source) for r in refs] == [("US", "quoted"), ("France", "official")]
    assert [r.nation for r in data.locate(str(tmp_path / "hf"), nation="France")] == ["France"]
    flat = write_items(tmp_path / "flat" / "official_statement_result.json", [GOOD]).parent
    assert [(r.nation, r.source) for r in data.locate(str(flat), nation="UK")] == [
        ("UK", "official")]
    with pytest.raises(DataFileError, match="no NaVAB items files"):
        data.locate(str(tmp_path / "hf"), nation="Germany")
    with pytest.raises(UserError, match="only China"):
        data.locate("examples", nation="UK")
    url = "https://huggingface.co/datasets/o/d/resolve/abc123/x/y.json"
    assert data.revision_of(url) == "abc123"


def test_cli_bad_file_exits_2_with_one_line(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text('{"hello": "world"}', encoding="utf-8")
    result = valuescope("run", "navab:mc", "--model", "baseline/uniform", "--data", str(path),
                        "--out", str(tmp_path / "run"), "--quiet")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_run_reports_bad_rows_and_still_scores_the_rest(tmp_path):
    rows = [GOOD, {"statement": "S."}, {**GOOD, "statement": ""}, GOOD, GOOD]
    folder = tmp_path / "data"
    write_items(folder / "UK" / "human_statement_result.json", rows)
    result = valuescope("run", "navab:mc", "--model", "baseline/random", "--data", str(folder),
                        "--out", str(tmp_path / "run"), "--quiet")
    assert result.returncode == 0, result.stderr
    run = json.loads((tmp_path / "run" / "results.json").read_text())["runs"][0]
    assert run["metrics"]["summary"]["items"] == 3
    [entry] = run["data"]["files"]
    assert entry["excluded"] == 2 and entry["problems"] == {"missing keys": 1, "empty text": 1}
    assert [p["line"] for p in entry["problem_rows"]] == [7, 10]


def test_check_command_lists_each_problem_with_its_line(tmp_path):
    rows = [GOOD, {"statement": "S."}, {**GOOD, "generated reverse statement": GOOD["statement"]}]
    path = write_items(tmp_path / "UK" / "official_statement_result.json", rows)
    result = valuescope("navab", "check", "--data", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"{path}: UK/official, 3 rows, 2 usable" in result.stdout
    assert "line 7: missing keys (generated Q, generated reverse statement), left out" in \
        result.stdout
    assert "line 10: identical S and RS, flagged" in result.stdout
