"""Errors a user can fix. The CLI prints these as one line and exits with code 2 (no traceback)."""


class UserError(Exception):
    """Bad input or environment: a wrong spec, a missing file, an unreachable server, ..."""


class DataFileError(UserError):
    """A data file that cannot be read as expected; names the file and, where known, line or column."""

    def __init__(self, path: object, message: str, line: int | None = None, column: str | None = None):
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")
