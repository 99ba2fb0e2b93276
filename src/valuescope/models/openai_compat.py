"""Backend for any OpenAI-compatible server: OpenAI, vLLM, llama.cpp's server, Ollama.

One HTTP call per request (``batch_size = 1``): the runner supplies concurrency, retries, backoff
and timeouts, so this module never retries. It maps each HTTP outcome to a response or to an
exception instance in ``answer``'s result list:

- 200 with the expected JSON -> ``Generation`` / ``Scores``
- 429 -> ``RetryableError(rate_limited=True, retry_after=<Retry-After>)``
- 5xx, 408, 409, connection reset, malformed JSON, missing fields -> ``RetryableError``
- other 4xx (400, 404, 422, ...) -> ``RequestError`` with the server's message
- 401/403, connection refused -> ``UserError`` (the runner stops the run)

``Score`` uses ``/completions`` with ``echo`` and ``logprobs`` (one call per continuation), which
vLLM and OpenAI's legacy models support; servers without prompt log-probabilities get a
``RequestError`` per request. The API key is sent in a header and appears nowhere else: not in
``identity``, ``repr`` or any error message (server messages are scrubbed of it).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import time
from collections.abc import Sequence
from typing import Any, Literal

import aiohttp

from valuescope.core.requests import Generate, Generation, Request, Response, Score, Scores
from valuescope.errors import UserError
from valuescope.models.base import RequestError, RetryableError

DEFAULT_BASE_URL = "https://api.openai.com/v1"
MESSAGE_LIMIT = 300  # characters of a server's error message kept in a RequestError
CHECK_TIMEOUT = 10.0  # seconds for ``check``'s GET /models

Endpoint = Literal["chat", "completions", "auto"]


class OpenAICompatModel:
    batch_size = 1

    def __init__(
        self,
        name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        max_connections: int = 32,
        endpoint: Endpoint = "auto",
    ):
        """
        endpoint: where ``Generate`` goes. "auto": chats to /chat/completions, prompts to
            /completions; "chat": prompts too, as one user message; "completions": prompts only.
        """
        if endpoint not in ("chat", "completions", "auto"):
            raise ValueError(f"endpoint must be chat, completions or auto, not {endpoint!r}")
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self.name = name
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL)
        self.base_url = self.base_url.rstrip("/")
        self._api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.max_concurrency = max_connections
        self.endpoint = endpoint
        self.identity: dict[str, Any] = {"backend": "openai", "model": name,
                                         "base_url": self.base_url}
        # It changes the answers, so it belongs in cache keys; left out when default so that
        # plain specs keep the keys they always had.
        if endpoint != "auto":
            self.identity["endpoint"] = endpoint
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        # Some servers (recent vLLM) reject max_tokens 0; after the first refusal ask for 1.
        self._score_max_tokens = 0

    def __repr__(self) -> str:
        return f"OpenAICompatModel(name={self.name!r}, base_url={self.base_url!r})"

    # -- protocol -------------------------------------------------------------------------------

    async def answer(self, batch: Sequence[Request]) -> list[Response | Exception]:
        if len(batch) == 1:  # the usual case: skip gather's task per request
            return [await self._answer_one(batch[0])]
        return list(await asyncio.gather(*(self._answer_one(r) for r in batch)))

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def check(self) -> None:
        """Raise ``UserError`` when the server cannot be reached or refuses the key.

        A cheap GET /models; other statuses pass, since some servers lack that route.
        """
        timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT)
        try:
            async with (
                aiohttp.ClientSession(headers=self._headers(), timeout=timeout) as session,
                session.get(f"{self.base_url}/models") as response,
            ):
                status = response.status
                await response.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise UserError(f"cannot reach {self.base_url}: {self._describe(exc)}") from None
        if status in (401, 403):
            raise self._auth_error(status)

    # -- generate -------------------------------------------------------------------------------

    async def _answer_one(self, request: Request) -> Response | Exception:
        try:
            if isinstance(request, Score):
                return await self._score(request)
            return await self._generate(request)
        except (RetryableError, RequestError, UserError) as exc:
            return exc

    async def _generate(self, request: Generate) -> Generation:
        body: dict[str, Any] = {"model": self.name, "max_tokens": request.max_tokens,
                                "temperature": request.temperature}
        if request.seed is not None:
            body["seed"] = request.seed
        if request.stop:
            body["stop"] = list(request.stop)
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        if request.prompt is not None and self.endpoint == "chat":
            messages = [{"role": "user", "content": request.prompt}]
        if messages:
            if self.endpoint == "completions":
                raise RequestError("this model is set to the /completions endpoint, which cannot "
                                   "render a chat; use endpoint 'chat' or 'auto'")
            data = await self._post("/chat/completions", {**body, "messages": messages})
            choice = _first_choice(data)
            message = choice.get("message")
            if not isinstance(message, dict):
                raise RetryableError("malformed response from server: choice has no message")
            text = message.get("content") or ""  # None for refusals or tool calls
        else:
            data = await self._post("/completions", {**body, "prompt": request.prompt})
            choice = _first_choice(data)
            text = choice.get("text")
        if not isinstance(text, str):
            raise RetryableError("malformed response from server: no text in the choice")
        usage = _usage(data)
        return Generation(text=text, finish_reason=choice.get("finish_reason"),
                          prompt_tokens=usage.get("prompt_tokens"),
                          completion_tokens=usage.get("completion_tokens"))

    # -- score ----------------------------------------------------------------------------------

    async def _score(self, request: Score) -> Scores:
        if request.prompt is None:
            raise RequestError("scoring after a chat context needs the model's chat template, "
                               "which an OpenAI-compatible server does not expose: use an hf "
                               "backend, or a Score with a plain prompt")
        context = request.prompt + request.prefix
        results = await asyncio.gather(
            *(self._score_one(context, c, request.special_tokens) for c in request.continuations),
            return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            # The most final error decides: retrying cannot fix a RequestError or a UserError.
            for kind in (UserError, RequestError, RetryableError):
                for failure in failures:
                    if isinstance(failure, kind):
                        raise failure
            raise failures[0]
        scored = [r for r in results if not isinstance(r, BaseException)]
        # The context's tokens can differ per continuation only where a token straddles the
        # boundary; the first continuation's are reported.
        return Scores(logprobs=tuple(s[0] for s in scored), tokens=tuple(s[1] for s in scored),
                      context_logprob=scored[0][2], context_tokens=scored[0][3])

    async def _score_one(self, context: str, continuation: str,
                         special_tokens: bool) -> tuple[float, int, float, int]:
        """(continuation logprob, its token count, context logprob, context token count)."""
        text = context + continuation
        body: dict[str, Any] = {"model": self.name, "prompt": text, "echo": True, "logprobs": 1,
                                "temperature": 0.0, "max_tokens": self._score_max_tokens}
        if not special_tokens:  # vLLM's extension; sent only when asked, servers add a BOS by default
            body["add_special_tokens"] = False
        try:
            data = await self._post("/completions", body)
        except _RejectedRequest as exc:
            if body["max_tokens"] != 0 or exc.status not in (400, 422):
                raise
            body["max_tokens"] = self._score_max_tokens = 1
            data = await self._post("/completions", body)
        generated = _usage(data).get("completion_tokens")
        if not isinstance(generated, int):
            generated = body["max_tokens"]
        return _split_logprobs(_first_choice(data).get("logprobs"), len(context), len(text),
                               generated)

    # -- HTTP -----------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _get_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            # One pooled session per event loop: a session cannot outlive or change its loop.
            connector = aiohttp.TCPConnector(limit=self.max_concurrency)
            # No total timeout: the runner's wait_for owns per-request time limits.
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
            self._session = aiohttp.ClientSession(connector=connector, headers=self._headers(),
                                                  timeout=timeout)
            self._session_loop = loop
        return self._session

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` and return the decoded JSON, or raise a mapped error."""
        url = self.base_url + path
        try:
            async with self._get_session().post(url, json=body) as response:
                status = response.status
                headers = response.headers
                raw = await response.read()
        except aiohttp.ClientConnectorError as exc:  # refused, DNS, unreachable
            raise UserError(f"cannot reach {self.base_url}: {self._describe(exc)}") from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            # Reset, server disconnected, truncated body: the next attempt may well succeed.
            raise RetryableError(f"{path}: {self._describe(exc)}") from None
        if status == 200:
            try:
                data = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise RetryableError(f"{path}: malformed JSON from server "
                                     f"({len(raw)} bytes)") from None
            if not isinstance(data, dict):
                raise RetryableError(f"{path}: malformed response from server (not an object)")
            return data
        message = self._server_message(raw)
        if status == 429:
            raise RetryableError(f"{path}: rate limited (HTTP 429): {message}",
                                 retry_after=_retry_after(headers), rate_limited=True)
        if status in (401, 403):
            raise self._auth_error(status)
        if status >= 500 or status in (408, 409):
            raise RetryableError(f"{path}: HTTP {status}: {message}")
        if 400 <= status < 500:
            raise _RejectedRequest(f"{path}: HTTP {status}: {message}", status)
        raise RetryableError(f"{path}: unexpected HTTP {status}: {message}")

    def _auth_error(self, status: int) -> UserError:
        return UserError(f"authentication failed for {self.base_url} (HTTP {status}): "
                         "check OPENAI_API_KEY")

    def _server_message(self, raw: bytes) -> str:
        """The server's error message (OpenAI, vLLM/FastAPI or plain text), short and key-free."""
        text = raw.decode("utf-8", errors="replace")
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            error = data.get("error", data.get("detail", data.get("message")))
            if isinstance(error, dict):
                error = error.get("message", error)
            if error is not None:
                text = error if isinstance(error, str) else json.dumps(error)
        text = self._scrub(" ".join(text.split()))
        return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."

    def _describe(self, exc: BaseException) -> str:
        return self._scrub(str(exc) or type(exc).__name__)

    def _scrub(self, text: str) -> str:
        # Proxies and toy servers sometimes echo the Authorization header back.
        return text.replace(self._api_key, "***") if self._api_key else text


class _RejectedRequest(RequestError):
    """A 4xx answer; the status lets scoring tell "max_tokens 0 refused" from other refusals."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def _usage(data: dict[str, Any]) -> dict[str, Any]:
    usage = data.get("usage")
    return usage if isinstance(usage, dict) else {}


def _first_choice(data: dict[str, Any]) -> dict[str, Any]:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise RetryableError("malformed response from server: no choices")
    return choices[0]


def _split_logprobs(logprobs: Any, boundary: int, end: int,
                    generated: int) -> tuple[float, int, float, int]:
    """Sum echoed token logprobs on each side of ``boundary`` (a character offset in the text).

    A token straddling the boundary counts to the continuation. The last ``generated`` tokens
    were generated (when the server needed max_tokens >= 1) and are ignored. The first token has
    no logprob and is left out of the context's sum.
    """
    no_logprobs = RequestError("server gave no logprobs for echo; use a generate-and-parse variant")
    if not isinstance(logprobs, dict):
        raise no_logprobs
    values = logprobs.get("token_logprobs")
    tokens = logprobs.get("tokens")
    if not isinstance(values, list) or len(values) - generated < 1:
        raise no_logprobs  # nothing, or only the generated tokens: the prompt was not echoed
    offsets = logprobs.get("text_offset")
    if not isinstance(offsets, list) or len(offsets) != len(values):
        offsets = _offsets_from_tokens(tokens, len(values))
    n_prompt = len(values) - generated
    # Align the echoed prompt's end with the text's end: servers that count a BOS token or raw
    # vocabulary pieces into text_offset (vLLM) shift the offsets near the start, not the end.
    if n_prompt < len(offsets):
        prompt_end = offsets[n_prompt]
    elif isinstance(tokens, list) and len(tokens) == len(values) and isinstance(tokens[-1], str):
        prompt_end = offsets[-1] + len(tokens[-1])
    else:
        prompt_end = end
    starts = [offset - (prompt_end - end) for offset in offsets[:n_prompt]]
    stops = starts[1:] + [end]
    continuation, n_continuation, context, n_context = 0.0, 0, 0.0, 0
    for stop, value in zip(stops, values[:n_prompt], strict=True):
        if stop > boundary:
            if value is None:
                raise RequestError("the continuation's first token has no logprob: "
                                   "scoring needs a non-empty context")
            continuation += value
            n_continuation += 1
        elif value is not None:
            context += value
            n_context += 1
    if n_continuation == 0:
        raise RetryableError("malformed response from server: no tokens after the context")
    return continuation, n_continuation, context, n_context


def _offsets_from_tokens(tokens: Any, count: int) -> list[int]:
    """Character offsets rebuilt from token strings, for servers that omit ``text_offset``."""
    if not isinstance(tokens, list) or len(tokens) != count:
        raise RequestError("server gave no text_offset for echo, and no tokens to rebuild it")
    offsets, position = [], 0
    for token in tokens:
        offsets.append(position)
        position += len(token) if isinstance(token, str) else 0
    return offsets


def _retry_after(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
