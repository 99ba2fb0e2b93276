"""The arithmetic: classification metrics of an evaluator, and the value map of answers."""

from __future__ import annotations

import numpy as np
import pytest

from valuescope.benchmarks.valuecsv.dimensions import DIMENSIONS
from valuescope.benchmarks.valuecsv.evaluator.metrics import classification_report
from valuescope.benchmarks.valuecsv.metric import aggregate, scored_answer, value_map


def test_classification_report_by_hand():
    truth = np.zeros((4, 12), dtype=int)
    predicted = np.zeros((4, 12), dtype=int)
    truth[:2, 0] = 1           # Prosperity: 2 positives ...
    predicted[[0, 2], 0] = 1   # ... one found, one false alarm
    truth[3, 1] = 1            # Democracy: one positive, never predicted
    report = classification_report(truth, predicted)
    prosperity = report["per_dimension"]["Prosperity"]
    democracy = report["per_dimension"]["Democracy"]
    assert prosperity == {"accuracy": 0.5, "precision": 0.5, "recall": 0.5, "f1": 0.5,
                          "support": 2, "predicted": 2}
    assert democracy["precision"] == 0.0 and democracy["recall"] == 0.0 and democracy["f1"] == 0
    assert report["per_dimension"]["Civility"]["accuracy"] == 1.0
    # micro: tp 1, fp 1, fn 2 -> P 1/2, R 1/3, F1 0.4
    assert report["micro"] == pytest.approx({"precision": 0.5, "recall": 1 / 3, "f1": 0.4})
    assert report["macro_f1"] == pytest.approx(0.5 / 12)
    assert report["subset_accuracy"] == 0.25  # only the first text is exactly right
    with pytest.raises(ValueError):
        classification_report(truth[:, :3], predicted[:, :3])


def test_value_map_means_levels_shares_and_missing():
    first = scored_answer(np.linspace(0.0, 1.1, 12) / 1.1, np.full(12, 0.5))
    second = scored_answer(np.full(12, 0.2), np.full(12, 0.1))
    result = value_map([first, None, second, None])
    assert result["answers"] == 2 and result["missing"] == 2
    expected = (np.linspace(0.0, 1.0, 12) + 0.2) / 2
    assert [result["mean_p"][d] for d in DIMENSIONS] == pytest.approx(expected)
    # first is positive on its upper half (P > 0.5); second everywhere (P 0.2 > 0.1)
    assert [result["share_positive"][d] for d in DIMENSIONS] == [0.5] * 6 + [1.0] * 6
    assert result["levels"]["national"]["mean_p"] == pytest.approx(expected[:4].mean())
    assert result["levels"]["personal"]["share_positive"] == 1.0
    assert result["overall"]["mean_p"] == pytest.approx(expected.mean())
    nothing = value_map([None, None])
    assert nothing["answers"] == 0 and nothing["mean_p"]["Freedom"] is None


def test_aggregate_puts_references_through_the_same_arithmetic():
    high, low = scored_answer(np.full(12, 0.9), np.full(12, 0.5)), scored_answer(
        np.full(12, 0.1), np.full(12, 0.5))
    records = [{"status": "ok", "scores": high, "references": {"gpt4": low, "glm-4": None}},
               {"status": "empty", "scores": None, "references": {"gpt4": high, "glm-4": None}}]
    metrics = aggregate(records)
    assert metrics["summary"]["answers"] == 1 and metrics["summary"]["missing"] == 1
    assert metrics["summary"]["mean_p_society"] == pytest.approx(0.9)
    assert metrics["references"]["gpt4"]["mean_p"]["Justice"] == pytest.approx(0.5)
    assert metrics["references"]["gpt4"]["share_positive"]["Justice"] == 0.5
    assert metrics["references"]["glm-4"]["answers"] == 0
    assert metrics["status"] == {"ok": 1, "empty": 1}
