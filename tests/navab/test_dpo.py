"""DPO pairs (split, formats, held-out items) and a short DPO run on a tiny random model."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from valuescope.benchmarks.navab import data
from valuescope.benchmarks.navab.dpo import export_pairs


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_export_split_is_seeded_80_20_per_file_in_both_formats(tmp_path):
    summary = export_pairs("examples", tmp_path / "a", seed=3)
    assert summary["counts"] == {"China/official": {"rows": 40, "train": 32, "test": 8},
                                 "China/quoted": {"rows": 35, "train": 28, "test": 7}}
    again = export_pairs("examples", tmp_path / "b", seed=3)
    other = export_pairs("examples", tmp_path / "c", seed=4)
    assert again["row_indices"] == summary["row_indices"] != other["row_indices"]
    for key, split in summary["row_indices"].items():
        assert not set(split["train"]) & set(split["test"])
        assert len(split["train"]) + len(split["test"]) == summary["counts"][key]["rows"]

    official = data.read_items(data.locate("examples", source="official")[0]).rows
    train = _lines(tmp_path / "a" / "trl" / "train.jsonl")
    assert len(train) == 60 and set(train[0]) == {"prompt", "chosen", "rejected", "id", "nation",
                                                  "source"}
    first = official[summary["row_indices"]["China/official"]["train"][0]]
    assert train[0]["prompt"] == [{"role": "user", "content": first.q}]
    assert train[0]["chosen"] == [{"role": "assistant", "content": first.s}]
    assert train[0]["rejected"] == [{"role": "assistant", "content": first.rs}]

    factory_test = json.loads((tmp_path / "a" / "llamafactory" / "test.json").read_text())
    assert len(factory_test) == 15
    assert {r["source"] for r in factory_test} == {"official", "human"}
    assert set(factory_test[0]) == {"instruction", "input", "chosen", "rejected", "source"}
    info = json.loads((tmp_path / "a" / "llamafactory" / "dataset_info.json").read_text())
    assert info["navab_train"]["ranking"] is True

    heldout = data.locate(str(tmp_path / "a" / "heldout"))
    assert [(r.nation, r.source) for r in heldout] == [("China", "quoted"), ("China", "official")]
    held = data.read_items(heldout[1]).rows
    assert [r.s for r in held] == [official[i].s for i in
                                  summary["row_indices"]["China/official"]["test"]]


def test_align_dpo_end_to_end_on_a_tiny_model(tmp_path, tiny_dir):
    pytest.importorskip("trl")
    pytest.importorskip("peft")
    export_pairs("examples", tmp_path / "pairs", seed=0)
    out = tmp_path / "aligned"
    result = subprocess.run(
        [sys.executable, "-m", "valuescope.cli", "align", "dpo", "--model", f"hf/{tiny_dir}",
         "--pairs", str(tmp_path / "pairs"), "--out", str(out), "--steps", "2",
         "--batch-size", "2", "--max-length", "96", "--lora", "--learning-rate", "1e-2",
         "--quiet"], capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((out / "dpo_summary.json").read_text())
    assert summary["training"]["train_pairs"] == 60 and summary["training"]["last"]["step"] == 2
    assert summary["before"]["items"] == summary["after"]["items"] == 15
    assert summary["change"] == pytest.approx(summary["after"]["right_rate"]
                                              - summary["before"]["right_rate"])
    prefer = summary["pair_preference"]
    assert prefer["before"]["pairs"] == prefer["after"]["pairs"] == 15
    assert prefer["before"]["mean_margin"] != prefer["after"]["mean_margin"]
    # The merged model is a plain model folder that the hf backend loads; its weights changed.
    assert (out / "model" / "config.json").is_file()
    assert any((out / "model").glob("*.safetensors"))
    runs = json.loads((out / "results.json").read_text())["runs"]
    assert [r["alignment"]["stage"] for r in runs] == ["before", "after"]
    assert runs[0]["model"]["identity"]["weights_sha256"] != \
        runs[1]["model"]["identity"]["weights_sha256"]
    html = (out / "report.html").read_text()
    assert "DPO: held-out correct rate before and after" in html and "log P(S | Q)" in html
