"""The one protocol every model backend implements.

A backend answers a *batch* of requests at once. HTTP backends use ``batch_size = 1`` and rely on the
runner's concurrency; local backends (transformers) use bigger batches and ``max_concurrency = 1``.
Backends know nothing of caching, retries or the store: the runner owns those.

Errors a backend raises for one request:
- ``RetryableError`` (timeouts, 5xx, 429 with optional ``retry_after`` seconds, malformed bodies):
  the runner retries with backoff, a bounded number of times;
- ``RequestError``: this request can never succeed (e.g. the server lacks logprobs); recorded as a
  ``Failure`` at once;
- ``UserError`` (from ``valuescope.errors``): the whole run cannot go on (unreachable server, bad
  model path); the CLI prints it and exits 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from valuescope.core.requests import Request, Response


class RetryableError(Exception):
    def __init__(self, message: str, retry_after: float | None = None, rate_limited: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.rate_limited = rate_limited


class RequestError(Exception):
    """This request cannot succeed on this backend; do not retry."""


class Model(Protocol):
    #: JSON-serialisable description of what answers: backend, name/path, revision or file hash,
    #: dtype, chat template hash, ... Never secrets. Part of every cache key.
    identity: dict[str, Any]
    batch_size: int
    max_concurrency: int

    async def answer(self, batch: Sequence[Request]) -> list[Response | Exception]:
        """Answer each request; return per-request exceptions instead of raising them."""
        ...

    async def aclose(self) -> None: ...
