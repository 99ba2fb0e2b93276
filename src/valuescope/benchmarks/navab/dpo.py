"""NaVAB's alignment experiment: preference pairs from the items, DPO with TRL, and the held-out
correct rate before and after.

Export (spec section 6): per items file, a seeded shuffle and an 80/20 split; chosen = S,
rejected = RS, prompt = Q. Written three ways:

- ``trl/{train,test}.jsonl``: TRL's conversational preference format (``prompt`` a user turn,
  ``chosen``/``rejected`` assistant turns), plus ``id``, ``nation``, ``source``;
- ``llamafactory/{train,test}.json`` + ``dataset_info.json``: the original's LLaMA-Factory schema
  (``instruction``, ``input``, ``chosen``, ``rejected``; test rows tagged ``source`` official or
  human), train = official then human rows of each nation, as the original;
- ``heldout/<Nation>/{human,official}_statement_result.json``: the test rows in the NaVAB layout,
  so ``valuescope run navab:mc --data DIR/heldout`` evaluates them.

``align``: ``navab:mc`` on the held-out items with the base model, DPO (``DPOTrainer``; full
fine-tuning, or LoRA merged back), ``navab:mc`` again with the trained model, one report. Beside
the MC correct rate it measures DPO's own target on the held-out pairs: the share where, after
the chat turn Q, the model gives S a higher log-probability than RS.
"""

from __future__ import annotations

import random
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from valuescope.benchmarks.navab import data as navab_data
from valuescope.core.atomic import write_json
from valuescope.core.datafiles import read_jsonl
from valuescope.errors import UserError

ORIGINAL_SOURCE = {"quoted": "human", "official": "official"}


def split_rows(rows: list[navab_data.Row], key: str, seed: int, test_fraction: float
               ) -> tuple[list[navab_data.Row], list[navab_data.Row]]:
    """(train, test): a shuffle seeded by ``seed`` and the file's key, then the first
    ⌊n (1 - test_fraction)⌋ rows for training, as the original's 80/20 cut."""
    order = list(rows)
    random.Random(f"{seed}:{key}").shuffle(order)
    cut = int(len(order) * (1 - test_fraction))
    return order[:cut], sorted(order[cut:], key=lambda r: r.index)


def export_pairs(data: str, out: Path, nation: str = "all", seed: int = 0,
                 test_fraction: float = 0.2) -> dict[str, Any]:
    files = [navab_data.read_items(ref) for ref in navab_data.locate(data, nation, "all")]
    trl: dict[str, list[dict[str, Any]]] = {"train": [], "test": []}
    factory: dict[str, list[dict[str, Any]]] = {"train": [], "test": []}
    counts, ids = {}, {}
    # The original concatenates official before human (quoted) rows.
    for items_file in sorted(files, key=lambda f: (f.ref.nation, f.ref.source != "official")):
        ref = items_file.ref
        key = f"{ref.nation}/{ref.source}"
        train, test = split_rows(items_file.rows, key, seed, test_fraction)
        counts[key] = {"rows": len(items_file.rows), "train": len(train), "test": len(test)}
        ids[key] = {"train": [r.index for r in train], "test": [r.index for r in test]}
        for split, rows in (("train", train), ("test", test)):
            for row in rows:
                trl[split].append({
                    "prompt": [{"role": "user", "content": row.q}],
                    "chosen": [{"role": "assistant", "content": row.s}],
                    "rejected": [{"role": "assistant", "content": row.rs}],
                    "id": f"{key}/{row.index:05d}", "nation": ref.nation, "source": ref.source})
                pair = {"instruction": row.q, "input": "", "chosen": row.s, "rejected": row.rs}
                if split == "test":
                    pair["source"] = ORIGINAL_SOURCE[ref.source]
                factory[split].append(pair)
        if test:
            folder = navab_data.HF_FOLDERS.get(ref.nation, ref.nation)
            write_json(out / "heldout" / folder / navab_data.FILE_OF[ref.source],
                   [{navab_data.KEY_Q: r.q, navab_data.KEY_S: r.s, navab_data.KEY_RS: r.rs,
                     "source_line": r.line} for r in test])
    for split in ("train", "test"):
        write_json(out / "trl" / f"{split}.jsonl", trl[split], lines=True)
        write_json(out / "llamafactory" / f"{split}.json", factory[split])
    write_json(out / "llamafactory" / "dataset_info.json", {
        f"navab_{split}": {"file_name": f"{split}.json", "ranking": True,
                           "columns": {"prompt": "instruction", "query": "input",
                                       "chosen": "chosen", "rejected": "rejected"}}
        for split in ("train", "test")})
    summary = {"data": data, "seed": seed, "test_fraction": test_fraction, "counts": counts,
               "files": [f.manifest() for f in files], "row_indices": ids}
    write_json(out / "split.json", summary)
    return summary


# -- training -----------------------------------------------------------------------------------


@dataclass
class DPOSettings:
    steps: int = 60
    batch_size: int = 4
    learning_rate: float = 5e-6
    beta: float = 0.1
    lora: bool = False
    lora_rank: int = 8
    max_length: int = 512
    seed: int = 0


def model_folder(spec: str) -> Path:
    target = spec.split("/", 1)[1] if "/" in spec else ""
    if target in ("", "default", "smollm2"):
        from valuescope.models.smollm2 import default_model_dir

        return default_model_dir()
    path = Path(target).expanduser()
    if not (path / "config.json").is_file():
        raise UserError(f"{path}: not a local model folder (config.json and *.safetensors)")
    return path


def train_dpo(base: Path, pairs: Path, out: Path, settings: DPOSettings,
              show_progress: bool = True) -> dict[str, Any]:
    """Train on ``pairs/trl/train.jsonl``; save the (merged) model to ``out``; return the log."""
    try:
        import torch
        from datasets import Dataset
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from trl import DPOConfig, DPOTrainer
    except ImportError as exc:
        raise UserError(f"DPO needs the [dpo] extra (trl, datasets): {exc.name} is missing; "
                        "pip install 'valuescope[dpo]'") from None
    if not show_progress:
        import datasets
        import transformers

        datasets.disable_progress_bars()
        transformers.logging.set_verbosity_error()
    rows = _read_pairs(pairs / "trl" / "train.jsonl")
    dataset = Dataset.from_list([{k: r[k] for k in ("prompt", "chosen", "rejected")}
                                 for r in rows])
    tokenizer = AutoTokenizer.from_pretrained(base)
    if not tokenizer.chat_template:
        raise UserError(f"{base}: the tokenizer has no chat template; the pairs are chats")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    torch.manual_seed(settings.seed)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    peft_config = None
    if settings.lora:
        try:
            from peft import LoraConfig
        except ImportError:
            raise UserError("--lora needs peft: pip install 'valuescope[dpo]'") from None
        peft_config = LoraConfig(r=settings.lora_rank, lora_alpha=2 * settings.lora_rank,
                                 lora_dropout=0.0, target_modules="all-linear",
                                 task_type="CAUSAL_LM")
    with warnings.catch_warnings():  # deprecation notices of TRL's own defaults
        warnings.simplefilter("ignore", FutureWarning)
        config = DPOConfig(
            output_dir=str(out.parent / "checkpoints"), max_steps=settings.steps,
            per_device_train_batch_size=settings.batch_size, gradient_accumulation_steps=1,
            learning_rate=settings.learning_rate, beta=settings.beta,
            max_length=settings.max_length, seed=settings.seed, logging_steps=1,
            save_strategy="no", report_to="none", use_cpu=True, bf16=False, fp16=False,
            disable_tqdm=not show_progress, dataloader_num_workers=0, lr_scheduler_type="constant")
        trainer = DPOTrainer(model=model, args=config, train_dataset=dataset,
                             processing_class=tokenizer, peft_config=peft_config)
        if not show_progress:  # without tqdm, the Trainer prints every log line instead
            from transformers.trainer_callback import PrinterCallback

            trainer.remove_callback(PrinterCallback)
        trainer.train()
    trained: Any = trainer.model
    if settings.lora:
        trained = trained.merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    trained.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    log = [entry for entry in trainer.state.log_history if "loss" in entry]
    return {"train_pairs": len(rows), "first": log[0] if log else None,
            "last": log[-1] if log else None, "log": log}


def _read_pairs(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise UserError(f"{path}: no pairs (make them with `valuescope navab dpo-export`)")
    rows = [row for _, row in read_jsonl(path)]
    if not rows:
        raise UserError(f"{path}: no training pairs")
    return rows


def held_out_preference(spec: str, pairs: Path, folder: Path) -> dict[str, Any]:
    """DPO's own question on the held-out pairs: after the chat turn Q, is log P(S) above
    log P(RS)? (Through the runner, so it is cached like every other model call.)"""
    import asyncio

    from valuescope.core.requests import Message, Score, Scores, cache_key
    from valuescope.core.runner import RunSettings, run_requests
    from valuescope.core.store import Store
    from valuescope.models import spec as model_specs

    rows = _read_pairs(pairs / "trl" / "test.jsonl")
    requests = [Score(messages=(Message("user", r["prompt"][0]["content"]),),
                      continuations=(r["chosen"][0]["content"], r["rejected"][0]["content"]))
                for r in rows]

    async def score() -> dict[str, Any]:
        model = model_specs.build(model_specs.parse(spec))
        try:
            await run_requests(model, store, requests, RunSettings())
            return {cache_key(model.identity, r): r for r in requests}
        finally:
            await model.aclose()

    folder.mkdir(parents=True, exist_ok=True)
    store = Store(folder / "preference.sqlite")
    try:
        keys = asyncio.run(score())
        answers = store.responses(set(keys))
    finally:
        store.close()
    margins = [a.logprobs[0] - a.logprobs[1] for a in (answers.get(k) for k in keys)
               if isinstance(a, Scores)]
    return {"pairs": len(margins), "prefers_chosen": sum(m > 0 for m in margins),
            "rate": sum(m > 0 for m in margins) / len(margins) if margins else None,
            "mean_margin": sum(margins) / len(margins) if margins else None}


def align(model: str, pairs: Path, out: Path, settings: DPOSettings,
          show_progress: bool = True) -> dict[str, Any]:
    """Evaluate, train, evaluate again; write ``results.json``, ``report.html``, a summary."""
    from valuescope.core import pipeline
    from valuescope.core.report import write_report
    from valuescope.core.results import RESULTS_NAME, write_results
    from valuescope.models import spec as model_specs

    heldout = pairs / "heldout"
    if not heldout.is_dir():
        raise UserError(f"{pairs}: no held-out items (make them with `valuescope navab "
                        "dpo-export`)")
    base = model_folder(model)
    entries = {}
    for stage, spec in (("before", model), ("after", f"hf/{out / 'model'}")):
        if stage == "after":
            entries["training"] = train_dpo(base, pairs, out / "model", settings, show_progress)
        config = pipeline.RunConfig(task="navab:mc", options={"data": str(heldout)},
                                    model=model_specs.parse(spec))
        entries[stage] = pipeline.execute(config, out / stage, show_progress=show_progress)
        entries[f"{stage}_preference"] = held_out_preference(spec, pairs, out / stage)
    info = {"base_model": str(base), "pairs": str(pairs), **asdict(settings),
            "train_pairs": entries["training"]["train_pairs"]}
    runs = [{**entries[s], "subdir": s, "alignment": {
        "stage": s, **info, "pair_preference": entries[f"{s}_preference"]}}
        for s in ("before", "after")]
    write_results(out / RESULTS_NAME, runs)
    write_report([out], out / "report.html")
    before = entries["before"]["metrics"]["summary"]
    after = entries["after"]["metrics"]["summary"]
    change = (None if before["right_rate"] is None or after["right_rate"] is None
              else after["right_rate"] - before["right_rate"])
    summary = {"settings": info, "training": entries["training"], "before": before,
               "after": after, "change": change, "model_dir": str(out / "model"),
               "pair_preference": {s: entries[f"{s}_preference"] for s in ("before", "after")}}
    write_json(out / "dpo_summary.json", summary)
    return summary
