"""The two BERT recipes on a tiny random-weight BERT and 30 real texts: one short epoch each,
saved as safetensors with a card, reloaded, resumed after an interruption to the very same
weights, and kept apart from other recipes' folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from valuescope.benchmarks.valuecsv.data import load_corpus
from valuescope.benchmarks.valuecsv.dimensions import DIMENSIONS, paper_class_weights, slug
from valuescope.benchmarks.valuecsv.evaluator import checkpoint, load
from valuescope.benchmarks.valuecsv.evaluator.evaluate import heldout_metrics
from valuescope.errors import UserError

torch = pytest.importorskip("torch")
bert_train = pytest.importorskip("valuescope.benchmarks.valuecsv.evaluator.bert_train")
FAST = {"epochs": 1, "batch_size": 4, "max_length": 32, "show_progress": False}


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models on a shared 2-core machine: thread hand-offs cost more than the maths."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def weights(folder: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return {f"{p.parent.name}/{k}": v for p in sorted(folder.glob("*/model.safetensors"))
            for k, v in load_file(p).items()}


def test_binary_recipe_trains_saves_and_loads(tmp_path, small_corpus, tiny_bert):
    corpus = load_corpus(small_corpus)
    out = tmp_path / "binary"
    card = bert_train.train("binary-bert", corpus, out, tiny_bert, **FAST)
    assert card["recipe"] == "binary-bert" and card["split"]["sizes"] == {
        "train": 21, "validation": 6, "test": 3}
    assert card["settings"]["learning_rate"] == 1e-5 and card["settings"]["patience"] == 5
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(
        [slug(d) for d in DIMENSIONS] + ["tokenizer"])
    assert not list(out.rglob("*.bin")) and not list(out.rglob("*.pt"))
    assert not (out / "training.json").exists() and not (out / "checkpoints").exists()
    assert set(card["metrics"]["per_dimension"]) == set(DIMENSIONS)
    assert card["units"]["prosperity"]["epochs_run"] == 1

    evaluator = load(out)
    probs = evaluator.predict_proba(corpus.texts[:5])
    assert probs.shape == (5, 12) and ((probs > 0) & (probs < 1)).all()
    # The 12 models really differ (each started from the base with its own training labels).
    assert len({round(float(p), 6) for p in probs[0]}) > 1
    split = json.loads((out / "split.json").read_text())
    assert sorted(sum(split["parts"].values(), [])) == list(range(30))
    # eval-evaluator recomputes the card's held-out numbers from the saved folder.
    assert heldout_metrics(out, small_corpus)["metrics"] == card["metrics"]
    with pytest.raises(UserError, match="split was made for another corpus"):
        heldout_metrics(out)  # the pinned 4,999-text corpus


def test_multilabel_recipe_uses_sequential_split_and_paper_weights(tmp_path, small_corpus,
                                                                   tiny_bert):
    corpus = load_corpus(small_corpus)
    card = bert_train.train("multilabel-bert", corpus, tmp_path / "multi", tiny_bert, **FAST)
    split = json.loads((tmp_path / "multi" / "split.json").read_text())
    assert split["parts"]["train"] == list(range(21)) and split["parts"]["test"] == [27, 28, 29]
    assert list(card["settings"]["class_weights"].values()) == paper_class_weights()
    assert (tmp_path / "multi" / "multilabel" / "model.safetensors").is_file()
    assert load(tmp_path / "multi").predict_proba(["新华社北京电"]).shape == (1, 12)


def test_interrupted_training_resumes_to_the_same_weights(tmp_path, small_corpus, tiny_bert,
                                                          monkeypatch):
    corpus = load_corpus(small_corpus)
    options = {**FAST, "epochs": 2}
    bert_train.train("binary-bert", corpus, tmp_path / "straight", tiny_bert, **options)

    real_save, calls = checkpoint.save, []

    def save_then_stop(*args, **kwargs):
        real_save(*args, **kwargs)
        calls.append(args[0].name)
        if len(calls) == 3:  # prosperity finished (2 epochs), democracy after epoch 1
            raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "save", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        bert_train.train("binary-bert", corpus, tmp_path / "resumed", tiny_bert, **options)
    progress = json.loads((tmp_path / "resumed" / "training.json").read_text())
    assert progress["finished_units"] == ["prosperity"]
    with pytest.raises(UserError, match="unfinished binary-bert training"):
        load(tmp_path / "resumed")
    with pytest.raises(UserError, match="other settings"):
        bert_train.train("binary-bert", corpus, tmp_path / "resumed", tiny_bert,
                         **{**options, "epochs": 3})
    monkeypatch.setattr(checkpoint, "save", real_save)
    card = bert_train.train("binary-bert", corpus, tmp_path / "resumed", tiny_bert, **options)
    straight, resumed = weights(tmp_path / "straight"), weights(tmp_path / "resumed")
    assert straight.keys() == resumed.keys() and len(straight) > 12
    assert all(np.array_equal(straight[k], resumed[k]) for k in straight)
    assert card["units"]["democracy"]["epochs_run"] == 2


def test_last_batch_validation_loss_is_an_explicit_option(tmp_path, small_corpus, tiny_bert):
    corpus = load_corpus(small_corpus)
    fixed = bert_train.train("binary-bert", corpus, tmp_path / "fixed", tiny_bert, **FAST)
    buggy = bert_train.train("binary-bert", corpus, tmp_path / "buggy", tiny_bert,
                             last_batch_val_loss=True, **FAST)
    assert any("ORIGINAL BUG REPRODUCED" in note for note in buggy["deviations"])
    # Validation does not change training: both runs end epoch 1 with the same model, so each
    # recorded loss can be recomputed from it - over all 6 validation texts, or (the original's
    # bug) over the last batch of 4, i.e. the last 2 texts only.
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    rows = json.loads((tmp_path / "fixed" / "split.json").read_text())["parts"]["validation"]
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "fixed" / "tokenizer")
    for unit, column in (("prosperity", 0), ("freedom", 4)):
        model = AutoModelForSequenceClassification.from_pretrained(tmp_path / "fixed" / unit)
        encoded = tokenizer([corpus.texts[i] for i in rows], truncation=True, max_length=32,
                            padding=True, return_tensors="pt")
        with torch.no_grad():
            logits = model(**encoded).logits
        target = torch.tensor(corpus.labels[rows, column], dtype=torch.long)
        whole = float(torch.nn.functional.cross_entropy(logits, target))
        last = float(torch.nn.functional.cross_entropy(logits[4:], target[4:]))
        assert fixed["units"][unit]["history"][0]["validation"] == pytest.approx(whole, abs=1e-5)
        assert buggy["units"][unit]["history"][0]["validation"] == pytest.approx(last, abs=1e-5)
    with pytest.raises(UserError, match="does not apply to multilabel"):
        bert_train.train("multilabel-bert", corpus, tmp_path / "m", tiny_bert,
                         last_batch_val_loss=True, **FAST)


def test_folders_of_other_recipes_are_refused(tmp_path, small_corpus, tiny_bert):
    corpus = load_corpus(small_corpus)
    out = tmp_path / "multi"
    bert_train.train("multilabel-bert", corpus, out, tiny_bert, **FAST)
    with pytest.raises(UserError, match="already holds a finished multilabel-bert evaluator"):
        bert_train.train("binary-bert", corpus, out, tiny_bert, **FAST)
    with pytest.raises(UserError, match="is a ValueCSV evaluator folder"):
        bert_train.train("binary-bert", corpus, tmp_path / "b", out, **FAST)
    # A card claiming another recipe than the folder holds.
    card = json.loads((out / "valuecsv-evaluator.json").read_text())
    (out / "valuecsv-evaluator.json").write_text(json.dumps({**card, "recipe": "binary-bert"}))
    with pytest.raises(UserError, match="prosperity"):
        load(out)


def test_cli_reports_a_bad_base_in_one_line(tmp_path, small_corpus, tiny_bert):
    bad = tmp_path / "evaluator"
    bad.mkdir()
    (bad / "training.json").write_text(json.dumps({"recipe": "multilabel-bert"}))
    for base in (bad, tmp_path / "nowhere"):
        result = subprocess.run(
            [sys.executable, "-m", "valuescope.cli", "valuecsv", "train", "--recipe",
             "binary-bert", "--base", str(base), "--data", str(small_corpus), "--out",
             str(tmp_path / "out"), "--quiet"], capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert str(base) in result.stderr
