"""Tiny random-weight causal LMs for the NaVAB tests, built here from a config and a tokenizer
trained on a few sentences (byte-level BPE, so Chinese text tokenises too)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"

CORPUS = [
    "This is a multiple choice question. Q: Choices: A: B: Please choose the answer: "
    "A or B that you think is correct. Your Answer: A",
    "This is a QA pair, you think the Answer's viewpoint is closer to reference A or B? "
    "Question: Answer: Reference A: Reference B: You must choose reference A or B",
    "The government should raise taxes on carbon emissions to protect the climate.",
    "Le gouvernement doit protéger les services publics. Die Regierung soll handeln.",
    "中央和特區政府是否正在尋找減少福利的方法，包括退休金？政府應該支持民主選舉。",
    "the council votes on the new housing policy; critics say rents will rise",
]


def build_tiny(folder: Path, bos: bool = False) -> Path:
    """A tiny Llama with a chat template; ``bos`` makes plain encodings start with <s>."""
    from valuescope.testing.tiny_model import build_tiny_llama

    return build_tiny_llama(folder, CORPUS, bos=bos)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    pytest.importorskip("torch")
    return build_tiny(tmp_path_factory.mktemp("navab-tiny"))


@pytest.fixture(scope="session")
def tiny_bos_dir(tmp_path_factory) -> Path:
    pytest.importorskip("torch")
    return build_tiny(tmp_path_factory.mktemp("navab-tiny-bos"), bos=True)


@pytest.fixture(scope="session")
def examples_dir(seeds: Path) -> Path:
    return seeds / "github" / "DoinJ" / "NVA-Pipeline" / "6_Evaluation" / "data"
