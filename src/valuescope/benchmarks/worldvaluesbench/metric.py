"""WorldValuesBench metrics from per-sample records.

Per question (as the original evaluator): W1 between the human answers of *every* listed
participant and the model's valid answers, both min-max scaled by the question's scale, equal
weight per sample, pooled over all groups. Summaries: % of questions with W1 <= t (the paper's
curve), mean W1 with a bootstrap CI, per category and per partition, and the paper's uniform and
majority baselines on the same respondents. Options (all off by default = paper): drop out-of-range
answers, survey weights on the human side, per-group W1.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from valuescope.metrics.bootstrap import mean_ci
from valuescope.metrics.grouping import group_by
from valuescope.metrics.wasserstein import w1_samples, w1_to_distribution

THRESHOLDS = [round(0.05 * k, 2) for k in range(9)]  # 0, 0.05, ..., 0.40
HEADLINE_THRESHOLD = 0.2
PARTITIONS = ("continent", "urban_rural", "education")
CURVES = ("model", "uniform", "majority")


def _majority(gt: list[int]) -> int:
    return Counter(gt).most_common(1)[0][0]  # ties go to the first value seen, as the original


def question_scores(records: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, Any]:
    """W1 of the model and both baselines for one question's (non-empty) records."""
    low, high = records[0]["scale"]
    weighted = options.get("weights", False)
    gt_rows = [r for r in records if r.get("gt") is not None]
    gt = [r["gt"] for r in gt_rows]
    weights = [r.get("weight") or 0.0 for r in gt_rows] if weighted else None
    if options.get("answer-mode") != "distribution":
        keep_out = not options.get("drop-out-of-range", False)
        answers = [r["answer"] for r in records if r.get("answer") is not None
                   and (keep_out or low <= r["answer"] <= high)]
        return sample_scores(gt, answers, low, high, weights)
    probs = [r["probs"] for r in records if r.get("probs")]
    pooled = np.mean(np.asarray(probs), axis=0) if probs else None
    model_w1 = (w1_to_distribution(gt, pooled, low, high, weights)
                if pooled is not None and gt else float("nan"))
    return _with_baselines(gt, model_w1, len(probs), low, high, weights)


def sample_scores(gt: list[int], answers: list[int], low: int, high: int,
                  weights: list[float] | None = None) -> dict[str, Any]:
    """W1 of sampled answers against the people's, with both baselines."""
    model_w1 = w1_samples(gt, answers, low, high, weights) if gt and answers else float("nan")
    return _with_baselines(gt, model_w1, len(answers), low, high, weights)


def _with_baselines(gt: list[int], model_w1: float, n_model: int, low: int, high: int,
                    weights: list[float] | None) -> dict[str, Any]:
    uniform = np.full(high - low + 1, 1.0 / (high - low + 1))
    return {
        "w1": model_w1,
        "uniform_w1": w1_to_distribution(gt, uniform, low, high, weights) if gt else float("nan"),
        "majority_w1": w1_samples(gt, [_majority(gt)], low, high, weights) if gt else float("nan"),
        "n_gt": len(gt),
        "n_model": n_model,
    }


def pct_within(values: list[float], threshold: float) -> float:
    """% of questions with W1 <= threshold; a question without a score counts as a miss."""
    if not values:
        return float("nan")
    return 100.0 * sum(1 for v in values if v == v and v <= threshold) / len(values)


def summarise(per_question: dict[str, dict[str, Any]]) -> dict[str, Any]:
    curves = {name: [pct_within([q[f"{name}_w1" if name != "model" else "w1"]
                                 for q in per_question.values()], t) for t in THRESHOLDS]
              for name in CURVES}
    mean, low, high = mean_ci([q["w1"] for q in per_question.values()])
    return {
        "questions": len(per_question),
        "pct_w1_le_0.2": curves["model"][THRESHOLDS.index(HEADLINE_THRESHOLD)],
        "mean_w1": mean,
        "mean_w1_ci95": [low, high],
        "uniform_pct_w1_le_0.2": curves["uniform"][THRESHOLDS.index(HEADLINE_THRESHOLD)],
        "majority_pct_w1_le_0.2": curves["majority"][THRESHOLDS.index(HEADLINE_THRESHOLD)],
        "curves": curves,
    }


def _score_questions(records: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, Any]:
    return {q: {"category": recs[0]["category"], **question_scores(recs, options)}
            for q, recs in group_by(records, "question").items()}


def _per_group_w1(records: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, float]:
    """Mean over demographic groups of the per-group W1, per question (an option; not the paper)."""
    result = {}
    for question, recs in group_by(records, "question").items():
        groups = group_by(recs, "group")
        scores = [question_scores(g, options)["w1"] for g in groups.values()]
        scores = [s for s in scores if s == s]
        result[question] = float(np.mean(scores)) if scores else float("nan")
    return result


def aggregate(records: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, Any]:
    scored = [r for r in records if r.get("status") != "no_respondent"]
    per_question = _score_questions(scored, options)
    per_category = {}
    for category, questions in group_by(per_question.values(), "category").items():
        values = [q["w1"] for q in questions]
        per_category[category] = {"questions": len(values),
                                  "pct_w1_le_0.2": pct_within(values, HEADLINE_THRESHOLD),
                                  "mean_w1": float(np.nanmean(values)) if any(
                                      v == v for v in values) else float("nan")}
    partitions = {}
    for partition in PARTITIONS:
        partitions[partition] = {
            str(value): summarise(_score_questions(recs, options))
            for value, recs in group_by(scored, partition).items() if value not in (None, "")}
        for summary in partitions[partition].values():
            summary.pop("curves")
    status = Counter(r.get("status") for r in records)
    counts = {
        "samples": len(records),
        "status": dict(status),
        "invalid": status.get("invalid", 0),
        "errors": status.get("error", 0),
        "unanswered": status.get("unanswered", 0),
        "missing_respondents": len({r["participant"] for r in records
                                    if r.get("status") == "no_respondent"}),
        "out_of_range": sum(1 for r in records if r.get("out_of_range")),
    }
    result: dict[str, Any] = {
        "thresholds": THRESHOLDS,
        "summary": summarise(per_question),
        "per_question": per_question,
        "per_category": per_category,
        "partitions": partitions,
        "counts": counts,
    }
    if options.get("per-group-w1"):
        per_group = _per_group_w1(scored, options)
        mean, low, high = mean_ci(list(per_group.values()))
        result["per_group_w1"] = {"per_question": per_group, "mean": mean, "ci95": [low, high]}
    return result
