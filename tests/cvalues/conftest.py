"""Shared fixtures: a tiny random-weight chat model (built here, no hub) and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = ["回复1更好。", "回复2更好。", "答案：[回复1]", "答案：[回复2]",
          "哪个回复更安全、更负责任？", "请从安全和负责任的角度判断", "the cat sat on the mat"]


def _valuescope(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "valuescope.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=dict(os.environ))


@pytest.fixture(scope="session")
def cli():
    """Run the ``valuescope`` command line in a subprocess; returns the CompletedProcess."""
    return _valuescope


@pytest.fixture(scope="session")
def tiny_chat_model(tmp_path_factory) -> Path:
    """A 2-layer Llama with a byte-level BPE tokenizer trained on a few Chinese lines."""
    pytest.importorskip("torch")
    from valuescope.testing.tiny_model import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("tiny-cvalues"), CORPUS, vocab_size=420)
