"""ValueCSV test fixtures: small xlsx files written here, a tiny random-weight BERT with a
tokenizer trained here, and the default linear evaluator trained once per session (in a private
cache folder, so the user's and other tests' caches stay untouched)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from valuescope.benchmarks.valuecsv.dimensions import DIMENSIONS, FILE_ORDER, column_name

os.environ["HF_HUB_OFFLINE"] = "1"  # nothing may reach a model hub
HEADER = ["text"] + [column_name(d) for d in FILE_ORDER]


def _write(path: Path, rows: list[list[Any]], sheet: str = "Sheet1") -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    workbook.save(path)
    return path


@pytest.fixture(scope="session")
def write_xlsx() -> Callable[..., Path]:
    """write_xlsx(path, rows, sheet="Sheet1") -> path."""
    return _write


@pytest.fixture(scope="session")
def corpus():
    from valuescope.benchmarks.valuecsv.data import load_corpus

    return load_corpus()


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory, corpus) -> Path:
    """The first 30 real texts and labels in the file's own column order, plus a totals row."""
    rows: list[list[Any]] = [HEADER]
    for text, labels in zip(corpus.texts[:30], corpus.labels[:30], strict=True):
        by_name = dict(zip(DIMENSIONS, labels.tolist(), strict=True))
        rows.append([text] + [by_name[d] for d in FILE_ORDER])
    rows.append([None] + [f"=SUM({chr(66 + k)}2:{chr(66 + k)}31)" for k in range(12)])
    return _write(tmp_path_factory.mktemp("small") / "small.xlsx", rows)


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory, corpus) -> Path:
    """A random-weight BERT (masked-LM checkpoint, like bert-base-chinese) with a WordPiece
    tokenizer trained on a few corpus texts; Chinese characters split one by one."""
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    core = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    core.normalizer = normalizers.BertNormalizer(handle_chinese_chars=True, lowercase=True)
    core.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    core.train_from_iterator(corpus.texts[:200],
                             trainers.WordPieceTrainer(vocab_size=800, special_tokens=specials))
    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[(t, core.token_to_id(t))
                                                 for t in ("[CLS]", "[SEP]")])
    tokenizer = transformers.BertTokenizerFast(
        tokenizer_object=core, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]")
    config = transformers.BertConfig(
        vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-bert")
    transformers.BertForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def linear_cache(tmp_path_factory) -> Path:
    """A cache folder holding the default linear evaluator, trained through the real default
    path once per session."""
    from valuescope.benchmarks.valuecsv.evaluator.default import ensure_default

    cache = tmp_path_factory.mktemp("valuecsv-cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("VALUESCOPE_CACHE", str(cache))
    try:
        ensure_default(show_progress=False)
    finally:
        patch.undo()
    return cache


@pytest.fixture(scope="session")
def linear_dir(linear_cache) -> Path:
    folders = list((linear_cache / "valuecsv").glob("linear-*"))
    assert len(folders) == 1, folders
    return folders[0]
