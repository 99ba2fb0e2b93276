"""Reading users' data files: every problem is a DataFileError naming the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from valuescope.errors import DataFileError


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; a line that is not a JSON object stops
    the read with an error naming it."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataFileError(path, f"invalid JSON ({exc.msg})", line=number) from None
                if not isinstance(row, dict):
                    raise DataFileError(path, "expected a JSON object", line=number)
                yield number, row
    except UnicodeDecodeError:
        raise DataFileError(path, "not UTF-8 text") from None
    except OSError as exc:
        raise DataFileError(path, f"cannot read ({exc.strerror})") from None


def read_utf8(path: Path, expected: str = "") -> str:
    """The file's text (a byte-order mark dropped). Not UTF-8: an error with the line of the
    first bad byte, and ``expected`` (what the file should be) when given."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(path, f"cannot read: {exc.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(path, "not UTF-8 text" + (f"; expected {expected}" if expected else ""),
                            line=raw[: exc.start].count(b"\n") + 1) from None
