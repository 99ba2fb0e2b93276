"""Train the ``binary-bert`` or ``multilabel-bert`` evaluator from a local pretrained checkpoint.

One "unit" is one model: a dimension (binary recipe) or the single multi-label model. Every epoch
ends with a checkpoint (``checkpoints/<unit>``), and the best model so far is kept in ``<unit>/``;
rerunning the same command after an interruption resumes from the last finished epoch, skipping
finished units. Randomness is seeded per unit and epoch, so a resumed training ends with the same
weights as an uninterrupted one.

Deviations from the original scripts, all documented in the model card:
- the split is seeded and saved (the binary script's shuffle had no seed);
- early stopping watches the whole validation set's loss, unless ``last_batch_val_loss``
  reproduces the original's bug (the loss of the last validation batch only);
- each dimension starts from the base checkpoint (the script reused one model object in a loop);
- the multi-label model saves its first epoch even if its micro-F1 is 0 (the script would then
  have had no checkpoint to load).
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from valuescope.benchmarks.valuecsv import splits
from valuescope.benchmarks.valuecsv.data import Corpus
from valuescope.benchmarks.valuecsv.dimensions import DIMENSIONS, paper_class_weights
from valuescope.benchmarks.valuecsv.evaluator import card as cards
from valuescope.benchmarks.valuecsv.evaluator import checkpoint
from valuescope.benchmarks.valuecsv.evaluator.bert import (
    RECIPES,
    TOKENIZER_DIR,
    BertEvaluator,
    BertRecipe,
    batches,
    check_safetensors_folder,
    import_torch,
    load_classifier,
    load_tokenizer,
    pick_device,
    positive_probabilities,
    tokenize,
)
from valuescope.benchmarks.valuecsv.evaluator.metrics import classification_report
from valuescope.errors import DataFileError, UserError

MIN_TEXTS = 10
CHECKPOINTS_DIR = "checkpoints"
BINARY_SPLIT = {"train": 0.7, "validation": 0.2, "test": 0.1}


@dataclass
class Context:
    recipe: BertRecipe
    settings: dict[str, Any]
    corpus: Corpus
    split: splits.Split
    ids: list[list[int]]  # token ids of every corpus text
    pad_id: int
    base: Path
    out: Path
    device: str
    show_progress: bool


def settings_for(recipe: BertRecipe, base: Path, seed: int, epochs: int | None,
                 batch_size: int | None, max_length: int | None,
                 last_batch_val_loss: bool) -> dict[str, Any]:
    settings = {"seed": seed, "base": str(base.resolve()),
                "max_length": max_length or recipe.max_length,
                "batch_size": batch_size or recipe.batch_size,
                "learning_rate": recipe.learning_rate, "epochs": epochs or recipe.epochs,
                "patience": recipe.patience, "warmup_fraction": recipe.warmup_fraction,
                "shuffle_each_epoch": recipe.shuffle_each_epoch, "selection": recipe.selection,
                "optimizer": "Adam"}
    if recipe.kind == "binary":
        settings["last_batch_val_loss"] = last_batch_val_loss
    else:
        settings["class_weights"] = dict(zip(DIMENSIONS, paper_class_weights(), strict=True))
    return settings


def train(recipe_name: str, corpus: Corpus, out: Path, base: Path, seed: int = 0,
          device: str | None = None, epochs: int | None = None, batch_size: int | None = None,
          max_length: int | None = None, last_batch_val_loss: bool = False,
          show_progress: bool = True) -> dict[str, Any]:
    """Train (or finish training) into ``out``; return the model card."""
    recipe = RECIPES[recipe_name]
    if not base.is_dir():
        raise UserError(f"{base}: no such folder (--base takes a local pretrained checkpoint, "
                        "e.g. a bert-base-chinese download)")
    cards.check_base(base)
    check_safetensors_folder(base, "--base")
    import_torch()
    if last_batch_val_loss and recipe.kind != "binary":
        raise UserError("--last-batch-val-loss reproduces a bug of the binary script; it does not "
                        "apply to multilabel-bert")
    if len(corpus) < MIN_TEXTS:
        raise DataFileError(corpus.path, f"only {len(corpus)} texts; the BERT recipes need at "
                            f"least {MIN_TEXTS}")
    settings = settings_for(recipe, base, seed, epochs, batch_size, max_length,
                            last_batch_val_loss)
    resuming = cards.prepare_output(out, recipe.name, settings)
    if resuming:
        split = splits.load(out)
        splits.check_corpus(split, corpus.sha256, len(corpus), out)
    else:
        split = (splits.seeded(len(corpus), BINARY_SPLIT, seed, corpus.sha256)
                 if recipe.kind == "binary" else splits.sequential(len(corpus), corpus.sha256))
        splits.save(split, out)
    tokenizer = load_tokenizer(base)
    if not (out / TOKENIZER_DIR).is_dir():
        partial = out / f"{TOKENIZER_DIR}.new"
        shutil.rmtree(partial, ignore_errors=True)
        tokenizer.save_pretrained(partial)
        partial.rename(out / TOKENIZER_DIR)
    context = Context(recipe, settings, corpus, split,
                      tokenize(tokenizer, corpus.texts, settings["max_length"]),
                      tokenizer.pad_token_id or 0, base, out, pick_device(device), show_progress)
    started = time.perf_counter()
    progress = cards.read_progress(out)
    for column, unit in enumerate(recipe.units()):
        if unit in progress["finished_units"]:
            continue
        summary = _train_unit(context, unit, column)
        progress["finished_units"].append(unit)
        progress.setdefault("units", {})[unit] = summary
        cards.write_progress(out, progress)
    return _finish(context, progress, time.perf_counter() - started)


def _say(context: Context, text: str) -> None:
    if context.show_progress:
        from rich.console import Console

        Console(stderr=True).print(text)


def _train_unit(context: Context, unit: str, column: int) -> dict[str, Any]:
    torch, transformers = import_torch()
    from valuescope.core.progress import progress_bar

    recipe, settings = context.recipe, context.settings
    binary = recipe.kind == "binary"
    seed, epochs, size = settings["seed"], settings["epochs"], settings["batch_size"]
    torch.manual_seed(seed)  # the new classification head
    model = load_classifier(context.base, num_labels=2 if binary else len(DIMENSIONS))
    if not binary:
        model.config.problem_type = "multi_label_classification"
    model.to(context.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["learning_rate"])
    train_rows = context.split.parts["train"]
    steps = math.ceil(len(train_rows) / size)
    scheduler = None
    if settings["warmup_fraction"]:
        total = steps * epochs
        scheduler = transformers.get_linear_schedule_with_warmup(
            optimizer, int(total * settings["warmup_fraction"]), total)
    labels = context.corpus.labels
    target = (torch.tensor(labels[:, column], dtype=torch.long) if binary
              else torch.tensor(labels, dtype=torch.float32)).to(context.device)
    loss_fn = (torch.nn.CrossEntropyLoss() if binary else torch.nn.BCEWithLogitsLoss(
        weight=torch.tensor(paper_class_weights()).to(context.device)))
    state: dict[str, Any] = {"epoch": 0, "best": None, "bad_epochs": 0, "history": []}
    checkpoints = context.out / CHECKPOINTS_DIR / unit
    found = checkpoint.latest(checkpoints)
    if found is not None:
        state = checkpoint.load(found, model, optimizer, scheduler, context.device)
        _say(context, f"{unit}: resuming after epoch {state['epoch']}")
    for epoch in range(state["epoch"] + 1, epochs + 1):
        if state["bad_epochs"] >= settings["patience"]:
            break
        torch.manual_seed(seed * 1000 + epoch)  # dropout and shuffling, reproducible on resume
        order = ([train_rows[i] for i in torch.randperm(len(train_rows)).tolist()]
                 if settings["shuffle_each_epoch"] else train_rows)
        model.train()
        with progress_bar(f"{unit} epoch {epoch}/{epochs}", context.show_progress) as advance:
            advance(0, steps)
            for chosen, input_ids, mask in batches(context.ids, order, size, context.pad_id,
                                                   context.device):
                logits = model(input_ids=input_ids, attention_mask=mask).logits
                loss = loss_fn(logits, target[chosen])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                advance(1, steps)
        value = _validate(context, model, loss_fn, target)
        improved = state["best"] is None or (value <= state["best"] if binary
                                             else value > state["best"])
        if improved:
            new = context.out / f"{unit}.new"
            shutil.rmtree(new, ignore_errors=True)
            model.save_pretrained(new)
            checkpoint.replace_folder(new, context.out / unit)
            state.update(best=value, best_epoch=epoch, bad_epochs=0)
        else:
            state["bad_epochs"] += 1
        state["epoch"] = epoch
        state["history"].append({"epoch": epoch, "validation": value, "improved": improved})
        checkpoint.save(checkpoints, model, optimizer, scheduler, state)
        what = "loss" if binary else "micro-F1"
        _say(context, f"{unit} epoch {epoch}: validation {what} {value:.4f}"
             + (" (best so far, saved)" if improved else f" (no gain {state['bad_epochs']}×)"))
    for suffix in ("", ".old", ".new"):
        shutil.rmtree(checkpoints.with_name(checkpoints.name + suffix), ignore_errors=True)
    return {"epochs_run": state["epoch"], "best_epoch": state.get("best_epoch"),
            "best_validation": state["best"], "history": state["history"]}


def _validate(context: Context, model: Any, loss_fn: Any, target: Any) -> float:
    """Binary: validation cross-entropy (whole set, or the last batch under the bug option).
    Multi-label: validation micro-F1 at 0.5."""
    torch, _ = import_torch()
    rows = context.split.parts["validation"]
    binary = context.recipe.kind == "binary"
    total_loss, last_loss, predicted = 0.0, 0.0, []
    model.eval()
    with torch.no_grad():
        for chosen, input_ids, mask in batches(context.ids, rows, context.settings["batch_size"],
                                               context.pad_id, context.device):
            logits = model(input_ids=input_ids, attention_mask=mask).logits
            last_loss = float(loss_fn(logits, target[chosen]))
            total_loss += last_loss * len(chosen)
            if not binary:
                predicted.append((positive_probabilities("multilabel", logits) > 0.5).cpu()
                                 .numpy())
    if binary:
        return last_loss if context.settings["last_batch_val_loss"] else total_loss / len(rows)
    report = classification_report(context.corpus.labels[rows], np.concatenate(predicted))
    return float(report["micro"]["f1"])


def _deviations(context: Context) -> list[str]:
    notes = ["texts are padded to the longest text of each batch, not to the maximum length"]
    if context.recipe.kind == "binary":
        notes.append("seeded, saved 70/20/10 split (the original shuffle had no seed)")
        notes.append("each dimension starts from the base checkpoint")
        notes.append("ORIGINAL BUG REPRODUCED: early stopping watches the last validation batch's "
                     "loss" if context.settings["last_batch_val_loss"] else
                     "early stopping watches the whole validation set's loss (the original "
                     "used its last batch only)")
    else:
        notes.append("the first epoch is kept even if its micro-F1 is 0")
        notes.append("training batches are shuffled with a seed")
    return notes


def _finish(context: Context, progress: dict[str, Any], seconds: float) -> dict[str, Any]:
    out = context.out
    weight_files = sorted(out.glob("*/model.safetensors"))
    card: dict[str, Any] = {
        "recipe": context.recipe.name, "dimensions": list(DIMENSIONS),
        "seed": context.settings["seed"],
        "corpus": {"path": str(context.corpus.path), "sha256": context.corpus.sha256,
                   "texts": len(context.corpus)},
        "split": context.split.describe(), "settings": context.settings,
        "base": {"path": context.settings["base"],
                 "weights_sha256": cards.fingerprint(
                     context.base, sorted(context.base.glob("*.safetensors")))},
        "threshold": {"rule": "P > threshold", "values": dict.fromkeys(DIMENSIONS, 0.5)},
        "units": progress.get("units", {}),
        "files": [str(p.relative_to(out)) for p in weight_files],
        "weights_sha256": cards.fingerprint(out, weight_files),
        "training_seconds_last_session": round(seconds, 1),
        "deviations": _deviations(context)}
    evaluator = BertEvaluator(out, card, device=context.device)
    test = context.split.parts["test"]
    probs = evaluator.predict_proba([context.corpus.texts[i] for i in test])
    card["metrics"] = {"split": "test", **classification_report(context.corpus.labels[test],
                                                                 probs > evaluator.thresholds)}
    cards.write(out, card)
    (out / cards.PROGRESS_NAME).unlink(missing_ok=True)
    shutil.rmtree(out / CHECKPOINTS_DIR, ignore_errors=True)
    return card
