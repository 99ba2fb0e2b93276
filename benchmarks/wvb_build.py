"""Benchmark: valuescope's WVB build against a plain pandas version of the original pipeline.

Synthesises a full-size WVS-7 file (97,000 respondents, ~600 columns) into ``benchmarks/.work/``
then runs each pipeline in its own child process, measuring wall time (including interpreter
start and imports) and the child's peak RSS (``os.wait4``). Both write the original TSV layout;
the script checks that every TSV is byte-identical (hence the same split membership, row order and
value cells) and prints a markdown table.

Usage: ``.venv/bin/python benchmarks/wvb_build.py [--respondents N] [--columns N] [--repeat N]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "wvb_build"  # git-ignored
SPLITS = ("full", "train", "valid", "test")
DROPPED = 858069901


def _environment() -> None:
    os.environ.setdefault("VALUESCOPE_DATA", str((ROOT / ".." / "shared" / "seeds-data").resolve()))
    sys.path.insert(0, str(ROOT / "src"))


# ------------------------------------------------------------------------------ the two contenders

def run_valuescope(csv_path: Path, out_dir: Path) -> None:
    from valuescope.benchmarks.worldvaluesbench.build import build_tables, write_build
    from valuescope.benchmarks.worldvaluesbench.metadata import load_metadata

    write_build(build_tables(csv_path, load_metadata()), out_dir, tsv=True)


def run_pandas(csv_path: Path, out_dir: Path) -> None:
    """The original pipeline written the straightforward pandas way (reference spec §3).

    Only deviation: a blank or junk cell in an ordinal column becomes blank instead of crashing.
    """
    import pandas as pd

    from valuescope import sources

    def load(key: str) -> dict:
        with open(sources.resolve(key), encoding="utf-8") as handle:
            return json.load(handle)

    questions = load("wvb/question_metadata.json")
    codebook = load("wvb/codebook.json")
    adjustments = load("wvb/answer_adjustment.json")

    frame = pd.read_csv(csv_path, low_memory=False)
    frame = frame.loc[frame["D_INTERVIEW"] != DROPPED]
    keys = list(questions)
    frame = frame[keys]

    def integer_text(value):
        """'1.0' -> '1'; anything that is not a whole number is returned unchanged."""
        try:
            return str(int(value))
        except (TypeError, ValueError):
            pass
        try:
            number = float(value)
            return str(int(number)) if number == int(number) else value
        except (TypeError, ValueError, OverflowError):
            return value

    def adjust(value, key):
        value = integer_text(value)
        table = adjustments.get(key, {})
        if str(value) not in table:
            return value
        return int(table[str(value)]) if table[str(value)] else ""

    def finish(value, key):
        info = questions[key]
        if value == "" or (isinstance(value, float) and math.isnan(value)):
            return ""
        if info["answer_data_type"] == "non_ordinal":
            return codebook[key]["choices"].get(str(value), value)
        try:
            number = int(value)
        except (TypeError, ValueError):
            return ""  # junk: the original would crash here
        if number < 0:
            return ""
        if not info["answer_scale_min"] <= number <= info["answer_scale_max"]:
            print("out of range", key, number, file=sys.stderr)
        return number

    for key in keys:
        frame[key] = frame[key].map(lambda value, key=key: adjust(value, key))
    for key in keys:
        frame[key] = frame[key].map(lambda value, key=key: finish(value, key))

    demographic = [k for k in keys
                   if questions[k]["use_case"] == "demographic" and k != "D_INTERVIEW"]
    persona = frame[["D_INTERVIEW", *demographic]]
    value = frame[["D_INTERVIEW", *[k for k in keys if questions[k]["use_case"] == "value"]]]

    labels = list(value.index)
    random.seed(0)
    random.shuffle(labels)
    n = len(frame)
    train_end = int(0.7 * n)
    test_end = train_end + int(0.15 * n)
    parts = {"full": None, "train": labels[:train_end], "test": labels[train_end:test_end],
             "valid": labels[test_end:]}
    for split in SPLITS:
        folder = out_dir / split
        folder.mkdir(parents=True, exist_ok=True)
        rows = parts[split]
        for name, table in (("demographic", persona), ("value", value)):
            part = table if rows is None else table.loc[rows]
            part.to_csv(folder / f"{split}_{name}_qa.tsv", sep="\t", index=False)


# --------------------------------------------------------------------------------------- driver

def _child(kind: str, csv_path: Path, out_dir: Path, report: Path) -> None:
    _environment()
    start = time.perf_counter()
    (run_valuescope if kind == "valuescope" else run_pandas)(csv_path, out_dir)
    report.write_text(json.dumps({"compute_s": time.perf_counter() - start}))


def _measure(kind: str, csv_path: Path, out_dir: Path) -> dict:
    report = WORK / f"{kind}.json"
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "--child", kind, "--csv", str(csv_path),
                                "--out", str(out_dir), "--report", str(report)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if process.returncode:
        raise SystemExit(f"{kind} run failed (exit {process.returncode})")
    inner = json.loads(report.read_text())
    return {"wall_s": wall, "compute_s": inner["compute_s"], "peak_mb": usage.ru_maxrss / 1024}


def _compare(left: Path, right: Path) -> list[str]:
    """Names of the TSVs that differ (empty list: identical layout, rows, order and cells)."""
    differ = []
    for split in SPLITS:
        for name in ("demographic", "value"):
            relative = Path(split) / f"{split}_{name}_qa.tsv"
            if (left / relative).read_bytes() != (right / relative).read_bytes():
                differ.append(str(relative))
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=97_000)
    parser.add_argument("--columns", type=int, default=600, help="total columns of the CSV")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per pipeline (alternating); the fastest run is reported")
    parser.add_argument("--child", choices=["valuescope", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.csv, args.out, args.report)
        return

    _environment()
    import shutil

    import pandas
    import pyarrow

    from valuescope.benchmarks.worldvaluesbench.metadata import load_metadata
    from valuescope.benchmarks.worldvaluesbench.synth import synthesize

    meta = load_metadata()
    WORK.mkdir(parents=True, exist_ok=True)
    extra = max(0, args.columns - len(meta.codebook))
    csv_path = WORK / f"wvs7-synthetic-{args.respondents}-{args.columns}-seed{args.seed}.csv"
    start = time.perf_counter()
    summary = synthesize(args.respondents, args.seed, csv_path, meta, extra_columns=extra)
    synth_s = time.perf_counter() - start

    results: dict[str, dict] = {}
    for _ in range(args.repeat):
        for kind in ("pandas", "valuescope"):
            out_dir = WORK / f"out-{kind}"
            shutil.rmtree(out_dir, ignore_errors=True)
            run = _measure(kind, csv_path, out_dir)
            if kind not in results or run["wall_s"] < results[kind]["wall_s"]:
                results[kind] = run
    differ = _compare(WORK / "out-pandas", WORK / "out-valuescope")

    fast, slow = results["valuescope"], results["pandas"]
    size_mb = csv_path.stat().st_size / 1e6
    print(f"Input: synthetic WVS-7 CSV, {summary['rows']:,} rows (one dropped) x "
          f"{summary['columns']} columns, {size_mb:.0f} MB (synthesised in {synth_s:.1f} s). "
          f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"pandas {pandas.__version__}, pyarrow {pyarrow.__version__}; load average "
          f"{os.getloadavg()[0]:.1f} at the end; best of {args.repeat} run(s) each.")
    print()
    print("| pipeline | wall time (s) | compute time (s) | peak RSS (MB) |")
    print("|---|---:|---:|---:|")
    print(f"| plain pandas (original pipeline, read_csv + .map + to_csv) | {slow['wall_s']:.1f} | "
          f"{slow['compute_s']:.1f} | {slow['peak_mb']:.0f} |")
    print(f"| valuescope `build_tables` + `write_build(tsv=True)` | {fast['wall_s']:.1f} | "
          f"{fast['compute_s']:.1f} | {fast['peak_mb']:.0f} |")
    print(f"| **speed-up / memory ratio (pandas ÷ valuescope)** | "
          f"**{slow['wall_s'] / fast['wall_s']:.1f}×** | "
          f"**{slow['compute_s'] / fast['compute_s']:.1f}×** | "
          f"**{slow['peak_mb'] / fast['peak_mb']:.1f}×** |")
    print()
    if differ:
        print(f"Outputs DIFFER in {len(differ)} TSV(s): {', '.join(differ)}")
        raise SystemExit(1)
    print("All 8 TSVs ({full,train,valid,test} x {demographic,value}) are byte-identical: same "
          "split membership, row order and value cells.")


if __name__ == "__main__":
    main()
