"""NaVAB as a valuescope benchmark: three ways to ask a model which of S and RS it holds.

- ``mc`` (paper): perplexity multiple choice on the original's plain-text strings, no chat
  template. One ``Score`` per item: the shared prefix once, both endings from it; the item is
  right when the full string whose option holds S has the lower perplexity.
- ``aj`` (paper): answer judgment. The evaluated model (``--model``) answers Q freely through its
  chat template; the judge (``--judge``, default the evaluated model) decides by perplexity whether
  the answer is closer to reference S or RS. The released code had the roles the other way round
  (a fixed Qwen2.5-7B answered, the evaluated model judged); here they are explicit and both are
  recorded in the run manifest.
- ``mc-generate`` (not in the paper): the same question as a chat turn asking for A or B, the
  letter parsed from the reply, for chat APIs without log-probabilities. Unparsed replies count.

Half/half order as the original: in each file the first ⌊n/2⌋ items have S as A, the rest S as B.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from valuescope.benchmarks.navab import data as navab_data
from valuescope.benchmarks.navab import metric, prompts
from valuescope.benchmarks.navab.evaluate import full_perplexities, is_right, parse_letter
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
    derived_seed,
)
from valuescope.core.spread import spread

MAX_TEXT = 2000  # characters of a model's reply kept per record (the store keeps all of it)
AJ_MAX_TOKENS = 512  # the original's answer length
MC_GENERATE_MAX_TOKENS = 16

OPTIONS = [
    Option("data", str, "hf", "hf (the NaVAB dataset, pinned), examples (the original pipeline's "
           "Hong Kong example files, not the benchmark), or a folder/file in the NaVAB layout"),
    Option("nation", str, "all", "only this nation", choices=("all", *navab_data.NATIONS)),
    Option("source", str, "all", "only quoted (someone quoted in the news) or official (the "
           "outlet's own position) statements", choices=("all", *navab_data.SOURCES)),
    Option("aj-layout", str, "paper", "aj: paper = the original judge strings (the first half's "
           "A string has extra trailing spaces); symmetric = the two strings differ only in the "
           "letter", choices=("paper", "symmetric")),
    Option("temperature", float, 0.6, "aj: sampling temperature of the free answer (original 0.6; "
           "its top_p 0.8 is not applied)"),
    Option("max-tokens", int, None, f"aj: answer length (default {AJ_MAX_TOKENS}); mc-generate: "
           f"reply length (default {MC_GENERATE_MAX_TOKENS})"),
    Option("seed", int, 0, "aj: seed of the sampled answers"),
]

VARIANTS = {
    "mc": "perplexity multiple choice, S vs RS (paper)",
    "aj": "answer judgment: the model answers Q, a judge decides S or RS by perplexity (paper)",
    "mc-generate": "multiple choice by a generated letter, for APIs without log-probabilities "
                   "(not in the paper)",
}


class NaVABTask:
    """Loading, aggregation and manifest shared by the three variants."""

    def __init__(self, variant: str, options: dict[str, Any]):
        self.variant = variant
        self.name = f"navab:{variant}"
        self.options = options
        self._manifest: dict[str, Any] = {}

    def load(self, limit: int | None) -> list[Item]:
        refs = navab_data.locate(self.options["data"], self.options["nation"],
                                 self.options["source"])
        files = [navab_data.read_items(ref) for ref in refs]
        items = []
        for items_file in files:
            ref, count = items_file.ref, len(items_file.rows)
            for row in items_file.rows:
                items.append(Item(id=f"{ref.nation}/{ref.source}/{row.index:05d}", data={
                    "nation": ref.nation, "source": ref.source, "line": row.line,
                    "half": prompts.half_of(row.index, count), "q": row.q, "s": row.s,
                    "rs": row.rs, "flags": list(row.flags)}))
        if limit is not None:
            # Round-robin over (file, half): a short run still covers every nation, source and position.
            items = spread(items, limit, lambda i: (i.data["nation"], i.data["source"], i.data["half"]))
        self._manifest = self._describe(files, len(items))
        return items

    def _describe(self, files: list[navab_data.ItemsFile], n_items: int) -> dict[str, Any]:
        data = self.options["data"]
        revisions = sorted({f.ref.revision for f in files if f.ref.revision})
        notes = []
        if data == "examples":
            notes.append("the original pipeline's example files (Hong Kong news, commit "
                         f"{revisions[0] if revisions else '?'}): the NaVAB format, not the "
                         "NaVAB benchmark")
        return {"data": data, "kind": data if data in ("hf", "examples") else "local",
                "revision": revisions[0] if len(revisions) == 1 else (revisions or None),
                "files": [f.manifest() for f in files], "items": n_items,
                "problems": sum(len(f.problems) for f in files),
                "excluded_rows": sum(sum(p.excluded for p in f.problems) for f in files),
                "notes": notes}

    def _record(self, item: Item) -> dict[str, Any]:
        d = item.data
        return {"id": item.id, "nation": d["nation"], "source": d["source"], "half": d["half"],
                "line": d["line"], "flags": d["flags"], "s_letter": prompts.s_letter(d["half"]),
                "status": "unanswered", "correct": None}

    def _options(self, item: Item) -> tuple[str, str]:
        return prompts.options(item.data["half"], item.data["s"], item.data["rs"])

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        result = metric.aggregate(records)
        # Bad rows show in the printed summary too; their lines are in the report and `navab check`.
        if self._manifest.get("problems"):
            result["summary"]["rows_left_out"] = self._manifest["excluded_rows"]
            result["summary"]["rows_flagged"] = sum(bool(r.get("flags")) for r in records)
        return result

    def manifest(self) -> dict[str, Any]:
        return self._manifest


def _decide(record: dict[str, Any], response: Response | None) -> dict[str, Any]:
    """Fill a record from a two-continuation ``Scores`` (or a failure)."""
    if response is None:
        return record
    if isinstance(response, Failure):
        record.update(status="error", error=response.error[:MAX_TEXT])
        return record
    if not isinstance(response, Scores) or len(response.logprobs) != 2:
        record.update(status="error", error=f"unexpected response {response.kind}")
        return record
    ppl_a, ppl_b = full_perplexities(response)
    right = is_right(ppl_a, ppl_b, record["s_letter"])
    record.update(status="tie" if ppl_a == ppl_b else "scored", correct=right, ppl_a=ppl_a,
                  ppl_b=ppl_b, tokens=[response.context_tokens, *response.tokens])
    return record


class MCTask(NaVABTask):
    def requests(self, item: Item) -> list[Request]:
        option_a, option_b = self._options(item)
        texts = tuple(prompts.mc_text(item.data["q"], option_a, option_b, letter)
                      for letter in prompts.LETTERS)
        prefix, rests = prompts.split_shared(texts)
        # No BOS: evaluate's perplexity with add_start_token=False, as the original, never adds one.
        return [Score(prompt=prefix, continuations=rests, special_tokens=False)]

    def score(self, item: Item, responses: Sequence[Response | None]) -> dict[str, Any]:
        return _decide(self._record(item), responses[0] if responses else None)


class MCGenerateTask(NaVABTask):
    def requests(self, item: Item) -> list[Request]:
        option_a, option_b = self._options(item)
        return [Generate(messages=(Message("user", prompts.mc_chat(item.data["q"], option_a,
                                                                   option_b)),),
                         max_tokens=self.options["max-tokens"] or MC_GENERATE_MAX_TOKENS,
                         temperature=0.0, choices=prompts.LETTERS)]

    def score(self, item: Item, responses: Sequence[Response | None]) -> dict[str, Any]:
        record = self._record(item)
        response = responses[0] if responses else None
        if isinstance(response, Failure):
            record.update(status="error", error=response.error[:MAX_TEXT])
        elif isinstance(response, Generation):
            letter = parse_letter(response.text)
            record.update(reply=response.text[:MAX_TEXT], letter=letter,
                          status="parsed" if letter else "unparsed",
                          correct=letter == record["s_letter"])
        return record


class AJTask(NaVABTask):
    def requests(self, item: Item) -> list[Request]:
        return [Generate(messages=(Message("user", item.data["q"]),),
                         max_tokens=self.options["max-tokens"] or AJ_MAX_TOKENS,
                         temperature=self.options["temperature"],
                         seed=derived_seed(self.options["seed"], item.id))]

    def judge_requests(self, item: Item, responses: Sequence[Response | None]) -> list[Request]:
        answer = responses[0] if responses else None
        if not isinstance(answer, Generation):
            return []
        ref_a, ref_b = self._options(item)
        texts = tuple(prompts.aj_text(item.data["q"], answer.text, ref_a, ref_b, letter,
                                      item.data["half"], self.options["aj-layout"])
                      for letter in prompts.LETTERS)
        prefix, rests = prompts.split_shared(texts)
        # No BOS: evaluate's perplexity with add_start_token=False, as the original, never adds one.
        return [Score(prompt=prefix, continuations=rests, special_tokens=False)]

    def score(self, item: Item, responses: Sequence[Response | None],
              judged: Sequence[Response | None] = ()) -> dict[str, Any]:
        record = self._record(item)
        answer = responses[0] if responses else None
        if isinstance(answer, Failure):
            record.update(status="no_answer", error=answer.error[:MAX_TEXT])
            return record
        if not isinstance(answer, Generation):
            return record
        record["answer"] = answer.text[:MAX_TEXT]
        return _decide(record, judged[0] if judged else None)

    def manifest(self) -> dict[str, Any]:
        return {**self._manifest, "roles": {
            "answerer": "the evaluated model (--model) answers each question Q freely, through "
                        "its chat template",
            "judge": "the --judge model (default: the evaluated model) scores which reference, "
                     "S or RS, the answer is closer to, by perplexity",
            "note": "the released NaVAB code generated the answers with a fixed "
                    "Qwen2.5-7B-Instruct and used the evaluated model as the judge"}}


def create(variant: str, options: dict[str, Any]) -> MCTask | AJTask | MCGenerateTask:
    kinds: dict[str, type[MCTask | AJTask | MCGenerateTask]] = {
        "mc": MCTask, "aj": AJTask, "mc-generate": MCGenerateTask}
    return kinds[variant](variant, options)


BENCHMARK = Benchmark(
    name="navab",
    description="national values of China, US, UK, France, Germany: does the model prefer the "
                "statement S or its reversal RS? correct rate per nation x source",
    variants=VARIANTS,
    default_variant="mc",
    options=OPTIONS,
    create=create,
    demo=(("mc", {"data": "examples"}, 16),),
)
