"""Baselines that need no model.

- ``uniform``: every continuation equally likely; generation picks a choice uniformly at random.
- ``random``: random (seeded) log-probabilities; generation picks a choice at random.
- ``majority``: always the first choice / continuation. Benchmarks list the most common human
  answer first where they know it (WorldValuesBench orders choices by the respondents' own answers),
  so this is the paper's majority baseline.

Randomness is seeded by the request itself (and ``seed``), so a baseline run is reproducible.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from typing import Any

from valuescope.core.requests import (
    Generate,
    Generation,
    Request,
    Response,
    Scores,
    canonical_json,
    to_json,
)
from valuescope.errors import UserError

NAMES = ("uniform", "random", "majority")


class BaselineModel:
    batch_size = 256
    max_concurrency = 1

    def __init__(self, name: str, seed: int = 0):
        if name not in NAMES:
            raise UserError(f"unknown baseline {name!r}; choose one of: {', '.join(NAMES)}")
        self.name, self.seed = name, seed
        self.identity: dict[str, Any] = {"backend": "baseline", "name": name, "seed": seed}

    def _rng(self, request: Request) -> random.Random:
        digest = hashlib.sha256(canonical_json(to_json(request)).encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big") ^ self.seed)

    def _one(self, request: Request) -> Response:
        rng = self._rng(request)
        if isinstance(request, Generate):
            choices = request.choices or ("",)
            text = choices[0] if self.name == "majority" else rng.choice(choices)
            return Generation(text=text, finish_reason="stop", prompt_tokens=0, completion_tokens=0)
        n = len(request.continuations)
        if self.name == "uniform":
            logprobs = [-math.log(n)] * n
        elif self.name == "majority":
            logprobs = [0.0] + [-1e9] * (n - 1)
        else:
            weights = [rng.random() + 1e-12 for _ in range(n)]
            logprobs = [math.log(w / sum(weights)) for w in weights]
        return Scores(logprobs=tuple(logprobs), tokens=(1,) * n, context_logprob=0.0,
                      context_tokens=0)

    async def answer(self, batch: Sequence[Request]) -> list[Response | Exception]:
        return [self._one(request) for request in batch]

    async def aclose(self) -> None:
        return None
