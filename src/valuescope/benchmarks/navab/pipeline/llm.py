"""The LLM behind every stage of ``navab build``, through the runner: cached, resumable, bounded.

All answers live in one run store (``OUT/build.sqlite``). Killing a build loses at most the
requests in flight; running it again sends only what the store lacks, so every stage is resumable
and a finished stage costs nothing to redo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from valuescope.core.progress import progress_bar
from valuescope.core.requests import (
    Generate,
    Generation,
    Message,
    Request,
    cache_key,
    derived_seed,
)
from valuescope.core.runner import RunSettings, run_requests
from valuescope.core.store import Store


@dataclass
class StageLLM:
    model: Any  # a built valuescope Model
    store: Store
    settings: RunSettings
    temperature: float = 0.6  # the original's sampling temperature (its top_p 0.8 is not applied)
    max_tokens: int = 2048
    seed: int = 0
    show_progress: bool = True
    sent: dict[str, int] = field(default_factory=dict)  # requests sent per stage this session

    def chat(self, system: str, user: str, key: str, max_tokens: int | None = None) -> Generate:
        """A chat request whose sampling seed depends only on ``key`` (stage + item)."""
        messages = ((Message("system", system),) if system else ()) + (Message("user", user),)
        return Generate(messages=messages, max_tokens=max_tokens or self.max_tokens,
                        temperature=self.temperature,
                        seed=derived_seed(self.seed, key))

    async def ask(self, stage: str, requests: Sequence[Request]) -> list[str | None]:
        """The reply text of each request (None when the backend failed for good)."""
        with progress_bar(f"navab build: {stage}", self.show_progress) as advance:
            stats = await run_requests(self.model, self.store, requests, self.settings, advance)
        self.sent[stage] = self.sent.get(stage, 0) + stats.sent
        keys = [cache_key(self.model.identity, r) for r in requests]
        answers = self.store.responses(set(keys))
        texts: list[str | None] = []
        for key in keys:
            answer = answers.get(key)
            texts.append(answer.text if isinstance(answer, Generation) else None)
        return texts
