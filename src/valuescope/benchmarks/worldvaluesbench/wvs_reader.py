"""Read a user's WVS-7 cross-national export (.csv, .zip of one .csv, .sav, .dta) into Arrow.

Only the columns the build needs are read, which keeps a 600-column file cheap. CSV cells come back
as strings (blank and pandas' usual NA spellings as null) so that the build decides how to parse
numbers and junk; SPSS/Stata files come back with their numeric codes (user-missing codes kept).
Anything that stops a faithful read becomes a ``DataFileError`` naming the file and, where it can
be found, the line and column.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.csv as pacsv

from valuescope.errors import DataFileError, UserError

# pandas.read_csv's default NA spellings: the original pipeline read the file with pandas.
NULL_VALUES = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
               "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]
STAT_SUFFIXES = {".sav": "SPSS", ".zsav": "SPSS", ".dta": "Stata"}
_HEAD_BYTES = 1 << 20
_DELIMITER_NAMES = {";": "semicolons (;)", "\t": "tabs", "|": "pipes (|)"}

Opener = Callable[[], IO[bytes]]


def read_wvs(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> pa.Table:
    """Columns ``required`` (all must exist) plus those of ``optional`` present, in that order."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, "no such file")
    if path.stat().st_size == 0:
        raise DataFileError(path, "the file is empty")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _read_zip(path, required, optional)
    if suffix in STAT_SUFFIXES:
        return _read_stat(path, required, optional)
    return _read_csv(lambda: open(path, "rb"), str(path), required, optional, native=str(path))


def _read_zip(path: Path, required: Sequence[str], optional: Sequence[str]) -> pa.Table:
    """The WVS ships the CSV zipped; read the single CSV member without extracting it."""
    try:
        archive = zipfile.ZipFile(path)
        members = [info.filename for info in archive.infolist()
                   if not info.is_dir() and info.filename.lower().endswith(".csv")
                   and not info.filename.startswith("__MACOSX/")]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataFileError(path, f"not a readable zip archive ({exc})") from None
    with archive:
        if len(members) != 1:
            found = ", ".join(members[:5]) or "none"
            raise DataFileError(path, f"expected exactly one .csv file in the zip archive, found "
                                      f"{len(members)} ({found})")
        where = f"{path} ({members[0]})"

        def opener() -> IO[bytes]:
            return archive.open(members[0])

        try:
            return _read_csv(opener, where, required, optional)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise DataFileError(where, f"the zip archive is damaged ({exc})") from None


def _read_csv(opener: Opener, where: str, required: Sequence[str], optional: Sequence[str],
              native: str | None = None) -> pa.Table:
    with opener() as handle:
        head = handle.read(_HEAD_BYTES)
    names = _header(head, where)
    _check_columns(names, required, where, line=1)
    rest = head.split(b"\n", 1)[1] if b"\n" in head else b""
    if not rest.strip():
        raise DataFileError(where, "the file has a header but no respondent rows")
    include = list(required) + [c for c in optional if c in names and c not in required]
    convert = pacsv.ConvertOptions(include_columns=include,
                                   column_types={c: pa.string() for c in include},
                                   null_values=NULL_VALUES, strings_can_be_null=True,
                                   quoted_strings_can_be_null=True)
    try:
        if native is not None:
            return pacsv.read_csv(native, convert_options=convert)
        with opener() as handle:
            return pacsv.read_csv(handle, convert_options=convert)
    except pa.ArrowInvalid as exc:
        raise _diagnose(opener, where, names, set(include), str(exc)) from None


def _header(head: bytes, where: str) -> list[str]:
    """Column names of the first line; refuses non-UTF-8 and other delimiters than commas."""
    if not head.strip():
        raise DataFileError(where, "the file is empty")
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    first = first.removeprefix(codecs.BOM_UTF8)
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(where, f"not UTF-8 text (byte 0x{first[exc.start]:02x} at offset "
                                   f"{exc.start}); save the file as UTF-8", line=1) from None
    counts = {sep: text.count(sep) for sep in (",", *_DELIMITER_NAMES)}
    best = max(counts, key=lambda sep: counts[sep])
    if best != "," and counts[best] > counts[","]:
        raise DataFileError(where, f"fields are separated by {_DELIMITER_NAMES[best]}, not commas; "
                                   "use the WVS comma-separated CSV (or re-export with commas)",
                            line=1)
    return next(csv.reader([text]))


def _check_columns(names: Sequence[str], required: Sequence[str], where: str,
                   line: int | None = None) -> None:
    present = set(names)
    missing = [c for c in required if c not in present]
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise DataFileError(where, f"not a WVS-7 cross-national export: {len(missing)} of the "
                                   f"{len(required)} required columns are missing ({shown})",
                            line=line)
    seen: set[str] = set()
    for name in names:
        if name in seen and name in required:
            raise DataFileError(where, "the column appears twice in the header", line=line,
                                column=name)
        seen.add(name)


def _diagnose(opener: Opener, where: str, names: list[str], include: set[str],
              message: str) -> DataFileError:
    """Turn an Arrow parse error into a message with a line number (rescans the file once)."""
    if "UTF8" in message or "UTF-8" in message:
        with opener() as handle:
            for number, raw in enumerate(handle, start=1):
                for offset in _bad_utf8(raw):
                    column = _column_at(raw, offset, names)
                    if column is None or column in include:  # Arrow only decodes what it reads
                        return DataFileError(where, f"not UTF-8 text (byte 0x{raw[offset]:02x}); "
                                                    "save the file as UTF-8", line=number,
                                             column=column)
    if "Expected" in message and "columns" in message:
        with opener() as handle:
            text = io.TextIOWrapper(handle, encoding="utf-8", errors="replace", newline="")
            reader = csv.reader(text)
            for record in reader:
                if len(record) != len(names) and any(field.strip() for field in record):
                    return DataFileError(where, f"truncated or malformed row: {len(record)} "
                                                f"fields where the header has {len(names)}",
                                         line=reader.line_num)
    return DataFileError(where, f"cannot read as CSV: {message.splitlines()[0]}")


def _bad_utf8(raw: bytes) -> Iterator[int]:
    """Offsets of the invalid UTF-8 sequences in ``raw``."""
    start = 0
    while start < len(raw):
        try:
            raw[start:].decode("utf-8")
            return
        except UnicodeDecodeError as exc:
            yield start + exc.start
            start += exc.end


def _column_at(raw: bytes, offset: int, names: list[str]) -> str | None:
    index = raw[:offset].decode("utf-8", errors="replace").count(",")
    return names[index] if index < len(names) else None


def _read_stat(path: Path, required: Sequence[str], optional: Sequence[str]) -> pa.Table:
    """SPSS/Stata exports through pyreadstat (optional dependency, imported only here)."""
    try:
        import pyreadstat
    except ImportError:
        raise UserError(f"{path}: reading {STAT_SUFFIXES[path.suffix.lower()]} files needs "
                        "pyreadstat (pip install 'valuescope[spss]'), or use the WVS CSV") from None
    kind = STAT_SUFFIXES[path.suffix.lower()]
    read = pyreadstat.read_dta if kind == "Stata" else pyreadstat.read_sav
    try:
        _, info = read(str(path), metadataonly=True)
        _check_columns(info.column_names, required, str(path))
        include = list(required) + [c for c in optional
                                    if c in info.column_names and c not in required]
        # user_missing keeps the WVS negative codes instead of turning them into NaN
        frame, _ = read(str(path), usecols=include, user_missing=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, ValueError) as exc:
        raise DataFileError(path, f"cannot read as a {kind} file ({exc})") from None
    if len(frame) == 0:
        raise DataFileError(path, "the file has no respondent rows")
    return pa.Table.from_pandas(frame[include], preserve_index=False)
