"""``valuescope valuecsv ...``: train and measure evaluators, score the reference answers, inspect
the data. Heavy libraries (torch, transformers, scikit-learn, openpyxl) load inside the commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from valuescope.errors import UserError

app = typer.Typer(no_args_is_help=True,
                  help="ValueCSV tools: train an evaluator (linear, binary-bert, multilabel-bert), "
                       "measure it, score the six reference models' answers, inspect the data.")
RECIPE_HELP = ("linear (TF-IDF + logistic regression; CPU, under a minute), binary-bert (the "
               "paper's Value-BERT: 12 two-class models) or multilabel-bert (M.Value-BERT)")


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console()


def _metrics_table(title: str, metrics: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=title)
    for column in ("dimension", "accuracy", "precision", "recall", "F1", "positives"):
        table.add_column(column, justify="left" if column == "dimension" else "right")
    for dim, values in metrics["per_dimension"].items():
        table.add_row(dim, *(f"{values[k]:.3f}" for k in ("accuracy", "precision", "recall",
                                                           "f1")), str(values["support"]))
    micro = metrics["micro"]
    table.add_section()
    table.add_row("micro", "", f"{micro['precision']:.3f}", f"{micro['recall']:.3f}",
                  f"{micro['f1']:.3f}", "")
    table.add_row("macro F1", "", "", "", f"{metrics['macro_f1']:.3f}", "")
    table.add_row("subset accuracy", f"{metrics['subset_accuracy']:.3f}", "", "", "", "")
    return table


@app.command()
def train(
    recipe: str = typer.Option(..., help=RECIPE_HELP),
    out: Path = typer.Option(..., help="New folder for the evaluator (or the folder of an "
                             "interrupted BERT training, to resume it)."),
    base: Path | None = typer.Option(None, help="BERT recipes: local pretrained checkpoint "
                                        "folder (e.g. bert-base-chinese; safetensors)."),
    seed: int = typer.Option(0, help="Seed for the split, initialisation and shuffling."),
    data: Path | None = typer.Option(None, help="Corpus xlsx (default: the pinned "
                                        "ValueCSV5000.xlsx)."),
    epochs: int | None = typer.Option(None, help="BERT: most epochs (paper: 20 binary, 15 "
                                         "multi-label)."),
    batch_size: int | None = typer.Option(None, help="BERT: batch size (paper: 64 / 8)."),
    max_length: int | None = typer.Option(None, help="BERT: tokens per text (paper: 128 / "
                                             "512)."),
    last_batch_val_loss: bool = typer.Option(False, help="binary-bert: reproduce the original "
                                             "bug - early stopping on the last validation "
                                             "batch's loss only."),
    device: str | None = typer.Option(None, help="BERT: torch device (default cuda if "
                                         "available, else cpu)."),
    quiet: bool = typer.Option(False, help="No progress bars."),
) -> None:
    """Train an evaluator; saves safetensors/npz weights, split.json and a JSON model card."""
    from valuescope.benchmarks.valuecsv.data import load_corpus
    from valuescope.benchmarks.valuecsv.evaluator.card import RECIPES

    if recipe not in RECIPES:
        raise UserError(f"unknown recipe {recipe!r}; choose {RECIPE_HELP}")
    if recipe == "linear":
        given = [name for name, value in (("--base", base), ("--epochs", epochs),
                                          ("--batch-size", batch_size),
                                          ("--max-length", max_length), ("--device", device))
                 if value is not None] + (["--last-batch-val-loss"] if last_batch_val_loss else [])
        if given:
            raise UserError(f"{', '.join(given)} apply to the BERT recipes, not linear")
        from valuescope.benchmarks.valuecsv.evaluator import linear

        card = linear.train(load_corpus(data), out, seed=seed, show_progress=not quiet)
    elif base is None:
        raise UserError(f"--recipe {recipe} needs --base, a local pretrained checkpoint folder "
                        "(e.g. bert-base-chinese downloaded with its safetensors weights)")
    else:
        from valuescope.benchmarks.valuecsv.evaluator import bert_train

        try:
            card = bert_train.train(recipe, load_corpus(data), out, base, seed=seed,
                                    device=device, epochs=epochs, batch_size=batch_size,
                                    max_length=max_length,
                                    last_batch_val_loss=last_batch_val_loss,
                                    show_progress=not quiet)
        except KeyboardInterrupt:
            print(f"interrupted; run the same command again to resume {out} from its last "
                  "finished epoch", file=sys.stderr)
            raise typer.Exit(130) from None
    console = _console()
    console.print(_metrics_table(f"{recipe} evaluator on its held-out {card['split']['kind']} "
                                 f"split ({card['metrics']['texts']} texts)", card["metrics"]))
    console.print(f"evaluator: {out}")


@app.command("eval-evaluator")
def eval_evaluator(
    folder: Path = typer.Argument(..., help="An evaluator folder from `valuescope valuecsv "
                                  "train`."),
    data: Path | None = typer.Option(None, help="The corpus it was trained on (default: the "
                                        "pinned ValueCSV5000.xlsx)."),
    json_out: Path | None = typer.Option(None, "--json", help="Where to write the metrics "
                                            "(default FOLDER/eval.json)."),
) -> None:
    """Per-dimension accuracy, precision, recall, F1, micro/macro F1 and subset accuracy on the
    evaluator's held-out split."""
    from valuescope.benchmarks.valuecsv.evaluator.evaluate import EVAL_NAME, heldout_metrics

    result = heldout_metrics(folder, data)
    target = json_out or folder / EVAL_NAME
    target.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    console = _console()
    console.print(_metrics_table(f"{result['evaluator']['recipe']} evaluator, held-out "
                                 f"{result['split']['kind']} split", result["metrics"]))
    console.print(f"written: {target}")


@app.command("score-references")
def score_references(
    evaluator: Path | None = typer.Option(None, help="Evaluator folder (default: the cached "
                                             "default linear evaluator)."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the value maps "
                                            "here."),
) -> None:
    """Score the six reference models' answers in quest100: their 12-dimension value maps."""
    from rich.table import Table

    from valuescope.benchmarks.valuecsv.data import load_questions
    from valuescope.benchmarks.valuecsv.dimensions import LEVELS
    from valuescope.benchmarks.valuecsv.evaluator import load
    from valuescope.benchmarks.valuecsv.evaluator.default import ensure_default
    from valuescope.benchmarks.valuecsv.metric import value_map
    from valuescope.benchmarks.valuecsv.references import score_references as score

    questions = load_questions()
    chosen = load(evaluator or ensure_default())
    scores = score(chosen, questions, show_progress=True)
    maps = {model: value_map([per_model[model] for per_model in scores["scores"].values()])
            for model in scores["models"]}
    table = Table(title=f"mean P(dimension) of the reference answers ({chosen.card['recipe']} "
                        "evaluator)")
    table.add_column("dimension", no_wrap=True)
    for model in maps:
        table.add_column(model, justify="right")
    for level, dims in LEVELS.items():
        for dim in dims:
            table.add_row(dim, *(f"{m['mean_p'][dim]:.3f}" for m in maps.values()))
        table.add_row(f"[bold]{level}[/bold]",
                      *(f"[bold]{m['levels'][level]['mean_p']:.3f}[/bold]" for m in maps.values()))
        table.add_section()
    table.add_row("answers / missing", *(f"{m['answers']} / {m['missing']}" for m in maps.values()))
    _console().print(table)
    if json_out is not None:
        json_out.write_text(json.dumps({"evaluator": str(chosen.directory), "value_maps": maps},
                                       indent=1), encoding="utf-8")
        _console().print(f"written: {json_out}")


@app.command()
def inspect(
    data: Path | None = typer.Option(None, help="Corpus xlsx (default: pinned file)."),
    questions: Path | None = typer.Option(None, help="Questions xlsx (default: pinned "
                                             "quest100.xlsx)."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the summary here."),
) -> None:
    """What the data holds: positives per dimension, labels per text, the duplicated texts and
    their disagreeing labels, and the questions' answers per reference model."""
    from valuescope.benchmarks.valuecsv.data import load_corpus, load_questions

    corpus, question_set = load_corpus(data), load_questions(questions)
    console = _console()
    summary = corpus.summary()
    console.print(f"[bold]{corpus.path}[/bold]: {len(corpus)} texts, rows without text dropped: "
                  f"{corpus.dropped_rows or 'none'}; {summary['labels_total']} labels")
    console.print("positives: " + ", ".join(f"{d} {n}" for d, n in summary["positives"].items()))
    console.print("labels per text: " + ", ".join(f"{k}: {v}" for k, v in
                                                  summary["labels_per_text"].items()))
    duplicates = corpus.duplicates()
    console.print(f"{len(duplicates)} duplicated text(s):")
    for duplicate in duplicates:
        disagree = ", ".join(duplicate["disagree"]) or "none"
        console.print(f"  rows {duplicate['rows']}: labels disagree on {disagree} — "
                      f"{duplicate['text'].strip()[:40]}…", markup=False)
    qs = question_set.summary()
    console.print(f"[bold]{question_set.path}[/bold]: {qs['questions']} questions; blank rows "
                  f"dropped: {qs['blank_rows_dropped'] or 'none'} ({qs['stray_answers_dropped']} "
                  f"stray answers); identical questions: {qs['duplicate_questions'] or 'none'}")
    for model, count in qs["answers"].items():
        console.print(f"  {model}: {count} answers, {qs['missing'][model]} missing", markup=False)
    if json_out is not None:
        json_out.write_text(json.dumps({"corpus": summary, "questions": qs}, indent=1,
                                       ensure_ascii=False), encoding="utf-8")


APPS = {"valuecsv": app}
