"""One run end to end: task -> requests -> runner -> store -> records -> results.json + report.

Running again into the same folder, or ``--resume``, sends only what the store lacks; ``rescore``
rebuilds records and results from the store without any model.
"""

from __future__ import annotations

import asyncio
import datetime
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from valuescope import __version__
from valuescope.core import registry
from valuescope.core.benchmark import Item, Task
from valuescope.core.requests import Generate, Request, cache_key
from valuescope.core.results import RESULTS_NAME, write_results
from valuescope.core.runner import RequestStats, RunSettings, run_requests
from valuescope.core.store import STORE_NAME, Store
from valuescope.errors import UserError
from valuescope.models import spec as model_specs


@dataclass
class RunConfig:
    task: str  # "benchmark:variant"
    options: dict[str, Any]
    model: model_specs.ModelSpec
    limit: int | None = None
    settings: RunSettings = field(default_factory=RunSettings)
    #: Second model for tasks with a judging stage (``--judge``); None = the evaluated model.
    judge: model_specs.ModelSpec | None = None

    def to_manifest(self) -> dict[str, Any]:
        return {"task": self.task, "options": self.options, "limit": self.limit,
                "model": self.model.to_manifest(),
                "judge": self.judge.to_manifest() if self.judge else None}

    @classmethod
    def from_manifest(cls, data: dict[str, Any], settings: RunSettings) -> RunConfig:
        return cls(task=data["task"], options=data["options"], limit=data["limit"],
                   model=_spec_from(data["model"]), settings=settings,
                   judge=_spec_from(data["judge"]) if data.get("judge") else None)


def _spec_from(data: dict[str, Any]) -> model_specs.ModelSpec:
    settings = dict(data)
    return model_specs.parse(settings.pop("spec"), **settings)


def make_task(config: RunConfig) -> Task:
    benchmark, variant = registry.parse_task_spec(config.task)
    return benchmark.create(variant, {**benchmark.defaults(), **config.options})


def _package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("numpy", "scipy", "pyarrow", "aiohttp", "torch", "transformers"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def dry_run(config: RunConfig) -> dict[str, Any]:
    """What a run would send, without loading a model: counts and a prompt-token estimate."""
    task = make_task(config)
    items = task.load(config.limit)
    requests = [r for item in items for r in task.requests(item)]
    unique = {cache_key({}, r): r for r in requests}
    texts = [_prompt_text(r) for r in unique.values()]
    plan = {"task": config.task, "items": len(items), "requests": len(requests),
            "unique_requests": len(unique), "prompt_chars": sum(len(t) for t in texts),
            "prompt_tokens_estimate": sum(_token_estimate(t) for t in texts),
            "max_new_tokens": sum(r.max_tokens for r in unique.values() if isinstance(r, Generate))}
    if hasattr(task, "judge_requests"):
        plan["judge"] = "plus the judge's requests once answers exist (not counted here)"
    return plan


def _prompt_text(request: Request) -> str:
    text = (request.prompt if request.prompt is not None
            else "".join(m.content for m in request.messages))
    if isinstance(request, Generate):
        return text
    return (text + request.prefix) * len(request.continuations) + "".join(request.continuations)


def _token_estimate(text: str) -> int:
    """About one token per CJK character and per four other characters (no tokenizer needed)."""
    wide = sum(1 for char in text if "\u2e80" <= char <= "\u9fff" or "\uac00" <= char <= "\ud7af")
    return round(wide + (len(text) - wide) / 4)


def _open_store(run_dir: Path, config: RunConfig | RunSettings) -> tuple[Store, RunConfig]:
    """The run's store and its config; given only settings, the run to resume is the stored one."""
    run_dir.mkdir(parents=True, exist_ok=True)
    store = Store(run_dir / STORE_NAME)
    previous = store.get_manifest().get("config")
    if isinstance(config, RunSettings):
        if previous is None:
            raise UserError(f"{run_dir}: nothing to resume (no run manifest in {STORE_NAME})")
        return store, RunConfig.from_manifest(previous, config)
    if previous is not None and previous != config.to_manifest():  # a new store has no manifest
        raise UserError(f"{run_dir} holds a different run ({previous['task']} with "
                        f"{previous['model']['spec']}); use another --out, or --resume {run_dir}")
    return store, config


def execute(config: RunConfig | RunSettings, run_dir: Path,
            show_progress: bool = True) -> dict[str, Any]:
    """Run (or finish) a task into ``run_dir``; return its results entry. Given only
    ``RunSettings`` it resumes the run stored there, with its original task, model and options."""
    store, config = _open_store(run_dir, config)
    try:
        task = make_task(config)
        items = task.load(config.limit)
        try:
            outcome = asyncio.run(_run_stages(task, items, store, config, show_progress))
        except KeyboardInterrupt:
            print(f"interrupted: every answer received so far is saved; finish with "
                  f"`valuescope run --resume {run_dir}`", file=sys.stderr)
            raise
        return finish(store, task, items, config, run_dir, *outcome)
    finally:
        store.close()


async def _run_stages(task: Task, items: list[Item], store: Store, config: RunConfig,
                      show_progress: bool) -> tuple[dict[str, Any], dict[str, Any] | None,
                                                    RequestStats, list[list[Request]]]:
    """Send the task's requests, then (for judged tasks) the judge's; close every model."""
    model = model_specs.build(config.model)
    judge = None
    try:
        per_item = [task.requests(item) for item in items]
        judged = hasattr(task, "judge_requests")
        if judged and config.judge is not None:
            judge = model_specs.build(config.judge)
        judge_identity = (judge or model).identity if judged else None
        store.set_manifest({
            "config": config.to_manifest(), "model_identity": model.identity,
            "model_path": getattr(model, "path", None),
            "judge_identity": judge_identity,
            "valuescope_version": __version__, "python": sys.version.split()[0],
            "platform": platform.platform(), "packages": _package_versions(),
            "data": task.manifest(),
            "created": store.get_manifest().get("created") or _now()})
        stats = await _send(model, store, [r for rs in per_item for r in rs], config,
                            f"{config.task} on {config.model.spec}", show_progress)
        if judged:
            answers = store.responses()
            judge_requests = task.judge_requests  # type: ignore[attr-defined]
            follow = [judge_requests(item, [answers.get(cache_key(model.identity, r)) for r in rs])
                      for item, rs in zip(items, per_item)]
            judge_stats = await _send(judge or model, store, [r for rs in follow for r in rs],
                                      config, f"judging with {(config.judge or config.model).spec}",
                                      show_progress)
            stats.sent += judge_stats.sent
            stats.failed += judge_stats.failed
        return model.identity, judge_identity, stats, per_item
    finally:
        await model.aclose()
        if judge is not None:
            await judge.aclose()


async def _send(model: Any, store: Store, requests: list[Request], config: RunConfig,
                label: str, show_progress: bool) -> RequestStats:
    from valuescope.core.progress import progress_bar

    with progress_bar(label, show_progress) as advance:
        return await run_requests(model, store, requests, config.settings, advance)


def finish(store: Store, task: Task, items: list[Item], config: RunConfig, run_dir: Path,
           identity: dict[str, Any], judge_identity: dict[str, Any] | None,
           stats: RequestStats | None, per_item: list[list[Request]] | None = None
           ) -> dict[str, Any]:
    """Score every item from the store, write results.json and report.html."""
    answers = store.responses()
    if per_item is None:
        per_item = [task.requests(item) for item in items]
    records = []
    for item, item_requests in zip(items, per_item):
        responses = [answers.get(cache_key(identity, r)) for r in item_requests]
        if judge_identity is None:
            record = task.score(item, responses)
        else:
            follow = task.judge_requests(item, responses)  # type: ignore[attr-defined]
            judged = [answers.get(cache_key(judge_identity, r)) for r in follow]
            record = task.score(item, responses, judged)  # type: ignore[call-arg]
        records.append((item.id, record))
    store.put_records(records)
    manifest = store.get_manifest()
    benchmark, _, variant = config.task.partition(":")
    entry = {
        "task": config.task, "benchmark": benchmark, "variant": variant,
        "model": {"spec": config.model.spec, "identity": identity},
        "judge": ({"spec": (config.judge or config.model).spec, "identity": judge_identity}
                  if judge_identity is not None else None),
        "options": config.options, "limit": config.limit, "data": manifest.get("data", {}),
        "valuescope_version": __version__, "created": manifest.get("created"),
        "requests": {**store.response_stats(),
                     **({"this_session": vars(stats)} if stats is not None else {})},
        "metrics": task.aggregate([r for _, r in records]),
    }
    write_results(run_dir / RESULTS_NAME, [entry])
    from valuescope.core.report import write_report

    write_report([run_dir], run_dir / "report.html")
    return entry


def rescore(run_dir: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """Rebuild records and results from the store; never calls a model."""
    store = Store.open_existing(run_dir)
    try:
        manifest = store.get_manifest()
        if "config" not in manifest:
            raise UserError(f"{run_dir}: the store has no run manifest")
        config = RunConfig.from_manifest(manifest["config"], RunSettings())
        benchmark, _ = registry.parse_task_spec(config.task)
        for name in overrides:
            option = benchmark.option(name)
            if option is None or not option.scoring_only:
                raise UserError(f"--{name} cannot change when re-scoring {config.task}; options "
                                "that may: " + ", ".join(
                                    f"--{o.name}" for o in benchmark.options if o.scoring_only))
        config.options = {**config.options, **overrides}
        task = make_task(config)
        items = task.load(config.limit)
        return finish(store, task, items, config, run_dir, manifest["model_identity"],
                      manifest.get("judge_identity"), None)
    finally:
        store.close()


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
