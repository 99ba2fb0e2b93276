"""The transformers backend on a tiny random Llama built here, and the embedded SmolLM2 once."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from valuescope.core.requests import Generate, Generation, Message, Score, Scores
from valuescope.errors import UserError
from valuescope.models import hf as hf_module
from valuescope.models.base import RequestError
from valuescope.models.hf import HFModel
from valuescope.testing.tiny_model import CHAT_TEMPLATE, build_tiny_llama

os.environ["HF_HUB_OFFLINE"] = "1"  # nothing may reach a model hub; set before transformers loads
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

CORPUS = [
    "the cat sat on the mat", "the dog sat on the log", "a cat and a dog met on a mat",
    "what is the capital of france? paris is the capital of france.",
    "answer yes or no. yes. no. maybe.", "once upon a time there was a small model",
    "values differ between people and countries", "how important is family in your life?",
]


def _save_tiny(folder: Path, chat_template: str | None) -> Path:
    # Plain prompts get a BOS; rendered chats bring their own (the template writes it).
    return build_tiny_llama(folder, CORPUS, vocab_size=400, chat_template=chat_template, bos=True,
                            max_positions=512, no_early_eos=True)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return _save_tiny(tmp_path_factory.mktemp("tiny-chat"), CHAT_TEMPLATE)


@pytest.fixture(scope="module")
def plain_dir(tmp_path_factory) -> Path:
    return _save_tiny(tmp_path_factory.mktemp("tiny-plain"), None)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VALUESCOPE_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def tiny(tiny_dir) -> HFModel:
    return HFModel(str(tiny_dir), batch_size=4)


@pytest.fixture(scope="module")
def reference(tiny_dir):
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_dir).eval()
    return model, transformers.AutoTokenizer.from_pretrained(tiny_dir)


def answer(model: HFModel, *requests):
    return asyncio.run(model.answer(list(requests)))


def user(text: str) -> tuple[Message, ...]:
    return (Message("user", text),)


# -- generation ------------------------------------------------------------------------------


def test_greedy_batch_equals_one_by_one_and_a_manual_loop(tiny, reference):
    requests = [Generate(messages=user("the cat"), max_tokens=8),
                Generate(prompt="what is the capital of france? paris is", max_tokens=5),
                Generate(messages=user("how important is family in your life? answer yes or no"),
                         max_tokens=8)]
    batched = answer(tiny, *requests)
    alone = [answer(tiny, r)[0] for r in requests]
    assert batched == alone
    assert all(isinstance(g, Generation) and g.finish_reason == "length" for g in batched)
    assert [g.completion_tokens for g in batched] == [8, 5, 8]

    # The plain prompt, decoded greedily by hand with full forward passes, no cache, no padding.
    model, tokenizer = reference
    ids = tokenizer("what is the capital of france? paris is")["input_ids"]
    assert batched[1].prompt_tokens == len(ids)
    new = []
    with torch.no_grad():
        for _ in range(5):
            logits = model(input_ids=torch.tensor([ids + new])).logits[0, -1]
            new.append(int(logits.argmax()))
    assert batched[1].text == tokenizer.decode(new, skip_special_tokens=True)
    assert batched[1].text


def test_stop_strings_cut_the_text_and_end_the_row(tiny):
    full = answer(tiny, Generate(prompt="once upon a time", max_tokens=12))[0]
    stop = full.text[4:6]
    assert stop and full.text.find(stop) == 4
    cut = answer(tiny, Generate(prompt="once upon a time", max_tokens=12, stop=(stop, "zzz")))[0]
    assert cut.text == full.text[:4]
    assert cut.finish_reason == "stop"
    assert cut.completion_tokens < 12


def test_end_of_sequence_token_stops_generation(tiny_dir, tmp_path):
    model = HFModel(str(tiny_dir))
    first = answer(model, Generate(prompt="the dog", max_tokens=6))[0]
    # Make the model's third greedy token an end-of-sequence token through generation_config.
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_dir)
    prompt = tokenizer("the dog")["input_ids"]
    reference = transformers.AutoModelForCausalLM.from_pretrained(tiny_dir)
    generated = reference.generate(torch.tensor([prompt]), max_new_tokens=3, do_sample=False)
    third = int(generated[0, -1])
    copy = tmp_path / "eos"
    shutil.copytree(tiny_dir, copy)
    config = json.loads((copy / "generation_config.json").read_text())
    config["eos_token_id"] = [tokenizer.eos_token_id, third]
    (copy / "generation_config.json").write_text(json.dumps(config))
    ended = answer(HFModel(str(copy)), Generate(prompt="the dog", max_tokens=6))[0]
    assert ended.finish_reason == "stop"
    assert ended.completion_tokens == 3
    assert ended.text == tokenizer.decode(generated[0, len(prompt):-1])
    assert first.text.startswith(ended.text) and first.finish_reason == "length"


def test_sampling_is_seeded_and_independent_of_the_batch(tiny):
    sampled = Generate(messages=user("a cat and"), max_tokens=10, temperature=1.0, seed=7)
    alone = answer(tiny, sampled)[0]
    again = answer(tiny, Generate(prompt="the", max_tokens=3), sampled)[1]
    assert alone == again
    assert alone.completion_tokens == 10


# -- scoring ---------------------------------------------------------------------------------


def _direct_logprobs(reference, ids: list[int]) -> list[float]:
    """log P(ids[t] | ids[:t]) for t >= 1 from one plain forward pass of the whole row."""
    model, _ = reference
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0]
    logprobs = torch.log_softmax(logits.float(), dim=-1)
    return [float(logprobs[t - 1, ids[t]]) for t in range(1, len(ids))]


def test_score_matches_a_direct_forward_pass(tiny, reference):
    _, tokenizer = reference
    context = "what is the capital of france? paris is the capital of"
    continuations = (" france.", " the dog sat on the log", " a")
    [scores] = answer(tiny, Score(prompt=context, continuations=continuations))
    assert isinstance(scores, Scores)
    context_ids = tokenizer(context)["input_ids"]
    for continuation, logprob, n in zip(continuations, scores.logprobs, scores.tokens, strict=True):
        full = tokenizer(context + continuation)["input_ids"]
        assert full[:len(context_ids)] == context_ids  # a clean boundary: a space starts each
        direct = _direct_logprobs(reference, full)
        assert n == len(full) - len(context_ids)
        assert logprob == pytest.approx(sum(direct[len(context_ids) - 1:]), abs=1e-4)
        assert scores.context_logprob == pytest.approx(sum(direct[:len(context_ids) - 1]),
                                                       abs=1e-4)
    assert scores.context_tokens == len(context_ids) - 1


def test_score_boundary_inside_a_token_goes_to_the_continuation(tiny, reference):
    _, tokenizer = reference
    # "the cat " + "sat": the whole string tokenises as "the", " cat", " sat", so the space that
    # ends the context belongs to the continuation's first token.
    [scores] = answer(tiny, Score(prompt="the cat ", continuations=("sat", " sat")))
    full = tokenizer("the cat sat")["input_ids"]
    assert tokenizer.convert_ids_to_tokens(full[-1]) == "Ġsat"
    direct = _direct_logprobs(reference, full)
    assert scores.context_tokens == 2  # <s> the cat: two tokens after the first
    assert scores.tokens[0] == 1
    assert scores.logprobs[0] == pytest.approx(direct[-1], abs=1e-4)
    # The promise that holds at any boundary: context + continuation = the full string.
    assert scores.context_logprob + scores.logprobs[0] == pytest.approx(sum(direct), abs=1e-4)
    full_spaced = tokenizer("the cat  sat")["input_ids"]
    assert scores.tokens[1] == len(full_spaced) - 3
    assert scores.context_logprob + scores.logprobs[1] == pytest.approx(
        sum(_direct_logprobs(reference, full_spaced)), abs=1e-4)


def test_chat_score_uses_the_template_and_prefix(tiny, reference):
    _, tokenizer = reference
    messages = (Message("system", "answer yes or no."), Message("user", "is the cat on the mat?"))
    request = Score(messages=messages, prefix="answer:", continuations=(" yes", " no"))
    [scores] = answer(tiny, request)
    rendered = ("<s><|system|>answer yes or no.</s><|user|>is the cat on the mat?</s>"
                "<|assistant|>answer:")
    context_ids = tokenizer(rendered, add_special_tokens=False)["input_ids"]
    assert scores.context_tokens == len(context_ids) - 1
    full = tokenizer(rendered + " no", add_special_tokens=False)["input_ids"]
    direct = _direct_logprobs(reference, full)
    assert scores.logprobs[1] == pytest.approx(sum(direct[len(context_ids) - 1:]), abs=1e-4)


def test_a_shared_context_runs_once(tiny, reference):
    calls: list[tuple[int, int]] = []

    def record(module, args, kwargs):
        calls.append(tuple(kwargs["input_ids"].shape))

    context = " ".join(CORPUS) * 4
    continuations = tuple(f" {n}" for n in range(1, 11)) + (" the cat sat on the mat",)
    hook = tiny._model.register_forward_pre_hook(record, with_kwargs=True)
    try:
        [scores] = answer(tiny, Score(prompt=context, continuations=continuations))
        single = list(calls)
        calls.clear()
        # Two requests with the same context in one batch share it too.
        twins = answer(tiny, Score(prompt=context, continuations=(" 1",)),
                       Score(prompt=context, continuations=(" 2", " yes")))
    finally:
        hook.remove()
    context_len = scores.context_tokens + 1
    assert context_len > 256  # more than one slice of _logprobs_of
    _, tokenizer = reference
    full = tokenizer(context + continuations[-1])["input_ids"]
    direct = _direct_logprobs(reference, full)
    assert scores.context_logprob == pytest.approx(sum(direct[:context_len - 1]), abs=1e-3)
    assert scores.logprobs[-1] == pytest.approx(sum(direct[context_len - 1:]), abs=1e-4)
    # One pass over the context, then batches (batch_size 4) of the continuations' own tokens.
    assert single[0] == (1, context_len)
    assert len(single) == 1 + 3
    assert all(rows <= 4 and width < 10 for rows, width in single[1:])
    assert sum(rows * width for rows, width in single) < context_len + 60
    assert [c for c in calls if c[1] >= context_len] == [(1, context_len)]
    assert twins[0].logprobs[0] == pytest.approx(scores.logprobs[0], abs=1e-4)
    assert twins[1].logprobs[0] == pytest.approx(scores.logprobs[1], abs=1e-4)


def test_over_long_requests_fail_alone(tiny_dir):
    model = HFModel(str(tiny_dir), max_length=24)
    long_text = "the cat sat on the mat " * 10
    results = answer(model, Generate(prompt=long_text, max_tokens=4),
                     Generate(prompt="the cat", max_tokens=4),
                     Score(prompt=long_text, continuations=(" yes",)),
                     Score(prompt="the cat", continuations=(" sat",)))
    assert isinstance(results[0], RequestError) and "24" in str(results[0])
    assert isinstance(results[1], Generation)
    assert isinstance(results[2], RequestError)
    assert isinstance(results[3], Scores)


# -- identity and loading --------------------------------------------------------------------


def test_identity_records_weights_template_and_batch(tiny, tiny_dir):
    weights = hashlib.sha256((tiny_dir / "model.safetensors").read_bytes()).hexdigest()
    assert tiny.identity == {
        "backend": "hf", "name": tiny_dir.name, "weights_sha256": weights,
        "dtype": "float32", "chat_template_sha256": hashlib.sha256(CHAT_TEMPLATE.encode()).hexdigest(),
        "batch_size": 4}
    json.dumps(tiny.identity)  # part of every cache key


def test_weights_load_only_when_a_request_comes(tiny_dir):
    model = HFModel(str(tiny_dir), batch_size=2)
    assert model.identity["weights_sha256"] and model._model is None  # identity without weights
    asyncio.run(model.answer([Score(continuations=(" a",), prompt="the cat")]))
    assert model._model is not None


def test_without_a_template_chats_render_as_plain_lines(plain_dir, tiny_dir, reference):
    _, tokenizer = reference
    for model in (HFModel(str(plain_dir)), HFModel(str(tiny_dir), chat_template=False)):
        assert model.identity["chat_template_sha256"] is None
        [generation] = answer(model, Generate(messages=user("hi there"), max_tokens=2))
        assert generation.prompt_tokens == len(tokenizer("user: hi there\nassistant:")["input_ids"])
    with pytest.raises(UserError, match="no chat template"):
        HFModel(str(plain_dir), chat_template=True)


def test_weight_hash_is_remembered_until_the_file_changes(tiny_dir, tmp_path, monkeypatch):
    copy = tmp_path / "model"
    shutil.copytree(tiny_dir, copy)
    first = HFModel(str(copy)).identity["weights_sha256"]
    hashed = []
    monkeypatch.setattr(hf_module, "sha256_of", lambda path: hashed.append(path) or "new")
    assert HFModel(str(copy)).identity["weights_sha256"] == first
    assert hashed == []
    os.utime(copy / "model.safetensors", ns=(1, 1))
    assert HFModel(str(copy)).identity["weights_sha256"] == "new"
    assert len(hashed) == 1


def test_bad_paths_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        HFModel(str(tmp_path / "nowhere"))
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UserError, match="not a model folder"):
        HFModel(str(tmp_path))
    with pytest.raises(UserError, match="not a model"):
        HFModel(str(tmp_path / "notes.txt"))
    with pytest.raises(UserError, match="dtype"):
        HFModel(str(tmp_path), dtype="int3")


# -- the embedded SmolLM2 --------------------------------------------------------------------


@pytest.fixture(scope="session")
def smollm2_cache(tmp_path_factory) -> Path:
    """One converted copy per test session, never in the user's cache."""
    return tmp_path_factory.mktemp("valuescope-cache")


@pytest.mark.slow
def test_smollm2_converts_once_and_generates(smollm2_cache, monkeypatch):
    from valuescope.models import smollm2

    monkeypatch.setenv("VALUESCOPE_CACHE", str(smollm2_cache))
    started = time.perf_counter()
    folder = smollm2.default_model_dir()
    converting = time.perf_counter() - started
    files = {p.name for p in folder.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= files
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".converting")]

    def no_conversion(*args):
        raise AssertionError("converted twice")

    monkeypatch.setattr(smollm2, "_convert", no_conversion)
    assert smollm2.default_model_dir() == folder
    started = time.perf_counter()
    model = HFModel(str(folder), batch_size=2)
    # Relative, as a busy machine slows both: idle, ~1 s against ~20 s for the conversion.
    assert time.perf_counter() - started < converting / 2
    assert model.identity["chat_template_sha256"] is not None
    [generation] = answer(model, Generate(messages=user("What is the capital of France?"),
                                          max_tokens=8))
    assert generation.text.strip()
    assert "Paris" in generation.text
