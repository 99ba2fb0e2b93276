"""ValueCSV as a valuescope benchmark: answer the 100 quest100 questions, score every answer with
an evaluator, report the 12-dimension value map next to the six reference models' maps.

The evaluator runs inside ``score`` (lazily, on the stored answers), never as a model backend, so
``valuescope rescore RUN --evaluator OTHER`` re-scores a run without generating anything. Without
``--evaluator`` the default linear evaluator is used (trained once, cached; the run's data manifest
says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from valuescope.benchmarks.valuecsv import metric, prompts
from valuescope.benchmarks.valuecsv.data import QuestionSet, load_questions
from valuescope.benchmarks.valuecsv.evaluator import Evaluator, load, summary
from valuescope.core.benchmark import Benchmark, Item, Option
from valuescope.core.requests import Failure, Generate, Generation, Message, Request, Response

MAX_ANSWER_CHARS = 4000  # of each answer kept in its record (the evaluator sees all of it)

OPTIONS = [
    Option("evaluator", Path, None, "evaluator folder from `valuescope valuecsv train`; default: "
           "the linear evaluator, trained once and cached", scoring_only=True),
    Option("style", str, "news", "answer style: news (a People's Daily-style news report, like "
           "the reference answers) or plain (the bare question)", choices=tuple(prompts.STYLES)),
    Option("template", str, None, "your own prompt with {question} where the question goes "
           "(overrides --style)"),
    Option("max-tokens", int, 512, "generation limit per answer"),
    Option("temperature", float, 0.0, "sampling temperature (the paper's decoding is unknown)"),
    Option("seed", int, 0, "generation seed"),
]


class ValueCSVTask:
    def __init__(self, variant: str, options: dict[str, Any]):
        self.name = f"valuecsv:{variant}"
        self.options = options
        if options.get("template"):
            prompts.check_template(options["template"])
        self._questions: QuestionSet | None = None
        self._evaluator: Evaluator | None = None
        self._references: dict[str, Any] | None = None

    # lazily loaded inputs ---------------------------------------------------------------------
    def questions(self) -> QuestionSet:
        if self._questions is None:
            self._questions = load_questions()
        return self._questions

    def evaluator(self) -> Evaluator:
        if self._evaluator is None:
            chosen = self.options.get("evaluator")
            if chosen:
                folder = Path(chosen)
            else:
                from valuescope.benchmarks.valuecsv.evaluator.default import ensure_default

                folder = ensure_default()
            self._evaluator = load(folder)
        return self._evaluator

    def references(self) -> dict[str, Any]:
        if self._references is None:
            from valuescope.benchmarks.valuecsv.references import score_references

            self._references = score_references(self.evaluator(), self.questions())
        return self._references

    # the task ---------------------------------------------------------------------------------
    def load(self, limit: int | None) -> list[Item]:
        questions = self.questions().questions
        if limit is not None:
            questions = questions[:limit]
        return [Item(id=f"Q{q.number:03d}", data={"number": q.number, "question": q.text})
                for q in questions]

    def requests(self, item: Item) -> list[Request]:
        prompt = prompts.build(item.data["question"], self.options["style"],
                               self.options.get("template"))
        return [Generate(messages=(Message("user", prompt),),
                         max_tokens=self.options["max-tokens"],
                         temperature=self.options["temperature"],
                         seed=self.options["seed"] * 1000 + item.data["number"],
                         # baseline backends echo the question: how the evaluator reads it alone
                         choices=(item.data["question"],))]

    def score(self, item: Item, responses: Sequence[Response | None]) -> dict[str, Any]:
        response = responses[0] if responses else None
        record: dict[str, Any] = {"question": item.data["number"],
                                  "question_text": item.data["question"], "answer": None,
                                  "chars": 0, "scores": None}
        if response is None:
            record["status"] = "unanswered"
        elif isinstance(response, Failure):
            record.update(status="error", answer=response.error[:MAX_ANSWER_CHARS])
        elif isinstance(response, Generation) and response.text.strip():
            evaluator = self.evaluator()
            probs = evaluator.predict_proba([response.text])[0]
            record.update(status="ok", answer=response.text[:MAX_ANSWER_CHARS],
                          chars=len(response.text),
                          scores=metric.scored_answer(probs, evaluator.thresholds))
        else:
            record["status"] = "empty"
        record["references"] = self.references()["scores"].get(str(item.data["number"]), {})
        return record

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return {**metric.aggregate(records), "evaluator": self._described_evaluator(),
                "prompt": self._prompt_manifest()}

    def manifest(self) -> dict[str, Any]:
        described = self._described_evaluator()
        kept = ("path", "recipe", "seed", "weights_sha256", "corpus_sha256", "default", "note")
        return {"source": "quest100 (upstream); evaluator: "
                          + ("default linear, cached" if described["default"]
                             else described["recipe"]),
                "quest100": self.questions().summary(),
                "evaluator": {k: v for k, v in described.items() if k in kept},
                "prompt": self._prompt_manifest()}

    def _described_evaluator(self) -> dict[str, Any]:
        evaluator = self.evaluator()
        described = {**summary(evaluator), "default": not self.options.get("evaluator")}
        if described["default"]:
            described["note"] = (
                "no --evaluator given: answers are scored by the default linear evaluator "
                "(character n-gram TF-IDF + logistic regression, seed 0; not the paper's "
                f"Value-BERT), trained once on ValueCSV5000 and cached in {evaluator.directory}")
        return described

    def _prompt_manifest(self) -> dict[str, Any]:
        template = self.options.get("template")
        return {"style": "custom" if template else self.options["style"],
                "template": template or prompts.STYLES[self.options["style"]]}


BENCHMARK = Benchmark(
    name="valuecsv",
    description="answer 100 questions; a Core Socialist Values classifier scores the answers: a "
                "12-dimension value map next to six reference LLMs",
    variants={"quest100": "the 100 quest100 questions (the reference answers come with them)"},
    default_variant="quest100",
    options=OPTIONS,
    create=lambda variant, options: ValueCSVTask(variant, options),
    count_items=lambda variant: 100,
    demo=(("quest100", {"max-tokens": 64}, 10),),
)
