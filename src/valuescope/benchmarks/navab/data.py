"""NaVAB items: where the files are, and reading them with every bad row counted by its line.

An item is (question Q, statement S, reversed statement RS) from one nation and one source. The
Hugging Face dataset ``JadenGGGeee/NaVAB`` lays them out as
``<Nation>/{human,official}_statement_result.json`` (``human`` = statements quoted from someone,
called ``quoted`` here; ``official`` = the outlet's own position). ``--data`` picks the files:

- ``hf``: the dataset's files from the Hub (``valuescope data pull --only navab/hf/``), pinned
  on first download: the revision and sha256 then recorded go into every run's manifest;
- ``examples``: the four-file worked example of the original pipeline (Hong Kong news, so nation
  China); the same schema, but *not* the benchmark;
- a folder in the NaVAB layout (e.g. ``valuescope navab build`` output), a folder holding the two
  files directly, or one items file.

Rows that cannot be evaluated (not an object, a missing key, an empty Q/S/RS) are left out;
rows with identical S and RS or with mixed languages are kept (the original kept them) and
flagged. Both kinds are reported with their line. A file that is not NaVAB at all is an error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from valuescope import sources
from valuescope.core.datafiles import read_utf8
from valuescope.errors import DataFileError, UserError

NATIONS = ("China", "US", "UK", "France", "Germany")
SOURCES = ("quoted", "official")
#: Folder of each nation in the Hugging Face dataset (case as on the Hub).
HF_FOLDERS = {"China": "China", "US": "US", "UK": "UK", "France": "french", "Germany": "german"}
FILE_OF = {"quoted": "human_statement_result.json", "official": "official_statement_result.json"}
SOURCE_OF = {name: source for source, name in FILE_OF.items()}
#: Folder names accepted for each nation in a local copy (lower case).
FOLDER_ALIASES = {"china": "China", "zh": "China", "us": "US", "uk": "UK", "france": "France",
                  "french": "France", "fr": "France", "germany": "Germany", "german": "Germany",
                  "de": "Germany"}
KEY_Q, KEY_S, KEY_RS = "generated Q", "statement", "generated reverse statement"
REQUIRED = (KEY_Q, KEY_S, KEY_RS)
EXAMPLE_KEYS = {"quoted": "navab/examples/human_statement_result.json",
                "official": "navab/examples/official_statement_result.json"}
PROBLEMS_KEPT = 50  # problem rows listed per file in the manifest (all are counted)


def hf_key(nation: str, source: str) -> str:
    """The ``valuescope.sources`` key of a Hugging Face NaVAB file."""
    return f"navab/hf/{HF_FOLDERS[nation]}/{FILE_OF[source]}"


@dataclass(frozen=True)
class FileRef:
    nation: str
    source: str
    path: Path
    key: str | None = None  # pinned source key, None for the user's own files
    url: str | None = None
    revision: str | None = None


@dataclass(frozen=True)
class Row:
    index: int  # position among the file's usable rows (decides the half)
    line: int  # 1-based line where the row starts
    q: str
    s: str
    rs: str
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    line: int
    kind: str
    excluded: bool
    detail: str = ""


@dataclass
class ItemsFile:
    ref: FileRef
    rows: list[Row]
    problems: list[Problem] = field(default_factory=list)
    total: int = 0
    sha256: str | None = None

    def manifest(self) -> dict[str, Any]:
        kinds: dict[str, int] = {}
        for problem in self.problems:
            kinds[problem.kind] = kinds.get(problem.kind, 0) + 1
        return {"nation": self.ref.nation, "source": self.ref.source, "path": str(self.ref.path),
                "key": self.ref.key, "url": self.ref.url, "revision": self.ref.revision,
                "sha256": self.sha256, "rows": self.total, "usable": len(self.rows),
                "excluded": sum(p.excluded for p in self.problems), "problems": kinds,
                "problem_rows": [vars(p) for p in self.problems[:PROBLEMS_KEPT]]}


# -- where the files are -------------------------------------------------------------------------


def locate(data: str, nation: str = "all", source: str = "all") -> list[FileRef]:
    """The items files for ``--data`` (hf, examples or a path), filtered by nation and source."""
    nations = NATIONS if nation == "all" else (nation,)
    wanted = SOURCES if source == "all" else (source,)
    if data == "examples":
        if "China" not in nations:
            raise UserError("the example files hold only China (Hong Kong news) items; use "
                            "--nation China or all, or --data hf")
        return [_pinned("China", s, EXAMPLE_KEYS[s]) for s in wanted]
    if data == "hf":
        return [_pinned(n, s, hf_key(n, s)) for n in nations for s in wanted]
    return _local(Path(data).expanduser(), nations, wanted, nation)


def _pinned(nation: str, source: str, key: str) -> FileRef:
    path = sources.resolve(key)
    pinned = sources.get_source(key)
    if pinned.pin_on_download:  # the Hub's revision as recorded at download; unknown for a mirror
        revision = (sources.recorded_pin(path) or {}).get("revision")
    else:
        revision = revision_of(pinned.url)
    return FileRef(nation, source, path, key, pinned.url, revision)


def revision_of(url: str) -> str | None:
    """The commit or revision pinned in a raw GitHub or Hugging Face ``resolve`` URL."""
    match = (re.search(r"/resolve/([^/]+)/", url)
             or re.search(r"raw\.githubusercontent\.com/[^/]+/[^/]+/([0-9a-f]{7,40})/", url))
    return match.group(1) if match else None


def _local(path: Path, nations: tuple[str, ...], wanted: tuple[str, ...],
           nation: str) -> list[FileRef]:
    if not path.exists():
        raise UserError(f"{path}: no such file or folder (given as --data; use hf, examples, "
                        "a NaVAB folder or an items file)")
    label = nation if nation != "all" else "unknown"
    if path.is_file():
        source = SOURCE_OF.get(path.name, "official" if "official" in path.name else "quoted")
        return [FileRef(label, source, path)]
    refs = [FileRef(label, s, path / FILE_OF[s]) for s in wanted if (path / FILE_OF[s]).is_file()]
    if refs:
        return refs
    folders = {FOLDER_ALIASES[p.name.lower()]: p for p in sorted(path.iterdir())
               if p.is_dir() and p.name.lower() in FOLDER_ALIASES}
    refs = [FileRef(n, s, folders[n] / FILE_OF[s]) for n in nations if n in folders
            for s in wanted if (folders[n] / FILE_OF[s]).is_file()]
    if not refs:
        raise DataFileError(path, "no NaVAB items files for the chosen nation/source: expected "
                            "<Nation>/human_statement_result.json and/or "
                            "<Nation>/official_statement_result.json (Nation one of "
                            f"{', '.join(NATIONS)})")
    return refs


# -- reading a file ------------------------------------------------------------------------------


def read_items(ref: FileRef) -> ItemsFile:
    """Parse one items file; unusable rows are reported, not fatal. Not NaVAB at all: error."""
    path = ref.path
    text = read_utf8(path, "a NaVAB JSON items file")
    elements = _json_array(path, text)
    rows: list[Row] = []
    problems: list[Problem] = []
    navab_like = False
    for line, element in elements:
        if not isinstance(element, dict):
            problems.append(Problem(line, "not an object", True, type(element).__name__))
            continue
        present = [k for k in REQUIRED if k in element]
        navab_like = navab_like or bool(present)
        missing = [k for k in REQUIRED if k not in element]
        if missing:
            problems.append(Problem(line, "missing keys", True, ", ".join(missing)))
            continue
        values = [element[k] for k in REQUIRED]
        if not all(isinstance(v, str) and v.strip() for v in values):
            empty = [k for k, v in zip(REQUIRED, values, strict=True)
                     if not (isinstance(v, str) and v.strip())]
            problems.append(Problem(line, "empty text", True, ", ".join(empty)))
            continue
        q, s, rs = values
        flags = []
        if s.strip() == rs.strip():
            flags.append("identical S and RS")
        scripts = {s for s in map(script_of, values) if s is not None}
        if len(scripts) > 1:
            flags.append("mixed languages")
        for flag in flags:
            problems.append(Problem(line, flag, False, "/".join(sorted(scripts))
                                    if flag == "mixed languages" else ""))
        rows.append(Row(len(rows), line, q, s, rs, tuple(flags)))
    if not navab_like:
        raise DataFileError(path, "not a NaVAB items file: expected a JSON array of objects "
                            f"with the keys {', '.join(repr(k) for k in REQUIRED)}")
    sha = sources.sha256_of(path)
    return ItemsFile(ref, rows, problems, total=len(elements), sha256=sha)


def _json_array(path: Path, text: str) -> list[tuple[int, Any]]:
    """The elements of a top-level JSON array, each with the line it starts on."""
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if position >= len(text) or text[position] != "[":
        what = "an empty file" if position >= len(text) else "not a JSON array"
        raise DataFileError(path, f"{what}; expected a NaVAB JSON items file (an array of "
                            "objects with 'generated Q', 'statement', 'generated reverse "
                            "statement')", line=_line(text, position))
    elements: list[tuple[int, Any]] = []
    position = _skip_space(text, position + 1)
    line, counted = 1, 0
    while position < len(text) and text[position] != "]":
        line += text.count("\n", counted, position)
        counted = position
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise DataFileError(path, f"invalid JSON ({exc.msg})", line=exc.lineno) from None
        elements.append((line, value))
        position = _skip_space(text, position)
        if position < len(text) and text[position] == ",":
            position = _skip_space(text, position + 1)
        elif position < len(text) and text[position] != "]":
            raise DataFileError(path, "invalid JSON (expected ',' or ']')",
                                line=_line(text, position))
    if position >= len(text):
        raise DataFileError(path, "invalid JSON (the array is not closed)",
                            line=_line(text, position))
    if _skip_space(text, position + 1) < len(text):
        raise DataFileError(path, "invalid JSON (extra data after the array)",
                            line=_line(text, _skip_space(text, position + 1)))
    if not elements:
        raise DataFileError(path, "no items (an empty JSON array)")
    return elements


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def script_of(text: str) -> str | None:
    """The dominant script of ``text``: "cjk", "latin", "other", or None without letters.

    A Han character carries about as much as a short Latin word, so it weighs three letters.
    """
    cjk = latin = other = 0
    for char in text:
        code = ord(char)
        if (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x3040 <= code <= 0x30FF
                or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF):
            cjk += 3
        elif char.isalpha():
            if code < 0x250:
                latin += 1
            else:
                other += 1
    best = max((cjk, "cjk"), (latin, "latin"), (other, "other"))
    return best[1] if best[0] else None
