"""Command-line behaviour that needs no server: help, list, dry run, data check, demo plumbing,
reports over several runs."""

import json
import os
import subprocess
import sys
import time

import pytest


def valuescope(*args: str, env: dict | None = None, timeout: float = 600):
    return subprocess.run([sys.executable, "-m", "valuescope.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def test_help_is_fast_and_lists_commands():
    started = time.perf_counter()
    result = valuescope("--help")
    elapsed = time.perf_counter() - started
    assert result.returncode == 0
    for command in ("run", "list", "report", "demo", "data", "wvb", "rescore"):
        assert command in result.stdout
    assert elapsed < 5  # generous for a loaded CI machine; benchmarks/perf_requests.py measures it
    assert "torch" not in valuescope("--help", env={"PYTHONVERBOSE": ""}).stderr


def test_list_shows_variants_counts_and_options():
    result = valuescope("list")
    assert result.returncode == 0, result.stderr
    assert "worldvaluesbench:probe" in result.stdout and "8,280" in result.stdout
    assert "--answer-mode" in result.stdout


def test_dry_run_counts_without_a_model():
    result = valuescope("run", "wvb:probe", "--model", "openai/never-called", "--base-url",
                        "http://127.0.0.1:9", "--dry-run", "--limit", "100")
    assert result.returncode == 0, result.stderr
    assert "requests: 100" in " ".join(result.stdout.split())
    assert "prompt_tokens_estimate" in result.stdout


def test_data_check_reports_every_file():
    result = valuescope("data", "check")
    assert result.returncode == 0, result.stderr
    assert "wvb/samples.tsv" in result.stdout and "ok" in result.stdout


def test_demo_writes_results_and_report(tmp_path):
    out = tmp_path / "demo"
    result = valuescope("demo", "--model", "baseline/uniform", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    runs = json.loads((out / "results.json").read_text())["runs"]
    assert runs[0]["task"] == "worldvaluesbench:probe"  # WorldValuesBench first
    assert all(run["requests"]["failed"] == 0 for run in runs)
    html = (out / "report.html").read_text()
    assert "worldvaluesbench" in html and "<svg" in html


def test_report_puts_runs_side_by_side(tmp_path):
    for model in ("baseline/uniform", "baseline/majority"):
        result = valuescope("run", "wvb:probe", "--model", model, "--limit", "72", "--quiet",
                            "--out", str(tmp_path / model.split("/")[1]))
        assert result.returncode == 0, result.stderr
    out = tmp_path / "both.html"
    result = valuescope("report", str(tmp_path / "uniform"), str(tmp_path / "majority"),
                        "--out", str(out))
    assert result.returncode == 0, result.stderr
    html = out.read_text()
    assert "#1 baseline/uniform" in html and "#2 baseline/majority" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # no CDN: offline


@pytest.mark.parametrize("bad", ["--limit", "--max-connections"])
def test_typer_usage_errors_exit_2(bad):
    result = valuescope("run", "wvb", "--model", "baseline/uniform", bad, "notanumber")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
