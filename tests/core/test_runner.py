"""The runner: deduplication, cache in the store, bounded retries, Retry-After, adaptive limit."""

import asyncio
import time

import pytest

from valuescope.core.requests import Failure, Generate, Generation, Message, cache_key
from valuescope.core.runner import RunSettings, run_requests
from valuescope.core.store import Store
from valuescope.errors import UserError
from valuescope.models.base import RequestError, RetryableError


def gen(text: str) -> Generate:
    return Generate(messages=(Message("user", text),), max_tokens=8)


class ScriptedModel:
    """Answers with the prompt reversed; fails as its ``faults`` say (prompt -> list of errors)."""

    batch_size = 1

    def __init__(self, faults=None, concurrency=8, delay=0.0):
        self.identity = {"backend": "scripted"}
        self.max_concurrency = concurrency
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.calls: list[str] = []
        self.delay = delay
        self.in_flight = self.peak = 0

    async def answer(self, batch):
        results = []
        for request in batch:
            prompt = request.messages[0].content
            self.calls.append(prompt)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            try:
                await asyncio.sleep(self.delay)
                pending = self.faults.get(prompt)
                if pending:
                    fault = pending.pop(0)
                    if fault == "hang":
                        await asyncio.sleep(60)
                    results.append(fault)
                    continue
                results.append(Generation(text=prompt[::-1]))
            finally:
                self.in_flight -= 1
        return results

    async def aclose(self):
        pass


FAST = RunSettings(max_connections=8, timeout=0.5, max_retries=3, backoff=0.01)


def run(model, store, requests, settings=FAST):
    return asyncio.run(run_requests(model, store, requests, settings))


def test_dedup_and_cache(tmp_path):
    store = Store(tmp_path / "store.sqlite")
    model = ScriptedModel()
    requests = [gen("a"), gen("b"), gen("a")]
    stats = run(model, store, requests)
    assert (stats.unique, stats.sent, stats.cached) == (2, 2, 0)
    assert sorted(model.calls) == ["a", "b"]
    again = run(model, store, requests)
    assert (again.sent, again.cached) == (0, 2)
    assert len(model.calls) == 2
    answers = store.responses()
    assert answers[cache_key(model.identity, gen("a"))] == Generation(text="a")


def test_retries_then_success_and_bounded_failure(tmp_path):
    store = Store(tmp_path / "store.sqlite")
    model = ScriptedModel(faults={
        "flaky": [RetryableError("500"), RetryableError("429", retry_after=0.05, rate_limited=True)],
        "broken": [RetryableError("500")] * 10,
        "bad": [RequestError("400 bad request")],
        "hangs": ["hang"],
    })
    started = time.perf_counter()
    stats = run(model, store, [gen("flaky"), gen("broken"), gen("bad"), gen("hangs")])
    assert time.perf_counter() - started < 5
    answers = {r.messages[0].content: resp for _, r, resp in store.iter_requests()}
    assert answers["flaky"] == Generation(text="ykalf")
    assert answers["hangs"] == Generation(text="sgnah")  # timed out once, then answered
    assert isinstance(answers["broken"], Failure) and "after 4 attempt" in answers["broken"].error
    assert isinstance(answers["bad"], Failure) and answers["bad"].error.startswith("error:")
    assert model.calls.count("bad") == 1  # a RequestError is never retried
    assert model.calls.count("broken") == 1 + FAST.max_retries
    assert stats.rate_limited == 1 and stats.failed == 2


def test_failed_requests_are_retried_on_resume(tmp_path):
    store = Store(tmp_path / "store.sqlite")
    model = ScriptedModel(faults={"x": [RetryableError("500")] * 4})
    run(model, store, [gen("x")])
    assert isinstance(next(iter(store.responses().values())), Failure)
    run(model, store, [gen("x")])
    assert next(iter(store.responses().values())) == Generation(text="x")


def test_concurrency_is_bounded(tmp_path):
    store = Store(tmp_path / "store.sqlite")
    model = ScriptedModel(concurrency=64, delay=0.01)
    run(model, store, [gen(str(i)) for i in range(100)],
        RunSettings(max_connections=5, timeout=5, max_retries=0))
    assert model.peak == 5


def test_user_error_stops_the_run(tmp_path):
    store = Store(tmp_path / "store.sqlite")
    model = ScriptedModel(faults={"x": [UserError("cannot reach server")]})
    with pytest.raises(UserError, match="cannot reach"):
        run(model, store, [gen("x"), gen("y")])


def test_corrupt_store_is_a_user_error(tmp_path):
    path = tmp_path / "store.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(UserError, match="corrupt"):
        Store(path)
