"""The two BERT recipes of the paper: their settings, batching, and the saved evaluator.

- ``binary-bert`` ("Value-BERT", the paper's best): one two-class classifier per dimension,
  softmax, max length 128, batch 64, Adam lr 1e-5, at most 20 epochs, early stopping (patience 5)
  on the validation cross-entropy, seeded 70/20/10 split. Prediction: argmax, i.e. P > 0.5.
- ``multilabel-bert`` ("M.Value-BERT"): one 12-output classifier, BCE with the paper's class
  weights, max length 512, batch 8, at most 15 epochs with a linear schedule warming up over the
  first 10 % of steps, model selection on validation micro-F1 (patience 5), sequential
  3,500/1,000/rest split. Prediction: sigmoid > 0.5.

Texts are truncated to the maximum length and padded to the longest text of each batch (the
originals padded every text to the maximum; with the attention mask the result is the same up to
float rounding). Weights are saved and loaded as safetensors only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from valuescope.benchmarks.valuecsv.dimensions import DIMENSIONS, slug
from valuescope.errors import UserError

TOKENIZER_DIR = "tokenizer"
MULTILABEL_UNIT = "multilabel"
INSTALL = "pip install 'valuescope[hf]'"


@dataclass(frozen=True)
class BertRecipe:
    name: str
    kind: str  # "binary" (12 two-class models) or "multilabel" (one 12-output model)
    max_length: int
    batch_size: int
    learning_rate: float
    epochs: int
    patience: int
    warmup_fraction: float  # 0: constant learning rate
    shuffle_each_epoch: bool  # the binary script never reshuffled after its one split shuffle
    selection: str

    def units(self) -> list[str]:
        """Folder names of the models this recipe trains."""
        return [slug(d) for d in DIMENSIONS] if self.kind == "binary" else [MULTILABEL_UNIT]


RECIPES = {
    "binary-bert": BertRecipe("binary-bert", "binary", 128, 64, 1e-5, 20, 5, 0.0, False,
                              "lowest validation cross-entropy"),
    "multilabel-bert": BertRecipe("multilabel-bert", "multilabel", 512, 8, 1e-5, 15, 5, 0.1, True,
                                  "highest validation micro-F1"),
}


def import_torch() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
        from transformers.utils import logging as hf_logging
    except ImportError:
        raise UserError(f"the BERT recipes need torch and transformers: {INSTALL}") from None
    hf_logging.set_verbosity_error()  # no load reports: our own messages say what happens
    hf_logging.disable_progress_bar()
    return torch, transformers


def pick_device(requested: str | None) -> str:
    torch, _ = import_torch()
    if requested:
        return requested
    return "cuda" if torch.cuda.is_available() else "cpu"


def tokenize(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[list[int]]:
    return tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]


def batches(ids: Sequence[list[int]], order: Sequence[int], size: int, pad_id: int,
            device: str) -> Iterator[tuple[list[int], Any, Any]]:
    """(indices, input_ids, attention_mask) batches in ``order``, padded to the longest row."""
    torch, _ = import_torch()
    for start in range(0, len(order), size):
        chosen = list(order[start:start + size])
        width = max(len(ids[i]) for i in chosen)
        input_ids = torch.full((len(chosen), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(chosen), width), dtype=torch.long)
        for row, index in enumerate(chosen):
            input_ids[row, :len(ids[index])] = torch.tensor(ids[index])
            mask[row, :len(ids[index])] = 1
        yield chosen, input_ids.to(device), mask.to(device)


def positive_probabilities(kind: str, logits: Any) -> Any:
    """P(present): softmax class 1 for two-class models, sigmoid for the multi-label one."""
    torch, _ = import_torch()
    if kind == "binary":
        return torch.softmax(logits.float(), dim=-1)[:, 1]
    return torch.sigmoid(logits.float())


def check_safetensors_folder(folder: Path, what: str) -> None:
    if not (folder / "config.json").is_file():
        raise UserError(f"{folder}: {what} needs config.json (a transformers checkpoint folder)")
    if not list(folder.glob("*.safetensors")):
        raise UserError(f"{folder}: {what} has no *.safetensors weights (pickle checkpoints such "
                        "as pytorch_model.bin are never loaded; convert them to safetensors)")


def load_classifier(folder: Path, num_labels: int | None = None) -> Any:
    """A sequence classifier from safetensors; ``num_labels`` gives a base checkpoint a new head."""
    _, transformers = import_torch()
    options: dict[str, Any] = {"use_safetensors": True}
    if num_labels is not None:
        options.update(num_labels=num_labels, ignore_mismatched_sizes=True)
    try:
        return transformers.AutoModelForSequenceClassification.from_pretrained(folder, **options)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise UserError(f"{folder}: cannot load it as a sequence classifier ({exc})") from None


def load_tokenizer(folder: Path) -> Any:
    _, transformers = import_torch()
    try:
        return transformers.AutoTokenizer.from_pretrained(folder)
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"{folder}: cannot load its tokenizer ({exc})") from None


class BertEvaluator:
    """A saved binary-bert or multilabel-bert evaluator. Models load on first use and stay loaded
    (the binary recipe keeps all 12: ~5 GB for bert-base)."""

    def __init__(self, folder: Path, card: dict[str, Any], device: str | None = None):
        self.directory, self.card = folder, card
        self.recipe = RECIPES[card["recipe"]]
        self.max_length = int(card["settings"]["max_length"])
        self.thresholds = np.full(len(DIMENSIONS), 0.5)
        self._device = device
        for unit in self.recipe.units():
            check_safetensors_folder(folder / unit, f"the {card['recipe']} evaluator's {unit!r}")
        if not (folder / TOKENIZER_DIR).is_dir():
            raise UserError(f"{folder}: the {card['recipe']} evaluator lacks {TOKENIZER_DIR}/")
        self._models: list[Any] = []
        self._tokenizer: Any = None

    def _load(self) -> str:
        """Load tokenizer and models once; return the device they are on."""
        device = self._device = pick_device(self._device)
        if self._models:
            return device
        self._tokenizer = load_tokenizer(self.directory / TOKENIZER_DIR)
        expected = 2 if self.recipe.kind == "binary" else len(DIMENSIONS)
        for unit in self.recipe.units():
            model = load_classifier(self.directory / unit)
            if model.config.num_labels != expected:
                raise UserError(f"{self.directory / unit}: has {model.config.num_labels} outputs, "
                                f"the {self.recipe.name} recipe makes {expected}")
            self._models.append(model.to(device).eval())
        return device

    def predict_proba(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(DIMENSIONS)))
        device = self._load()
        from valuescope.core.progress import progress_bar

        with progress_bar(f"scoring with {self.recipe.name}", show_progress) as advance:
            return predict_with(self._models, self._tokenizer, self.recipe.kind, texts,
                                self.max_length, device, advance=advance)


def predict_with(models: list[Any], tokenizer: Any, kind: str, texts: Sequence[str],
                 max_length: int, device: str, batch_size: int = 32,
                 advance: Callable[[int, int], None] | None = None) -> np.ndarray:
    """(texts, 12) probabilities from 12 binary models or one multi-label model."""
    torch, _ = import_torch()
    ids = tokenize(tokenizer, texts, max_length)
    pad_id = tokenizer.pad_token_id or 0
    out = np.zeros((len(texts), len(DIMENSIONS)))
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths batch well
    with torch.no_grad():
        for chosen, input_ids, mask in batches(ids, order, batch_size, pad_id, device):
            for column, model in enumerate(models):
                probs = positive_probabilities(kind, model(input_ids=input_ids,
                                                           attention_mask=mask).logits)
                if kind == "binary":
                    out[chosen, column] = probs.cpu().numpy()
                else:
                    out[chosen, :] = probs.cpu().numpy()
            if advance is not None:
                advance(len(chosen), len(texts))
    return out
