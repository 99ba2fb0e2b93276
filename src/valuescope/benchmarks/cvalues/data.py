"""Read and check every file CValues runs on; a bad row stops the run with one error naming
its line.

- the official multiple-choice file (``prompt``, ``label`` 回复1/回复2, ``meta_info`` with question,
  pos_resp, neg_resp, domain and difficulty): one row per item, both orders already materialised;
- a ``--pairs`` file of (prompt, pos_resp, neg_resp) triples, e.g. CValues-Comparison: each becomes
  two items, one per order, with valuescope's non-official template;
- the 664 expert responsibility prompts;
- a user's own safety prompts (CValues' were never released).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from valuescope.benchmarks.cvalues import prompts
from valuescope.benchmarks.cvalues.rules import LABEL_1, LABEL_2
from valuescope.core.datafiles import read_jsonl
from valuescope.errors import DataFileError

#: Hand-written items in the MC file's schema (valuescope's own text, not CValues data): for the
#: demo and for trying the pipeline without the official file.
SAMPLE_MC = Path(__file__).with_name("sample_mc.jsonl")

DOMAINS = {"environmental_science": "环境科学", "psychology": "心理学", "barrier_free": "无障碍",
           "social_science": "社会学", "data_science": "数据科学", "law": "法理学",
           "intimate_relationship": "亲密关系", "lesser_known_major": "冷门专业"}
_DOMAIN_EN = {zh: en for en, zh in DOMAINS.items()}
UNKNOWN = "unknown"


def _text(path: Path, line: int, row: dict[str, Any], field: str, where: str = "") -> str:
    value = row.get(field)
    if value is None:
        raise DataFileError(path, f"missing field {where}{field!r}", line=line)
    if not isinstance(value, str) or not value.strip():
        raise DataFileError(path, f"field {where}{field!r} must be a non-empty string", line=line)
    return value


def _optional(row: dict[str, Any], *fields: str) -> str | None:
    return next((str(row[f]) for f in fields if row.get(f) not in (None, "")), None)


def pair_key(question: str, pos: str, neg: str) -> str:
    """Both orders of one (question, positive, negative) triple share this key."""
    text = json.dumps([question, pos, neg], ensure_ascii=False)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _domain(meta: dict[str, Any]) -> tuple[str, str | None]:
    """(English key, Chinese name) from domain_en / domain_zh, or a plain ``domain`` in either."""
    english, chinese, plain = (_optional(meta, f) for f in ("domain_en", "domain_zh", "domain"))
    if plain in DOMAINS:
        english = english or plain
    else:
        chinese = chinese or plain
    english = english or _DOMAIN_EN.get(chinese or "") or chinese or UNKNOWN
    return english, chinese or DOMAINS.get(english)


def load_mc(path: Path) -> list[dict[str, Any]]:
    """Rows of a file in the official MC schema, checked."""
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, row in read_jsonl(path):
        prompt = _text(path, line, row, "prompt")
        label = row.get("label")
        if label is None:
            raise DataFileError(path, "missing field 'label'", line=line)
        if label not in (LABEL_1, LABEL_2):
            raise DataFileError(path, f"label must be {LABEL_1} or {LABEL_2}, got {label!r}",
                                line=line)
        meta = row.get("meta_info")
        if meta is None:
            raise DataFileError(path, "missing field 'meta_info'", line=line)
        if not isinstance(meta, dict):
            raise DataFileError(path, "field 'meta_info' must be an object", line=line)
        question, pos, neg = (_text(path, line, meta, f, "meta_info.")
                              for f in ("question", "pos_resp", "neg_resp"))
        if prompt in seen:
            raise DataFileError(path, f"duplicate row: same prompt as line {seen[prompt]}",
                                line=line)
        seen[prompt] = line
        domain, domain_zh = _domain(meta)
        rows.append({"line": line, "prompt": prompt, "label": label, "question": question,
                     "pair": pair_key(question, pos, neg), "domain": domain,
                     "domain_zh": domain_zh,
                     "difficulty": _optional(meta, "difficulty_level", "difficulty") or UNKNOWN})
    if not rows:
        raise DataFileError(path, "no rows")
    return rows


def load_pairs(path: Path) -> list[dict[str, Any]]:
    """Two MC rows (both orders) per (prompt, pos_resp, neg_resp) triple; non-official prompt."""
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, row in read_jsonl(path):
        question, pos, neg = (_text(path, line, row, f) for f in ("prompt", "pos_resp", "neg_resp"))
        key = pair_key(question, pos, neg)
        if key in seen:
            raise DataFileError(path, f"duplicate row: same triple as line {seen[key]}", line=line)
        seen[key] = line
        domain, domain_zh = _domain(row)
        types = _optional(row, "pos_type"), _optional(row, "neg_type")
        difficulty = (f"{types[0]} vs {types[1]}" if all(types)
                      else _optional(row, "difficulty_level", "difficulty") or UNKNOWN)
        for label, first, second in ((LABEL_1, pos, neg), (LABEL_2, neg, pos)):
            rows.append({"line": line, "prompt": prompts.pair_prompt(question, first, second),
                         "label": label, "question": question, "pair": key, "domain": domain,
                         "domain_zh": domain_zh, "difficulty": difficulty})
    if not rows:
        raise DataFileError(path, "no rows")
    return rows


def load_responsibility_prompts(path: Path) -> list[dict[str, Any]]:
    rows = []
    ids: dict[str, int] = {}
    for line, row in read_jsonl(path):
        prompt = _text(path, line, row, "prompt")
        ident = str(row.get("id_", row.get("id", line)))
        if ident in ids:
            raise DataFileError(path, f"duplicate id {ident!r} (also on line {ids[ident]})",
                                line=line)
        ids[ident] = line
        domain, domain_zh = _domain(row)
        rows.append({"id": ident, "prompt": prompt, "domain": domain,
                     "domain_zh": domain_zh or domain})
    if not rows:
        raise DataFileError(path, "no rows")
    return rows


def load_safety_prompts(path: Path) -> list[dict[str, Any]]:
    """A user's safety prompts: ``prompt`` required; ``scenario`` and ``id`` optional."""
    rows = []
    ids: dict[str, int] = {}
    for line, row in read_jsonl(path):
        prompt = _text(path, line, row, "prompt")
        ident = str(row.get("id", line))
        if ident in ids:
            raise DataFileError(path, f"duplicate id {ident!r} (also on line {ids[ident]})",
                                line=line)
        ids[ident] = line
        rows.append({"id": ident, "prompt": prompt,
                     "scenario": _optional(row, "scenario", "scenario_zh", "category") or UNKNOWN})
    if not rows:
        raise DataFileError(path, "no rows")
    return rows
