"""``valuescope wvb ...``: build the respondent tables, make a synthetic file, score outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from valuescope.errors import UserError

wvb_app = typer.Typer(no_args_is_help=True,
                      help="WorldValuesBench tools: build tables from your WVS-7 file, make a "
                           "synthetic file, score an outputs file like the original evaluator.")


@wvb_app.command()
def build(
    wvs: Path = typer.Option(..., help="Your WVS-7 cross-national export: CSV, the zip it comes "
                             "in, SPSS .sav or Stata .dta."),
    out: Path = typer.Option(Path("wvb-build"), help="Folder for the Parquet tables."),
    tsv: bool = typer.Option(False, help="Also write the original {full,train,valid,test} TSVs."),
) -> None:
    """Build the respondent tables exactly as the original pipeline (drop, remaps, split)."""
    from valuescope.benchmarks.worldvaluesbench.build import build_tables, write_build
    from valuescope.benchmarks.worldvaluesbench.metadata import load_metadata

    if not wvs.is_file():
        raise UserError(f"{wvs}: no such file (given as --wvs)")
    tables = build_tables(wvs, load_metadata())
    write_build(tables, out, tsv=tsv)
    manifest = tables.manifest
    typer.echo(json.dumps({k: manifest[k] for k in manifest if k in (
        "synthetic", "rows", "examples")}, indent=1))
    typer.echo(f"wrote {out}")


@wvb_app.command()
def synth(
    respondents: int = typer.Option(6000, help="Number of respondents (the probe's 4,860 first)."),
    seed: int = typer.Option(0, help="Random seed."),
    out: Path = typer.Option(Path("synthetic-wvs7.csv"), help="CSV file to write."),
    extra_columns: int = typer.Option(0, help="Filler columns (a full-size file has ~600 in all)."),
) -> None:
    """Write a SYNTHETIC file in the WVS-7 CSV format whose answers depend on demographics."""
    from valuescope.benchmarks.worldvaluesbench.metadata import load_metadata
    from valuescope.benchmarks.worldvaluesbench.synth import synthesize

    if respondents < 1:
        raise UserError("--respondents must be at least 1")
    summary = synthesize(respondents, seed, out, load_metadata(), extra_columns=extra_columns)
    typer.echo(json.dumps(summary, indent=1, default=str))
    typer.echo(f"wrote {out} (SYNTHETIC data, not the World Values Survey)")


@wvb_app.command()
def score(
    outputs: Path = typer.Option(..., help="QUESTION_ID, PARTICIPANT_ID, SCORE (CSV or TSV)."),
    wvs: Path = typer.Option(..., help="WVS-7 file or a `wvb build` folder (the ground truth)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write {question: W1} here."),
) -> None:
    """Score an outputs file like the original evaluator: prints {question: W1}, then a summary."""
    from valuescope.benchmarks.worldvaluesbench.scoring import score_outputs

    per_question, summary = score_outputs(outputs, wvs)
    text = json.dumps(per_question, indent=4)
    typer.echo(text)
    if json_out is not None:
        json_out.write_text(text, encoding="utf-8")
    typer.echo(json.dumps(summary, indent=1))


APPS = {"wvb": wvb_app}
