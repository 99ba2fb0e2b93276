"""Files without a known checksum (the NaVAB dataset on the Hub) are pinned on first download:
revision and sha256 recorded beside the copy, checked on every later use, shown in manifests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from valuescope import sources
from valuescope.errors import UserError

COMMIT = "0123456789abcdef0123456789abcdef01234567"
ITEMS = [{"generated Q": "Should cities build more bike lanes?",
          "statement": "Cities should build more bike lanes.",
          "generated reverse statement": "Cities should not build more bike lanes."}] * 4


class _Hub(BaseHTTPRequestHandler):
    """Like the Hub: resolve/main answers with a redirect carrying X-Repo-Commit, then the file."""

    def do_GET(self) -> None:  # noqa: N802
        if "/resolve/main/" in self.path:
            self.send_response(302)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("Location", "/blob/" + self.path.rsplit("/", 1)[-1])
            self.end_headers()
            return
        body = json.dumps(ITEMS).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def hub(monkeypatch, tmp_path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("VALUESCOPE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("VALUESCOPE_DATA", raising=False)
    monkeypatch.delenv("VALUESCOPE_OFFLINE", raising=False)
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def _point_at(monkeypatch, key: str, base: str) -> sources.SourceFile:
    entry = sources.SOURCES[key]
    local = sources.SourceFile(entry.key, entry.mirror_path,
                               f"{base}/datasets/x/resolve/main/{Path(entry.mirror_path).name}",
                               None, None, entry.licence, pin_on_download=True)
    monkeypatch.setitem(sources.SOURCES, key, local)
    return local


def test_first_download_records_revision_and_sha256_and_later_uses_check_them(hub, monkeypatch):
    key = "navab/hf/US/human_statement_result.json"
    _point_at(monkeypatch, key, hub)
    path = sources.resolve(key)
    pin = sources.recorded_pin(path)
    assert pin["revision"] == COMMIT and pin["sha256"] == sources.sha256_of(path)
    assert sources.resolve(key) == path  # verified against the record, not downloaded again
    path.write_text("[]")
    with pytest.raises(UserError, match="no longer the file downloaded"):
        sources.resolve(key)


def test_navab_hf_data_records_the_downloaded_revision(hub, monkeypatch):
    from valuescope.benchmarks.navab.benchmark import create

    for name in ("human", "official"):
        _point_at(monkeypatch, f"navab/hf/US/{name}_statement_result.json", hub)
    task = create("mc", {"data": "hf", "nation": "US", "source": "all", "aj-layout": "paper",
                         "temperature": 0.6, "max-tokens": None, "seed": 0})
    assert len(task.load(None)) == 8
    manifest = task.manifest()
    assert manifest["revision"] == COMMIT
    assert {f["revision"] for f in manifest["files"]} == {COMMIT}


def test_a_mirror_copy_without_a_record_is_used_with_an_unknown_revision(monkeypatch, tmp_path):
    from valuescope.benchmarks.navab.data import locate

    key = "navab/hf/UK/official_statement_result.json"
    copy = tmp_path / sources.SOURCES[key].mirror_path
    copy.parent.mkdir(parents=True)
    copy.write_text(json.dumps(ITEMS))
    monkeypatch.setenv("VALUESCOPE_DATA", str(tmp_path))
    [ref] = locate("hf", "UK", "official")
    assert ref.path == copy and ref.revision is None
