"""Whole runs through the CLI against the mock OpenAI-compatible server on 127.0.0.1:
answers land in the store, kill -9 then --resume loses and repeats nothing, re-running hits the
cache, re-scoring never calls the model, and the report escapes model output."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from valuescope.testing.mock_openai import serve_in_thread

REPLY = '{"thoughtful explanation": "<script>alert(1)</script> family", "answer as a score": "2"}'


def valuescope(*args: str, env: dict | None = None, timeout: float = 300):
    return subprocess.run([sys.executable, "-m", "valuescope.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def stored_keys(run_dir: Path) -> set[str]:
    db = sqlite3.connect(run_dir / "store.sqlite")
    try:
        return {k for (k,) in db.execute("SELECT key FROM responses WHERE ok = 1")}
    except sqlite3.OperationalError:  # the run has created the file but not its tables yet
        return set()
    finally:
        db.close()


def run_args(base_url: str, out: Path, *extra: str) -> list[str]:
    return ["run", "worldvaluesbench:probe", "--model", "openai/mock", "--base-url", base_url,
            "--out", str(out), "--quiet", *extra]


def test_run_resume_cache_rescore_and_escaping(tmp_path):
    out = tmp_path / "run"
    with serve_in_thread(latency=0.02, script=[(r".", REPLY)]) as server:
        # 1. Start a run of 300 samples and kill -9 it part-way.
        args = [sys.executable, "-m", "valuescope.cli",
                *run_args(server.base_url, out, "--limit", "300", "--max-connections", "4")]
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 120
        while time.time() < deadline:
            time.sleep(0.2)
            if (out / "store.sqlite").exists() and len(stored_keys(out)) >= 40:
                break
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        before = stored_keys(out)
        assert 40 <= len(before) < 300, "the kill should land mid-run"
        received_before = server.counts.total

        # 2. Resume: only what the store lacks is sent; nothing is lost or duplicated.
        result = valuescope("run", "--resume", str(out), "--quiet")
        assert result.returncode == 0, result.stderr
        after = stored_keys(out)
        assert before <= after and len(after) == 300
        sent_on_resume = server.counts.total - received_before
        assert sent_on_resume == 300 - len(before)
        assert max(server.counts.repeated().values(), default=1) <= 2  # only in-flight at the kill
        results = json.loads((out / "results.json").read_text())
        run = results["runs"][0]
        assert run["metrics"]["counts"]["samples"] == 300
        assert run["requests"]["responses"] == 300
        assert run["data"]["synthetic"] is True

        # 3. Running the same command again sends nothing (the store is the cache).
        total = server.counts.total
        result = valuescope(*run_args(server.base_url, out, "--limit", "300",
                                      "--max-connections", "4"))
        assert result.returncode == 0, result.stderr
        assert server.counts.total == total

    # 4. Re-scoring needs no server at all, and may change scoring-only options.
    result = valuescope("rescore", str(out), "--drop-out-of-range")
    assert result.returncode == 0, result.stderr
    rescored = json.loads((out / "results.json").read_text())["runs"][0]
    assert rescored["options"]["drop-out-of-range"] is True
    assert rescored["metrics"]["summary"]["questions"] == 36

    # 5. The report shows model output as text, never as markup.
    html = (out / "report.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "SYNTHETIC" in html


def test_server_faults_are_retried_then_recorded(tmp_path):
    out = tmp_path / "run"
    with serve_in_thread(script=[(r".", REPLY)],
                         faults={"500": 0.15, "429": 0.1, "malformed": 0.05}, seed=3) as server:
        # Q1's two samples get a 400: not retryable, recorded as errors at once.
        server.fail_first("how important is family in your life", times=100, fault="400")
        result = valuescope(*run_args(server.base_url, out, "--limit", "72", "--max-retries", "6"),
                            "--timeout", "5")
    assert result.returncode == 0, result.stderr
    run = json.loads((out / "results.json").read_text())["runs"][0]
    counts = run["metrics"]["counts"]
    assert counts["samples"] == 72
    assert counts["errors"] == 2
    assert counts["status"].get("json", 0) == 70
    assert run["requests"]["failed"] == 2


def test_hanging_server_times_out_per_request(tmp_path):
    out = tmp_path / "run"
    with serve_in_thread(script=[(r".", REPLY)], hang_seconds=30) as server:
        server.fail_first("how important is family in your life", times=1, fault="hang")
        started = time.time()
        result = valuescope(*run_args(server.base_url, out, "--limit", "36", "--timeout", "1"))
    assert result.returncode == 0, result.stderr
    assert time.time() - started < 25
    run = json.loads((out / "results.json").read_text())["runs"][0]
    assert run["metrics"]["counts"]["status"] == {"json": 36}


@pytest.mark.parametrize("args,message", [
    (["run", "nope"], "unknown benchmark 'nope'"),
    (["run", "wvb", "--model", "gpt4"], "unknown model spec 'gpt4'"),
    (["run", "wvb:nope", "--model", "baseline/uniform"], "unknown variant 'nope'"),
    (["run", "wvb", "--model", "baseline/uniform", "--bogus", "1"], "unknown option --bogus"),
    (["run", "wvb", "--model", "baseline/uniform", "--wvs", "/no/such.csv"], "/no/such.csv"),
    (["run", "wvb", "--model", "openai/x", "--base-url", "http://127.0.0.1:9", "--limit", "2"],
     "cannot reach http://127.0.0.1:9"),
    (["report", "/no/such/run"], "no such run folder"),
])
def test_user_errors_exit_2_without_traceback(tmp_path, args, message):
    if "--limit" in args:
        args = [*args, "--out", str(tmp_path / "r")]
    result = valuescope(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_data_names_file_url_and_variable(tmp_path):
    result = valuescope("run", "wvb", "--model", "baseline/uniform", "--out", str(tmp_path / "r"),
                        env={"VALUESCOPE_DATA": str(tmp_path / "empty"),
                             "VALUESCOPE_CACHE": str(tmp_path / "cache"),
                             "VALUESCOPE_OFFLINE": "1"})
    assert result.returncode == 2
    assert "https://raw.githubusercontent.com/Demon702/WorldValuesBench/" in result.stderr
    assert "VALUESCOPE_DATA" in result.stderr and "Traceback" not in result.stderr


def test_corrupt_store_is_reported(tmp_path):
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    (run_dir / "store.sqlite").write_bytes(b"garbage" * 1000)
    result = valuescope("rescore", str(run_dir))
    assert result.returncode == 2 and "corrupt" in result.stderr


def test_api_key_never_stored(tmp_path):
    out = tmp_path / "run"
    secret = "sk-test-SECRET-123456"
    with serve_in_thread(script=[(r".", REPLY)], api_key=secret) as server:
        result = valuescope(*run_args(server.base_url, out, "--limit", "5"),
                            env={"OPENAI_API_KEY": secret})
    assert result.returncode == 0, result.stderr
    for path in out.iterdir():
        assert secret.encode() not in path.read_bytes(), path
