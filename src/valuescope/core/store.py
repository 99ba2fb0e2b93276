"""One SQLite file per run: the manifest, every request/response, and every scored record.

WAL mode with ``synchronous=NORMAL``: a committed answer survives ``kill -9`` of the process, and
readers never block the writer. Results and reports are derived from this file, so they can always
be rebuilt without calling the model again.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from valuescope.core.requests import (
    Request,
    Response,
    canonical_json,
    request_from_json,
    response_from_json,
    to_json,
)
from valuescope.errors import UserError

STORE_NAME = "store.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    ok INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    seconds REAL NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS records (item_id TEXT PRIMARY KEY, record TEXT NOT NULL);
"""


class Store:
    def __init__(self, path: Path):
        self.path = path
        try:
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA busy_timeout=10000")
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            version = self.get_manifest().get("store_schema", SCHEMA_VERSION)
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{path}: not a valuescope run store or corrupt ({exc})") from None
        if version != SCHEMA_VERSION:
            raise UserError(f"{path}: store schema {version} is not supported "
                            f"(this valuescope reads schema {SCHEMA_VERSION})")

    @classmethod
    def open_existing(cls, run_dir: Path) -> Store:
        path = run_dir / STORE_NAME
        if not path.is_file():
            raise UserError(f"{run_dir}: not a run folder (no {STORE_NAME})")
        return cls(path)

    def close(self) -> None:
        self.db.close()

    # manifest -----------------------------------------------------------------------------
    def set_manifest(self, values: dict[str, Any]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO manifest VALUES (?, ?)",
                [(k, canonical_json(v)) for k, v in {"store_schema": SCHEMA_VERSION, **values}.items()])

    def get_manifest(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM manifest")}

    # responses ----------------------------------------------------------------------------
    def put_responses(self, answers: Iterable[tuple[str, Request, Response, int, float]]) -> None:
        """Commit answers (key, request, response, attempts, seconds) in one transaction."""
        now = time.time()
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(key, canonical_json(to_json(request)), canonical_json(to_json(response)),
                  int(response.kind != "failure"), attempts, seconds, now)
                 for key, request, response, attempts, seconds in answers])

    def answered_keys(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT key FROM responses WHERE ok = 1")}

    def responses(self, keys: Iterable[str] | None = None) -> dict[str, Response]:
        rows = self.db.execute("SELECT key, response FROM responses")
        wanted = set(keys) if keys is not None else None
        return {k: response_from_json(json.loads(v)) for k, v in rows
                if wanted is None or k in wanted}

    def iter_requests(self) -> Iterator[tuple[str, Request, Response]]:
        for key, req, resp in self.db.execute("SELECT key, request, response FROM responses"):
            yield key, request_from_json(json.loads(req)), response_from_json(json.loads(resp))

    def response_stats(self) -> dict[str, Any]:
        total, ok, attempts, seconds = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(ok),0), COALESCE(SUM(attempts),0), "
            "COALESCE(SUM(seconds),0) FROM responses").fetchone()
        return {"responses": total, "ok": ok, "failed": total - ok, "attempts": attempts,
                "model_seconds": round(seconds, 3)}

    # records ------------------------------------------------------------------------------
    def put_records(self, records: list[tuple[str, dict[str, Any]]]) -> None:
        with self.db:
            self.db.execute("DELETE FROM records")
            self.db.executemany("INSERT INTO records VALUES (?, ?)",
                                [(item_id, canonical_json(rec)) for item_id, rec in records])

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(r) for (r,) in self.db.execute("SELECT record FROM records ORDER BY rowid")]
