"""Requests a benchmark asks of a model, and the responses it gets back. Plain, hashable data.

- ``Generate``: produce text for a chat (``messages``) or a plain ``prompt``.
- ``Score``: log-probabilities of each continuation after a shared context. The context is either a
  plain string (``prompt``) or a chat (``messages``, rendered with the model's chat template and its
  generation prompt) followed by ``prefix``, the start of the assistant's reply.

A request's cache key is the sha256 of the model identity plus the request's canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal, Union

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class Generate:
    messages: tuple[Message, ...] = ()
    prompt: str | None = None  # used instead of messages for completion-style models
    max_tokens: int = 256
    temperature: float = 0.0
    seed: int | None = None
    stop: tuple[str, ...] = ()
    #: Well-formed replies a parser accepts, most likely first (used only by baseline backends,
    #: never sent to a model and not part of the cache key).
    choices: tuple[str, ...] = field(default=(), compare=False)
    kind: Literal["generate"] = "generate"

    def __post_init__(self) -> None:
        if bool(self.messages) == (self.prompt is not None):
            raise ValueError("Generate needs exactly one of messages or prompt")


@dataclass(frozen=True)
class Score:
    continuations: tuple[str, ...]
    prompt: str | None = None  # plain-text context, no chat template
    messages: tuple[Message, ...] = ()  # chat context, rendered with the chat template
    prefix: str = ""  # start of the assistant reply, appended after the rendered chat
    #: Whether a plain-text context gets the tokenizer's special tokens (a BOS). False scores the
    #: text exactly as written, like HF evaluate's perplexity with add_start_token=False.
    special_tokens: bool = True
    kind: Literal["score"] = "score"

    def __post_init__(self) -> None:
        if bool(self.messages) == (self.prompt is not None):
            raise ValueError("Score needs exactly one of messages or prompt")
        if not self.continuations:
            raise ValueError("Score needs at least one continuation")


Request = Union[Generate, Score]


@dataclass(frozen=True)
class Generation:
    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    kind: Literal["generation"] = "generation"


@dataclass(frozen=True)
class Scores:
    """Sum of token log-probabilities (natural log) of each continuation given the context.

    ``context_logprob``/``context_tokens`` cover the context's own tokens after the first one, so a
    caller can compute a full-string perplexity (as NaVAB's original does) as well as a conditional one.
    """

    logprobs: tuple[float, ...]
    tokens: tuple[int, ...]
    context_logprob: float | None = None
    context_tokens: int | None = None
    kind: Literal["scores"] = "scores"


@dataclass(frozen=True)
class Failure:
    """A request that could not be answered after bounded retries. Stored, never raised to benchmarks."""

    error: str
    kind: Literal["failure"] = "failure"


Response = Union[Generation, Scores, Failure]


def to_json(obj: Request | Response) -> dict[str, Any]:
    """Plain-dict form (like ``dataclasses.asdict``, several times faster: it is on the hot path)."""
    data = dict(obj.__dict__)
    if "messages" in data:
        data["messages"] = [{"role": m.role, "content": m.content} for m in data["messages"]]
    return data


def request_from_json(data: dict[str, Any]) -> Request:
    messages = tuple(Message(**m) for m in data.get("messages", ()))
    if data["kind"] == "generate":
        return Generate(messages=messages, prompt=data.get("prompt"), max_tokens=data["max_tokens"],
                        temperature=data["temperature"], seed=data.get("seed"),
                        stop=tuple(data.get("stop", ())), choices=tuple(data.get("choices", ())))
    return Score(continuations=tuple(data["continuations"]), prompt=data.get("prompt"),
                 messages=messages, prefix=data.get("prefix", ""),
                 special_tokens=data.get("special_tokens", True))


def response_from_json(data: dict[str, Any]) -> Response:
    kind = data.get("kind")
    if kind == "generation":
        return Generation(**data)
    if kind == "scores":
        return Scores(logprobs=tuple(data["logprobs"]), tokens=tuple(data["tokens"]),
                      context_logprob=data.get("context_logprob"),
                      context_tokens=data.get("context_tokens"))
    return Failure(error=str(data.get("error", "unknown")))


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def derived_seed(seed: int, key: str) -> int:
    """A sampling seed for one request that depends only on the run's seed and a stable key
    (e.g. the item id), so a sample never depends on which other requests share its batch."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 2**31


def cache_key(model_identity: dict[str, Any], request: Request) -> str:
    body = to_json(request)
    body.pop("choices", None)  # a hint for baselines, not part of what a model is asked
    payload = canonical_json({"model": model_identity, "request": body})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
