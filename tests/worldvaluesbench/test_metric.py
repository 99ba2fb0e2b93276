"""W1 and the summaries against a straightforward scipy implementation of the original."""

import csv
from collections import Counter

import numpy as np
import pytest
import scipy.stats

from valuescope.benchmarks.worldvaluesbench import metric
from valuescope.benchmarks.worldvaluesbench.metadata import load_metadata
from valuescope.metrics.bootstrap import mean_ci
from valuescope.metrics.wasserstein import w1_samples, w1_to_distribution

OUTPUT_FILES = [f"{m}{suffix}.tsv" for m in ("alpaca", "vicuna", "mixtral", "gpt-3.5")
                for suffix in ("", "_with_demographics")]


def scipy_w1(gt, model, low, high):
    """The original evaluator's computation, written plainly."""
    def norm(values):
        return [0 + (v - low) * 1 / (high - low) for v in values]
    return scipy.stats.wasserstein_distance(norm(gt), norm(model))


def test_sample_output_bit_for_bit():
    # The six ground-truth answers reverse-engineered in the spec (section 10).
    assert w1_samples([1, 1], [4, 4], 1, 4) == 1.0
    assert w1_samples([1, 2], [3, 4], 1, 4) == 0.6666666666666667
    assert w1_samples([1, 1], [3, 3], 1, 4) == 0.6666666666666666


def test_w1_matches_scipy_on_random_samples():
    rng = np.random.default_rng(1)
    for low, high in [(1, 4), (1, 10), (0, 2), (1, 2), (1, 7)]:
        for _ in range(200):
            gt = rng.integers(low, high + 1, rng.integers(1, 250))
            model = rng.integers(low - 1, high + 3, rng.integers(1, 250))  # some out of range
            assert w1_samples(gt, model, low, high) == pytest.approx(
                scipy_w1(gt, model, low, high), abs=1e-12)


def test_weighted_w1_matches_scipy_weights():
    rng = np.random.default_rng(2)
    gt = rng.integers(1, 5, 300)
    weights = rng.uniform(0.2, 3.0, 300)
    model = rng.integers(1, 5, 200)
    expected = scipy.stats.wasserstein_distance((gt - 1) / 3, (model - 1) / 3, u_weights=weights)
    assert w1_samples(gt, model, 1, 4, weights) == pytest.approx(expected, abs=1e-12)


def test_distribution_w1_equals_sample_w1_for_empirical_distribution():
    gt = [1, 2, 2, 4, 3, 3, 3]
    model = [2, 2, 3, 4]
    probs = np.bincount(np.array(model) - 1, minlength=4) / len(model)
    assert w1_to_distribution(gt, probs, 1, 4) == pytest.approx(w1_samples(gt, model, 1, 4))


def synthetic_gt(participant: int, question: str, low: int, high: int) -> int:
    """A deterministic made-up human answer (the real WVS answers may not be redistributed)."""
    return low + (participant * 31 + int(question[1:].rstrip("AB")) * 17) % (high - low + 1)


@pytest.mark.parametrize("name", OUTPUT_FILES)
def test_shipped_model_outputs_rescored_like_scipy(wvb_dir, name):
    meta = load_metadata()
    path = wvb_dir / "evaluation" / "model_outputs" / name
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) == 8280
    by_question: dict[str, list[dict]] = {}
    for row in rows:
        q = meta.questions[row["QUESTION_ID"]]
        by_question.setdefault(q.id, []).append({
            "scale": [q.scale_min, q.scale_max], "category": q.category,
            "gt": synthetic_gt(int(row["PARTICIPANT_ID"]), q.id, q.scale_min, q.scale_max),
            "answer": int(row["SCORE"]) if row["SCORE"] else None})
    assert len(by_question) == 36
    for records in by_question.values():
        low, high = records[0]["scale"]
        gt = [r["gt"] for r in records]  # every listed participant, even without a model score
        answers = [r["answer"] for r in records if r["answer"] is not None]
        scores = metric.question_scores(records, {})
        assert scores["w1"] == pytest.approx(scipy_w1(gt, answers, low, high), abs=1e-12)
        uniform = scipy_w1(gt, list(range(low, high + 1)), low, high)
        assert scores["uniform_w1"] == pytest.approx(uniform, abs=1e-12)
        mode = Counter(gt).most_common(1)[0][0]
        assert scores["majority_w1"] == pytest.approx(scipy_w1(gt, [mode], low, high), abs=1e-12)
        in_range = [a for a in answers if low <= a <= high]
        dropped = metric.question_scores(records, {"drop-out-of-range": True})["w1"]
        assert dropped == pytest.approx(scipy_w1(gt, in_range, low, high), abs=1e-12)


def _records(question, scale, gts, answers, groups):
    return [{"question": question, "category": "C", "scale": scale, "gt": g, "answer": a,
             "continent": c, "urban_rural": u, "education": "E", "group": f"{c}|{u}|E",
             "participant": i, "status": "json"}
            for i, (g, a, (c, u)) in enumerate(zip(gts, answers, groups))]


def test_aggregate_thresholds_partitions_and_counts():
    groups = [("Asia", "Urban"), ("Asia", "Rural"), ("Europe", "Urban"), ("Europe", "Rural")]
    records = (_records("Q1", [1, 4], [1, 1, 1, 1], [1, 1, 1, 1], groups)  # W1 = 0
               + _records("Q2", [1, 4], [1, 1, 1, 1], [4, 4, 4, 4], groups)  # W1 = 1
               + _records("Q3", [1, 10], [1, 2, 3, 4], [2, 3, 4, 5], groups))  # W1 = 1/9
    records[0]["status"], records[0]["answer"] = "invalid", None
    result = metric.aggregate(records, {})
    summary = result["summary"]
    assert result["thresholds"] == [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4]
    assert summary["curves"]["model"] == pytest.approx(
        [100 / 3, 100 / 3, 100 / 3, 200 / 3, 200 / 3, 200 / 3, 200 / 3, 200 / 3, 200 / 3])
    assert summary["pct_w1_le_0.2"] == pytest.approx(200 / 3)
    assert summary["mean_w1"] == pytest.approx((0 + 1 + 1 / 9) / 3)
    low, high = summary["mean_w1_ci95"]
    assert low <= summary["mean_w1"] <= high
    assert result["counts"]["invalid"] == 1
    assert set(result["partitions"]["continent"]) == {"Asia", "Europe"}
    # Q3 on the Urban half: humans {1, 3}, model {2, 4} -> W1 = 1/9.
    urban = result["partitions"]["urban_rural"]["Urban"]
    assert urban["questions"] == 3
    assert urban["pct_w1_le_0.2"] == pytest.approx(200 / 3)


def test_per_group_w1_option():
    groups = [("Asia", "Urban"), ("Asia", "Urban"), ("Europe", "Rural"), ("Europe", "Rural")]
    records = _records("Q1", [1, 4], [1, 1, 4, 4], [4, 4, 1, 1], groups)
    result = metric.aggregate(records, {"per-group-w1": True})
    assert result["summary"]["mean_w1"] == pytest.approx(0.0)  # pooled: same distribution
    assert result["per_group_w1"]["per_question"]["Q1"] == pytest.approx(1.0)  # per group: opposite


def test_bootstrap_ci_is_seeded_and_brackets_the_mean():
    values = np.random.default_rng(3).uniform(0, 1, 36)
    assert mean_ci(values) == mean_ci(values)
    mean, low, high = mean_ci(values)
    assert low < mean < high and high - low < 0.5
