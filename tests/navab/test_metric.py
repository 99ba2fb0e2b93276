"""Decisions, rates and agreement computed from records."""

from __future__ import annotations

import math

import pytest

from valuescope.benchmarks.navab.evaluate import full_perplexities, is_right, parse_letter
from valuescope.benchmarks.navab.metric import aggregate, agreement
from valuescope.core.requests import Scores


def test_full_perplexity_combines_context_and_continuation():
    scores = Scores(logprobs=(-2.0, -6.0), tokens=(2, 2), context_logprob=-10.0,
                    context_tokens=8)
    ppl_a, ppl_b = full_perplexities(scores)
    assert ppl_a == pytest.approx(math.exp(12 / 10)) and ppl_b == pytest.approx(math.exp(16 / 10))
    # Means, not sums: a longer continuation with a lower total can still win on the mean.
    longer = Scores(logprobs=(-3.0, -2.5), tokens=(4, 1), context_logprob=-1.0, context_tokens=1)
    ppl_a, ppl_b = full_perplexities(longer)
    assert ppl_a < ppl_b


@pytest.mark.parametrize("ppl_a,ppl_b,letter,right", [
    (1.0, 2.0, "A", True), (2.0, 1.0, "A", False), (2.0, 1.0, "B", True),
    (1.5, 1.5, "A", False), (1.5, 1.5, "B", False), (math.nan, 1.0, "A", False)])
def test_ties_and_nan_are_wrong(ppl_a, ppl_b, letter, right):
    assert is_right(ppl_a, ppl_b, letter) is right


@pytest.mark.parametrize("reply,letter", [
    ("A", "A"), ("B.", "B"), ("(B) Taxes", "B"), ("**A**", "A"), ("Answer: B", "B"),
    ("I think the answer is A.", "A"), ("我选B", "B"), ("答案：A", "A"),
    ("A strong economy matters", None), ("a", None), ("Both A and B are fine", None),
    ("The answer is A, not... the answer is B", None), ("", None)])
def test_letter_parsing(reply, letter):
    assert parse_letter(reply) == letter


def _record(i, nation, source, half, correct, status="scored"):
    return {"id": f"{nation}/{source}/{i:05d}", "nation": nation, "source": source, "half": half,
            "correct": correct, "status": status, "flags": []}


def test_rates_per_half_and_group_with_the_originals_odd_denominator():
    records = [_record(0, "UK", "quoted", "pos", True), _record(1, "UK", "quoted", "neg", True),
               _record(2, "UK", "quoted", "neg", False),
               _record(0, "US", "official", "pos", False),
               _record(1, "US", "official", "neg", None, status="error")]
    metrics = aggregate(records)
    assert metrics["summary"] == {"items": 5, "right_rate": 0.5, "pos_right_rate": 0.5,
                                  "neg_right_rate": 0.5, "undecided": 1}
    uk = metrics["groups"]["UK/quoted"]
    assert (uk["pos_right_rate"], uk["neg_right_rate"]) == (1.0, 0.5)
    assert uk["neg_right_rate_original"] == 1.0  # 1 right / floor(3 / 2)
    assert metrics["grid"]["right_rate"] == {"US": {"quoted": None, "official": 0.0},
                                             "UK": {"quoted": 2 / 3, "official": None}}
    assert metrics["grid"]["nations"] == ["US", "UK"]


def test_unparsed_replies_count_as_wrong_and_are_reported():
    records = [_record(0, "UK", "quoted", "pos", True, "parsed"),
               _record(1, "UK", "quoted", "neg", False, "unparsed")]
    summary = aggregate(records)["summary"]
    assert summary["right_rate"] == 0.5 and summary["unparsed"] == 1
    assert summary["right_rate_parsed"] == 1.0


def test_agreement_matches_items_by_id():
    mc = [_record(i, "UK", "quoted", "pos", c) for i, c in enumerate([True, True, False, False])]
    aj = [_record(i, "UK", "quoted", "pos", c) for i, c in enumerate([True, False, False, True])]
    aj.append(_record(9, "UK", "quoted", "pos", True))  # not in the MC run
    stats = agreement(mc, aj)
    assert stats["items"] == 4 and stats["agree"] == 2 and stats["rate"] == 0.5
    assert stats["kappa"] == pytest.approx(0.0)
    assert agreement(mc, mc)["kappa"] == pytest.approx(1.0)
