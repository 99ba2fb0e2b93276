"""``results.json``: the stable, machine-readable output of one or more runs.

Schema ``valuescope.results/1``::

    {"schema": "valuescope.results/1",
     "runs": [{"task": "worldvaluesbench:probe", "benchmark": ..., "variant": ...,
               "model": {"spec": ..., "identity": {...}}, "options": {...}, "limit": int|null,
               "data": {...}, "valuescope_version": ..., "created": ISO-8601,
               "requests": {...}, "metrics": {...}}]}

Floats that are not numbers (NaN, infinity) are written as ``null``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from valuescope.core.atomic import write_json
from valuescope.errors import UserError

SCHEMA = "valuescope.results/1"
RESULTS_NAME = "results.json"


def clean(value: Any) -> Any:
    """JSON-safe copy: NaN/inf -> None, tuples -> lists, numpy scalars -> Python numbers."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_results(path: Path, runs: list[dict[str, Any]]) -> None:
    write_json(path, clean({"schema": SCHEMA, "runs": runs}))


def read_results(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / RESULTS_NAME if run_dir.is_dir() else run_dir
    if not path.is_file():
        raise UserError(f"{run_dir}: no {RESULTS_NAME} (is it a finished run folder?)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UserError(f"{path}: not a valuescope results file (schema {SCHEMA} expected)")
    return data["runs"]
