"""Send requests to a model: deduplicated, cached in the run store, bounded, retried, resumable.

Every answer is committed to the store the moment it arrives, so killing the process loses at most
the requests in flight, and a resumed run sends only what the store does not already hold.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from valuescope.core.requests import Failure, Request, Response, cache_key
from valuescope.core.store import Store
from valuescope.errors import UserError
from valuescope.models.base import Model, RequestError, RetryableError

MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 120.0


@dataclass
class RunSettings:
    max_connections: int = 32
    timeout: float = 120.0  # seconds for one call to the backend
    max_retries: int = 4  # attempts after the first
    backoff: float = 0.5  # first backoff in seconds; doubles each retry


@dataclass
class RequestStats:
    unique: int = 0
    cached: int = 0
    sent: int = 0
    failed: int = 0
    retries: int = 0
    rate_limited: int = 0
    seconds: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)


class AdaptiveLimit:
    """At most ``limit`` calls in flight; halves on a 429, grows back by one per clean success."""

    def __init__(self, ceiling: int):
        self.ceiling = self.limit = max(1, ceiling)
        self.in_flight = 0
        self._changed = asyncio.Condition()

    async def acquire(self) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1

    async def release(self, rate_limited: bool) -> None:
        async with self._changed:
            self.in_flight -= 1
            if rate_limited:
                self.limit = max(1, self.limit // 2)
            elif self.limit < self.ceiling:
                self.limit += 1
            self._changed.notify_all()


def plan(model: Model, requests: Sequence[Request]) -> dict[str, Request]:
    """Unique requests by cache key, in first-seen order."""
    unique: dict[str, Request] = {}
    for request in requests:
        unique.setdefault(cache_key(model.identity, request), request)
    return unique


async def run_requests(model: Model, store: Store, requests: Sequence[Request],
                       settings: RunSettings,
                       on_progress: Callable[[int, int], None] | None = None) -> RequestStats:
    """Answer every request not already in ``store``; commit each answer as it arrives."""
    started = time.perf_counter()
    unique = plan(model, requests)
    done = store.answered_keys()
    pending = [(key, req) for key, req in unique.items() if key not in done]
    stats = RequestStats(unique=len(unique), cached=len(unique) - len(pending))
    if on_progress:
        on_progress(0, len(pending))
    if not pending:
        stats.seconds = time.perf_counter() - started
        return stats

    size = max(1, model.batch_size)
    batches = deque(pending[i:i + size] for i in range(0, len(pending), size))
    limit = AdaptiveLimit(min(settings.max_connections, model.max_concurrency))
    fatal: list[BaseException] = []
    # Answers that arrive in the same event-loop tick share one transaction, handed on the next
    # tick to a single writer thread (SQLite releases the GIL while it writes), so the event loop
    # never waits on the disk and a crash can only lose answers received a moment before it.
    unsaved: list[tuple[str, Request, Response, int, float]] = []
    loop = asyncio.get_running_loop()
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="valuescope-store")
    writes: list[asyncio.Future[None]] = []

    def commit() -> None:
        if unsaved:
            writes.append(loop.run_in_executor(writer, store.put_responses, unsaved.copy()))
            unsaved.clear()

    def record(key: str, request: Request, response: Response, attempts: int, seconds: float) -> None:
        if not unsaved:
            loop.call_soon(commit)
        unsaved.append((key, request, response, attempts, seconds))
        stats.sent += 1
        if isinstance(response, Failure):
            stats.failed += 1
            kind = response.error.split(":", 1)[0]
            stats.errors[kind] = stats.errors.get(kind, 0) + 1
        if on_progress:
            on_progress(1, len(pending))

    async def attempt(batch: list[tuple[str, Request]]) -> list[Response | Exception]:
        await limit.acquire()
        try:
            results = await asyncio.wait_for(model.answer([r for _, r in batch]), settings.timeout)
        except TimeoutError:
            results = [RetryableError(f"timeout after {settings.timeout:g}s")] * len(batch)
        except (UserError, asyncio.CancelledError):
            raise
        except Exception as exc:  # a backend bug must not kill the run: retry, then record
            results = [RetryableError(f"{type(exc).__name__}: {exc}")] * len(batch)
        rate_limited = any(isinstance(r, RetryableError) and r.rate_limited for r in results)
        await limit.release(rate_limited)
        return results

    async def worker() -> None:
        while batches and not fatal:
            batch = batches.popleft()
            attempts = 0
            began = time.perf_counter()
            while batch:
                attempts += 1
                results = await attempt(batch)
                retry: list[tuple[str, Request]] = []
                wait = 0.0
                for (key, request), result in zip(batch, results):
                    if isinstance(result, UserError):
                        fatal.append(result)
                        return
                    if isinstance(result, RetryableError) and attempts <= settings.max_retries:
                        retry.append((key, request))
                        stats.retries += 1
                        stats.rate_limited += int(result.rate_limited)
                        wait = max(wait, _backoff(settings, attempts, result.retry_after))
                        continue
                    if isinstance(result, Exception):
                        prefix = "error" if isinstance(result, RequestError) else "gave up"
                        result = Failure(f"{prefix}: {result} (after {attempts} attempt(s))")
                    record(key, request, result, attempts, time.perf_counter() - began)
                batch = retry
                if batch:
                    await asyncio.sleep(wait)

    workers = [asyncio.create_task(worker()) for _ in range(min(limit.ceiling, len(batches)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        commit()
        # Every answer received is on disk before we return; a failed write is an error.
        await asyncio.gather(*writes)
        writer.shutdown(wait=True)
    if fatal:
        raise fatal[0]
    stats.seconds = time.perf_counter() - started
    return stats


def _backoff(settings: RunSettings, attempt: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
    return min(MAX_BACKOFF, settings.backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
