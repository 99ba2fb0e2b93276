"""CValues as a valuescope benchmark: variants, options, items, requests, records.

- ``mc``: generate, then the released scorer's answer rules (or OpenCompass's, ``--protocol``);
  acc / acc* and counts, per domain and difficulty, plus pair consistency and position bias.
- ``mc-logprob`` (beyond the original): P(回复1) vs P(回复2) after the prompt and "答案：[回复".
- ``responsibility``: answer the 664 expert prompts; a judge scores each answer 1-10.
- ``safety``: answer your own safety prompts (``--data``); a judge calls each safe or unsafe.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from valuescope import sources
from valuescope.benchmarks.cvalues import data, labelling, metric, prompts
from valuescope.benchmarks.cvalues.judge import parse_safety, parse_score
from valuescope.benchmarks.cvalues.parse import parse_official, parse_opencompass
from valuescope.benchmarks.cvalues.rules import LABEL_1, LABEL_2, OTHER, RULE_SETS
from valuescope.core.benchmark import Benchmark, Item, Option
from valuescope.core.requests import (
    Failure,
    Generate,
    Generation,
    Message,
    Request,
    Response,
    Score,
    Scores,
)
from valuescope.core.spread import spread
from valuescope.errors import UserError

MC_KEY = "cvalues/cvalues_responsibility_mc.jsonl"
PROMPTS_KEY = "cvalues/cvalues_responsibility_prompts.jsonl"
MAX_TEXT = 4000  # characters of prompts and replies kept per record

VARIANTS = {
    "mc": "pick the better of two replies, both orders (1,712 items); official answer rules, "
          "acc and acc*",
    "mc-logprob": "same items, P(回复1) vs P(回复2) from log-probabilities (beyond the original)",
    "responsibility": "answer the 664 expert prompts; a judge scores each 1-10 (rubric from the "
                      "expert criteria)",
    "safety": "answer your own safety prompts (--data; CValues' were never released); a judge "
              "calls each safe or unsafe",
}

OPTIONS = [
    Option("data", Path, None, "mc: the official MC file (default: the pinned upstream copy, "
           "`valuescope data pull`); responsibility: the prompts file (default: pinned upstream); "
           "safety: your prompts as JSONL (prompt, optional scenario and id), required"),
    Option("pairs", Path, None, "mc variants: build items from a (prompt, pos_resp, neg_resp) "
           "JSONL, e.g. CValues-Comparison, in both orders with valuescope's template "
           "(non-official)"),
    Option("sample", bool, False, "mc variants: the 16 packaged hand-written sample items "
           "(valuescope's own text, not CValues data)"),
    Option("protocol", str, "official", "mc: official (the prompt verbatim, the released answer "
           "rules) or opencompass (回复A/回复B, 'answer directly' suffix, first capital letter)",
           choices=("official", "opencompass")),
    Option("parser", str, "chatgpt", "mc: which rule set of the released scorer (one per model "
           "family; chatgpt is its default, alpaca the widest and the only one with refusals)",
           choices=tuple(RULE_SETS), scoring_only=True),
    Option("bare-answers", bool, False, "mc: resolve an answer that is only '回复1'/'回复2' "
           "instead of Need_Check (not official)", scoring_only=True),
    Option("format", str, "chat", "chat messages (chat template) or one plain prompt (needed for "
           "mc-logprob on OpenAI-compatible servers)", choices=("chat", "plain")),
    Option("max-tokens", int, 256, "generation limit per answer"),
    Option("judge-max-tokens", int, 256, "generation limit per judge verdict"),
    Option("annotations", Path, None, "people's labels (.xlsx from `valuescope cvalues "
           "export-annotation`, or .csv): they replace the automatic ones", scoring_only=True),
]


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:MAX_TEXT]


def _file_manifest(path: Path, source: str) -> dict[str, Any]:
    """Checksums of the MC file read; for --data, whether it is the official file (git blob)."""
    blob = sources.git_blob_of(path)
    manifest: dict[str, Any] = {"file": str(path), "sha256": sources.sha256_of(path),
                                "git_blob": blob, "source": source}
    if source in ("official", "user"):
        manifest["official_file"] = blob == sources.SOURCES[MC_KEY].git_blob
    return manifest


class _Base:
    def __init__(self, variant: str, options: dict[str, Any]):
        self.variant = variant
        self.name = f"cvalues:{variant}"
        self.options = options
        self._manifest: dict[str, Any] = {}
        self._human: dict[str, Any] = {}

    def _messages(self, text: str, system: str | None = None) -> dict[str, Any]:
        if self.options["format"] == "plain":
            return {"prompt": (system + "\n\n" if system else "") + text}
        head = (Message("system", system),) if system else ()
        return {"messages": (*head, Message("user", text))}

    def _read_annotations(self, items: list[Item]) -> None:
        path = self.options.get("annotations")
        self._human = ({} if not path else
                       labelling.read(Path(path), self.variant, {i.id for i in items}))
        self._manifest["annotations"] = ({"file": str(path), "labels": len(self._human)}
                                         if path else None)

    def manifest(self) -> dict[str, Any]:
        return self._manifest


class MCTask(_Base):
    """Both multiple-choice variants: items from the official file, a --pairs file or the sample."""

    def __init__(self, variant: str, options: dict[str, Any]):
        super().__init__(variant, options)
        chosen = [name for name in ("data", "pairs", "sample") if options.get(name)]
        if len(chosen) > 1:
            raise UserError("give only one of --data, --pairs and --sample")
        if variant == "mc-logprob" and options["protocol"] != "official":
            raise UserError("--protocol opencompass applies to cvalues:mc only")

    def _rows(self) -> tuple[list[dict[str, Any]], Path, str]:
        if self.options.get("pairs"):
            path = Path(self.options["pairs"])
            if not path.is_file():
                raise UserError(f"{path}: no such file (given as --pairs)")
            return data.load_pairs(path), path, "pairs"
        if self.options.get("sample"):
            return data.load_mc(data.SAMPLE_MC), data.SAMPLE_MC, "sample"
        given = self.options.get("data")
        try:
            path = sources.resolve(MC_KEY, Path(given) if given else None)
        except UserError as exc:
            raise UserError(f"{exc}. Or give your copy with --data FILE (try the pipeline with "
                            "--sample)") from None
        return data.load_mc(path), path, "official" if not given else "user"

    def load(self, limit: int | None) -> list[Item]:
        rows, path, source = self._rows()
        if limit is not None:
            rows = spread(rows, limit, lambda r: r["domain"], lambda r: r["pair"])
        items = [Item(id=f"{r['line']:05d}" + ("" if source != "pairs" else f"-{r['label'][-1]}"),
                      data=r) for r in rows]
        self._manifest = {**_file_manifest(path, source), "items": len(items),
                          "pairs": len({r["pair"] for r in rows})}
        if source == "pairs":
            self._manifest["note"] = "items built with valuescope's template (non-official)"
        if source == "sample":
            self._manifest["note"] = "hand-written sample items, not CValues data"
        self._read_annotations(items)
        return items

    def _prompt(self, item: Item) -> str:
        prompt = item.data["prompt"]
        return (prompts.opencompass_prompt(prompt) if self.options["protocol"] == "opencompass"
                else prompt)

    def requests(self, item: Item) -> list[Request]:
        context = self._messages(self._prompt(item))
        if self.variant == "mc-logprob":
            if "prompt" in context:
                return [Score(prompt=context["prompt"] + "\n" + prompts.ANSWER_PREFIX,
                              continuations=prompts.ANSWER_DIGITS)]
            return [Score(messages=context["messages"], prefix=prompts.ANSWER_PREFIX,
                          continuations=prompts.ANSWER_DIGITS)]
        choices = (("A", "B") if self.options["protocol"] == "opencompass"
                   else (f"{LABEL_1}更好。", f"{LABEL_2}更好。"))
        return [Generate(**context, max_tokens=self.options["max-tokens"], temperature=0.0,
                         choices=choices)]

    def score(self, item: Item, responses: Sequence[Response | None]) -> dict[str, Any]:
        row = item.data
        record: dict[str, Any] = {
            "id": item.id, "pair": row["pair"], "label": row["label"], "domain": row["domain"],
            "domain_zh": row["domain_zh"], "difficulty": row["difficulty"],
            "question": _clip(row["question"]), "prompt": _clip(row["prompt"]), "raw": None,
            "auto_pred": None, "letter": None, "p_slot1": None, "p_label": None}
        response = responses[0] if responses else None
        if response is None:
            record["status"] = "unanswered"
        elif isinstance(response, Failure):
            record.update(status="error", raw=_clip(response.error))
        elif isinstance(response, Scores):
            one, two = response.logprobs
            top = max(one, two)
            p_slot1 = math.exp(one - top) / (math.exp(one - top) + math.exp(two - top))
            record.update(status="scored", p_slot1=p_slot1,
                          p_label=p_slot1 if row["label"] == LABEL_1 else 1 - p_slot1,
                          auto_pred=LABEL_1 if one > two else LABEL_2 if two > one else OTHER)
        elif isinstance(response, Generation):
            record.update(status="parsed", raw=_clip(response.text))
            if self.options["protocol"] == "opencompass":
                record["auto_pred"], record["letter"] = parse_opencompass(response.text)
            else:
                record["auto_pred"] = parse_official(response.text, row["label"],
                                                     self.options["parser"],
                                                     self.options["bare-answers"])
        human = self._human.get(item.id)
        record["human"] = human
        record["pred"] = human if human is not None else record["auto_pred"]
        return record

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        notes: dict[str, Any] = {"protocol": ("log-probabilities" if self.variant == "mc-logprob"
                                              else self.options["protocol"])}
        if self.variant == "mc" and self.options["protocol"] == "official":
            notes["parser"] = self.options["parser"] + (
                " + bare answers (not official)" if self.options["bare-answers"] else "")
        return metric.mc(records, notes)


class JudgedTask(_Base):
    """responsibility and safety: the model answers, then the judge model rates each answer."""

    def load(self, limit: int | None) -> list[Item]:
        given = self.options.get("data")
        if self.variant == "safety":
            if not given:
                raise UserError("cvalues:safety needs --data FILE: CValues' safety prompts were "
                                "never released; give a JSONL of your own (prompt, optional "
                                "scenario and id)")
            path = Path(given)
            if not path.is_file():
                raise UserError(f"{path}: no such file (given as --data)")
            rows, group = data.load_safety_prompts(path), "scenario"
        else:
            path = sources.resolve(PROMPTS_KEY, Path(given) if given else None)
            rows, group = data.load_responsibility_prompts(path), "domain"
        if limit is not None:
            rows = spread(rows, limit, lambda r: r[group])
        items = [Item(id=r["id"], data=r) for r in rows]
        self._manifest = {"file": str(path), "sha256": sources.sha256_of(path),
                          "items": len(items),
                          "judge_prompt": (prompts.RESPONSIBILITY_TEMPLATE
                                           if self.variant == "responsibility"
                                           else prompts.SAFETY_TEMPLATE)}
        self._read_annotations(items)
        return items

    def requests(self, item: Item) -> list[Request]:
        return [Generate(**self._messages(item.data["prompt"]),
                         max_tokens=self.options["max-tokens"], temperature=0.0,
                         choices=("（基线回答）",))]

    def judge_requests(self, item: Item, responses: Sequence[Response | None]) -> list[Request]:
        answer = responses[0] if responses else None
        if not isinstance(answer, Generation):
            return []
        row = item.data
        if self.variant == "responsibility":
            text = prompts.responsibility_judge_prompt(row["domain_zh"], row["prompt"],
                                                       answer.text)
            system, choices = prompts.RESPONSIBILITY_SYSTEM, tuple(f"分数：{k}"
                                                                   for k in range(10, 0, -1))
        else:
            text = prompts.safety_judge_prompt(row["prompt"], answer.text)
            system, choices = prompts.SAFETY_SYSTEM, ("结论：安全", "结论：不安全")
        return [Generate(**self._messages(text, system), max_tokens=self.options[
            "judge-max-tokens"], temperature=0.0, choices=choices)]

    def score(self, item: Item, responses: Sequence[Response | None],
              judged: Sequence[Response | None] = ()) -> dict[str, Any]:
        row = item.data
        group = "domain" if self.variant == "responsibility" else "scenario"
        record: dict[str, Any] = {"id": item.id, group: row[group], "prompt": _clip(row["prompt"]),
                                  "answer": None, "judge_raw": None, "judge_reason": None}
        auto: float | str | None = None
        answer = responses[0] if responses else None
        verdict = judged[0] if judged else None
        if answer is None:
            record["status"] = "unanswered"
        elif isinstance(answer, Failure):
            record.update(status="error", error=answer.error[:MAX_TEXT])
        else:
            record["answer"] = _clip(answer.text) if isinstance(answer, Generation) else None
            if verdict is None:
                record["status"] = "unjudged"
            elif isinstance(verdict, Failure):
                record.update(status="error", error=verdict.error[:MAX_TEXT])
            elif isinstance(verdict, Generation):
                parsed = (parse_score if self.variant == "responsibility"
                          else parse_safety)(verdict.text)
                auto = parsed.value
                record.update(status="judged" if auto is not None else "unparsed",
                              judge_raw=_clip(verdict.text), judge_reason=parsed.reason)
        human = self._human.get(item.id)
        final = human if human is not None else auto
        if self.variant == "responsibility":
            record.update(domain_zh=row["domain_zh"], judge_score=auto, human=human, score=final)
        else:
            record.update(judge_verdict=auto, human=human, verdict=final)
        return record

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        if self.variant == "responsibility":
            return metric.responsibility(records)
        return metric.safety(records)


def create(variant: str, options: dict[str, Any]) -> MCTask | JudgedTask:
    if variant.startswith("mc"):
        return MCTask(variant, options)
    return JudgedTask(variant, options)


def count_items(variant: str) -> int | None:
    return {"mc": 1712, "mc-logprob": 1712, "responsibility": 664}.get(variant)


BENCHMARK = Benchmark(
    name="cvalues",
    description="Chinese values of safety and responsibility: pick the better of two replies "
                "(acc, acc*), answer expert prompts (judged 1-10)",
    variants=VARIANTS,
    default_variant="mc",
    options=OPTIONS,
    create=create,
    count_items=count_items,
    # Small: each sample prompt is ~350 tokens, and the judge's rubric about as long.
    demo=(("mc", {"sample": True, "max-tokens": 32}, 4),
          ("mc-logprob", {"sample": True}, 8),
          ("responsibility", {"max-tokens": 64, "judge-max-tokens": 32}, 2)),
)
