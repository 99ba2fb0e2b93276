"""``valuescope demo``: every benchmark on the embedded model, small by default.

Each benchmark runs into its own sub-folder (a normal run folder, resumable); the demo folder gets
a combined ``results.json`` and one ``report.html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from valuescope.core import pipeline
from valuescope.core.results import RESULTS_NAME, write_results
from valuescope.models import spec as model_specs


def demo_tasks() -> list[tuple[str, dict[str, Any], int]]:
    """(task, options, items in the small demo) declared by each benchmark, WorldValuesBench first."""
    from valuescope.core import registry

    return [(f"{name}:{variant}", options, limit) for name in registry.names()
            for variant, options, limit in registry.get(name).demo]


def run_demo(out: Path, model: str, full: bool = False, show_progress: bool = True,
             threads: int | None = None) -> None:
    from rich.console import Console

    console = Console()
    entries = []
    for index, (task, options, limit) in enumerate(demo_tasks(), start=1):
        subdir = f"{index:02d}-{task.replace(':', '-')}"
        config = pipeline.RunConfig(task=task, options=options,
                                    model=model_specs.parse(model, threads=threads),
                                    limit=None if full else limit)
        console.print(f"[bold]{task}[/bold] ({'all items' if full else f'{limit} items'}) "
                      f"on {model}")
        entry = pipeline.execute(config, out / subdir, show_progress=show_progress)
        entries.append({**entry, "subdir": subdir})
        summary = entry["metrics"].get("summary", {})
        console.print("  " + ", ".join(f"{k} = {v:.3g}" if isinstance(v, float) else f"{k} = {v}"
                                       for k, v in summary.items()
                                       if not isinstance(v, (dict, list))))
    write_results(out / RESULTS_NAME, entries)
    from valuescope.core.report import write_report

    write_report([out], out / "report.html")
    console.print(f"results: {out / RESULTS_NAME}\nreport:  {out / 'report.html'}")
