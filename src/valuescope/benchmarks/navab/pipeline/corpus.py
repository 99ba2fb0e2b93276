"""Read a news corpus (JSON Lines) for ``navab build``; bad lines are counted with their number.

One JSON object per line with the article in ``text`` (or ``content``, ``document``, ``article``)
and optionally an ``id``. As the original, every article is cut to 3,000 characters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from valuescope.errors import DataFileError

MAX_CHARS = 3000
TEXT_FIELDS = ("text", "content", "document", "article")


@dataclass(frozen=True)
class Doc:
    id: str
    text: str
    line: int


@dataclass
class Corpus:
    path: Path
    docs: list[Doc]
    problems: list[dict[str, Any]] = field(default_factory=list)
    lines: int = 0

    def summary(self) -> dict[str, Any]:
        return {"path": str(self.path), "lines": self.lines, "documents": len(self.docs),
                "bad_lines": len(self.problems), "problems": self.problems[:100]}


def read_corpus(path: Path) -> Corpus:
    if not path.is_file():
        raise DataFileError(path, "no such file (given as --corpus)")
    corpus = Corpus(path, [])
    seen: set[str] = set()
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            corpus.lines = number
            if not raw.strip():
                continue
            problem = _parse(raw, number, corpus, seen)
            if problem:
                corpus.problems.append({"line": number, "problem": problem})
    if not corpus.docs:
        raise DataFileError(path, f"no usable news article in {corpus.lines} line(s); expected "
                            'JSON Lines such as {"id": "1", "text": "..."}'
                            + (f" (line {corpus.problems[0]['line']}: "
                               f"{corpus.problems[0]['problem']})" if corpus.problems else ""))
    return corpus


def _parse(raw: bytes, number: int, corpus: Corpus, seen: set[str]) -> str | None:
    """Add the line's document to ``corpus``; return what is wrong with it, if anything."""
    try:
        record = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return "not UTF-8"
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg})"
    if not isinstance(record, dict):
        return "not a JSON object"
    text = next((record[k] for k in TEXT_FIELDS if isinstance(record.get(k), str)), None)
    if text is None or not text.strip():
        return f"no text (expected one of {', '.join(TEXT_FIELDS)})"
    doc_id = str(record.get("id", number))
    if doc_id in seen:
        return f"duplicate id {doc_id!r}"
    seen.add(doc_id)
    corpus.docs.append(Doc(doc_id, text.strip()[:MAX_CHARS], number))
    return None
