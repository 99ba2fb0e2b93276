"""The original's perplexity computation, for checking the fast scorer and for timing against it.

HF ``evaluate``'s "perplexity" metric with ``add_start_token=False``, as NaVAB calls it: each string
is tokenised without special tokens, batches are padded (with an existing special token when the
tokenizer has no pad token), every string's tokens after the first are scored, and its perplexity
is exp(mean negative log-likelihood). Two full strings per item: this is the slow path that
``navab:mc`` replaces with one shared-prefix score.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def original_perplexities(model: Any, tokenizer: Any, texts: Sequence[str],
                          batch_size: int = 16) -> list[float]:
    import torch

    if tokenizer.pad_token is None and batch_size > 1:
        specials = [t for t in tokenizer.all_special_tokens if t]
        tokenizer.add_special_tokens({"pad_token": specials[0]})
    device = next(model.parameters()).device
    result: list[float] = []
    loss = torch.nn.CrossEntropyLoss(reduction="none")
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            encoded = tokenizer(list(texts[start:start + batch_size]), add_special_tokens=False,
                                padding=True, return_tensors="pt", return_attention_mask=True)
            ids = encoded["input_ids"].to(device)
            mask = encoded["attention_mask"].to(device)
            logits = model(ids, attention_mask=mask).logits
            shift_mask = mask[..., 1:]
            nll = loss(logits[..., :-1, :].transpose(1, 2).float(), ids[..., 1:]) * shift_mask
            result += torch.exp(nll.sum(1) / shift_mask.sum(1)).tolist()
    return result
