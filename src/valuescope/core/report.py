"""One self-contained HTML page for one or several runs, side by side.

Each benchmark may provide ``valuescope.benchmarks.<name>.report.render(runs) -> html``; others get
a generic summary table. Model output reaches the page only through Jinja2 autoescaping or
``html.escape``, never raw.
"""

from __future__ import annotations

import datetime
import importlib
import json
from collections import defaultdict
from html import escape
from pathlib import Path
from typing import Any

from valuescope import __version__
from valuescope.core.results import read_results
from valuescope.core.store import STORE_NAME, Store
from valuescope.errors import UserError


def load_runs(run_dirs: list[Path]) -> list[dict[str, Any]]:
    runs = []
    for run_dir in run_dirs:
        if not run_dir.exists():
            raise UserError(f"{run_dir}: no such run folder")
        for entry in read_results(run_dir):
            folder = run_dir / entry.get("subdir", "")
            runs.append({**entry, "folder": str(folder), "records": _records(folder)})
    return runs


def _records(folder: Path) -> list[dict[str, Any]]:
    """Per-item records from the run's store, for examples in the report (empty if absent)."""
    if not (folder / STORE_NAME).is_file():
        return []
    store = Store(folder / STORE_NAME)
    try:
        return store.records()
    finally:
        store.close()


def generic_section(runs: list[dict[str, Any]]) -> str:
    rows = []
    for run in runs:
        summary = run["metrics"].get("summary", {})
        cells = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(json.dumps(v))}</td></tr>"
                        for k, v in summary.items())
        rows.append(f"<h3>{escape(run['task'])} — {escape(run['model']['spec'])}</h3>"
                    f"<table>{cells}</table>")
    return "".join(rows)


def _renderer(benchmark: str):  # type: ignore[no-untyped-def]
    try:
        module = importlib.import_module(f"valuescope.benchmarks.{benchmark.replace('-', '_')}.report")
    except ModuleNotFoundError:
        return generic_section
    return getattr(module, "render", generic_section)


def render(run_dirs: list[Path]) -> str:
    import jinja2

    runs = load_runs(run_dirs)
    by_benchmark: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        by_benchmark[run["benchmark"]].append(run)
    sections = [{"title": name, "html": _renderer(name)(group)}
                for name, group in by_benchmark.items()]
    template_text = (Path(__file__).with_name("report_template.html")).read_text(encoding="utf-8")
    template = jinja2.Environment(autoescape=True).from_string(template_text)
    return template.render(runs=runs, sections=sections, version=__version__,
                           generated=datetime.datetime.now().isoformat(timespec="seconds"))


def write_report(run_dirs: list[Path], out: Path) -> None:
    html = render(run_dirs)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
