"""Whole NaVAB runs through the CLI: answer judgment with separate answerer and judge, the
generate-and-parse variant against a chat-only mock, and the report comparing them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from valuescope.testing.mock_openai import serve_in_thread


def valuescope(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "valuescope.cli", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "OPENAI_API_KEY": "k"})


def reply(prompt: str) -> str:
    if prompt.startswith("This is a multiple choice question."):
        return "Answer: A"
    return f"<script>x</script> my view on: {prompt[:12]}"


def manifest(run_dir: Path) -> dict:
    db = sqlite3.connect(run_dir / "store.sqlite")
    try:
        return {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM manifest")}
    finally:
        db.close()


def test_aj_roles_mc_generate_and_agreement(tmp_path, tiny_dir):
    pytest.importorskip("torch")
    common = ["--data", "examples", "--limit", "8", "--quiet"]
    with serve_in_thread(script=reply) as server:
        aj = valuescope("run", "navab:aj", "--model", "openai/answerer", "--base-url",
                        server.base_url, "--judge", f"hf/{tiny_dir}", "--out",
                        str(tmp_path / "aj"), *common)
        assert aj.returncode == 0, aj.stderr
        # Only the answers came from the server (chat); the judge's scores did not.
        assert dict(server.counts.by_path) == {"/v1/chat/completions": 8}
        gen = valuescope("run", "navab:mc-generate", "--model", "openai/answerer", "--base-url",
                         server.base_url, "--out", str(tmp_path / "gen"), *common)
        assert gen.returncode == 0, gen.stderr
        assert server.counts.by_path["/v1/chat/completions"] == 16

    run = json.loads((tmp_path / "aj" / "results.json").read_text())["runs"][0]
    assert run["model"]["spec"] == "openai/answerer"
    assert run["judge"]["spec"] == f"hf/{tiny_dir}"
    stored = manifest(tmp_path / "aj")
    assert stored["model_identity"]["backend"] == "openai"
    assert stored["judge_identity"]["backend"] == "hf"
    assert "--judge" in stored["data"]["roles"]["judge"]
    assert run["metrics"]["summary"]["items"] == 8 and run["metrics"]["summary"]["undecided"] == 0

    gen_run = json.loads((tmp_path / "gen" / "results.json").read_text())["runs"][0]
    assert gen_run["metrics"]["counts"]["status"] == {"parsed": 8}
    # Every reply is A: right exactly on the pos-half items.
    assert gen_run["metrics"]["summary"]["pos_right_rate"] == 1.0
    assert gen_run["metrics"]["summary"]["neg_right_rate"] == 0.0

    out = tmp_path / "both.html"
    result = valuescope("report", str(tmp_path / "aj"), str(tmp_path / "gen"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    html = out.read_text()
    assert "Agreement between methods" in html and "Nation × source" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html
