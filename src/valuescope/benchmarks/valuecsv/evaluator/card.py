"""The model card of a trained evaluator, and the checks that keep recipes' folders apart.

An evaluator folder holds ``valuecsv-evaluator.json`` (recipe, seed, split, settings, held-out
metrics, weights fingerprint) next to its weights and ``split.json``. A folder still being trained
holds ``training.json`` instead (recipe and settings), so an interrupted run can resume, and a
different recipe or setting cannot silently continue someone else's checkpoints.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path
from typing import Any

from valuescope import __version__
from valuescope.core.atomic import write_json
from valuescope.errors import DataFileError, UserError

CARD_NAME = "valuecsv-evaluator.json"
PROGRESS_NAME = "training.json"
FORMAT = "valuescope.valuecsv-evaluator/1"
RECIPES = ("linear", "binary-bert", "multilabel-bert")


def read(folder: Path) -> dict[str, Any]:
    """The card of a finished evaluator folder, or a one-line error saying what the folder is."""
    if not folder.is_dir():
        raise UserError(f"{folder}: no such evaluator folder (make one with `valuescope valuecsv "
                        "train --recipe linear --out DIR`)")
    path = folder / CARD_NAME
    if not path.is_file():
        if (folder / PROGRESS_NAME).is_file():
            progress = _read_json(folder / PROGRESS_NAME)
            raise UserError(f"{folder}: unfinished {progress.get('recipe', '?')} training; run "
                            "the same `valuescope valuecsv train` command again to finish it")
        raise UserError(f"{folder}: not a ValueCSV evaluator folder (no {CARD_NAME})")
    card = _read_json(path)
    if card.get("format") != FORMAT or card.get("recipe") not in RECIPES:
        raise DataFileError(path, f"not a ValueCSV evaluator card (format {FORMAT} with a recipe "
                            f"among {', '.join(RECIPES)} expected)")
    return card


def expect_recipe(folder: Path, card: dict[str, Any], recipe: str) -> None:
    if card["recipe"] != recipe:
        raise UserError(f"{folder}: holds a {card['recipe']} evaluator, not {recipe}")


def write(folder: Path, card: dict[str, Any]) -> None:
    card = {"format": FORMAT, **card, "valuescope_version": __version__,
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
    write_json(folder / CARD_NAME, card)


def prepare_output(folder: Path, recipe: str, settings: dict[str, Any]) -> bool:
    """Make ``folder`` ready for training; True when it holds this very training to resume.

    Refuses a finished evaluator, another recipe's (or other settings') checkpoints, and any
    other non-empty folder.
    """
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder}: exists and is not a folder")
    if (folder / CARD_NAME).is_file():
        held = _read_json(folder / CARD_NAME).get("recipe", "?")
        raise UserError(f"{folder}: already holds a finished {held} evaluator; choose another "
                        "--out (or delete the folder)")
    progress_path = folder / PROGRESS_NAME
    if progress_path.is_file():
        progress = _read_json(progress_path)
        if progress.get("recipe") != recipe:
            raise UserError(f"{folder}: holds checkpoints of the {progress.get('recipe')} recipe, "
                            f"not {recipe}; choose another --out")
        if progress.get("settings") != json.loads(json.dumps(settings)):
            changed = sorted(k for k in set(settings) | set(progress.get("settings", {}))
                             if progress.get("settings", {}).get(k) != settings.get(k))
            raise UserError(f"{folder}: an interrupted {recipe} training with other settings "
                            f"({', '.join(changed)}) is there; resume it with the same options "
                            "or choose another --out")
        return True
    if folder.is_dir() and any(folder.iterdir()):
        raise UserError(f"{folder}: not empty and not a ValueCSV training folder; choose another "
                        "--out")
    folder.mkdir(parents=True, exist_ok=True)
    if recipe != "linear":  # the linear recipe is too quick to need resuming
        progress_path.write_text(json.dumps({"recipe": recipe, "settings": settings,
                                             "finished_units": []}, indent=1), encoding="utf-8")
    return False


def read_progress(folder: Path) -> dict[str, Any]:
    return _read_json(folder / PROGRESS_NAME)


def write_progress(folder: Path, progress: dict[str, Any]) -> None:
    write_json(folder / PROGRESS_NAME, progress, ensure_ascii=True)


def fingerprint(root: Path, files: list[Path]) -> str:
    """sha256 over the files' paths (relative to ``root``) and contents: what identifies a
    trained evaluator wherever its folder lives."""
    from valuescope.sources import sha256_of

    lines = "".join(f"{path.relative_to(root).as_posix()} {sha256_of(path)}\n"
                    for path in files)
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def check_base(base: Path) -> None:
    """A --base folder must be a plain pretrained checkpoint, not one of our evaluator folders."""
    for name in (CARD_NAME, PROGRESS_NAME):
        if (base / name).is_file():
            recipe = _read_json(base / name).get("recipe", "?")
            raise UserError(f"{base}: is a ValueCSV evaluator folder (recipe {recipe}), not a "
                            "pretrained checkpoint; --base takes e.g. a bert-base-chinese download")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(path, f"cannot read it as JSON ({exc})") from None
    if not isinstance(data, dict):
        raise DataFileError(path, "expected a JSON object")
    return data
