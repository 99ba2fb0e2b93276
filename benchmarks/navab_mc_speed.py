"""navab:mc items/s: valuescope's shared-prefix scorer against the original's two full strings.

Run with the project's interpreter: ``.venv/bin/python benchmarks/navab_mc_speed.py``
(``--model PATH`` for another local model; default the embedded SmolLM2-135M-Instruct).

(a) valuescope: the ``navab:mc`` task's requests (one ``Score`` per item: shared prefix, both
    endings) through the runner and the hf backend into a throwaway store, as ``valuescope run``;
(b) the original: HF ``evaluate``'s perplexity computation (``add_start_token=False``, batches of
    16, padded) on the four string lists the original builds (pos A/B, neg A/B), per file.

Same items (the example files, both sources), same weights, same threads, model loading excluded.
The two alternate which goes first in each repeat; wall and CPU seconds (of this process, all
threads) and the load average are recorded, since other processes on a shared machine slow the
many short parallel regions of batch-1 passes more than a few long batched ones. Also checks
that both give the same decision on every item and prints the largest relative perplexity
difference. Prints a markdown table; ``--json FILE`` saves the numbers.
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


class Clock:
    """Wall seconds, CPU seconds of this process (all its threads) and the load average."""

    def __init__(self) -> None:
        self.wall, self.cpu, self.load = time.perf_counter(), time.process_time(), os.getloadavg()

    def stop(self) -> dict[str, float]:
        return {"wall": time.perf_counter() - self.wall, "cpu": time.process_time() - self.cpu,
                "load_before": self.load[0], "load_after": os.getloadavg()[0]}


def valuescope_pass(model_dir: Path, items, task) -> tuple[dict, list[tuple[float, float]]]:
    from valuescope.benchmarks.navab.evaluate import full_perplexities
    from valuescope.core.requests import cache_key
    from valuescope.core.runner import RunSettings, run_requests
    from valuescope.core.store import Store
    from valuescope.models.hf import HFModel

    model = HFModel(str(model_dir))
    requests = [task.requests(item)[0] for item in items]
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "store.sqlite")
        clock = Clock()
        asyncio.run(run_requests(model, store, requests, RunSettings()))
        times = clock.stop()
        answers = store.responses()
        store.close()
    return times, [full_perplexities(answers[cache_key(model.identity, r)]) for r in requests]


def original_pass(model_dir: Path, items) -> tuple[dict, list[tuple[float, float]]]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from valuescope.benchmarks.navab import prompts
    from valuescope.benchmarks.navab.reference_ppl import original_perplexities

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    clock = Clock()
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
    times = clock.stop()
    order = {item.id: n for n, item in enumerate(items)}
    return times, [(a, b) for _, a, b in sorted(result, key=lambda r: order[r[0]])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="local model folder")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes; the best counts")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default torch's); 1 is least sensitive to other "
                             "processes on a shared machine")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

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
    runs: list[dict] = []
    for repeat in range(args.repeats):  # alternate which goes first: the load drifts
        passes = {}
        for name in (("valuescope", "original") if repeat % 2 == 0 else
                     ("original", "valuescope")):
            passes[name] = (valuescope_pass(args.model, items, task) if name == "valuescope"
                            else original_pass(args.model, items))
        ours, theirs = passes["valuescope"][1], passes["original"][1]
        runs.append({name: times for name, (times, _) in passes.items()})
    same = sum(is_right(a, b, s_letter(i.data["half"])) == is_right(c, d, s_letter(i.data["half"]))
               for i, (a, b), (c, d) in zip(items, ours, theirs, strict=True))
    worst = max(abs(x - y) / y for pair, other in zip(ours, theirs, strict=True)
                for x, y in zip(pair, other, strict=True))
    best = {name: {kind: min(r[name][kind] for r in runs) for kind in ("wall", "cpu")}
            for name in ("valuescope", "original")}
    ratios = sorted(r["original"]["wall"] / r["valuescope"]["wall"] for r in runs)
    numbers = {"model": str(args.model), "items": len(items), "threads": torch.get_num_threads(),
               "best": best, "speedup_wall": best["original"]["wall"] / best["valuescope"]["wall"],
               "speedup_cpu": best["original"]["cpu"] / best["valuescope"]["cpu"],
               "speedup_wall_per_repeat": ratios, "same_decisions": same,
               "max_relative_ppl_difference": worst, "repeats": runs}
    print(f"| approach | wall s (best of {args.repeats}) | CPU s (best) | items/s (wall) |\n"
          "|---|---|---|---|")
    for name, label in (("original", "original: two full strings, evaluate-style batches of 16"),
                        ("valuescope", "valuescope navab:mc: shared prefix once, both endings")):
        print(f"| {label} | {best[name]['wall']:.2f} | {best[name]['cpu']:.2f} | "
              f"{len(items) / best[name]['wall']:.2f} |")
    print(f"\nspeed-up {numbers['speedup_wall']:.2f}x wall, {numbers['speedup_cpu']:.2f}x CPU "
          f"(per repeat, wall: {', '.join(f'{r:.2f}x' for r in ratios)}) on {len(items)} items, "
          f"{numbers['threads']} threads, load average "
          f"{min(r[n]['load_before'] for r in runs for n in r):.1f}-"
          f"{max(r[n]['load_after'] for r in runs for n in r):.1f}; same decision on "
          f"{same}/{len(items)} items; largest relative perplexity difference {worst:.1e}")
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=1))


if __name__ == "__main__":
    main()
