"""navab:mc items/s: valuescope's shared-prefix scorer against the original's two full strings.

Run with the project's interpreter: ``.venv/bin/python benchmarks/navab_mc_speed.py``
(``--model PATH`` for another local model; default the embedded SmolLM2-135M-Instruct).

(a) valuescope: the ``navab:mc`` task's requests (one ``Score`` per item: shared prefix, both
    endings) through the runner and the hf backend into a throwaway store, as ``valuescope run``;
(b) the original: HF ``evaluate``'s perplexity computation (``add_start_token=False``, batches of
    16, padded) on the four string lists the original builds (pos A/B, neg A/B), per file.

Same items (the example files, both sources), same weights, same threads, model loading excluded.
Also checks that both give the same decision on every item and prints the largest relative
perplexity difference. Prints a markdown table; ``--json FILE`` saves the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def valuescope_pass(model_dir: Path, items, task) -> tuple[float, list[tuple[float, float]]]:
    from valuescope.benchmarks.navab.evaluate import full_perplexities
    from valuescope.core.requests import cache_key
    from valuescope.core.runner import RunSettings, run_requests
    from valuescope.core.store import Store
    from valuescope.models.hf import HFModel

    model = HFModel(str(model_dir))
    requests = [task.requests(item)[0] for item in items]
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "store.sqlite")
        started = time.perf_counter()
        asyncio.run(run_requests(model, store, requests, RunSettings()))
        seconds = time.perf_counter() - started
        answers = store.responses()
        store.close()
    return seconds, [full_perplexities(answers[cache_key(model.identity, r)]) for r in requests]


def original_pass(model_dir: Path, items) -> tuple[float, list[tuple[float, float]]]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from valuescope.benchmarks.navab import prompts
    from valuescope.benchmarks.navab.reference_ppl import original_perplexities

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    started = time.perf_counter()
    result = []
    for source in ("quoted", "official"):  # the original evaluates one file at a time
        rows = [i for i in items if i.data["source"] == source]
        for half in ("pos", "neg"):
            chosen = [i for i in rows if i.data["half"] == half]
            lists = [[prompts.mc_text(i.data["q"], *prompts.options(half, i.data["s"],
                                                                     i.data["rs"]), letter)
                      for i in chosen] for letter in "AB"]
            ppl_a, ppl_b = (original_perplexities(model, tokenizer, texts, batch_size=16)
                            for texts in lists)
            result += [(i.id, a, b) for i, a, b in zip(chosen, ppl_a, ppl_b, strict=True)]
    seconds = time.perf_counter() - started
    order = {item.id: n for n, item in enumerate(items)}
    return seconds, [(a, b) for _, a, b in sorted(result, key=lambda r: order[r[0]])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="local model folder")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes; the best counts")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    import torch

    from valuescope.benchmarks.navab.benchmark import create
    from valuescope.benchmarks.navab.evaluate import is_right
    from valuescope.benchmarks.navab.prompts import s_letter

    if args.model is None:
        from valuescope.models.smollm2 import default_model_dir

        args.model = default_model_dir()
    task = create("mc", {"data": "examples", "nation": "all", "source": "all",
                         "aj-layout": "paper", "temperature": 0.6, "max-tokens": None,
                         "seed": 0})
    items = task.load(None)
    ours_s, theirs_s = [], []
    for _ in range(args.repeats):
        seconds, ours = valuescope_pass(args.model, items, task)
        ours_s.append(seconds)
        seconds, theirs = original_pass(args.model, items)
        theirs_s.append(seconds)
    same = sum(is_right(a, b, s_letter(i.data["half"])) == is_right(c, d, s_letter(i.data["half"]))
               for i, (a, b), (c, d) in zip(items, ours, theirs, strict=True))
    worst = max(abs(x - y) / y for pair, other in zip(ours, theirs, strict=True)
                for x, y in zip(pair, other, strict=True))
    fast, slow = min(ours_s), min(theirs_s)
    numbers = {"model": str(args.model), "items": len(items), "threads": torch.get_num_threads(),
               "valuescope_seconds": fast, "original_seconds": slow,
               "valuescope_items_per_s": len(items) / fast,
               "original_items_per_s": len(items) / slow, "speedup": slow / fast,
               "same_decisions": same, "max_relative_ppl_difference": worst,
               "all_seconds": {"valuescope": ours_s, "original": theirs_s}}
    print(f"| approach | seconds (best of {args.repeats}) | items/s |\n|---|---|---|")
    print(f"| original: two full strings, evaluate-style batches of 16 | {slow:.2f} | "
          f"{len(items) / slow:.1f} |")
    print(f"| valuescope navab:mc: shared prefix once, both endings | {fast:.2f} | "
          f"{len(items) / fast:.1f} |")
    print(f"\nspeed-up {slow / fast:.2f}x on {len(items)} items, {numbers['threads']} threads; "
          f"same decision on {same}/{len(items)} items; largest relative perplexity "
          f"difference {worst:.1e}")
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=1))


if __name__ == "__main__":
    main()
