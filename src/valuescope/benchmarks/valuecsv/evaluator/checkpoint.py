"""Epoch checkpoints for resumable BERT training: model, optimizer and schedule, without pickle.

A checkpoint folder holds ``model.safetensors`` (the weights after the epoch),
``optimizer.safetensors`` (Adam's moment tensors) and ``state.json`` (epoch, early-stopping state,
history, the optimizer's hyper-parameters and the schedule's counters). It is written beside the
old one and swapped in only when complete, so an interruption leaves the previous epoch intact.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

MODEL_NAME = "model.safetensors"
OPTIMIZER_NAME = "optimizer.safetensors"
STATE_NAME = "state.json"


def replace_folder(new: Path, final: Path) -> None:
    """Swap a completely written folder into place (the old one goes only after)."""
    old = final.with_name(final.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    new.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def latest(final: Path) -> Path | None:
    """The newest complete checkpoint, also after an interruption in the middle of a swap."""
    candidates = [final.with_name(final.name + suffix) for suffix in ("", ".old", ".new")]
    complete = [c for c in candidates if (c / STATE_NAME).is_file()]
    if not complete:
        return None
    return max(complete, key=lambda c: json.loads((c / STATE_NAME).read_text())["epoch"])


def save(final: Path, model: Any, optimizer: Any, scheduler: Any, state: dict[str, Any]) -> None:
    from safetensors.torch import save_file, save_model

    new = final.with_name(final.name + ".new")
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir(parents=True)
    save_model(model, str(new / MODEL_NAME))
    optimizer_state = optimizer.state_dict()
    tensors, scalars = {}, {}
    for param_id, values in optimizer_state["state"].items():
        for key, value in values.items():
            if hasattr(value, "contiguous"):
                tensors[f"{param_id}.{key}"] = value.detach().cpu().contiguous()
            else:
                scalars[f"{param_id}.{key}"] = value
    save_file(tensors, str(new / OPTIMIZER_NAME))
    payload = {**state, "optimizer": {"param_groups": optimizer_state["param_groups"],
                                      "scalars": scalars},
               "scheduler": scheduler.state_dict() if scheduler is not None else None}
    (new / STATE_NAME).write_text(json.dumps(payload), encoding="utf-8")  # written last
    replace_folder(new, final)


def load(folder: Path, model: Any, optimizer: Any, scheduler: Any,
         device: str) -> dict[str, Any]:
    """Restore model, optimizer and schedule from ``folder``; return the saved training state."""
    from safetensors.torch import load_file, load_model

    payload = json.loads((folder / STATE_NAME).read_text(encoding="utf-8"))
    load_model(model, str(folder / MODEL_NAME), device=device)
    state: dict[int, dict[str, Any]] = {}
    # Loaded on the CPU: the optimizer moves moments to its parameters' device itself, and wants
    # its step counters on the CPU.
    for name, tensor in load_file(str(folder / OPTIMIZER_NAME)).items():
        param_id, key = name.split(".", 1)
        state.setdefault(int(param_id), {})[key] = tensor
    for name, value in payload["optimizer"]["scalars"].items():
        param_id, key = name.split(".", 1)
        state.setdefault(int(param_id), {})[key] = value
    optimizer.load_state_dict({"state": state,
                               "param_groups": payload["optimizer"]["param_groups"]})
    if scheduler is not None and payload.get("scheduler") is not None:
        scheduler.load_state_dict(payload["scheduler"])
    return {k: v for k, v in payload.items() if k not in ("optimizer", "scheduler")}
