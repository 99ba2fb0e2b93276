"""Reading the pipeline LLM's replies: the part after the last "##", and yes/no verdicts."""

from __future__ import annotations

import re

YES = {"yes", "y", "true", "oui", "ja", "是", "是的", "對", "对"}
NO = {"no", "n", "false", "non", "nein", "否", "不是", "不", "沒有", "没有"}
_WORDS = re.compile(r"[a-z]+|是的|不是|沒有|没有|是|否|不|對|对")


def after_marker(text: str, marker: str = "##") -> str | None:
    """The stripped text after the last ``marker``; None if there is none or it is empty."""
    if marker not in text:
        return None
    tail = text.rsplit(marker, 1)[1].strip()
    return tail or None


def yes_no(text: str) -> bool | None:
    """The verdict after the last "##" (else on the last line): its first yes/no word.

    Only whole words count, so "not", "know" or "economy" never read as "no".
    """
    tail = after_marker(text)
    if tail is None:
        lines = [line for line in text.strip().splitlines() if line.strip()]
        tail = lines[-1] if lines else ""
    for word in _WORDS.findall(tail.lower()):
        if word in YES:
            return True
        if word in NO:
            return False
    return None


def original_yes_no(text: str) -> bool:
    """The released filter's rule, bug included: kept only if the lower-cased reply contains
    "##" and "yes" and *no* "no" anywhere (so "not", "know", "economy" drop it)."""
    lowered = text.lower()
    return "##" in lowered and "no" not in lowered and "yes" in lowered


def labelled(text: str, label: str) -> str | None:
    """The value of the last ``label: value`` line (case-insensitive), e.g. "topic: Housing"."""
    found = re.findall(rf"(?im)^\W*{re.escape(label)}\s*[:：]\s*(.+?)\s*$", text)
    value = found[-1].strip(" *\"'`“”") if found else ""
    return value or None
