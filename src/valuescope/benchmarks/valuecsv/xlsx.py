"""Read the first sheet of an .xlsx workbook as rows of cell values, with one-line errors.

ValueCSV ships only .xlsx files (no CSV export), so the readers here work on the workbook itself.
Cells are read as their cached values: formula cells (the corpus's totals row) give their last
computed result, not the formula.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from valuescope.errors import DataFileError


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_first_sheet(path: Path) -> tuple[str, list[tuple[Any, ...]]]:
    """(sheet name, rows) of the workbook's first sheet, trailing blank rows removed.

    Rows are padded to the same width; an empty sheet is an error.
    """
    from zipfile import BadZipFile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        raise DataFileError(path, "no such file")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise DataFileError(path, f"not a readable .xlsx workbook ({exc})") from None
    try:
        if not workbook.worksheets:
            raise DataFileError(path, "the workbook has no sheet")
        sheet = workbook.worksheets[0]
        name = sheet.title
        rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    while rows and all(is_blank(v) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise DataFileError(path, f"sheet {name!r} is empty")
    width = max(len(row) for row in rows)
    return name, [row + (None,) * (width - len(row)) for row in rows]
