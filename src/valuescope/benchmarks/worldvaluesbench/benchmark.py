"""WorldValuesBench as a valuescope benchmark: variants, options, items, requests, records.

Variants: ``probe`` (the shipped 8,280-row probe set), ``probe-nodemo`` (same rows, no demographics
in the prompt), ``test`` (every answered cell of the test split) and ``sample`` (stratified by
continent x urban/rural x education, ``--per-group`` respondents per group and question).
Without ``--wvs`` the respondents come from a synthetic WVS-7 file, and every output says so.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from valuescope import sources
from valuescope.benchmarks.worldvaluesbench import metric, prompts
from valuescope.benchmarks.worldvaluesbench.metadata import (
    COUNTRY,
    EDUCATION,
    URBAN_RURAL,
    WVBMetadata,
    load_metadata,
    read_probe_samples,
)
from valuescope.benchmarks.worldvaluesbench.parse import parse_reply
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

SYNTHETIC_RESPONDENTS = 6000
MASTERS_CODEBOOK = "Master or equivalent (ISCED 7)"
MASTERS_CSV = "Masters or equivalent (ISCED 7)"
MAX_RAW = 4000  # characters of raw reply kept per record

OPTIONS = [
    Option("wvs", Path, None, "WVS-7 export (CSV, zip, .sav, .dta) or a `wvb build` folder; "
           "default: a synthetic file (labelled synthetic everywhere)"),
    Option("answer-mode", str, "sample", "sample: generate and parse one answer per respondent "
           "(paper); distribution: read P(each scale point) from log-probabilities",
           choices=("sample", "distribution")),
    Option("demographics", str, "readme", "which demographics the prompt lists (see docs)",
           choices=prompts.DEMOGRAPHIC_SETS),
    Option("temperature", float, 0.7, "sampling temperature (the paper sampled; value unknown)"),
    Option("max-tokens", int, 160, "generation limit per answer"),
    Option("seed", int, 0, "seed for sampling respondents and for generation"),
    Option("per-group", int, 5, "sample variant: respondents per group and question"),
    Option("split", str, "test", "sample variant: split to sample from",
           choices=("train", "test", "valid", "full")),
    Option("questions", str, "probe", "sample variant: the 36 probe questions or all 239",
           choices=("probe", "all")),
    Option("fix-masters", bool, False, "map Master's-degree holders to Tertiary (the original "
           "drops them through a spelling mismatch)"),
    Option("drop-out-of-range", bool, False, "drop answers outside the scale (paper keeps them)",
           scoring_only=True),
    Option("weights", bool, False, "weight human answers by W_WEIGHT (paper: unweighted)",
           scoring_only=True),
    Option("per-group-w1", bool, False, "also report W1 per demographic group, averaged",
           scoring_only=True),
]

VARIANTS = {
    "probe": "the shipped probe set: 36 questions x 46 groups x 5 respondents (8,280 samples)",
    "probe-nodemo": "the probe set without demographics in the prompt",
    "test": "every answered (respondent, value question) cell of the test split",
    "sample": "stratified sample: --per-group respondents per continent x urban/rural x education",
}


def synthetic_wvs_path(meta: WVBMetadata) -> Path:
    """A synthetic WVS-7 file in the cache, made once (the real file may not be redistributed)."""
    from valuescope.benchmarks.worldvaluesbench.synth import synthesize

    path = sources.cache_dir() / "wvb-synthetic" / f"synthetic-wvs7-n{SYNTHETIC_RESPONDENTS}-seed0.csv"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        synthesize(SYNTHETIC_RESPONDENTS, 0, partial, meta)
        partial.replace(path)
    return path


class WVBTask:
    def __init__(self, variant: str, options: dict[str, Any]):
        self.variant = variant
        self.name = f"worldvaluesbench:{variant}"
        self.options = options
        self._meta: WVBMetadata | None = None
        self._tables: Any = None
        self._choice_order: dict[str, tuple[int, ...]] = {}
        self._manifest: dict[str, Any] = {}

    # data ---------------------------------------------------------------------------------
    @property
    def meta(self) -> WVBMetadata:
        if self._meta is None:
            self._meta = load_metadata()
        return self._meta

    def tables(self) -> Any:
        if self._tables is None:
            from valuescope.benchmarks.worldvaluesbench.build import load_tables

            wvs = self.options.get("wvs")
            path = Path(wvs) if wvs else synthetic_wvs_path(self.meta)
            if wvs and not path.exists():
                raise UserError(f"{path}: no such file or folder (given as --wvs)")
            self._tables = load_tables(path, self.meta)
        return self._tables

    def _demographics_of(self, rows: list[int]) -> list[dict[str, str | None]]:
        """Demographic labels of the given table rows, fetched in one pass."""
        tables = self.tables()
        taken = tables.demographics.select(tables.demographic_columns).take(rows)
        return taken.to_pylist()

    def _groups(self) -> list[tuple[str, str, str]]:
        """(continent, urban/rural, education level) of every row, computed once."""
        if not hasattr(self, "_group_cache"):
            table = self.tables().demographics
            countries, areas, educations = (table.column(name).to_pylist()
                                            for name in (COUNTRY, URBAN_RURAL, EDUCATION))
            continent_of, level_of = self.meta.country_to_continent, self._education_levels()
            self._group_cache = [(continent_of.get(country or "", ""), area or "",
                                  level_of.get(education or "", ""))
                                 for country, area, education in zip(countries, areas, educations)]
        return self._group_cache

    def _education_levels(self) -> dict[str, str]:
        """Education label -> level; --fix-masters maps the codebook's Master's label too."""
        mapping = dict(self.meta.education_to_level)
        if self.options.get("fix-masters"):
            mapping[MASTERS_CODEBOOK] = mapping.pop(MASTERS_CSV, "Tertiary")
        return mapping

    # items --------------------------------------------------------------------------------
    def load(self, limit: int | None) -> list[Item]:
        if self.variant in ("probe", "probe-nodemo"):
            rows = read_probe_samples()
        elif self.variant == "test":
            rows = self._split_rows("test")
        else:
            rows = self._sampled_rows()
        if limit is not None:
            rows = spread(rows, limit, lambda r: r["question"])  # a small run covers many questions
        items = self._items(rows)
        self._order_choices(items)
        missing = sorted({i.data["participant"] for i in items if i.data["missing"]})
        tables = self.tables()
        self._manifest = {
            "wvs": tables.manifest,
            "synthetic": bool(tables.manifest.get("synthetic")),
            "prompt_demographics": self._prompt_variables(),
            "items": len(items),
            "missing_respondents": len(missing),
            "missing_respondent_ids": missing[:50],
        }
        return items

    def _split_rows(self, split: str) -> list[dict[str, Any]]:
        tables = self.tables()
        order = self._split_order(split)
        groups = self._groups()
        rows: list[dict[str, Any]] = []
        for column, question in enumerate(tables.value_columns):
            answered = order[tables.values[order, column] >= 0]
            rows.extend(_row(question, int(tables.ids[row]), groups[row]) for row in answered)
        return rows

    def _split_order(self, split: str) -> Any:
        """Rows of ``split`` in the seed-0 shuffled order (the order the original writes them)."""
        import numpy as np

        tables = self.tables()
        rows = np.arange(len(tables.ids)) if split == "full" else np.flatnonzero(
            tables.split == split)
        return rows[np.argsort(tables.shuffle_rank[rows], kind="stable")]

    def _sampled_rows(self) -> list[dict[str, Any]]:
        """The original probe sampling (spec section 5), generalised to any split and size."""
        tables = self.tables()
        split, per_group = self.options["split"], self.options["per-group"]
        questions = (list(self.meta.probe_questions) if self.options["questions"] == "probe"
                     else list(tables.value_columns))
        order = self._split_order(split)
        groups = self._groups()
        present = [groups[r] for r in order.tolist()]
        continents = list(dict.fromkeys(g[0] for g in present if g[0]))
        levels = list(dict.fromkeys(g[2] for g in present if g[2]))
        rng = random.Random(self.options["seed"])
        rows: list[dict[str, Any]] = []
        for question in questions:
            column = tables.value_columns.index(question)
            answered: dict[tuple[str, str, str], list[int]] = defaultdict(list)
            for row in order[tables.values[order, column] >= 0].tolist():  # answered, in order
                answered[groups[row]].append(row)
            for continent in continents:
                for area in ("Urban", "Rural"):
                    for level in levels:
                        pool = answered.get((continent, area, level), [])
                        if len(pool) <= per_group:
                            continue
                        for row in rng.sample(pool, per_group):
                            rows.append(_row(question, int(tables.ids[row]),
                                             (continent, area, level)))
        return rows

    def _items(self, rows: list[dict[str, Any]]) -> list[Item]:
        tables = self.tables()
        row_of = tables.row_of()
        table_rows = [row_of.get(r["participant"]) for r in rows]
        present = sorted({t for t in table_rows if t is not None})
        demographics = dict(zip(present, self._demographics_of(present)))
        weights = getattr(tables, "weights", None)
        column_of = {name: index for index, name in enumerate(tables.value_columns)}
        items = []
        for index, (row, table_row) in enumerate(zip(rows, table_rows)):
            question = self.meta.questions[row["question"]]
            gt = weight = None
            if table_row is not None:
                value = int(tables.values[table_row, column_of[question.id]])
                gt = value if value >= 0 else None
                weight = float(weights[table_row]) if weights is not None else None
            items.append(Item(id=f"{index:07d}:{question.id}:{row['participant']}", data={
                **row, "category": question.category,
                "scale": [question.scale_min, question.scale_max], "gt": gt, "weight": weight,
                "missing": table_row is None,
                "group": "|".join((row["continent"], row["urban_rural"], row["education"])),
                "demographics": demographics.get(table_row) if table_row is not None else None}))
        return items

    def _order_choices(self, items: list[Item]) -> None:
        """Scale points per question, most common human answer first (for baseline/majority)."""
        answers: dict[str, list[int]] = defaultdict(list)
        for item in items:
            if item.data["gt"] is not None:
                answers[item.data["question"]].append(item.data["gt"])
        for item in items:
            question = item.data["question"]
            if question in self._choice_order:
                continue
            low, high = item.data["scale"]
            common = [v for v, _ in Counter(answers[question]).most_common() if low <= v <= high]
            self._choice_order[question] = tuple(common + [v for v in range(low, high + 1)
                                                           if v not in common])

    # requests and scoring -----------------------------------------------------------------
    def _prompt_variables(self) -> list[str]:
        """The demographics the prompt lists (--demographics), worked out once per task."""
        if not hasattr(self, "_variables"):
            self._variables = prompts.prompt_variables(self.meta, self.options["demographics"])
        return self._variables

    def _prompt(self, item: Item) -> str:
        demographics = None
        if self.variant != "probe-nodemo":
            values = item.data["demographics"] or {}
            demographics = [(v, values.get(v)) for v in self._prompt_variables()]
        return prompts.build_prompt(self.meta, item.data["question"], demographics)

    def requests(self, item: Item) -> list[Request]:
        if item.data["missing"]:
            return []
        messages = (Message("user", self._prompt(item)),)
        low, high = item.data["scale"]
        if self.options["answer-mode"] == "distribution":
            return [Score(messages=messages, prefix=prompts.DISTRIBUTION_PREFIX,
                          continuations=tuple(prompts.distribution_continuation(k)
                                              for k in range(low, high + 1)))]
        seed = (self.options["seed"] * 1_000_003 + item.data["participant"] * 7919
                + int(item.data["question"].lstrip("Q").rstrip("ABC") or 0)) % 2**31
        return [Generate(messages=messages, max_tokens=self.options["max-tokens"],
                         temperature=self.options["temperature"], seed=seed,
                         choices=tuple(prompts.reply_for(k) for k in self._choice_order.get(
                             item.data["question"], range(low, high + 1))))]

    def score(self, item: Item, responses: Sequence[Response | None]) -> dict[str, Any]:
        data = item.data
        low, high = data["scale"]
        record: dict[str, Any] = {k: data[k] for k in (
            "question", "participant", "category", "scale", "continent", "urban_rural",
            "education", "group", "gt", "weight")}
        record.update(answer=None, out_of_range=False, raw=None, probs=None)
        response = responses[0] if responses else None
        if data["missing"]:
            record["status"] = "no_respondent"
        elif response is None:
            record["status"] = "unanswered"
        elif isinstance(response, Failure):
            record.update(status="error", raw=response.error[:MAX_RAW])
        elif isinstance(response, Generation):
            parsed = parse_reply(response.text)
            record.update(status=parsed.status, answer=parsed.value, raw=response.text[:MAX_RAW],
                          out_of_range=parsed.value is not None
                          and not low <= parsed.value <= high)
        elif isinstance(response, Scores):
            top = max(response.logprobs)
            weights = [math.exp(lp - top) for lp in response.logprobs]
            total = sum(weights)
            record.update(status="distribution", probs=[w / total for w in weights])
            record["answer"] = low + max(range(len(weights)), key=weights.__getitem__)
        return record

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return metric.aggregate(records, self.options)

    def manifest(self) -> dict[str, Any]:
        return self._manifest


def _row(question: str, participant: int, group: tuple[str, str, str]) -> dict[str, Any]:
    return {"question": question, "participant": participant, "continent": group[0],
            "urban_rural": group[1], "education": group[2]}


def count_items(variant: str) -> int | None:
    return 8280 if variant.startswith("probe") else None


BENCHMARK = Benchmark(
    name="worldvaluesbench",
    description="predict a World Values Survey respondent's answer from their demographics; "
                "W1 between model and human answer distributions",
    variants=VARIANTS,
    default_variant="probe",
    options=OPTIONS,
    create=lambda variant, options: WVBTask(variant, options),
    count_items=count_items,
    aliases=("wvb",),
    # Distribution mode first: one forward pass per prompt; then a few greedy generations for the
    # paper's generate-and-parse path. Only the three grouping demographics, so that prompts stay
    # short (about 250 tokens instead of 1,100) and the demo runs in minutes on a CPU.
    demo=(("probe", {"answer-mode": "distribution", "demographics": "grouping"}, 36),
          ("probe", {"temperature": 0.0, "max-tokens": 64, "demographics": "grouping"}, 8)),
)
