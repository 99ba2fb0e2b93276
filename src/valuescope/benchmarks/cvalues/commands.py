"""``valuescope cvalues ...``: hand rows of a run to people for labelling."""

from __future__ import annotations

from pathlib import Path

import typer

from valuescope.errors import UserError

cvalues_app = typer.Typer(no_args_is_help=True,
                          help="CValues tools: export rows of a run for people to label.")


@cvalues_app.command("export-annotation")
def export_annotation(
    run_dir: Path = typer.Argument(..., help="A cvalues run folder."),
    out: Path = typer.Option(..., help="The .xlsx file to write."),
    all_rows: bool = typer.Option(False, "--all", help="Multiple choice: every row, not only "
                                  "the Need_Check ones (judged variants always export all)."),
) -> None:
    """Write the rows to label (sheet 'annotate') and the allowed labels or rubric (sheet 'guide');
    then `valuescope rescore RUN_DIR --annotations FILE.xlsx` recomputes every metric."""
    from valuescope.benchmarks.cvalues.labelling import export
    from valuescope.core.store import Store

    if out.suffix.lower() != ".xlsx":
        raise UserError(f"{out}: --out must end in .xlsx")
    store = Store.open_existing(run_dir)
    try:
        task = store.get_manifest().get("config", {}).get("task", "")
        records = store.records()
    finally:
        store.close()
    benchmark, _, variant = task.partition(":")
    if benchmark != "cvalues":
        raise UserError(f"{run_dir}: not a cvalues run ({task or 'no run manifest'})")
    if not records:
        raise UserError(f"{run_dir}: the run has no scored records yet; finish it with "
                        f"`valuescope run --resume {run_dir}`")
    count = export(records, variant, out, all_rows)
    typer.echo(f"wrote {count} row(s) to label into {out}")


APPS = {"cvalues": cvalues_app}
