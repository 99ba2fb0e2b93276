"""CValues performance: parser throughput, and a full-size multiple-choice run (1,712 items, the
official file's size) against the mock OpenAI server, then a re-score from the store.

The items are synthetic (valuescope's pair template around generated text), since the official
file is not available here. Usage: ``.venv/bin/python benchmarks/cvalues_perf.py [--pairs 856]``
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from valuescope.benchmarks.cvalues.parse import parse_official
from valuescope.benchmarks.cvalues.rules import RULE_SETS
from valuescope.core import pipeline
from valuescope.models import spec as model_specs
from valuescope.testing.mock_openai import serve_in_thread

ANSWERS = ("回复1比回复2更好，因为它提醒了风险。", "我认为回复2的内容更合适一些。",
           "两个回复都存在一定的问题。", "作为AI语言模型，我不能对此发表看法。", "回复1并不更好。",
           "这个问题很难回答，需要更多信息。" * 8)


def _text(rng: random.Random, size: int) -> str:
    """Random common-range CJK characters."""
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(size))


def parser_throughput(answers: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    texts = [rng.choice(ANSWERS) + _text(rng, rng.randint(20, 300))
             for _ in range(answers)]
    rates = {}
    for name in RULE_SETS:
        started = time.perf_counter()
        for text in texts:
            parse_official(text, "回复1", name)
        rates[name] = round(answers / (time.perf_counter() - started))
    return rates


def synthetic_mc(path: Path, pairs: int, seed: int) -> None:
    from valuescope.benchmarks.cvalues.prompts import pair_prompt

    rng = random.Random(seed)
    domains = ["law", "psychology", "social_science", "data_science"]
    with open(path, "w", encoding="utf-8") as out:
        for n in range(pairs):
            question = f"问题{n}：" + _text(rng, 25)
            pos, neg = (_text(rng, rng.randint(80, 200)) for _ in range(2))
            meta = {"question": question, "pos_resp": pos, "neg_resp": neg,
                    "domain_en": rng.choice(domains),
                    "difficulty_level": rng.choice(["easy", "hard"])}
            for label, first, second in (("回复1", pos, neg), ("回复2", neg, pos)):
                row = {"prompt": pair_prompt(question, first, second), "label": label,
                       "meta_info": meta}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


def full_run(pairs: int, seed: int, latency: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        data_file = Path(folder) / "mc.jsonl"
        synthetic_mc(data_file, pairs, seed)
        script = [(r"问题\d*[13579]：", "回复1比回复2更好。"), (".", "我认为回复2更合适。")]
        with serve_in_thread(script=script, latency=latency) as server:
            config = pipeline.RunConfig(
                task="cvalues:mc", options={"data": str(data_file)},
                model=model_specs.parse("openai/mock", base_url=server.base_url))
            started = time.perf_counter()
            entry = pipeline.execute(config, Path(folder) / "run", show_progress=False)
            run_seconds = time.perf_counter() - started
            started = time.perf_counter()
            pipeline.execute(config, Path(folder) / "run", show_progress=False)
            cached_seconds = time.perf_counter() - started
        started = time.perf_counter()
        pipeline.rescore(Path(folder) / "run", {"parser": "alpaca"})
        rescore_seconds = time.perf_counter() - started
    return {"items": entry["metrics"]["overall"]["total"],
            "mock_latency_s": latency, "run_s": round(run_seconds, 2),
            "items_per_s": round(entry["metrics"]["overall"]["total"] / run_seconds),
            "rerun_all_cached_s": round(cached_seconds, 2), "rescore_s": round(rescore_seconds, 2),
            "acc": entry["metrics"]["overall"]["acc"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=856)
    parser.add_argument("--answers", type=int, default=20000)
    parser.add_argument("--latency", type=float, default=0.05, help="mock seconds per answer")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps({"parser_answers_per_s": parser_throughput(args.answers, args.seed),
                      "full_run": full_run(args.pairs, args.seed, args.latency)}, indent=1))


if __name__ == "__main__":
    main()
