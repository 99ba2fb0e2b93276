"""Read the score out of a model's reply: the JSON field first, else the first integer.

Every sample keeps its raw text, the parsed value and a status:
``json`` (from the "answer as a score" field), ``fallback`` (first integer in the text),
``invalid`` (no integer found). Range checks happen in scoring, where the scale is known.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from valuescope.benchmarks.worldvaluesbench.prompts import SCORE_KEY

_INTEGER = re.compile(r"-?\d+")
_DECODER = json.JSONDecoder(strict=False)
_KEY = re.compile(r"[^a-z]")


@dataclass(frozen=True)
class Parsed:
    value: int | None
    status: str  # "json" | "fallback" | "invalid"


def _score_field(obj: object) -> object:
    if not isinstance(obj, dict):
        return None
    wanted = _KEY.sub("", SCORE_KEY)
    for key, value in obj.items():
        if isinstance(key, str) and _KEY.sub("", key.lower()) == wanted:
            return value
    return None


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        match = _INTEGER.search(value)
        return int(match.group()) if match else None
    return None


def parse_reply(text: str) -> Parsed:
    for start in (i for i, char in enumerate(text) if char == "{"):
        try:
            obj, _ = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError:
            continue
        value = _as_int(_score_field(obj))
        if value is not None:
            return Parsed(value, "json")
    match = _INTEGER.search(text)
    if match:
        return Parsed(int(match.group()), "fallback")
    return Parsed(None, "invalid")
