"""``valuescope navab ...`` (build items from news, check items files, export DPO pairs) and
``valuescope align dpo`` (train on the pairs, then evaluate before and after)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from valuescope.errors import UserError

NATIONS = ("China", "US", "UK", "France", "Germany")  # as in navab.data, kept light to import

navab_app = typer.Typer(no_args_is_help=True,
                        help="NaVAB tools: build items from a news corpus, check items files, "
                             "export DPO preference pairs.")
align_app = typer.Typer(no_args_is_help=True,
                        help="Align a local model on value preference pairs, then re-evaluate.")


def _nation(value: str) -> str:
    for nation in NATIONS:
        if value.lower() == nation.lower():
            return nation
    raise UserError(f"--nation expects one of {', '.join(NATIONS)}, got {value!r}")


@navab_app.command()
def build(
    corpus: Path = typer.Option(..., help="News articles, JSON Lines: {\"id\": ..., \"text\": "
                                "...} per line."),
    nation: str = typer.Option(..., help="Whose news: China, US, UK, France or Germany."),
    llm: str = typer.Option(..., help="The pipeline's LLM: openai/<name>, hf/<path>, hf."),
    out: Path = typer.Option(..., help="Folder for the stage files and the items (NaVAB layout)."),
    base_url: str | None = typer.Option(None, help="OpenAI-compatible server URL "
                                           "(default $OPENAI_BASE_URL)."),
    language: str | None = typer.Option(None, help="Language of the extracted statements "
                                           "(default: Chinese for China, else English)."),
    embedder: str = typer.Option("char-ngram", help="char-ngram (no model needed) or a local "
                                 "embedding model folder."),
    min_topic_size: int = typer.Option(50, help="Smallest topic; smaller clusters are outliers "
                                       "(the original HDBSCAN's min_cluster_size)."),
    topics: int | None = typer.Option(None, help="Number of clusters (default articles / "
                                         "min-topic-size)."),
    temperature: float = typer.Option(0.6, help="Sampling temperature (the original's 0.6)."),
    max_tokens: int = typer.Option(2048, help="Reply length limit (the original's 2048)."),
    seed: int = typer.Option(0, help="Seed for clustering and sampling."),
    original_filter: bool = typer.Option(False, help="Screen with the original's yes/no rule, "
                                         "bug included: any reply containing 'no' is dropped."),
    conflict_reduction: bool = typer.Option(True, help="Drop statements against a topic's "
                                            "dominant stance (--no-conflict-reduction: keep)."),
    neighbours: int = typer.Option(3, help="Conflict reduction: pairs judged per statement."),
    min_similarity: float = typer.Option(0.2, help="Conflict reduction: least cosine "
                                         "similarity of a judged pair."),
    max_connections: int = typer.Option(32, help="Requests in flight at most."),
    timeout: float = typer.Option(120.0, help="Seconds per model call before a retry."),
    max_retries: int = typer.Option(4, help="Retries per request."),
    quiet: bool = typer.Option(False, help="No progress bars."),
) -> None:
    """Build NaVAB items from a news corpus, stage by stage (cached, resumable)."""
    from valuescope.benchmarks.navab.pipeline.run import BuildConfig
    from valuescope.benchmarks.navab.pipeline.run import build as run_build
    from valuescope.core.runner import RunSettings
    from valuescope.models import spec as model_specs

    if min_topic_size < 1 or (topics is not None and topics < 1) or neighbours < 1:
        raise UserError("--min-topic-size, --topics and --neighbours must be at least 1")
    config = BuildConfig(
        corpus=corpus, nation=_nation(nation), out=out, language=language, embedder=embedder,
        llm=model_specs.parse(llm, base_url=base_url or os.environ.get("OPENAI_BASE_URL"),
                              max_connections=max_connections),
        min_topic_size=min_topic_size, topics=topics, temperature=temperature,
        max_tokens=max_tokens, seed=seed, original_filter=original_filter,
        conflict_reduction=conflict_reduction, neighbours=neighbours,
        min_similarity=min_similarity)
    summary = run_build(config, RunSettings(max_connections=max_connections, timeout=timeout,
                                            max_retries=max_retries), show_progress=not quiet)
    typer.echo(json.dumps(summary["counts"], indent=1, ensure_ascii=False))
    typer.echo(f"requests sent: {sum(summary['requests_sent'].values())}")
    for kind, path in summary["files"].items():
        typer.echo(f"{kind}: {path}")
    if not summary["files"]:
        typer.echo("no items were produced; see the stage files in " + str(out / "stages"))


@navab_app.command()
def check(
    data: str = typer.Option(..., help="hf, examples, or a NaVAB folder or items file."),
    nation: str = typer.Option("all", help="Only this nation."),
    source: str = typer.Option("all", help="Only quoted or official."),
) -> None:
    """Read items files and list every row left out or flagged, with its line."""
    from valuescope.benchmarks.navab.data import locate, read_items

    for ref in locate(data, nation if nation == "all" else _nation(nation), source):
        items = read_items(ref)
        typer.echo(f"{ref.path}: {ref.nation}/{ref.source}, {items.total} rows, "
                   f"{len(items.rows)} usable, revision {ref.revision or 'local'}")
        for problem in items.problems:
            what = "left out" if problem.excluded else "flagged"
            detail = f" ({problem.detail})" if problem.detail else ""
            typer.echo(f"  line {problem.line}: {problem.kind}{detail}, {what}")


@navab_app.command("dpo-export")
def dpo_export(
    data: str = typer.Option("hf", help="hf, examples, or a NaVAB folder or items file."),
    out: Path = typer.Option(..., help="Folder for the pairs."),
    nation: str = typer.Option("all", help="Only this nation."),
    seed: int = typer.Option(0, help="Seed of the per-file shuffle before the split."),
    test_fraction: float = typer.Option(0.2, help="Held-out share of each file."),
) -> None:
    """Preference pairs (prompt Q, chosen S, rejected RS), split 80/20 per file with a seed:
    TRL conversational JSONL, LLaMA-Factory JSON, and the held-out items in the NaVAB layout."""
    from valuescope.benchmarks.navab.dpo import export_pairs

    if not 0 < test_fraction < 1:
        raise UserError("--test-fraction must be between 0 and 1")
    summary = export_pairs(data, out, nation if nation == "all" else _nation(nation), seed,
                           test_fraction)
    typer.echo(json.dumps(summary["counts"], indent=1))
    typer.echo(f"wrote {out}")


@align_app.command()
def dpo(
    model: str = typer.Option(..., help="hf/<local model folder>, or hf for the embedded "
                              "SmolLM2."),
    pairs: Path = typer.Option(..., help="A `valuescope navab dpo-export` folder."),
    out: Path = typer.Option(..., help="Folder for the trained model, runs and report."),
    steps: int = typer.Option(60, help="Optimizer steps."),
    batch_size: int = typer.Option(4, help="Pairs per step."),
    learning_rate: float = typer.Option(5e-6, help="Learning rate (with LoRA, try 1e-4)."),
    beta: float = typer.Option(0.1, help="DPO beta."),
    lora: bool = typer.Option(False, help="Train LoRA adapters (needs peft), merged afterwards."),
    lora_rank: int = typer.Option(8, help="LoRA rank."),
    max_length: int = typer.Option(512, help="Tokens per prompt + answer at most."),
    seed: int = typer.Option(0, help="Training seed."),
    quiet: bool = typer.Option(False, help="No progress bars."),
) -> None:
    """DPO with TRL on the exported pairs, then navab:mc on the held-out 20 % before and after."""
    from valuescope.benchmarks.navab.dpo import DPOSettings, align

    if not model.startswith("hf"):
        raise UserError("--model must be a local model: hf/<folder> or hf (the embedded SmolLM2)")
    settings = DPOSettings(steps=steps, batch_size=batch_size, learning_rate=learning_rate,
                           beta=beta, lora=lora, lora_rank=lora_rank, max_length=max_length,
                           seed=seed)
    summary = align(model, pairs, out, settings, show_progress=not quiet)
    for stage in ("before", "after"):
        metrics = summary[stage]
        typer.echo(f"{stage}: correct rate {metrics['right_rate']} on {metrics['items']} "
                   "held-out items")
    prefer = summary["pair_preference"]
    typer.echo(f"held-out pairs preferring S (chat log-prob): {prefer['before']['rate']} -> "
               f"{prefer['after']['rate']}")
    typer.echo(f"change: {summary['change']}\nmodel: {summary['model_dir']}\n"
               f"report: {out / 'report.html'}")


APPS = {"navab": navab_app, "align": align_app}
