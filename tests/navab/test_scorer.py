"""The shared-prefix scorer gives the original's full-string perplexities (tiny random model)."""

from __future__ import annotations

import asyncio

import pytest

from valuescope.benchmarks.navab import prompts
from valuescope.benchmarks.navab.benchmark import create
from valuescope.benchmarks.navab.evaluate import full_perplexities, is_right
from valuescope.benchmarks.navab.reference_ppl import original_perplexities
from valuescope.core.requests import Generation, Scores

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

OPTIONS = {"data": "examples", "nation": "all", "source": "all", "aj-layout": "paper",
           "temperature": 0.6, "max-tokens": None, "seed": 0}


def _answer(model, requests):
    return asyncio.run(model.answer(list(requests)))


def _full_strings(request) -> list[str]:
    return [request.prompt + c for c in request.continuations]


def _reference(folder):
    model = transformers.AutoModelForCausalLM.from_pretrained(folder).eval()
    return model, transformers.AutoTokenizer.from_pretrained(folder)


@pytest.mark.parametrize("variant", ["mc", "aj"])
def test_shared_prefix_perplexities_equal_two_full_strings(tiny_dir, variant):
    from valuescope.models.hf import HFModel

    task = create(variant, OPTIONS)
    items = task.load(4)  # one per file and half
    assert {(i.data["source"], i.data["half"]) for i in items} == {
        ("quoted", "pos"), ("quoted", "neg"), ("official", "pos"), ("official", "neg")}
    if variant == "mc":
        requests = [task.requests(item)[0] for item in items]
    else:  # the judge's strings, with a made-up answer, including the first-half quirk
        requests = [task.judge_requests(item, [Generation(text=f"answer {n} 是的")])[0]
                    for n, item in enumerate(items)]
    scores = _answer(HFModel(str(tiny_dir), batch_size=4), requests)
    model, tokenizer = _reference(tiny_dir)
    texts = [t for r in requests for t in _full_strings(r)]
    alone = original_perplexities(model, tokenizer, texts, batch_size=1)
    batched = original_perplexities(model, tokenizer, texts, batch_size=16)  # padded, as upstream
    for n, (item, response) in enumerate(zip(items, scores, strict=True)):
        assert isinstance(response, Scores)
        ppl_a, ppl_b = full_perplexities(response)
        assert ppl_a == pytest.approx(alone[2 * n], rel=1e-5)
        assert ppl_b == pytest.approx(alone[2 * n + 1], rel=1e-5)
        assert ppl_a == pytest.approx(batched[2 * n], rel=1e-5)
        # Token counts add up to the whole string's, minus its unscored first token.
        full_a = tokenizer(texts[2 * n], add_special_tokens=False)["input_ids"]
        assert response.context_tokens + response.tokens[0] == len(full_a) - 1
        s_letter = prompts.s_letter(item.data["half"])
        reference_right = is_right(alone[2 * n], alone[2 * n + 1], s_letter)
        assert is_right(ppl_a, ppl_b, s_letter) == reference_right


def test_the_letter_and_its_tail_are_the_only_scored_difference(tiny_dir):
    """The two MC strings share every token up to the answer letter (spec: compare means)."""
    task = create("mc", OPTIONS)
    [request] = task.requests(task.load(1)[0])
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_dir)
    rows = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in _full_strings(request)]
    prefix = tokenizer(request.prompt, add_special_tokens=False)["input_ids"]
    assert rows[0][:len(prefix)] == prefix == rows[1][:len(prefix)]
    assert rows[0][len(prefix):] != rows[1][len(prefix):]


def test_bos_adding_tokenizers(tiny_bos_dir):
    """The original never adds a BOS (add_special_tokens=False): neither does navab:mc, even with
    a tokenizer that adds one by default; a plain Score without the switch gets it."""
    from valuescope.core.requests import Score
    from valuescope.models.hf import HFModel

    task = create("mc", OPTIONS)
    requests = [task.requests(item)[0] for item in task.load(4)]
    assert all(not r.special_tokens for r in requests)
    model = HFModel(str(tiny_bos_dir))
    scores = _answer(model, requests)
    hf_model, tokenizer = _reference(tiny_bos_dir)
    assert tokenizer("x")["input_ids"][0] == tokenizer.bos_token_id  # the tokenizer does add one
    texts = [t for r in requests for t in _full_strings(r)]
    reference = original_perplexities(hf_model, tokenizer, texts, 1)
    ours = [p for s in scores for p in full_perplexities(s)]
    assert ours == pytest.approx(reference, rel=1e-5)
    with_bos = _answer(model, [Score(prompt=r.prompt, continuations=r.continuations)
                               for r in requests])
    # With the BOS, the text's first token is scored too: one more token per string.
    assert [s.context_tokens for s in with_bos] == [s.context_tokens + 1 for s in scores]
