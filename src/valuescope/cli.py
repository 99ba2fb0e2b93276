"""The ``valuescope`` command line. One sub-command per user task; heavy imports happen inside them.

User errors (bad spec, missing file, unreachable server, ...) print one line and exit with code 2;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from valuescope.errors import UserError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
    help="Measure how well a language model's values line up with people's: WorldValuesBench "
         "(and more) with any backend.\n\nStart with [bold]valuescope demo[/bold], then "
         "[bold]valuescope list[/bold] and [bold]valuescope run[/bold].")
data_app = typer.Typer(no_args_is_help=True, help="Upstream data files: fetch, verify, inspect.")
app.add_typer(data_app, name="data")



def _mount_benchmark_commands() -> None:
    """Each ``valuescope.benchmarks.<pkg>.commands`` module may define ``APPS = {name: Typer}``
    (e.g. ``wvb``); they become sub-commands. These modules import only typer at top level."""
    import importlib
    import pkgutil

    import valuescope.benchmarks as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.ispkg and (Path(package.__path__[0]) / module.name / "commands.py").is_file():
            commands = importlib.import_module(f"valuescope.benchmarks.{module.name}.commands")
            for name, sub_app in getattr(commands, "APPS", {}).items():
                app.add_typer(sub_app, name=name)


_mount_benchmark_commands()

_state = {"debug": False}
EXTRA = {"allow_extra_args": True, "ignore_unknown_options": True}
MODEL_HELP = ("openai/<name> (any OpenAI-compatible server; --base-url or OPENAI_BASE_URL, key "
              "from OPENAI_API_KEY), hf/<local path> (transformers; plain 'hf' = the embedded "
              "SmolLM2-135M-Instruct), baseline/uniform|random|majority")


@app.callback()
def _main(debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors.")) -> None:
    _state["debug"] = debug


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console()


def parse_benchmark_options(benchmark: Any, args: list[str]) -> dict[str, Any]:
    """``--name value`` / ``--name=value`` / ``--flag`` / ``--no-flag`` against declared options."""
    from valuescope.core.benchmark import coerce_option

    values: dict[str, Any] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        if not arg.startswith("--"):
            raise UserError(f"unexpected argument {arg!r}")
        name, has_value, raw = arg[2:].partition("=")
        negated = name.startswith("no-") and benchmark.option(name) is None
        option = benchmark.option(name[3:] if negated else name)
        if option is None:
            known = ", ".join(f"--{o.name}" for o in benchmark.options) or "none"
            raise UserError(f"unknown option --{name} for {benchmark.name}; it takes: {known}")
        if option.type is bool and not has_value:
            values[option.name] = not negated
        else:
            if not has_value:
                index += 1
                if index >= len(args):
                    raise UserError(f"--{name} needs a value")
                raw = args[index]
            try:
                values[option.name] = coerce_option(option, raw)
            except ValueError as exc:
                raise UserError(str(exc)) from None
        index += 1
    return values


@app.command("list")
def list_benchmarks() -> None:
    """Benchmarks, their variants (with item counts) and their options."""
    from rich.table import Table

    from valuescope.core import registry

    table = Table(title="valuescope benchmarks")
    for column in ("task", "items", "description"):
        table.add_column(column)
    for name in registry.names():
        benchmark = registry.get(name)
        for variant, description in benchmark.variants.items():
            count = benchmark.count_items(variant)
            table.add_row(f"{name}:{variant}", "-" if count is None else f"{count:,}", description)
    console = _console()
    console.print(table)
    for name in registry.names():
        benchmark = registry.get(name)
        console.print(f"\n[bold]{name}[/bold] options (after `valuescope run {name}:VARIANT`):")
        for option in benchmark.options:
            default = "" if option.default is None else f" [dim](default {option.default})[/dim]"
            console.print(f"  --{option.name}{default}: {option.help}")


@app.command(context_settings=EXTRA)
def run(
    ctx: typer.Context,
    task: Optional[str] = typer.Argument(None, help="BENCHMARK[:VARIANT], e.g. "
                                         "worldvaluesbench:probe (see `valuescope list`)."),
    model: str = typer.Option("hf", "--model", "-m", help=MODEL_HELP),
    judge: Optional[str] = typer.Option(None, help="Judge model for benchmarks with a judging "
                                        "stage (same spec forms; default: the evaluated model)."),
    limit: Optional[int] = typer.Option(None, help="Use only the first N items (spread over "
                                        "questions where the benchmark has them)."),
    out: Optional[Path] = typer.Option(None, help="Run folder (default runs/<task>-<model>)."),
    base_url: Optional[str] = typer.Option(None, help="OpenAI-compatible server URL "
                                           "(default $OPENAI_BASE_URL)."),
    max_connections: int = typer.Option(32, help="Requests in flight at most (HTTP backends)."),
    endpoint: str = typer.Option("auto", help="openai backend: chat, completions, or auto "
                                 "(chat for messages, completions for plain prompts)."),
    batch_size: Optional[int] = typer.Option(None, help="Batch size for local models."),
    threads: Optional[int] = typer.Option(None, help="CPU threads for local models (default: "
                                          "torch's; 1 is much faster when the CPU is shared)."),
    timeout: float = typer.Option(120.0, help="Seconds per model call before a retry."),
    max_retries: int = typer.Option(4, help="Retries per request before it is recorded as "
                                    "an error."),
    trust_remote_code: bool = typer.Option(False, help="Allow a local model's own code to run."),
    dry_run: bool = typer.Option(False, help="Only print how many requests and prompt tokens "
                                 "the run would send."),
    resume: Optional[Path] = typer.Option(None, help="Finish an interrupted run folder; sends "
                                          "only what it lacks."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Run a benchmark on a model. Benchmark options follow, e.g. --wvs FILE (see `valuescope list`).

    Running again into the same --out reuses every stored answer; `--resume DIR` finishes a run that
    was interrupted, with its original settings.
    """
    from valuescope.core import pipeline, registry
    from valuescope.core.runner import RunSettings
    from valuescope.models import spec as model_specs

    settings = RunSettings(max_connections=max_connections, timeout=timeout,
                           max_retries=max_retries)
    if resume is not None:
        entry = pipeline.execute(settings, resume, show_progress=not quiet)
        _print_summary(entry, resume)
        return
    if task is None:
        raise UserError("name a task, e.g. `valuescope run worldvaluesbench:probe --model hf`, "
                        "or --resume RUN_DIR")
    benchmark, variant = registry.parse_task_spec(task)
    options = parse_benchmark_options(benchmark, list(ctx.args))
    if endpoint not in ("auto", "chat", "completions"):
        raise UserError(f"--endpoint must be auto, chat or completions, not {endpoint!r}")
    backend_settings = dict(base_url=base_url or os.environ.get("OPENAI_BASE_URL"),
                            max_connections=max_connections, batch_size=batch_size,
                            trust_remote_code=trust_remote_code, endpoint=endpoint,
                            threads=threads)
    model_spec = model_specs.parse(model, **backend_settings)
    judge_spec = None if judge is None else model_specs.parse(judge, **backend_settings)
    config = pipeline.RunConfig(task=f"{benchmark.name}:{variant}", options=options,
                                model=model_spec, limit=limit, settings=settings,
                                judge=judge_spec)
    if dry_run:
        plan = pipeline.dry_run(config)
        console = _console()
        for key, value in plan.items():
            console.print(f"{key:>24}: {value:,}" if isinstance(value, int) else
                          f"{key:>24}: {value}")
        return
    run_dir = out or Path("runs") / _slug(f"{benchmark.name}-{variant}-{model}")
    entry = pipeline.execute(config, run_dir, show_progress=not quiet)
    _print_summary(entry, run_dir)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def _print_summary(entry: dict[str, Any], run_dir: Path) -> None:
    console = _console()
    summary = entry["metrics"].get("summary", {})
    shown = {k: v for k, v in summary.items() if not isinstance(v, (dict, list))}
    console.print(f"[bold]{entry['task']}[/bold] on {entry['model']['spec']}")
    for key, value in shown.items():
        console.print(f"  {key}: {value:.4g}" if isinstance(value, float) else f"  {key}: {value}")
    requests = entry["requests"]
    console.print(f"  requests: {requests['responses']} answered, {requests['failed']} failed")
    console.print(f"  results: {run_dir / 'results.json'}\n  report:  {run_dir / 'report.html'}")


@app.command(context_settings=EXTRA)
def rescore(ctx: typer.Context, run_dir: Path = typer.Argument(..., help="A run folder.")) -> None:
    """Score a run again from its stored answers (never calls the model). Scoring options such as
    --drop-out-of-range may change."""
    from valuescope.core import pipeline, registry
    from valuescope.core.store import Store

    store = Store.open_existing(run_dir)
    task = store.get_manifest().get("config", {}).get("task", "")
    store.close()
    benchmark, _ = registry.parse_task_spec(task) if task else (None, None)
    if benchmark is None:
        raise UserError(f"{run_dir}: the store has no run manifest")
    overrides = parse_benchmark_options(benchmark, list(ctx.args))
    entry = pipeline.rescore(run_dir, overrides)
    _print_summary(entry, run_dir)


@app.command()
def report(
    run_dirs: list[Path] = typer.Argument(..., help="One or more run folders (side by side)."),
    out: Path = typer.Option(Path("report.html"), help="HTML file to write."),
) -> None:
    """One self-contained HTML page (works offline) for one or several runs."""
    from valuescope.core.report import write_report

    write_report(run_dirs, out)
    _console().print(f"report: {out}")


@app.command()
def demo(
    full: bool = typer.Option(False, help="Every item instead of a small sample (slow on CPU)."),
    out: Path = typer.Option(Path("demo-run"), help="Run folder."),
    model: str = typer.Option("hf", "--model", "-m", help=MODEL_HELP),
    threads: Optional[int] = typer.Option(None, help="CPU threads for the local model."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Run every benchmark on the embedded SmolLM2 model (small samples; a few minutes on CPU)
    and write results.json + report.html."""
    from valuescope.demo import run_demo

    run_demo(out, model, full=full, show_progress=not quiet, threads=threads)


@data_app.command("check")
def data_check() -> None:
    """Show which upstream files are present locally and verified."""
    from rich.table import Table

    from valuescope import sources

    table = Table(title="upstream data files")
    for column in ("file", "status", "where"):
        table.add_column(column)
    for key in sources.SOURCES:
        if not any(path.is_file() for path in sources.candidates(key)):
            table.add_row(key, "missing", sources.SOURCES[key].url)
            continue
        try:
            path = sources.resolve(key, download=False)  # a check never downloads
            table.add_row(key, "[green]ok[/green]", str(path))
        except UserError:
            table.add_row(key, "[red]bad[/red]", sources.SOURCES[key].url)
    _console().print(table)


@data_app.command("pull")
def data_pull(only: Optional[str] = typer.Option(None, help="Only files whose key starts "
                                                 "with this, e.g. wvb/.")) -> None:
    """Download every upstream file from its pinned URL into the cache, verifying checksums."""
    from valuescope import sources

    console = _console()
    failures = 0
    for key in sources.SOURCES:
        if only and not key.startswith(only):
            continue
        try:
            path = sources.resolve(key, download=True)
            console.print(f"[green]ok[/green] {key} -> {path}")
        except UserError as exc:
            failures += 1
            console.print(f"[red]failed[/red] {key}: {exc}")
    if failures:
        raise UserError(f"{failures} file(s) could not be fetched (see above)")


def main() -> None:
    try:
        app()  # standalone: typer reports usage errors itself (exit code 2)
    except UserError as exc:
        if _state["debug"]:
            raise
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
