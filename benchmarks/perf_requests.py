"""Request throughput: valuescope against a bare aiohttp client and two other harnesses.

Run with the project's interpreter: ``.venv/bin/python benchmarks/perf_requests.py [--n 1000]``.
Everything talks to ``valuescope.testing.mock_openai``, started as a separate process on 127.0.0.1:

(a) N short generations at zero latency, 64 connections: (i) bare aiohttp (request phase only),
    (ii) ``valuescope run perf-echo``, (iii) lm-evaluation-harness ``local-chat-completions`` and
    (iv) inspect_ai ``openai-api/...``, each of (ii)-(iv) timed as a whole command with start-up;
(b) the same at 100 ms latency: bare aiohttp and valuescope against the connections/latency
    ceiling (640 req/s for 64 connections);
(c) ``valuescope run`` again into the same --out: requests the mock received (must be 0) and the
    time against the first run;
(d) ``valuescope --help`` wall time.

Besides wall time, each row shows "req/s while sending": the same requests over the span from the
first to the last arrival at the mock, i.e. without start-up.

lm-eval and inspect-ai are installed into a throwaway venv, ``benchmarks/.work/harness-venv``
(git-ignored); whatever cannot be installed or run is reported as skipped, with the reason.
Prints a markdown table; ``--json FILE`` also saves the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Self

import aiohttp

WORK = Path(__file__).resolve().parent / ".work"
HARNESS_VENV = WORK / "harness-venv"
HARNESS_PACKAGES = {"lm-eval": ["lm-eval"], "inspect": ["inspect-ai", "openai"]}
HARNESS_IMPORTS = {"lm-eval": "lm_eval", "inspect": "inspect_ai"}
MAX_TOKENS = 16
COMMAND_TIMEOUT = 1200.0  # seconds for one harness command; the whole script stays bounded


def prompt(i: int) -> str:
    return f"Perf prompt number {i}: reply with a few words."


@dataclass
class Row:
    case: str
    seconds: float | None = None
    requests: int | None = None
    ratio: str = ""
    note: str = ""
    #: first-to-last request arrival at the mock: the request phase, without start-up
    span: float | None = None

    @property
    def rate(self) -> float | None:
        if self.seconds and self.requests:
            return self.requests / self.seconds
        return None

    @property
    def phase_rate(self) -> float | None:
        if self.span and self.requests and self.requests > 1:
            return (self.requests - 1) / self.span
        return None


# -- the mock server, as its own process -------------------------------------------------------


class MockProcess:
    """``python -m valuescope.testing.mock_openai`` on a free port; stopped on exit."""

    def __init__(self, latency: float):
        self.latency = latency
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> Self:
        log = WORK / f"mock-{self.latency:g}.log"
        with open(log, "w") as stderr:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "valuescope.testing.mock_openai", "--port", "0",
                 "--latency", str(self.latency)],
                stdout=subprocess.PIPE, stderr=stderr, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # it prints its URL once it listens
        if "listening on " not in line:
            self.__exit__()
            raise RuntimeError(f"mock server did not start (see {log})")
        self.base_url = line.split("listening on ", 1)[1].strip()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def _call(self, method: str, path: str) -> dict:
        url = self.base_url.removesuffix("/v1") + path
        request = urllib.request.Request(url, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        self._call("POST", "/mock/reset")

    def received(self) -> tuple[int, float | None]:
        """Requests received since the last reset, and the seconds from first to last."""
        stats = self._call("GET", "/mock/stats")
        return stats["total"], stats["span_seconds"]


# -- (i) bare aiohttp ---------------------------------------------------------------------------


async def _bare(base_url: str, n: int, connections: int) -> float:
    """Seconds to send n chat requests through ``connections`` workers on one session."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    failures = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        while not queue.empty():
            i = queue.get_nowait()
            body = {"model": "mock", "max_tokens": MAX_TOKENS, "temperature": 0,
                    "messages": [{"role": "user", "content": prompt(i)}]}
            async with session.post(f"{base_url}/chat/completions", json=body) as response:
                data = await response.json()
                failures += response.status != 200 or not data["choices"][0]["message"]
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(connections)))
        seconds = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{failures} bare requests failed")
    return seconds


def bare_aiohttp(mock: MockProcess, n: int, connections: int, case: str) -> Row:
    mock.reset()
    seconds = asyncio.run(_bare(mock.base_url, n, connections))
    received, span = mock.received()
    return Row(case, seconds, received, note="request phase only", span=span)


# -- commands -----------------------------------------------------------------------------------


def run_command(cmd: list[str], log_name: str, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> tuple[float, str | None]:
    """Wall seconds of ``cmd``, and None or why it failed (its output goes to a log file)."""
    log_path = WORK / log_name
    began = time.perf_counter()
    try:
        with open(log_path, "w") as log:
            result = subprocess.run(cmd, check=False, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})},
                                    cwd=cwd, timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - began, f"timed out after {COMMAND_TIMEOUT:g}s ({log_path})"
    seconds = time.perf_counter() - began
    if result.returncode != 0:
        tail = log_path.read_text(errors="replace").strip().splitlines()[-1:] or [""]
        return seconds, f"exit {result.returncode}: {tail[0][:160]} ({log_path})"
    return seconds, None


def timed_row(case: str, mock: MockProcess, cmd: list[str], log_name: str,
              env: dict[str, str] | None = None, cwd: Path | None = None) -> Row:
    mock.reset()
    seconds, problem = run_command(cmd, log_name, env, cwd)
    received, span = mock.received()
    note = f"failed: {problem}" if problem else "whole command"
    return Row(case, seconds, received, note=note, span=span)


# -- (ii) valuescope ----------------------------------------------------------------------------


def valuescope_exe() -> tuple[Path | None, str]:
    """The valuescope command beside this interpreter, if its ``run`` works; else why not."""
    exe = Path(sys.executable).parent / "valuescope"
    if not exe.exists():
        return None, f"no {exe}"
    probe = subprocess.run([str(exe), "run", "--help"], check=False, capture_output=True,
                           text=True, timeout=120)
    if probe.returncode != 0:
        return None, (probe.stderr.strip().splitlines() or ["`valuescope run --help` failed"])[-1]
    return exe, ""


def valuescope_cmd(exe: Path, base_url: str, n: int, connections: int, out: Path,
                   extra: list[str]) -> list[str]:
    return [str(exe), "run", "perf-echo", "--model", "openai/mock", "--base-url", base_url,
            "--limit", str(n), "--max-connections", str(connections), "--out", str(out), *extra]


# -- (iii) lm-eval and (iv) inspect_ai ----------------------------------------------------------


def ensure_harnesses(install: bool) -> dict[str, str | None]:
    """Harness name -> None when usable from HARNESS_VENV, else the reason it is not."""
    python = HARNESS_VENV / "bin" / "python"
    if not python.exists():
        if not install:
            return {name: f"no {HARNESS_VENV} (run without --no-install)"
                    for name in HARNESS_IMPORTS}
        subprocess.run([sys.executable, "-m", "venv", str(HARNESS_VENV)], check=True)
    status: dict[str, str | None] = {}
    for name, module in HARNESS_IMPORTS.items():
        if _imports(python, module):
            status[name] = None
            continue
        if not install:
            status[name] = f"{module} is not installed in {HARNESS_VENV}"
            continue
        print(f"installing {name} into {HARNESS_VENV} ...", file=sys.stderr)
        result = subprocess.run([str(python), "-m", "pip", "install", "-q",
                                 *HARNESS_PACKAGES[name]], check=False, capture_output=True,
                                text=True)
        errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
        ok = result.returncode == 0 and _imports(python, module)
        status[name] = None if ok else f"pip install failed: {(errors or ['?'])[-1][:160]}"
    return status


def _imports(python: Path, module: str) -> bool:
    probe = subprocess.run([str(python), "-c", f"import {module}"], check=False,
                           capture_output=True)
    return probe.returncode == 0


def write_prompts(n: int) -> Path:
    """The N prompts as jsonl ({"question", "answer"}), read by both harness tasks."""
    path = WORK / "prompts.jsonl"
    path.write_text("".join(json.dumps({"question": prompt(i), "answer": "x"}) + "\n"
                            for i in range(n)))
    return path


def lm_eval_row(case: str, mock: MockProcess, prompts: Path, connections: int) -> Row:
    task_dir = WORK / "lm-eval-task"
    task_dir.mkdir(exist_ok=True)
    (task_dir / "perf_echo.yaml").write_text(textwrap.dedent(f"""\
        task: perf_echo
        dataset_path: json
        dataset_kwargs:
          data_files:
            test: {prompts}
        test_split: test
        output_type: generate_until
        doc_to_text: "{{{{question}}}}"
        doc_to_target: "{{{{answer}}}}"
        generation_kwargs:
          until: []
          max_gen_toks: {MAX_TOKENS}
          temperature: 0
        metric_list:
          - metric: exact_match
            aggregation: mean
            higher_is_better: true
        """))
    model_args = (f"model=mock,base_url={mock.base_url}/chat/completions,"
                  f"num_concurrent={connections},max_retries=1,tokenizer_backend=None")
    cmd = [str(HARNESS_VENV / "bin" / "lm-eval"), "run", "--model", "local-chat-completions",
           "--model_args", model_args, "--tasks", "perf_echo", "--include_path", str(task_dir),
           "--apply_chat_template"]
    # Offline: the data is a local file; datasets' cache stays inside .work.
    env = {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(WORK / "hf")}
    return timed_row(case, mock, cmd, "lm-eval.log", env, cwd=task_dir)


def inspect_row(case: str, mock: MockProcess, prompts: Path, connections: int) -> Row:
    task_dir = WORK / "inspect-task"
    task_dir.mkdir(exist_ok=True)
    task = task_dir / "perf_echo_task.py"
    task.write_text(textwrap.dedent(f"""\
        from inspect_ai import Task, task
        from inspect_ai.dataset import FieldSpec, json_dataset
        from inspect_ai.scorer import exact
        from inspect_ai.solver import generate


        @task
        def perf_echo():
            dataset = json_dataset({str(prompts)!r}, FieldSpec(input="question", target="answer"))
            return Task(dataset=dataset, solver=generate(), scorer=exact())
        """))
    # A relative task path: inspect globs it, and absolute patterns are unsupported.
    cmd = [str(HARNESS_VENV / "bin" / "inspect"), "eval", task.name,
           "--model", "openai-api/mock/mock", "--max-connections", str(connections),
           "--max-tokens", str(MAX_TOKENS), "--log-dir", str(task_dir / "logs"),
           "--display", "plain"]
    # inspect's openai-api/<service>/<model> reads <SERVICE>_BASE_URL and <SERVICE>_API_KEY.
    env = {"MOCK_BASE_URL": mock.base_url, "MOCK_API_KEY": "unused"}
    return timed_row(case, mock, cmd, "inspect.log", env, cwd=task_dir)


# -- putting it together ------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="requests per case")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds, for case (b)")
    parser.add_argument("--only", default="bare,valuescope,lm-eval,inspect,latency,help",
                        help="comma-separated subset of the cases")
    parser.add_argument("--valuescope-args", default="",
                        help="extra arguments for `valuescope run`, e.g. '--timeout 30'")
    parser.add_argument("--no-install", action="store_true",
                        help="do not pip-install missing harnesses")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    only = set(args.only.split(","))
    n, connections = args.n, args.connections
    WORK.mkdir(exist_ok=True)
    extra = shlex.split(args.valuescope_args)
    exe, why_not = valuescope_exe() if only & {"valuescope", "latency", "help"} else (None, "")
    rows: list[Row] = []

    with MockProcess(latency=0.0) as mock:
        bare = None
        if "bare" in only:
            bare = bare_aiohttp(mock, n, connections, "(a-i) bare aiohttp")
            rows.append(bare)
        if "valuescope" in only:
            rows.extend(valuescope_rows(mock, exe, why_not, n, connections, extra))
        if only & {"lm-eval", "inspect"}:
            status = ensure_harnesses(install=not args.no_install)
            harnesses = (("lm-eval", "(a-iii) lm-eval local-chat-completions", lm_eval_row),
                         ("inspect", "(a-iv) inspect_ai openai-api", inspect_row))
            for name, case, make in harnesses:
                if name not in only:
                    continue
                if status[name]:
                    rows.append(Row(case, note=f"skipped: {status[name]}"))
                else:
                    rows.append(make(case, mock, write_prompts(n), connections))
        for row in rows:
            if bare and row is not bare and row.rate and bare.rate and not row.ratio:
                row.ratio = f"{row.rate / bare.rate:.2f}x bare aiohttp"

    if "latency" in only:
        ceiling = connections / args.latency
        with MockProcess(latency=args.latency) as slow:
            slow_rows = [bare_aiohttp(slow, n, connections,
                                      f"(b) bare aiohttp, {args.latency * 1000:g} ms")]
            if exe is None:
                slow_rows.append(Row("(b) valuescope run", note=f"valuescope runner not available "
                                                                 f"yet ({why_not})"))
            else:
                out = WORK / "vs-out-latency"
                shutil.rmtree(out, ignore_errors=True)
                slow_rows.append(timed_row(
                    f"(b) valuescope run, {args.latency * 1000:g} ms", slow,
                    valuescope_cmd(exe, slow.base_url, n, connections, out, extra),
                    "valuescope-latency.log"))
            for row in slow_rows:
                if row.rate:
                    row.ratio = f"{row.rate / ceiling:.2f} of the {ceiling:g} req/s ceiling"
            rows.extend(slow_rows)

    if "help" in only:
        rows.append(help_row(exe, why_not))

    print(table(rows, n, connections))
    if args.json:
        args.json.write_text(json.dumps(
            [{**asdict(r), "rate": r.rate, "phase_rate": r.phase_rate} for r in rows], indent=2))


def valuescope_rows(mock: MockProcess, exe: Path | None, why_not: str, n: int,
                    connections: int, extra: list[str]) -> list[Row]:
    """(a-ii) a fresh valuescope run, then (c) the same run again into the same --out."""
    if exe is None:
        note = f"valuescope runner not available yet ({why_not})"
        return [Row("(a-ii) valuescope run", note=note), Row("(c) valuescope re-run", note=note)]
    out = WORK / "vs-out"
    shutil.rmtree(out, ignore_errors=True)
    cmd = valuescope_cmd(exe, mock.base_url, n, connections, out, extra)
    first = timed_row("(a-ii) valuescope run", mock, cmd, "valuescope.log")
    if first.requests is not None and first.requests != n:
        first.note += f"; mock received {first.requests}, not {n}"
    again = timed_row("(c) valuescope re-run, same --out", mock, cmd, "valuescope-rerun.log")
    if again.seconds and first.seconds:
        again.ratio = f"{again.seconds / first.seconds:.2f}x first run's time"
    again.note += "; requests must be 0" if again.requests == 0 else "; REQUESTS SENT AGAIN"
    return [first, again]


def help_row(exe: Path | None, why_not: str) -> Row:
    if exe is None:
        return Row("(d) valuescope --help", note=f"valuescope runner not available yet ({why_not})")
    times = []
    for _ in range(5):
        seconds, problem = run_command([str(exe), "--help"], "valuescope-help.log")
        if problem:
            return Row("(d) valuescope --help", seconds, note=f"failed: {problem}")
        times.append(seconds)
    return Row("(d) valuescope --help", statistics.median(times), note="median of 5")


def table(rows: list[Row], n: int, connections: int) -> str:
    title = (f"{n} short generation requests, {connections} connections, mock on 127.0.0.1 "
             f"({os.cpu_count()} cores)")
    lines = [title, "",
             "| case | seconds | requests at mock | req/s | req/s while sending | ratio | note |",
             "| --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in rows:
        seconds = f"{r.seconds:.2f}" if r.seconds is not None else "-"
        requests = str(r.requests) if r.requests is not None else "-"
        rate = f"{r.rate:,.0f}" if r.rate else "-"
        phase = f"{r.phase_rate:,.0f}" if r.phase_rate else "-"
        lines.append(f"| {r.case} | {seconds} | {requests} | {rate} | {phase} | {r.ratio} "
                     f"| {r.note} |")
    lines += ["", "req/s = requests / seconds (whole command for valuescope and the harnesses); "
              "req/s while sending = the same requests over first-to-last arrival at the mock."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
