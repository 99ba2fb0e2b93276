"""JSON files written whole or not at all: a crash mid-write leaves the old file (or none)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_json(path: Path, payload: Any, *, lines: bool = False, ensure_ascii: bool = False) -> None:
    """Write ``payload`` as indented JSON, or as JSON Lines (one row per line) with ``lines``,
    through a ``.part`` file renamed over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if lines:
        text = "".join(json.dumps(row, ensure_ascii=ensure_ascii) + "\n" for row in payload)
    else:
        text = json.dumps(payload, ensure_ascii=ensure_ascii, indent=1)
    partial = path.with_name(path.name + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
