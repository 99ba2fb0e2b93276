"""OpenAICompatModel against the mock OpenAI server: each HTTP outcome maps to one result kind."""

from __future__ import annotations

import asyncio
import json
import math
import socket
import subprocess
import sys
import urllib.request

import pytest
from aiohttp import web

from valuescope.core.requests import Generate, Generation, Message, Score, Scores
from valuescope.errors import UserError
from valuescope.models.base import RequestError, RetryableError
from valuescope.models.openai_compat import OpenAICompatModel
from valuescope.testing.mock_openai import _logprobs, default_reply, serve_in_thread, tokenize

FAKE_KEY = "sk-test-DO-NOT-LEAK-4242"
SCRIPT = {"thoughtful explanation": "Because people differ. 3", "answer as a score": "3"}


@pytest.fixture
def server():
    with serve_in_thread(script=SCRIPT) as server:
        yield server


def ask(model: OpenAICompatModel, *requests):
    """Answer requests in a fresh event loop, closing the model's session afterwards."""

    async def go():
        try:
            return await model.answer(list(requests))
        finally:
            await model.aclose()

    return asyncio.run(go())


def chat(text: str, **kwargs) -> Generate:
    return Generate(messages=(Message("user", text),), **kwargs)


def expected_split(context: str, continuation: str) -> tuple[float, int, float, int]:
    """The mock's logprobs summed by hand: tokens ending after the context are the continuation."""
    text = context + continuation
    pieces = tokenize(text)
    values = _logprobs([t for _, t in pieces])
    cont = [v for (o, t), v in zip(pieces, values, strict=True) if o + len(t) > len(context)]
    ctx = [v for (o, t), v in zip(pieces, values, strict=True) if o + len(t) <= len(context)][1:]
    return sum(cont), len(cont), sum(ctx), len(ctx)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- generation ------------------------------------------------------------------------------


def test_chat_generate_uses_chat_endpoint_and_usage(server):
    model = OpenAICompatModel("mock", base_url=server.base_url)
    question = "Please answer as a score from 1 to 5."
    [result] = ask(model, chat(question))
    assert result == Generation(text="3", finish_reason="stop",
                                prompt_tokens=len(tokenize(question)), completion_tokens=1)
    assert server.counts.by_path["/v1/chat/completions"] == 1
    assert server.counts.by_path["/v1/completions"] == 0


def test_chat_generate_sends_stop_and_max_tokens(server):
    model = OpenAICompatModel("mock", base_url=server.base_url)
    stopped, truncated = ask(model, chat("a thoughtful explanation", stop=(".",)),
                             chat("a thoughtful explanation", max_tokens=1))
    assert stopped.text == "Because people differ"
    assert (truncated.text, truncated.finish_reason) == ("Beca", "length")


def test_prompt_generate_uses_completions(server):
    model = OpenAICompatModel("mock", base_url=server.base_url)
    [result] = ask(model, Generate(prompt="Once upon a time", max_tokens=100))
    assert result.text == default_reply("Once upon a time")
    assert result.completion_tokens == len(tokenize(result.text))
    assert server.counts.by_path["/v1/completions"] == 1
    assert server.counts.for_prompt(prompt="Once upon a time") == 1


def test_chat_endpoint_sends_prompts_as_one_user_message(server):
    model = OpenAICompatModel("mock", base_url=server.base_url, endpoint="chat")
    [result] = ask(model, Generate(prompt="answer as a score"))
    assert result.text == "3"
    sent = [{"role": "user", "content": "answer as a score"}]
    assert server.counts.for_prompt(messages=sent) == 1
    assert model.identity["endpoint"] == "chat"


def test_completions_endpoint_cannot_send_a_chat(server):
    model = OpenAICompatModel("mock", base_url=server.base_url, endpoint="completions")
    [result] = ask(model, chat("hello"))
    assert isinstance(result, RequestError)
    assert server.counts.total == 0


def test_concurrent_batch_sends_each_request_once(server):
    model = OpenAICompatModel("mock", base_url=server.base_url, max_connections=8)
    requests = [chat(f"question {i}") for i in range(60)]
    results = ask(model, *requests)
    assert [r.text for r in results] == [default_reply(f"question {i}") for i in range(60)]
    assert server.counts.total == 60
    assert server.counts.repeated() == {}


def test_model_is_reusable_across_event_loops(server):
    # The CLI calls check() and the run under separate asyncio.run calls.
    model = OpenAICompatModel("mock", base_url=server.base_url)
    asyncio.run(model.check())
    assert isinstance(ask(model, chat("first"))[0], Generation)
    assert isinstance(ask(model, chat("second"))[0], Generation)
    assert server.counts.total == 2


# -- scoring ---------------------------------------------------------------------------------


def test_score_sums_continuation_logprobs_via_echo(server):
    model = OpenAICompatModel("mock", base_url=server.base_url)
    context = "Question: Is family important? Answer:"
    [result] = ask(model, Score(prompt=context, continuations=(" yes", " no", " very much so")))
    assert isinstance(result, Scores)
    expected = [expected_split(context, c) for c in (" yes", " no", " very much so")]
    assert result.logprobs == pytest.approx([e[0] for e in expected])
    assert result.tokens == tuple(e[1] for e in expected) == (1, 1, 3)
    assert result.context_logprob == pytest.approx(expected[0][2])
    assert result.context_tokens == expected[0][3] == len(tokenize(context)) - 1
    assert len(set(result.logprobs)) == 3  # different continuations, different scores
    # One echo request per continuation, none repeated.
    assert server.counts.by_path["/v1/completions"] == 3
    assert server.counts.repeated() == {}


def test_score_token_straddling_boundary_counts_to_continuation(server):
    model = OpenAICompatModel("mock", base_url=server.base_url)
    # The mock glues leading spaces onto tokens, so " yes" straddles "Answer: " | "yes", and
    # "Truth" + "fully" become "Trut", "hful", "ly".
    spaced, glued = ask(model, Score(prompt="Answer: ", continuations=("yes",)),
                        Score(prompt="Truth", continuations=("fully",)))
    assert (spaced.tokens, spaced.context_tokens) == ((1,), 1)  # " yes"; "er:" ("Answ" has none)
    assert spaced.logprobs[0] == pytest.approx(expected_split("Answer: ", "yes")[0])
    assert (glued.tokens, glued.context_tokens) == ((2,), 0)  # "hful" straddles, "ly" follows
    assert glued.logprobs[0] == pytest.approx(expected_split("Truth", "fully")[0])


def test_score_is_deterministic_and_ignores_a_bos_token():
    request = Score(prompt="I think that", continuations=(" it matters", " it does not"))
    with serve_in_thread() as plain, serve_in_thread(bos="<s>") as with_bos:
        first = ask(OpenAICompatModel("mock", base_url=plain.base_url), request)[0]
        again = ask(OpenAICompatModel("mock", base_url=plain.base_url), request)[0]
        shifted = ask(OpenAICompatModel("mock", base_url=with_bos.base_url), request)[0]
    assert first == again
    # vLLM counts "<s>" into text_offset; the boundary must still fall in the same place.
    assert shifted.logprobs == first.logprobs
    assert shifted.tokens == first.tokens
    assert shifted.context_tokens == first.context_tokens + 1  # "I" now has a logprob


def test_score_without_special_tokens_asks_the_server_to_leave_the_bos_out():
    request = Score(prompt="I think that", continuations=(" it matters",), special_tokens=False)
    with serve_in_thread(bos="<s>") as with_bos:
        plain = ask(OpenAICompatModel("mock", base_url=with_bos.base_url), request)[0]
        default = ask(OpenAICompatModel("mock", base_url=with_bos.base_url),
                      Score(prompt="I think that", continuations=(" it matters",)))[0]
    assert plain.logprobs == default.logprobs
    assert plain.context_tokens == default.context_tokens - 1  # "I" unscored again, as in evaluate


def test_score_falls_back_to_one_token_when_zero_is_rejected():
    request = Score(prompt="The sky is", continuations=(" blue", " green"))
    with serve_in_thread(min_max_tokens=1) as server:
        model = OpenAICompatModel("mock", base_url=server.base_url)
        [first] = ask(model, request)
        sent_first = server.counts.total
        [second] = ask(model, Score(prompt="The sea is", continuations=(" wet",)))
        assert server.counts.total == sent_first + 1  # remembered: no second refusal
    assert sent_first in (3, 4)  # both continuations may race into the refusal
    # The generated token is not counted into the continuation.
    assert first.logprobs == pytest.approx([expected_split("The sky is", c)[0]
                                            for c in (" blue", " green")])
    assert second.tokens == (1,)


def test_score_without_logprobs_is_a_request_error():
    with serve_in_thread(logprobs=False) as server:
        [result] = ask(OpenAICompatModel("mock", base_url=server.base_url),
                       Score(prompt="x y", continuations=(" z",)))
    assert isinstance(result, RequestError)
    assert str(result) == "server gave no logprobs for echo; use a generate-and-parse variant"


def test_score_with_chat_context_is_a_request_error(server):
    [result] = ask(OpenAICompatModel("mock", base_url=server.base_url),
                   Score(messages=(Message("user", "hi"),), continuations=("a", "b")))
    assert isinstance(result, RequestError)
    assert "chat template" in str(result) and "hf" in str(result)
    assert server.counts.total == 0


def test_score_with_empty_context_is_a_request_error(server):
    [result] = ask(OpenAICompatModel("mock", base_url=server.base_url),
                   Score(prompt="", continuations=("hello",)))
    assert isinstance(result, RequestError)


# -- errors ----------------------------------------------------------------------------------


def test_429_is_rate_limited_with_retry_after():
    with serve_in_thread(retry_after="2.5") as server:
        server.fail_first("busy", 1, "429")
        model = OpenAICompatModel("mock", base_url=server.base_url)
        [limited] = ask(model, chat("busy now"))
        [later] = ask(model, chat("busy now"))
    assert isinstance(limited, RetryableError)
    assert limited.rate_limited and limited.retry_after == 2.5
    assert isinstance(later, Generation)


def test_429_without_header_has_no_retry_after():
    with serve_in_thread(retry_after=None, faults={"429": 1.0}) as server:
        [result] = ask(OpenAICompatModel("mock", base_url=server.base_url), chat("x"))
    assert isinstance(result, RetryableError) and result.rate_limited
    assert result.retry_after is None


@pytest.mark.parametrize("fault", ["500", "503", "malformed", "reset"])
def test_transient_faults_are_retryable(server, fault):
    server.fail_first("flaky", 1, fault)
    model = OpenAICompatModel("mock", base_url=server.base_url)
    [result] = ask(model, chat("flaky"))
    assert isinstance(result, RetryableError)
    assert not result.rate_limited


def test_malformed_score_response_is_retryable(server):
    server.fail_first("flaky", 1, "malformed")
    [result] = ask(OpenAICompatModel("mock", base_url=server.base_url),
                   Score(prompt="flaky", continuations=(" a",)))
    assert isinstance(result, RetryableError)


def test_400_is_a_request_error_with_the_server_message(server):
    server.fail_first("bad", 1, "400")
    [fault] = ask(OpenAICompatModel("mock", base_url=server.base_url), chat("bad"))
    [no_model] = ask(OpenAICompatModel("", base_url=server.base_url), chat("fine"))
    assert isinstance(fault, RequestError) and "mock fault 400" in str(fault)
    assert isinstance(no_model, RequestError)
    assert "you must provide a model parameter" in str(no_model)


def test_long_server_messages_are_truncated():
    model = OpenAICompatModel("mock", base_url="http://127.0.0.1:1/v1")
    text = model._server_message(json.dumps({"detail": "x" * 5000}).encode())
    assert len(text) == 300 and text.endswith("...")


def test_hang_is_left_to_the_runner_timeout():
    with serve_in_thread(faults={"hang": 1.0}) as server:
        model = OpenAICompatModel("mock", base_url=server.base_url)

        async def go():
            try:
                return await asyncio.wait_for(model.answer([chat("x")]), 0.2)
            finally:
                await model.aclose()

        with pytest.raises(TimeoutError):
            asyncio.run(go())


def test_unreachable_server_is_a_user_error():
    url = f"http://127.0.0.1:{free_port()}/v1"
    model = OpenAICompatModel("mock", base_url=url)
    [result] = ask(model, chat("x"))
    assert isinstance(result, UserError)
    assert str(result).startswith(f"cannot reach {url}")
    with pytest.raises(UserError, match="cannot reach"):
        asyncio.run(model.check())


def test_check_passes_on_a_live_server(server):
    asyncio.run(OpenAICompatModel("mock", base_url=server.base_url).check())
    assert server.counts.by_path["/v1/models"] == 1


# -- the API key -----------------------------------------------------------------------------


def test_wrong_key_is_a_user_error_and_never_leaks():
    with serve_in_thread(api_key="the-right-key") as server:
        model = OpenAICompatModel("mock", base_url=server.base_url, api_key=FAKE_KEY)
        [gen, score] = ask(model, chat("x"), Score(prompt="a b", continuations=(" c",)))
        with pytest.raises(UserError) as checked:
            asyncio.run(model.check())
    for error in (gen, score, checked.value):
        assert isinstance(error, UserError)
        assert "authentication failed" in str(error) and "OPENAI_API_KEY" in str(error)
        assert FAKE_KEY not in str(error) and FAKE_KEY not in repr(error)


def test_key_is_sent_but_not_shown(monkeypatch, server):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url + "/")
    model = OpenAICompatModel("mock")
    assert model.base_url == server.base_url
    assert model.identity == {"backend": "openai", "model": "mock", "base_url": server.base_url}
    for shown in (repr(model), str(model), json.dumps(model.identity)):
        assert FAKE_KEY not in shown
    faults = ["429", "500", "400", "malformed", "reset"]
    for fault in faults:
        server.fail_first("", 1, fault)  # rules fire in order, each once
    errors = [ask(model, chat("x"))[0] for _ in faults]
    errors.append(ask(OpenAICompatModel("mock", base_url=f"http://127.0.0.1:{free_port()}/v1"),
                      chat("x"))[0])
    kinds = [RetryableError, RetryableError, RequestError, RetryableError, RetryableError,
             UserError]
    assert all(isinstance(e, kind) for e, kind in zip(errors, kinds, strict=True))
    for error in errors:
        assert FAKE_KEY not in str(error) and FAKE_KEY not in repr(error)


def test_key_echoed_by_a_server_is_scrubbed():
    async def echo_headers(request: web.Request) -> web.Response:
        return web.json_response({"error": {"message": f"bad: {dict(request.headers)}"}},
                                 status=400)

    async def go():
        app = web.Application()
        app.router.add_post("/v1/chat/completions", echo_headers)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        model = OpenAICompatModel("mock", base_url=f"http://127.0.0.1:{port}/v1", api_key=FAKE_KEY)
        try:
            return await model.answer([chat("x")])
        finally:
            await model.aclose()
            await runner.cleanup()

    [error] = asyncio.run(go())
    assert isinstance(error, RequestError)
    assert "Authorization" in str(error) and "***" in str(error)
    assert FAKE_KEY not in str(error)


def test_logprobs_are_finite_and_negative(server):
    [result] = ask(OpenAICompatModel("mock", base_url=server.base_url),
                   Score(prompt="one two three", continuations=(" four five",)))
    assert all(math.isfinite(v) and v < 0 for v in (*result.logprobs, result.context_logprob))


def test_score_prefix_extends_a_plain_context(server):
    model = OpenAICompatModel("mock", base_url=server.base_url)
    with_prefix, joined = ask(model, Score(prompt="Q: why?", prefix=" A:", continuations=(" no",)),
                              Score(prompt="Q: why? A:", continuations=(" no",)))
    assert with_prefix == joined


def test_mock_runs_as_its_own_process():
    # The perf scripts start it this way and read /mock/stats between cases.
    command = [sys.executable, "-m", "valuescope.testing.mock_openai", "--port", "0",
               "--fault", "500=0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        try:
            line = proc.stdout.readline()
            base_url = line.split("listening on ", 1)[1].strip()
            assert base_url.startswith("http://127.0.0.1:")
            [result] = ask(OpenAICompatModel("mock", base_url=base_url), chat("hello"))
            assert result.text == default_reply("hello")
            root = base_url.removesuffix("/v1")
            with urllib.request.urlopen(root + "/mock/stats", timeout=5) as response:
                stats = json.loads(response.read())
            assert (stats["total"], stats["max_per_prompt"]) == (1, 1)
        finally:
            proc.terminate()
        assert proc.wait(timeout=10) == 0  # SIGTERM is a clean stop
