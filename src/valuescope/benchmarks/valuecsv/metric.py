"""The CSV value map: per dimension, the mean evaluator probability over a model's answers (the
paper's score), the share of answers predicted positive, and level averages.

Answers that are missing (not generated, failed, or empty) are left out of the means and counted.
The same arithmetic is applied to the reference models' answers to the same questions, so a run
compares like with like even with ``--limit``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from valuescope.benchmarks.valuecsv.dimensions import DIMENSIONS, LEVELS


def scored_answer(probs: np.ndarray, thresholds: np.ndarray) -> dict[str, list[float] | list[int]]:
    """One answer's evaluator output as stored in a record (canonical dimension order)."""
    return {"probs": [round(float(p), 6) for p in probs],
            "positive": [int(p > t) for p, t in zip(probs, thresholds, strict=True)]}


def value_map(entries: list[dict[str, Any] | None]) -> dict[str, Any]:
    """Means over answers; ``None`` entries are missing answers."""
    scored = [e for e in entries if e is not None]
    result: dict[str, Any] = {"answers": len(scored), "missing": len(entries) - len(scored)}
    if not scored:
        empty = dict.fromkeys(DIMENSIONS)
        result.update(mean_p=empty, share_positive=dict(empty),
                      levels={level: {"mean_p": None, "share_positive": None} for level in LEVELS},
                      overall={"mean_p": None, "share_positive": None})
        return result
    probs = np.array([e["probs"] for e in scored], dtype=float).mean(axis=0)
    positive = np.array([e["positive"] for e in scored], dtype=float).mean(axis=0)
    mean_p = dict(zip(DIMENSIONS, probs.tolist(), strict=True))
    share = dict(zip(DIMENSIONS, positive.tolist(), strict=True))
    result.update(
        mean_p=mean_p, share_positive=share,
        levels={level: {"mean_p": float(np.mean([mean_p[d] for d in dims])),
                        "share_positive": float(np.mean([share[d] for d in dims]))}
                for level, dims in LEVELS.items()},
        overall={"mean_p": float(probs.mean()), "share_positive": float(positive.mean())})
    return result


def aggregate(records: list[dict[str, Any]]) -> dict[str, Any]:
    model = value_map([r.get("scores") for r in records])
    names = list(dict.fromkeys(name for r in records for name in r.get("references", {})))
    references = {name: value_map([r.get("references", {}).get(name) for r in records])
                  for name in names}
    summary: dict[str, Any] = {"questions": len(records), "answers": model["answers"],
                               "missing": model["missing"],
                               "mean_p": model["overall"]["mean_p"]}
    for level in LEVELS:
        summary[f"mean_p_{level}"] = model["levels"][level]["mean_p"]
    summary["share_positive"] = model["overall"]["share_positive"]
    return {"summary": summary, "dimensions": list(DIMENSIONS),
            "levels": {level: list(dims) for level, dims in LEVELS.items()},
            "value_map": model, "references": references,
            "status": dict(Counter(r.get("status", "?") for r in records))}
