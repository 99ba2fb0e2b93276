"""ValueCSV as a benchmark: whole runs through the CLI against the mock OpenAI server (default
evaluator, news-style prompt, value map equal to the evaluator's own numbers, references on the
same questions, escaped report with a radar chart), re-scoring, scoring edge cases, and the
reference-answer command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from valuescope.benchmarks.valuecsv.benchmark import BENCHMARK
from valuescope.benchmarks.valuecsv.data import load_questions
from valuescope.benchmarks.valuecsv.dimensions import DIMENSIONS
from valuescope.benchmarks.valuecsv.evaluator import load
from valuescope.benchmarks.valuecsv.radar import radar_chart
from valuescope.core.benchmark import Item
from valuescope.core.requests import Failure, Generation
from valuescope.testing.mock_openai import serve_in_thread

NEWS = ("【人民日报讯】近日，各地坚持依法治国，推进法治政府建设，维护社会公平正义。"
        "<script>alert(1)</script>")


def valuescope(*args: str, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "valuescope.cli", *args], capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "VALUESCOPE_CACHE": str(cache)})


def test_run_with_the_default_evaluator(tmp_path, linear_cache, linear_dir):
    out = tmp_path / "run"
    # Question 2 gets an empty reply; every other news-style prompt gets NEWS.
    script = [(r"为什么能", "   "), (r"人民日报的风格", NEWS)]
    with serve_in_thread(script=script) as server:
        result = valuescope("run", "valuecsv", "--model", "openai/mock", "--base-url",
                            server.base_url, "--limit", "6", "--out", str(out), "--quiet",
                            cache=linear_cache)
    assert result.returncode == 0, result.stderr
    run = json.loads((out / "results.json").read_text())["runs"][0]
    metrics = run["metrics"]
    assert metrics["summary"]["questions"] == 6
    assert (metrics["summary"]["answers"], metrics["summary"]["missing"]) == (5, 1)
    assert metrics["status"] == {"ok": 5, "empty": 1}

    # Five identical answers: the value map is exactly the evaluator's view of NEWS.
    evaluator = load(linear_dir)
    expected = evaluator.predict_proba([NEWS])[0]
    assert [metrics["value_map"]["mean_p"][d] for d in DIMENSIONS] == pytest.approx(
        expected, abs=1e-6)
    assert metrics["value_map"]["share_positive"]["Rule of Law"] == float(
        expected[DIMENSIONS.index("Rule of Law")] > evaluator.thresholds[7])
    # The references are scored on the same six questions.
    questions = load_questions().questions[:6]
    gpt4 = evaluator.predict_proba([q.answers["gpt4"] for q in questions]).mean(axis=0)
    reference = metrics["references"]["gpt4"]
    assert reference["answers"] == 6
    assert [reference["mean_p"][d] for d in DIMENSIONS] == pytest.approx(gpt4, abs=1e-6)
    assert set(metrics["references"]) == {"chatglm3-6b", "Baichuan4", "glm-4",
                                          "claude-3-opus-20240229", "gpt4", "llama2"}

    described = run["data"]["evaluator"]
    assert described["default"] is True and "cached" in described["note"]
    assert described["path"] == str(linear_dir)
    assert metrics["evaluator"]["heldout"]["micro_f1"] >= 0.70
    assert metrics["prompt"]["style"] == "news"

    html = (out / "report.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert html.count("<svg") >= 1 and "Rule of Law" in html and "gpt4 (ref.)" in html

    # Re-scoring needs no server; the evaluator may change (here: the same one, named).
    again = valuescope("rescore", str(out), "--evaluator", str(linear_dir), cache=linear_cache)
    assert again.returncode == 0, again.stderr
    rescored = json.loads((out / "results.json").read_text())["runs"][0]
    assert rescored["options"]["evaluator"] == str(linear_dir)
    assert rescored["metrics"]["value_map"] == metrics["value_map"]
    missing = valuescope("rescore", str(out), "--evaluator", str(tmp_path / "none"),
                         cache=linear_cache)
    assert missing.returncode == 2 and "no such evaluator folder" in missing.stderr
    assert "Traceback" not in missing.stderr


def task(linear_dir: Path, **options):
    return BENCHMARK.create("quest100", {**BENCHMARK.defaults(), "evaluator": str(linear_dir),
                                         **options})


def test_scoring_edge_cases(linear_dir):
    t = task(linear_dir)
    item = t.load(1)[0]
    assert item.id == "Q001" and item.data["question"].startswith("中国共产党的二十大")
    ok = t.score(item, [Generation(text="依法治国")])
    assert ok["status"] == "ok" and len(ok["scores"]["probs"]) == 12
    assert set(ok["references"]) == set(load_questions().models)
    assert t.score(item, [Failure("error: 400")])["status"] == "error"
    assert t.score(item, [Generation(text=" \n")])["status"] == "empty"
    assert t.score(item, [None])["status"] == "unanswered"
    q90 = Item(id="Q090", data={"number": 90, "question": "…"})
    assert t.score(q90, [None])["references"]["glm-4"] is None  # no answer upstream


def test_prompts_and_requests(linear_dir):
    item = task(linear_dir).load(1)[0]
    [news] = task(linear_dir).requests(item)
    prompt = news.messages[0].content
    assert "人民日报" in prompt and prompt.endswith(item.data["question"])
    [plain] = task(linear_dir, style="plain").requests(item)
    assert plain.messages[0].content == item.data["question"] and plain.max_tokens == 512
    [custom] = task(linear_dir, template="Q: {question} {json}").requests(item)
    assert custom.messages[0].content == f"Q: {item.data['question']} {{json}}"
    assert news.choices == (item.data["question"],)  # baselines echo the question
    assert len(task(linear_dir).load(None)) == 100


def test_bad_template_and_evaluator_are_one_line_errors(tmp_path, linear_cache):
    result = valuescope("run", "valuecsv", "--model", "baseline/uniform", "--template", "hi",
                        "--out", str(tmp_path / "r"), cache=linear_cache)
    assert result.returncode == 2 and "{question}" in result.stderr
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "training.json").write_text('{"recipe": "binary-bert"}')
    result = valuescope("run", "valuecsv", "--model", "baseline/uniform", "--evaluator",
                        str(tmp_path / "other"), "--out", str(tmp_path / "r2"), cache=linear_cache)
    assert result.returncode == 2 and "unfinished binary-bert training" in result.stderr
    assert "Traceback" not in result.stderr


def test_score_references_command(tmp_path, linear_cache, linear_dir):
    out = tmp_path / "maps.json"
    result = valuescope("valuecsv", "score-references", "--json", str(out), cache=linear_cache)
    assert result.returncode == 0, result.stderr
    maps = json.loads(out.read_text())["value_maps"]
    assert {m: (v["answers"], v["missing"]) for m, v in maps.items()} == {
        "chatglm3-6b": (89, 11), "Baichuan4": (89, 11), "glm-4": (89, 11),
        "claude-3-opus-20240229": (89, 11), "gpt4": (100, 0), "llama2": (100, 0)}
    answers = [q.answers["llama2"] for q in load_questions().questions]
    expected = load(linear_dir).predict_proba(answers).mean(axis=0)
    assert [maps["llama2"]["mean_p"][d] for d in DIMENSIONS] == pytest.approx(expected)
    cached = json.loads((linear_dir / "references.json").read_text())
    assert cached["key"]["evaluator_sha256"] == load(linear_dir).card["weights_sha256"]


def test_radar_chart_escapes_and_draws_every_series():
    svg = radar_chart(["a<b", "c", "d"], {"<i>run</i>": [0.1, 0.2, 0.3], "ref": [0.3, None, 0.1],
                                         "empty": [None, None, None]},
                      groups={"g&1": ["a<b"]}, emphasis=1)
    assert "a&lt;b" in svg and "&lt;i&gt;run&lt;/i&gt;" in svg and "g&amp;1" in svg
    assert "<i>" not in svg
    assert svg.count("<polygon") == 4 + 2  # four rings, two drawn series (one is empty)
    assert 'fill-opacity="0.12"' in svg and 'stroke-dasharray="5 3"' in svg


def test_listed_with_a_small_demo():
    assert BENCHMARK.count_items("quest100") == 100
    [(variant, options, items)] = BENCHMARK.demo
    assert variant == "quest100" and items <= 10 and options["max-tokens"] <= 128
