"""Multiple-choice runs end to end: generation through the mock OpenAI server (official rules and
the OpenCompass protocol), the log-probability variant on a tiny random HF model and on the mock
server, and every demo entry on a baseline."""

import json
import math
import sqlite3

import pytest

from valuescope.benchmarks.cvalues import data, prompts
from valuescope.benchmarks.cvalues.benchmark import BENCHMARK
from valuescope.core import pipeline
from valuescope.core.store import Store
from valuescope.models import spec as model_specs
from valuescope.testing.mock_openai import serve_in_thread

SAMPLE = data.load_mc(data.SAMPLE_MC)


def records_of(run_dir):
    store = Store.open_existing(run_dir)
    try:
        return store.records()
    finally:
        store.close()


def metrics_of(run_dir):
    return json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["runs"][0]["metrics"]


def test_official_rules_on_generated_answers(cli, tmp_path):
    # Always slot 1, with an explanation the ChatGPT rules parse; "两个回复都…" for one question.
    script = [("盲人", "两个回复都有道理。"), (".", "我认为回复1比回复2更加安全，理由如下……")]
    with serve_in_thread(script=script) as server:
        result = cli("run", "cvalues:mc", "--sample", "--model", "openai/mock",
                            "--base-url", server.base_url, "--out", str(tmp_path / "run"),
                            "--quiet")
        assert result.returncode == 0, result.stderr
        # the prompt goes out verbatim, as the only user message
        assert server.counts.for_prompt(messages=[{"role": "user",
                                                   "content": SAMPLE[0]["prompt"]}]) == 1
    m = metrics_of(tmp_path / "run")
    assert m["overall"]["total"] == 16 and m["overall"]["other"] == 2
    assert m["overall"]["correct"] == 7  # slot 1 is right in 7 of the 14 non-"Other" rows
    assert m["overall"]["acc"] == pytest.approx(7 / 16)
    assert m["overall"]["acc_star"] == pytest.approx(7 / 16)  # Other stays in the denominator
    assert m["consistency"]["slot1_rate"] == 1.0 and m["consistency"]["pair_acc"] == 0.0
    assert m["per_domain"]["barrier_free"]["other"] == 2


def test_opencompass_protocol_relabels_and_takes_the_first_capital(cli, tmp_path):
    with serve_in_thread(script=[("回复A", "B")]) as server:
        result = cli("run", "cvalues:mc", "--sample", "--protocol", "opencompass",
                            "--model", "openai/mock", "--base-url", server.base_url,
                            "--out", str(tmp_path / "run"), "--quiet")
        assert result.returncode == 0, result.stderr
        expected = prompts.opencompass_prompt(SAMPLE[0]["prompt"])
        assert expected.endswith("请直接给出答案：\n") and "[回复B]" in expected
        assert server.counts.for_prompt(messages=[{"role": "user", "content": expected}]) == 1
    m = metrics_of(tmp_path / "run")
    assert m["predictions"]["回复2"] == 16
    assert m["overall"]["acc"] == 0.5 and m["summary"]["protocol"] == "opencompass"
    assert {r["letter"] for r in records_of(tmp_path / "run")} == {"B"}


def test_logprob_variant_on_the_mock_server_with_a_plain_prompt(cli, tmp_path):
    out = tmp_path / "run"
    with serve_in_thread() as server:
        result = cli("run", "cvalues:mc-logprob", "--sample", "--format", "plain",
                            "--model", "openai/mock", "--base-url", server.base_url,
                            "--out", str(out), "--limit", "4", "--quiet")
        assert result.returncode == 0, result.stderr
        for row in [r for r in SAMPLE if r["pair"] in {x["pair"] for x in records_of(out)}]:
            context = row["prompt"] + "\n" + prompts.ANSWER_PREFIX
            for digit in ("1", "2"):
                assert server.counts.for_prompt(prompt=context + digit) == 1
    db = sqlite3.connect(out / "store.sqlite")
    stored = [(json.loads(q)["prompt"], json.loads(r)["logprobs"])
              for q, r in db.execute("SELECT request, response FROM responses")]
    db.close()
    by_prompt = {p.removesuffix("\n" + prompts.ANSWER_PREFIX): lp for p, lp in stored}
    prompt_of = {f"{r['line']:05d}": r["prompt"] for r in SAMPLE}
    records = records_of(out)
    assert len(records) == len(stored) == 4
    for record in records:
        one, two = by_prompt[prompt_of[record["id"]]]
        assert record["p_slot1"] == pytest.approx(1 / (1 + math.exp(two - one)))
        assert record["pred"] == ("回复1" if one > two else "回复2")
    assert metrics_of(out)["summary"]["need_check"] == 0


def test_logprob_after_a_chat_context_fails_cleanly_on_an_openai_server(cli, tmp_path):
    with serve_in_thread() as server:
        result = cli("run", "cvalues:mc-logprob", "--sample", "--model", "openai/mock",
                            "--base-url", server.base_url, "--out", str(tmp_path / "run"),
                            "--limit", "2", "--quiet")
        assert result.returncode == 0, result.stderr
        assert server.counts.total == 0
    m = metrics_of(tmp_path / "run")
    assert m["overall"]["errors"] == 2 and m["overall"]["acc_star"] is None
    assert "chat template" in records_of(tmp_path / "run")[0]["raw"]


def test_logprob_variant_on_a_tiny_hf_model_matches_a_direct_forward_pass(tiny_chat_model,
                                                                         tmp_path):
    import torch
    import transformers

    config = pipeline.RunConfig(task="cvalues:mc-logprob", options={"sample": True},
                                model=model_specs.parse(f"hf/{tiny_chat_model}"), limit=4)
    pipeline.execute(config, tmp_path / "run", show_progress=False)
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_chat_model)
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_chat_model)

    def log_likelihood(text):
        ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            logits = model(ids).logits[0, :-1].float()
        return float(torch.log_softmax(logits, -1).gather(1, ids[0, 1:, None]).sum())

    prompts_by_id = {f"{r['line']:05d}": r["prompt"] for r in SAMPLE}
    records = records_of(tmp_path / "run")
    assert len(records) == 4 and {r["status"] for r in records} == {"scored"}
    for record in records:
        chat = tokenizer.apply_chat_template([{"role": "user", "content":
                                               prompts_by_id[record["id"]]}],
                                             tokenize=False, add_generation_prompt=True)
        context = chat + prompts.ANSWER_PREFIX
        margin = log_likelihood(context + "1") - log_likelihood(context + "2")
        assert record["p_slot1"] == pytest.approx(1 / (1 + math.exp(-margin)), abs=1e-4)
        assert record["pred"] == ("回复1" if margin > 0 else "回复2")
        expected = record["p_slot1"] if record["label"] == "回复1" else 1 - record["p_slot1"]
        assert record["p_label"] == pytest.approx(expected)


@pytest.mark.parametrize("entry", BENCHMARK.demo, ids=lambda e: e[0])
def test_demo_entries_run_on_a_baseline(entry, tmp_path):
    variant, options, limit = entry
    config = pipeline.RunConfig(task=f"cvalues:{variant}", options=options,
                                model=model_specs.parse("baseline/random"), limit=limit)
    result = pipeline.execute(config, tmp_path / variant, show_progress=False)
    assert result["metrics"]["summary"]["items" if variant == "responsibility" else "total"] \
        == limit
    assert (tmp_path / variant / "report.html").is_file()
