"""A deterministic OpenAI-compatible mock server for tests and performance scripts.

Endpoints: ``GET /v1/models``, ``POST /v1/chat/completions``, ``POST /v1/completions`` (with
``echo`` + ``logprobs``), and for out-of-process callers ``GET /mock/stats`` and
``POST /mock/reset``. It only ever binds 127.0.0.1.

- Replies are derived from a hash of the prompt unless a ``script`` says otherwise.
- Text is split into tokens of up to four non-space characters, each carrying its leading
  whitespace; a token's log-probability is derived from a hash chained over the tokens to its
  left, so scores are deterministic and differ between continuations.
- Latency and faults are injectable: a seeded random fault plan (``{"500": 0.1, "hang": 0.01}``)
  and deterministic "fail the first K calls of prompt X" rules (``fail_first``).
- ``counts`` records every completion request received, in total and per prompt, so tests can
  assert that nothing was sent twice.

Use ``MockOpenAIServer`` inside a running loop, ``serve_in_thread`` from synchronous code, or
``python -m valuescope.testing.mock_openai --port N`` as a separate process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import random
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

HOST = "127.0.0.1"
FAULT_KINDS = ("hang", "malformed", "reset")  # besides HTTP status codes such as "500"

Script = Callable[[str], str | None] | Mapping[str, str] | Sequence[tuple[str, str]]

_TOKEN_RE = re.compile(r"\s*\S{1,4}|\s+$")
_VOCAB = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
          "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa")


def tokenize(text: str) -> list[tuple[int, str]]:
    """(offset, token) pairs covering ``text`` exactly."""
    return [(m.start(), m.group()) for m in _TOKEN_RE.finditer(text)]


def _logprobs(tokens: Sequence[str]) -> list[float]:
    """One log-probability per token; each depends on the token and everything to its left."""
    out = []
    state = b""
    for token in tokens:
        state = hashlib.blake2b(state + token.encode("utf-8"), digest_size=8).digest()
        out.append(round(-0.01 - int.from_bytes(state, "big") % 10_000 / 1_000, 3))
    return out


def prompt_key(prompt: str | None = None, messages: Sequence[Any] | None = None) -> str:
    """The key ``RequestCounts.by_prompt`` uses for a prompt string or a list of chat messages."""
    if messages is not None:
        plain = [m if isinstance(m, dict) else {"role": m.role, "content": m.content}
                 for m in messages]
        text = json.dumps([[m.get("role"), m.get("content")] for m in plain], ensure_ascii=False)
    else:
        text = json.dumps(prompt, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def default_reply(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return " ".join(_VOCAB[b % len(_VOCAB)] for b in digest[:8])


@dataclass
class RequestCounts:
    """Completion requests received (faulted ones included), in total and per prompt key.

    ``first_at``/``last_at`` (``time.monotonic``) bracket their arrivals, so a client's request
    phase can be timed from the server's side, whatever its start-up costs.
    """

    total: int = 0
    by_path: Counter = field(default_factory=Counter)
    by_prompt: Counter = field(default_factory=Counter)
    first_at: float | None = None
    last_at: float | None = None

    def for_prompt(self, prompt: str | None = None, messages: Sequence[Any] | None = None) -> int:
        return self.by_prompt[prompt_key(prompt, messages)]

    def repeated(self) -> dict[str, int]:
        """Prompt keys received more than once."""
        return {k: n for k, n in self.by_prompt.items() if n > 1}

    def reset(self) -> None:
        self.total = 0
        self.by_path.clear()
        self.by_prompt.clear()
        self.first_at = self.last_at = None


@dataclass
class _FailRule:
    pattern: re.Pattern[str]
    times: int
    fault: str
    seen: int = 0


class _Fault(Exception):
    def __init__(self, kind: str):
        self.kind = kind


class MockOpenAIServer:
    def __init__(
        self,
        *,
        latency: float = 0.0,
        script: Script | None = None,
        faults: Mapping[str, float] | None = None,
        seed: int = 0,
        retry_after: str | None = "0",
        logprobs: bool = True,
        min_max_tokens: int = 0,
        api_key: str | None = None,
        hang_seconds: float = 600.0,
        bos: str | None = None,
        model: str = "mock",
    ):
        """
        latency: seconds slept before every completion answer.
        script: callable(text) -> reply or None, or (regex -> reply) rules matched with
            ``re.search`` against the last user message (chat) or the prompt (completions).
        faults: probability per fault kind: an HTTP status ("500", "429", "400", ...), "hang"
            (no answer for ``hang_seconds``), "malformed" (invalid JSON, status 200), "reset"
            (connection dropped). Drawn from a RNG seeded with ``seed``.
        retry_after: value of the Retry-After header on 429s (None: no header).
        logprobs: False imitates a server that ignores ``logprobs``/``echo`` requests.
        min_max_tokens: 1 imitates servers that reject ``max_tokens: 0`` with a 400.
        api_key: when set, requests without ``Authorization: Bearer <api_key>`` get a 401.
        bos: echo this extra first token and count it into ``text_offset``, as vLLM does with
            ``<s>``; the prompt's own first token then gets a logprob. ``add_special_tokens:
            false`` in a request leaves it out, as in vLLM.
        """
        self.latency = latency
        self.script = script
        self.faults = {str(k): float(p) for k, p in (faults or {}).items()}
        for kind in self.faults:
            if kind not in FAULT_KINDS and not (kind.isdigit() and len(kind) == 3):
                raise ValueError(f"unknown fault kind {kind!r}")
        self.retry_after = retry_after
        self.logprobs = logprobs
        self.min_max_tokens = min_max_tokens
        self.api_key = api_key
        self.hang_seconds = hang_seconds
        self.bos = bos
        self.model = model
        self.counts = RequestCounts()
        self.base_url: str | None = None
        self._rng = random.Random(seed)
        self._rules: list[_FailRule] = []
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None

    def fail_first(self, pattern: str, times: int, fault: str = "500") -> None:
        """Answer the first ``times`` requests whose prompt matches ``pattern`` with ``fault``."""
        self._rules.append(_FailRule(re.compile(pattern), times, fault))

    async def start(self, host: str = HOST, port: int = 0) -> str:
        if host not in (HOST, "localhost"):
            raise ValueError("the mock server only binds 127.0.0.1")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/completions", self._completions)
        app.router.add_get("/mock/stats", self._stats)
        app.router.add_post("/mock/reset", self._reset)
        self._stopping = asyncio.Event()
        # No access log: it costs more than the handlers themselves at thousands of requests/s.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        self.base_url = f"http://{HOST}:{bound_port}/v1"
        return self.base_url

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()  # releases hanging handlers
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- handlers -------------------------------------------------------------------------------

    async def _models(self, request: web.Request) -> web.Response:
        self.counts.by_path[request.path] += 1
        if not self._authorized(request):
            return _error(401, "Incorrect API key provided.", "invalid_request_error")
        return web.json_response(
            {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "mock"}]})

    async def _stats(self, request: web.Request) -> web.Response:
        counts = self.counts
        first, last = counts.first_at, counts.last_at
        span = None if first is None or last is None else last - first
        return web.json_response({
            "total": counts.total,
            "by_path": dict(counts.by_path),
            "prompts": len(counts.by_prompt),
            "max_per_prompt": max(counts.by_prompt.values(), default=0),
            "span_seconds": span,  # first to last arrival
        })

    async def _reset(self, request: web.Request) -> web.Response:
        self.counts.reset()
        return web.json_response({"ok": True})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body, problem = await self._read(request)
        if problem is not None:
            return problem
        messages = body.get("messages")
        if (not isinstance(messages, list) or not messages
                or not all(isinstance(m, dict) for m in messages)):
            return _error(400, "'messages' must be a non-empty list of objects",
                          "invalid_request_error")
        self.counts.by_prompt[prompt_key(messages=messages)] += 1
        last_user = next((str(m.get("content", "")) for m in reversed(messages)
                          if m.get("role") == "user"), "")
        try:
            problem = await self._before_answer(request, body, last_user)
        except _Fault as fault:
            return await self._fault(request, fault.kind)
        if problem is not None:
            return problem
        text, finish = self._reply(last_user, body)
        prompt_tokens = sum(len(tokenize(str(m.get("content", "")))) for m in messages)
        return web.json_response({
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": finish,
                         "message": {"role": "assistant", "content": text}}],
            "usage": _usage(prompt_tokens, len(tokenize(text))),
        })

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body, problem = await self._read(request)
        if problem is not None:
            return problem
        prompt = body.get("prompt")
        if isinstance(prompt, list) and len(prompt) == 1:
            prompt = prompt[0]
        if not isinstance(prompt, str):
            return _error(400, "the mock accepts one string 'prompt' per request",
                          "invalid_request_error")
        self.counts.by_prompt[prompt_key(prompt=prompt)] += 1
        try:
            problem = await self._before_answer(request, body, prompt)
        except _Fault as fault:
            return await self._fault(request, fault.kind)
        if problem is not None:
            return problem
        text, finish = self._reply(prompt, body)
        prompt_tokens = tokenize(prompt)
        completion_tokens = tokenize(text)
        echo = bool(body.get("echo"))
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish,
                                  "text": prompt + text if echo else text, "logprobs": None}
        if self.logprobs and body.get("logprobs") is not None:
            # vLLM's add_special_tokens=false leaves the BOS out.
            bos = self.bos if body.get("add_special_tokens", True) is not False else None
            choice["logprobs"] = _logprob_block(prompt, prompt_tokens, text, echo, bos)
        return web.json_response({
            "id": "cmpl-mock",
            "object": "text_completion",
            "model": body["model"],
            "choices": [choice],
            "usage": _usage(len(prompt_tokens), len(completion_tokens)),
        })

    # -- helpers --------------------------------------------------------------------------------

    async def _read(self, request: web.Request) -> tuple[dict[str, Any], web.Response | None]:
        counts = self.counts
        counts.total += 1
        counts.by_path[request.path] += 1
        counts.last_at = time.monotonic()
        if counts.first_at is None:
            counts.first_at = counts.last_at
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}, _error(400, "request body is not valid JSON", "invalid_request_error")
        if not isinstance(body, dict):
            return {}, _error(400, "request body must be a JSON object", "invalid_request_error")
        if not body.get("model"):
            return body, _error(400, "you must provide a model parameter",
                                "invalid_request_error")
        return body, None

    async def _before_answer(self, request: web.Request, body: dict[str, Any],
                             text: str) -> web.Response | None:
        """Auth, latency, faults and parameter checks; raises _Fault or returns an error reply."""
        if not self._authorized(request):
            return _error(401, "Incorrect API key provided.", "invalid_request_error")
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        for rule in self._rules:
            if rule.pattern.search(text) and rule.seen < rule.times:
                rule.seen += 1
                raise _Fault(rule.fault)
        if self.faults:
            draw = self._rng.random()
            for kind, probability in self.faults.items():
                if draw < probability:
                    raise _Fault(kind)
                draw -= probability
        max_tokens = body.get("max_tokens", 16)
        if not isinstance(max_tokens, int) or max_tokens < self.min_max_tokens:
            return _error(400, f"max_tokens must be at least {self.min_max_tokens}, "
                          f"got {max_tokens!r}", "invalid_request_error")
        return None

    def _authorized(self, request: web.Request) -> bool:
        if self.api_key is None:
            return True
        return request.headers.get("Authorization") == f"Bearer {self.api_key}"

    async def _fault(self, request: web.Request, kind: str) -> web.StreamResponse:
        if kind == "hang":
            assert self._stopping is not None
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.hang_seconds)
            return _error(503, "mock server hung", "server_error")
        if kind == "malformed":
            return web.Response(status=200, text='{"choices": [{"text": "trunc',
                                content_type="application/json")
        if kind == "reset":
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)  # never reaches the client
        status = int(kind)
        headers = {}
        if status == 429 and self.retry_after is not None:
            headers["Retry-After"] = self.retry_after
        response = _error(status, f"mock fault {status}", "mock_fault")
        response.headers.update(headers)
        return response

    def _reply(self, text: str, body: dict[str, Any]) -> tuple[str, str]:
        """The reply text and its finish reason, after stop sequences and max_tokens."""
        reply = self._scripted(text)
        if reply is None:
            reply = default_reply(text)
        finish = "stop"
        stop = body.get("stop") or []
        for s in [stop] if isinstance(stop, str) else stop:
            if s and s in reply:
                reply = reply[: reply.index(s)]
        tokens = tokenize(reply)
        max_tokens = body.get("max_tokens", 16)
        if len(tokens) > max_tokens:
            reply = reply[: tokens[max_tokens][0]] if max_tokens > 0 else ""
            finish = "length"
        return reply, finish

    def _scripted(self, text: str) -> str | None:
        if self.script is None:
            return None
        if callable(self.script):
            return self.script(text)
        rules = self.script.items() if isinstance(self.script, Mapping) else self.script
        for pattern, reply in rules:
            if re.search(pattern, text):
                return reply
        return None


def _logprob_block(prompt: str, prompt_tokens: list[tuple[int, str]], text: str,
                   echo: bool, bos: str | None) -> dict[str, Any]:
    """OpenAI legacy-completions ``logprobs``, with the prompt's tokens too when echoing.

    The reply's tokens continue the prompt's hash chain, as if the model had written them.
    Offsets count from the start of the prompt, as OpenAI's do.
    """
    reply_tokens = tokenize(text)
    tokens = [t for _, t in prompt_tokens] + [t for _, t in reply_tokens]
    offsets = [o for o, _ in prompt_tokens] + [len(prompt) + o for o, _ in reply_tokens]
    values: list[float | None] = list(_logprobs(tokens))
    if bos is not None:
        tokens, offsets = [bos, *tokens], [0] + [o + len(bos) for o in offsets]
        values.insert(0, None)
    if values:
        values[0] = None  # nothing to condition the first token on
    first = 0 if echo else len(tokens) - len(reply_tokens)
    tokens, offsets, values = tokens[first:], offsets[first:], values[first:]
    top = [None if v is None else {t: v} for t, v in zip(tokens, values, strict=True)]
    return {
        "tokens": tokens,
        "token_logprobs": values,
        "top_logprobs": top,
        "text_offset": offsets,
    }


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def _error(status: int, message: str, kind: str) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": kind, "param": None, "code": None}}, status=status)


@contextlib.contextmanager
def serve_in_thread(**options: Any) -> Iterator[MockOpenAIServer]:
    """Run a ``MockOpenAIServer(**options)`` on its own loop in a daemon thread."""
    server = MockOpenAIServer(**options)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="mock-openai", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=10)
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def _parse_fault(text: str) -> tuple[str, float]:
    kind, _, probability = text.partition("=")
    try:
        return kind, float(probability)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected KIND=PROBABILITY, got {text!r}") from None


async def _serve(args: argparse.Namespace) -> None:
    server = MockOpenAIServer(latency=args.latency, faults=dict(args.fault), seed=args.seed,
                              retry_after=args.retry_after, logprobs=not args.no_logprobs,
                              min_max_tokens=args.min_max_tokens)
    base_url = await server.start(port=args.port)
    print(f"mock-openai listening on {base_url}", flush=True)  # the perf scripts wait for this
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, done.set)
    await done.wait()
    await server.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m valuescope.testing.mock_openai",
                                     description="Deterministic OpenAI-compatible mock server "
                                                 "on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    parser.add_argument("--fault", type=_parse_fault, action="append", default=[],
                        metavar="KIND=P", help="e.g. 500=0.1, 429=0.1, hang=0.01, malformed=0.05")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--retry-after", default="0")
    parser.add_argument("--no-logprobs", action="store_true")
    parser.add_argument("--min-max-tokens", type=int, default=0)
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
