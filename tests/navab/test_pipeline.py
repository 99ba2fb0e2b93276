"""`valuescope navab build` end to end on a small corpus, through the mock server with scripted
answers: every stage file, the NaVAB output that `run navab` reads, conflict reduction's log,
the original filter's bias, resumption, and bad corpus lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from valuescope.testing.mock_openai import serve_in_thread

HOUSING = [
    "Mayor Lee said rent control protects tenants from eviction. The housing board backs the "
    "rent cap for tenants in the city.",
    "Rent control keeps housing affordable for tenants. Tenants groups praise the rent cap and "
    "the housing board.",
    "The rent cap protects families in rental housing. Tenants and the housing board welcome "
    "rent control.",
    "Rent control helps tenants stay in their housing. The rent cap passed the housing board.",
    "Landlords oppose rent control as wrong for housing. They say the rent cap hurts tenants "
    "and the housing supply.",
]
CLIMATE = [
    "A carbon tax is the fairest way to cut emissions. Climate experts back the carbon levy on "
    "emissions.",
    "The carbon tax will cut climate emissions quickly. Emissions from coal fall under the "
    "carbon levy.",
    "Climate scientists said the carbon tax must rise each year. Emissions targets need the "
    "carbon levy.",
    "The carbon levy funds clean energy and cuts emissions. Climate policy needs a carbon tax.",
]
FOOTBALL = [
    "The football club won the match two goals to one. The striker scored both goals in the "
    "second half of the football match.",
    "A late goal decided the football derby. The goalkeeper saved a penalty in the match.",
    "The football league match ended in a draw. Both goals came from corners in the match.",
]


def write_corpus(path: Path) -> Path:
    lines = [json.dumps({"id": f"h{i}", "text": t}) for i, t in enumerate(HOUSING)]
    lines += [json.dumps({"id": f"c{i}", "text": t}) for i, t in enumerate(CLIMATE)]
    lines.insert(3, "this line is not JSON {")
    lines += [json.dumps({"id": f"f{i}", "text": t}) for i, t in enumerate(FOOTBALL)]
    lines.append(json.dumps({"id": "empty", "title": "no text here"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _topic(text: str) -> str:
    lowered = text.lower()
    if "football" in lowered or "goal" in lowered:
        return "Football results"
    if "carbon" in lowered or "emissions" in lowered:
        return "Carbon tax"
    return "Housing and rent control"


def script(prompt: str) -> str:
    """The pipeline LLM, scripted by the kind of prompt it gets."""
    if prompt.startswith("Key terms:"):
        return f"Looking at the terms.\ntopic: {_topic(prompt)}"
    if prompt.startswith("Topics so far:"):
        return f"tag: {_topic(prompt.split('News document:')[1])}"
    if prompt.startswith("Topic:"):
        return "Sport only. ## no" if "Football" in prompt else "Policy matters here. ## yes"
    if prompt.startswith("Statement 1:"):
        first, second = prompt.split("\n")[:2]
        return "They disagree. ## opposite" if (("oppose" in first) != ("oppose" in second)) \
            else "They agree. ## same"
    if prompt.startswith("Statement:"):
        if "each year" in prompt:  # a word-level "yes" that the original's rule drops
            return "It is not a trivial matter, it is climate policy. ## yes"
        return "A political position. ## yes"
    if prompt.startswith("Article:"):
        statement = prompt.split("Statement:")[1].split("\n")[0]
        return "The speaker is named. ## Mayor Lee" if "said" in statement else "## unknown"
    if prompt.startswith("Original statement:"):
        statement = prompt.split("\n")[0].removeprefix("Original statement:").strip()
        if "levy funds" in statement:
            return "I cannot do that."
        return (f"Q: Is it true that {statement} ## S: {statement} ## "
                f"RS: It is false that {statement}")
    # Statement extraction: the article comes first; its first sentence is the statement.
    return f"Summary of the article. Statement: ## {prompt.split('.')[0]}."


def valuescope(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "valuescope.cli", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "OPENAI_API_KEY": "k"})


def build_args(url: str, corpus: Path, out: Path, *extra: str) -> list[str]:
    return ["navab", "build", "--corpus", str(corpus), "--nation", "us", "--llm", "openai/mock",
            "--base-url", url, "--out", str(out), "--topics", "3", "--min-topic-size", "2",
            "--min-similarity", "0", "--quiet", *extra]


def read(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_build_runs_every_stage_and_feeds_run_navab(tmp_path):
    corpus = write_corpus(tmp_path / "news.jsonl")
    out = tmp_path / "build"
    with serve_in_thread(script=script) as server:
        result = valuescope(*build_args(server.base_url, corpus, out))
        assert result.returncode == 0, result.stderr
        first_total = server.counts.total
        # Again into the same folder: every answer comes from the build store.
        again = valuescope(*build_args(server.base_url, corpus, out))
        assert again.returncode == 0, again.stderr
        assert server.counts.total == first_total
        # The original's filter drops the reply containing "not" (a word-level "yes").
        original = valuescope(*build_args(server.base_url, corpus, tmp_path / "orig",
                                          "--original-filter"))
        assert original.returncode == 0, original.stderr

    stages = out / "stages"
    assert sorted(p.name for p in stages.iterdir()) == [
        "0_corpus.json", "1_topics.json", "2_topic_screening.json", "3_statements.json",
        "4_statement_screening.json", "5_conflicts.json", "5_conflicts_dropped.jsonl",
        "6_sources.json", "7_qsr.json"]
    corpus_record = read(stages / "0_corpus.json")
    assert corpus_record["documents"] == 12
    assert [(p["line"], p["problem"][:8]) for p in corpus_record["problems"]] == [
        (4, "not JSON"), (14, "no text ")]

    topics = read(stages / "1_topics.json")
    by_label = {t["label"]: sorted(t["docs"]) for t in topics["topics"]}
    assert by_label == {"Housing and rent control": [f"h{i}" for i in range(5)],
                        "Carbon tax": [f"c{i}" for i in range(4)],
                        "Football results": [f"f{i}" for i in range(3)]}
    screened = read(stages / "2_topic_screening.json")
    assert {r["label"]: r["sensitive"] for r in screened["topics"]}["Football results"] is False

    dropped = [json.loads(line) for line in
               (stages / "5_conflicts_dropped.jsonl").read_text().splitlines()]
    assert len(dropped) == 1 and dropped[0]["statement"].startswith("Landlords oppose")
    assert "dominant stance (1 vs 4" in dropped[0]["reason"] and len(dropped[0]["opposes"]) >= 1

    manifest = read(out / "build_manifest.json")
    counts = manifest["counts"]
    assert counts["statements"] == 9 and counts["after_conflict_reduction"] == 8
    assert counts["items"] == {"quoted": 2, "official": 5}  # one Q/S/RS reply did not parse
    official = read(out / "US" / "official_statement_result.json")
    assert set(official[0]) >= {"raw_news", "statement", "filter_flag", "full_source", "source",
                                "generated Q", "generated reverse statement",
                                "generated raw data"}
    quoted = read(out / "US" / "human_statement_result.json")
    assert all(r["source"] == "Mayor Lee" for r in quoted)

    orig_counts = read(tmp_path / "orig" / "build_manifest.json")["counts"]
    assert orig_counts["screened_statements"] == counts["screened_statements"] - 1

    run = valuescope("run", "navab:mc", "--model", "baseline/random", "--data", str(out),
                     "--out", str(tmp_path / "run"), "--quiet")
    assert run.returncode == 0, run.stderr
    results = read(tmp_path / "run" / "results.json")["runs"][0]
    assert results["metrics"]["summary"]["items"] == 7
    assert set(results["metrics"]["groups"]) == {"US/quoted", "US/official"}


@pytest.mark.parametrize("content,message", [
    ("not json\n{also not\n", "no usable news article in 2 line(s)"),
    ("", "no usable news article"),
])
def test_unusable_corpus_is_one_clear_error(tmp_path, content, message):
    corpus = tmp_path / "news.jsonl"
    corpus.write_text(content, encoding="utf-8")
    result = valuescope("navab", "build", "--corpus", str(corpus), "--nation", "UK", "--llm",
                        "baseline/uniform", "--out", str(tmp_path / "o"), "--quiet")
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
