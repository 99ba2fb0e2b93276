"""The six reference models' answers in quest100, scored by an evaluator.

Every user thereby gets a comparison table with their own evaluator. The scores are cached in the
evaluator's folder (``references.json``), keyed by the quest100 file and the evaluator's weights.
"""

from __future__ import annotations

import json
from typing import Any

from valuescope.benchmarks.valuecsv.data import QuestionSet
from valuescope.benchmarks.valuecsv.evaluator import Evaluator
from valuescope.benchmarks.valuecsv.metric import scored_answer

CACHE_NAME = "references.json"


def score_references(evaluator: Evaluator, questions: QuestionSet,
                     show_progress: bool = False) -> dict[str, Any]:
    """{"models": [...], "scores": {question number: {model: scored answer or None}}}."""
    key = {"quest100_sha256": questions.sha256,
           "evaluator_sha256": evaluator.card.get("weights_sha256")}
    path = evaluator.directory / CACHE_NAME
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("key") == key:
            return cached
    except (OSError, ValueError, AttributeError):
        pass
    answers = [(q.number, model, text) for q in questions.questions
               for model, text in q.answers.items() if text is not None]
    probs = evaluator.predict_proba([text for _, _, text in answers], show_progress)
    scores: dict[str, dict[str, Any]] = {
        str(q.number): dict.fromkeys(questions.models) for q in questions.questions}
    for (number, model, _), row in zip(answers, probs, strict=True):
        scores[str(number)][model] = scored_answer(row, evaluator.thresholds)
    result = {"key": key, "models": questions.models, "scores": scores}
    try:  # a read-only evaluator folder only costs scoring again next time
        path.write_text(json.dumps(result), encoding="utf-8")
    except OSError:
        pass
    return result
