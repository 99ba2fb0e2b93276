"""NaVAB's "correct rate" from per-item records: overall, per half, per nation x source.

Each record carries ``nation``, ``source``, ``half`` (pos/neg), ``status`` and ``correct``.
Rates divide by the items that got a decision; items the backend could not score (``error``,
``unanswered``, ``no_answer``) are counted apart. For ``mc-generate`` an unparsed reply is a
decision (wrong); ``right_rate_parsed`` leaves those out too.

The original MC script divides the neg-half count by ⌊n/2⌋ although that half holds n - ⌊n/2⌋
items (one more when n is odd); that number is kept per file as ``neg_right_rate_original``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from valuescope.benchmarks.navab.data import NATIONS, SOURCES
from valuescope.metrics.agreement import cohen_kappa, ratio

UNDECIDED = ("error", "unanswered", "no_answer")


def rates(records: list[dict[str, Any]]) -> dict[str, Any]:
    decided = [r for r in records if r["status"] not in UNDECIDED]
    pos = [r for r in decided if r["half"] == "pos"]
    neg = [r for r in decided if r["half"] == "neg"]
    right = sum(bool(r["correct"]) for r in decided)
    pos_right = sum(bool(r["correct"]) for r in pos)
    neg_right = sum(bool(r["correct"]) for r in neg)
    parsed = [r for r in decided if r["status"] != "unparsed"]
    out = {"items": len(records), "decided": len(decided), "right": right,
           "right_rate": ratio(right, len(decided)),
           "pos_items": len(pos), "pos_right": pos_right,
           "pos_right_rate": ratio(pos_right, len(pos)),
           "neg_items": len(neg), "neg_right": neg_right,
           "neg_right_rate": ratio(neg_right, len(neg)),
           "undecided": len(records) - len(decided)}
    if any(r["status"] == "unparsed" for r in records):
        out["unparsed"] = len(decided) - len(parsed)
        out["right_rate_parsed"] = ratio(sum(bool(r["correct"]) for r in parsed), len(parsed))
    return out


def aggregate(records: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(f"{record['nation']}/{record['source']}", []).append(record)
    per_group = {}
    for key, members in groups.items():
        entry = rates(members)
        entry["neg_right_rate_original"] = ratio(entry["neg_right"], entry["decided"] // 2)
        per_group[key] = entry
    nations = [n for n in NATIONS if any(r["nation"] == n for r in records)]
    nations += sorted({r["nation"] for r in records} - set(nations))
    sources = [s for s in SOURCES if any(r["source"] == s for r in records)]
    grid = {n: {s: per_group.get(f"{n}/{s}", {}).get("right_rate") for s in sources}
            for n in nations}
    overall = rates(records)
    summary = {k: overall[k] for k in ("items", "right_rate", "pos_right_rate", "neg_right_rate",
                                       "undecided", "unparsed", "right_rate_parsed")
               if k in overall}
    return {"summary": summary, "overall": overall, "groups": per_group,
            "grid": {"nations": nations, "sources": sources, "right_rate": grid},
            "counts": {"status": dict(Counter(r["status"] for r in records)),
                       "flags": dict(Counter(f for r in records for f in r.get("flags", ())))}}


def agreement(first: Iterable[dict[str, Any]], second: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Share of items (matched by id) on which two methods reach the same verdict, with Cohen's
    kappa (agreement beyond what the two right rates alone would give)."""
    verdicts = {r["id"]: bool(r["correct"]) for r in first if r["status"] not in UNDECIDED}
    pairs = [(verdicts[r["id"]], bool(r["correct"])) for r in second
             if r["status"] not in UNDECIDED and r["id"] in verdicts]
    if not pairs:
        return {"items": 0, "agree": 0, "rate": None, "kappa": None}
    agree = sum(a == b for a, b in pairs)
    kappa = cohen_kappa([a for a, _ in pairs], [b for _, b in pairs])
    return {"items": len(pairs), "agree": agree, "rate": agree / len(pairs), "kappa": kappa}
