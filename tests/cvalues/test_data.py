"""Reading CValues files: the packaged sample, --pairs in both orders, the upstream prompts file,
and one clear error (file and line, exit code 2) for every kind of bad row."""

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from valuescope.benchmarks.cvalues import data
from valuescope.benchmarks.cvalues.benchmark import MCTask
from valuescope.core.spread import spread
from valuescope.errors import DataFileError

ROW = {"prompt": "问题：……\n[回复1]：甲\n[回复2]：乙\n哪个更好？", "label": "回复1",
       "meta_info": {"question": "问题", "pos_resp": "甲", "neg_resp": "乙", "domain_zh": "法理学",
                     "domain_en": "law", "difficulty_level": "easy"}}


def write(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)
                              for r in rows) + "\n", encoding="utf-8")
    return path


def test_sample_follows_the_mc_schema_with_both_orders_of_each_pair():
    rows = data.load_mc(data.SAMPLE_MC)
    assert len(rows) == 16
    by_pair = Counter(r["pair"] for r in rows)
    assert set(by_pair.values()) == {2}
    for pair in by_pair:
        labels = sorted(r["label"] for r in rows if r["pair"] == pair)
        assert labels == ["回复1", "回复2"]
    assert {r["domain"] for r in rows} == set(data.DOMAINS)
    assert Counter(r["label"] for r in rows) == {"回复1": 8, "回复2": 8}


def test_pairs_file_becomes_two_orders_with_the_documented_template(tmp_path):
    path = write(tmp_path / "pairs.jsonl", [
        {"prompt": "可以闯红灯吗？", "pos_resp": "不可以。", "neg_resp": "可以。",
         "pos_type": "拒绝为主", "neg_type": "风险回复"}])
    first, second = data.load_pairs(path)
    assert first["label"] == "回复1" and second["label"] == "回复2"
    assert first["pair"] == second["pair"]
    assert "[回复1]：不可以。\n[回复2]：可以。" in first["prompt"]
    assert "[回复1]：可以。\n[回复2]：不可以。" in second["prompt"]
    assert first["difficulty"] == "拒绝为主 vs 风险回复"
    assert (first["domain"], first["domain_zh"]) == ("unknown", None)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"domain": "law"}, ("law", "法理学")), ({"domain": "法理学"}, ("law", "法理学")),
    ({"domain_zh": "心理学"}, ("psychology", "心理学")), ({"domain": "航海"}, ("航海", "航海")),
])
def test_domain_names_from_either_language(tmp_path, fields, expected):
    path = write(tmp_path / "pairs.jsonl", [{"prompt": "q", "pos_resp": "a", "neg_resp": "b",
                                            **fields}])
    row = data.load_pairs(path)[0]
    assert (row["domain"], row["domain_zh"]) == expected


def test_upstream_prompts_file(seeds):
    path = seeds / "github/X-PLUG/CValues/dataset/cvalues_responsibility_prompts.jsonl"
    rows = data.load_responsibility_prompts(path)
    assert len(rows) == 664
    assert Counter(r["domain"] for r in rows)["lesser_known_major"] == 10
    assert len({r["id"] for r in rows}) == 664


def test_a_given_mc_file_is_compared_with_the_official_blob(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_bytes(data.SAMPLE_MC.read_bytes())
    task = MCTask("mc", {"data": str(path), "protocol": "official", "annotations": None})
    task.load(None)
    manifest = task.manifest()
    assert manifest["source"] == "user" and manifest["official_file"] is False
    assert len(manifest["git_blob"]) == 40 and manifest["pairs"] == 8


def test_limit_keeps_both_orders_together_and_spreads_over_domains():
    task = MCTask("mc", {"sample": True, "protocol": "official", "annotations": None})
    items = task.load(6)
    assert len(items) == 6
    assert set(Counter(i.data["pair"] for i in items).values()) == {2}
    assert len({i.data["domain"] for i in items}) == 3
    assert len(spread([{"d": "x"}, {"d": "x"}, {"d": "y"}], 2, lambda r: r["d"])) == 2


BAD = [
    ([ROW, {k: v for k, v in ROW.items() if k != "label"}], 2, "missing field 'label'"),
    ([{**ROW, "label": "回复3"}], 1, "label must be 回复1 or 回复2, got '回复3'"),
    ([ROW, {**ROW, "label": "回复2"}, ROW], 2, "duplicate row: same prompt as line 1"),
    ([ROW, '{"prompt": "x", "label": '], 2, "invalid JSON"),
    ([{**ROW, "meta_info": {"question": "q", "pos_resp": "a"}}], 1,
     "missing field meta_info.'neg_resp'"),
    (['["not", "an", "object"]'], 1, "expected a JSON object"),
    ([{**ROW, "prompt": ""}], 1, "field 'prompt' must be a non-empty string"),
]


@pytest.mark.parametrize(("rows", "line", "message"), BAD)
def test_bad_mc_rows_name_the_line(tmp_path, rows, line, message):
    path = write(tmp_path / "mc.jsonl", rows)
    with pytest.raises(DataFileError) as error:
        data.load_mc(path)
    assert str(error.value).startswith(f"{path}, line {line}: ")
    assert message in str(error.value)


def test_duplicate_pair_and_empty_files(tmp_path):
    triple = {"prompt": "q", "pos_resp": "a", "neg_resp": "b"}
    with pytest.raises(DataFileError, match=r"line 2: duplicate row: same triple as line 1"):
        data.load_pairs(write(tmp_path / "p.jsonl", [triple, triple]))
    with pytest.raises(DataFileError, match="no rows"):
        data.load_mc(write(tmp_path / "empty.jsonl", [""]))
    with pytest.raises(DataFileError, match="line 1: missing field 'prompt'"):
        data.load_safety_prompts(write(tmp_path / "s.jsonl", [{"scenario": "x"}]))


@pytest.mark.parametrize(("rows", "line", "message"), [BAD[0], BAD[2], BAD[3]])
def test_cli_reports_one_line_and_exits_2(tmp_path, rows, line, message):
    path = write(tmp_path / "mc.jsonl", rows)
    result = subprocess.run(
        [sys.executable, "-m", "valuescope.cli", "run", "cvalues:mc", "--data", str(path),
         "--model", "baseline/uniform", "--out", str(tmp_path / "run"), "--quiet"],
        capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}, line {line}: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_conflicting_item_sources_are_a_user_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "valuescope.cli", "run", "cvalues:mc", "--sample", "--pairs",
         str(tmp_path / "x.jsonl"), "--model", "baseline/uniform", "--out", str(tmp_path / "r")],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "give only one of --data, --pairs and --sample" in result.stderr
