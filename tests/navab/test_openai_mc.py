"""navab:mc through an OpenAI-compatible server (echo + logprobs): the perplexities are those
of the two full strings, as the original defines them, in the server's own tokens."""

from __future__ import annotations

import asyncio
import math

import pytest

from valuescope.benchmarks.navab.benchmark import create
from valuescope.benchmarks.navab.evaluate import full_perplexities
from valuescope.models.openai_compat import OpenAICompatModel
from valuescope.testing import mock_openai
from valuescope.testing.mock_openai import serve_in_thread

OPTIONS = {"data": "examples", "nation": "all", "source": "all", "aj-layout": "paper",
           "temperature": 0.6, "max-tokens": None, "seed": 0}


def original_perplexity(text: str) -> float:
    """evaluate's perplexity with add_start_token=False, on the mock's tokens and log-probs:
    the first token unscored, exp of the mean negative log-likelihood of the rest."""
    values = mock_openai._logprobs([t for _, t in mock_openai.tokenize(text)])[1:]
    return math.exp(-sum(values) / len(values))


@pytest.mark.parametrize("bos", [None, "<s>"])
def test_mc_over_echo_logprobs_gives_full_string_perplexities(bos):
    task = create("mc", OPTIONS)
    requests = [task.requests(item)[0] for item in task.load(4)]
    with serve_in_thread(bos=bos) as server:
        model = OpenAICompatModel("mock", base_url=server.base_url)

        async def answer():
            try:
                return await model.answer(requests)
            finally:
                await model.aclose()

        scores = asyncio.run(answer())
    for request, response in zip(requests, scores, strict=True):
        expected = [original_perplexity(request.prompt + c) for c in request.continuations]
        assert list(full_perplexities(response)) == pytest.approx(expected, rel=1e-12)
