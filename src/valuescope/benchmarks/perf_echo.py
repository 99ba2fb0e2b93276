"""``perf-echo``: N short generation requests with distinct prompts, for measuring the request path
(runner, store, HTTP client) against other harnesses. Not a value benchmark."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from valuescope.core.benchmark import Benchmark, Item, Option
from valuescope.core.requests import Generate, Generation, Message, Request, Response


class PerfEchoTask:
    def __init__(self, variant: str, options: dict[str, Any]):
        self.name = f"perf-echo:{variant}"
        self.options = options

    def load(self, limit: int | None) -> list[Item]:
        count = self.options["requests"] if limit is None else min(limit, self.options["requests"])
        return [Item(id=f"{i:07d}", data={"prompt": f"Say something about the number {i}."})
                for i in range(count)]

    def requests(self, item: Item) -> list[Request]:
        return [Generate(messages=(Message("user", item.data["prompt"]),), max_tokens=16)]

    def score(self, item: Item, responses: Sequence[Response | None]) -> dict[str, Any]:
        response = responses[0] if responses else None
        return {"ok": isinstance(response, Generation)}

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        ok = sum(1 for r in records if r["ok"])
        return {"summary": {"requests": len(records), "answered": ok}}

    def manifest(self) -> dict[str, Any]:
        return {}


PERF_ECHO = Benchmark(
    name="perf-echo",
    description="request-path performance check (not a value benchmark)",
    variants={"default": "N distinct short generation requests"},
    default_variant="default",
    options=[Option("requests", int, 1000, "number of requests")],
    create=lambda variant, options: PerfEchoTask(variant, options),
    count_items=lambda variant: 1000,
)
