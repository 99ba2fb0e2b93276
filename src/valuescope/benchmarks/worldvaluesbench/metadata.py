"""WorldValuesBench's public metadata: questions, scales, codebook, remaps and probe definitions.

All files come from the pinned upstream repository through ``valuescope.sources``.
"""

from __future__ import annotations

import csv
import functools
import json
from dataclasses import dataclass
from typing import Any

from valuescope import sources

ID_COLUMN = "D_INTERVIEW"
DROPPED_RESPONDENT = 858069901  # repeated in WVS-7; the original drops it
COUNTRY, URBAN_RURAL, EDUCATION = "B_COUNTRY", "H_URBRURAL", "Q275"


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    category: str
    use_case: str  # "demographic" or "value"
    scale_min: int | None
    scale_max: int | None
    ordinal: bool


@dataclass(frozen=True)
class WVBMetadata:
    questions: dict[str, Question]  # every key of question_metadata.json, in file order
    codebook: dict[str, dict]  # variable -> {"question", "choices": {code: label}, ...}
    adjustments: dict[str, dict[str, str]]  # question -> {raw code: new code or "" (drop)}
    country_to_continent: dict[str, str]
    education_to_level: dict[str, str]  # codebook label of Q275 -> level ("Masters" quirk kept)
    probe_questions: dict[str, str]  # the 36 probe questions, id -> text, in file order

    # Derived once per metadata object (cached_property writes the instance dict, which a frozen
    # dataclass allows).
    @functools.cached_property
    def demographic_columns(self) -> list[str]:
        """The 42 demographic variables (without the ID), in metadata order."""
        return [q.id for q in self.questions.values()
                if q.use_case == "demographic" and q.id != ID_COLUMN]

    @functools.cached_property
    def value_columns(self) -> list[str]:
        """The 239 value questions, in metadata order."""
        return [q.id for q in self.questions.values() if q.use_case == "value"]

    @functools.cached_property
    def missing_labels(self) -> dict[str, set[str]]:
        """Per variable, the codebook labels of its negative (missing-type) codes."""
        return {variable: {label for code, label in entry.get("choices", {}).items()
                           if code.startswith("-")} for variable, entry in self.codebook.items()}

    def choices(self, variable: str) -> dict[str, str]:
        return self.codebook.get(variable, {}).get("choices", {})


def _int_or_none(value: object) -> int | None:
    return None if value in ("", None) else int(str(value))


def _read_json(key: str) -> dict:
    path = sources.resolve(key)
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _read_pairs(key: str) -> dict[str, str]:
    """Two-column CSV (``Level,Education`` or ``Continent,Country``) -> {second: first}."""
    path = sources.resolve(key)
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return {row[1]: row[0] for row in rows[1:] if len(row) >= 2}


@functools.lru_cache(maxsize=1)
def load_metadata() -> WVBMetadata:
    raw = _read_json("wvb/question_metadata.json")
    questions = {
        key: Question(id=key, text=entry["question"], category=entry["category"],
                      use_case=entry["use_case"], scale_min=_int_or_none(entry["answer_scale_min"]),
                      scale_max=_int_or_none(entry["answer_scale_max"]),
                      ordinal=entry["answer_data_type"] == "ordinal")
        for key, entry in raw.items()
    }
    return WVBMetadata(
        questions=questions,
        codebook=_read_json("wvb/codebook.json"),
        adjustments=_read_json("wvb/answer_adjustment.json"),
        country_to_continent=_read_pairs("wvb/country2continent.csv"),
        education_to_level=_read_pairs("wvb/education2level.csv"),
        probe_questions=_read_json("wvb/value_questions.json"),
    )


def read_probe_samples() -> list[dict[str, Any]]:
    """The shipped probe set (``samples.tsv``): one row per (question, respondent), in file order,
    with the respondent's continent, urban/rural and education group."""
    with open(sources.resolve("wvb/samples.tsv"), encoding="utf-8", newline="") as handle:
        return [{"question": r["Question"], "participant": int(r["D_INTERVIEW"]),
                 "continent": r["Continent"], "urban_rural": r["Urban / Rural"],
                 "education": r["Education"]}
                for r in csv.DictReader(handle, delimiter="\t")]
