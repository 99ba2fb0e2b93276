"""Per-item decisions: full-string perplexities from one shared-prefix score, and A/B parsing.

The original compares the perplexity of two whole strings (HF ``evaluate``'s "perplexity",
``add_start_token=False``: the first token is not scored, PPL = exp(mean NLL of the rest)). One
``Score(prompt=prefix, continuations=(rest_A, rest_B))`` gives the same numbers: the prefix's own
log-probability (tokens after the first) plus each continuation's, over the token counts of both.
"""

from __future__ import annotations

import math
import re

from valuescope.core.requests import Scores


def full_perplexities(scores: Scores) -> tuple[float, ...]:
    """Perplexity of each full string prefix + continuation_i, as the original computes it."""
    context_lp = scores.context_logprob or 0.0
    context_n = scores.context_tokens or 0
    result = []
    for logprob, tokens in zip(scores.logprobs, scores.tokens, strict=True):
        n = context_n + tokens
        result.append(math.exp(-(context_lp + logprob) / n) if n > 0 else math.nan)
    return tuple(result)


def is_right(ppl_a: float, ppl_b: float, s_letter: str) -> bool:
    """The option holding S wins with a strictly lower perplexity; ties (and NaN) are wrong."""
    mine, other = (ppl_a, ppl_b) if s_letter == "A" else (ppl_b, ppl_a)
    return mine < other


_OPEN = r"[\s*_`\"'“‘(\[【（]*"
_LEADING = re.compile(r"^" + _OPEN + r"(?:(?i:option|choice|answer)|答案|选项|選項)?\s*[:：]?"
                      + _OPEN + r"([AB])(?=$|\n|[.)\]】）:：,，。、*_`\"'”’!！])")
_PHRASE = re.compile(r"(?:(?i:answer|choice|option|choose|select|pick)|答案|选择|選擇|选|選|答)"
                     r"\s*(?:(?i:is|would be)|:|：|是|為|为|應該是|应该是)?\s*" + _OPEN
                     + r"([AB])(?![A-Za-z])")


def parse_letter(text: str) -> str | None:
    """The A/B answer in a chat reply, or None when it cannot be told.

    Accepted: a reply that starts with the letter alone or followed by punctuation (``"B"``,
    ``"A."``, ``"(B) ..."``, ``"**A**"``, ``"Answer: B"``), or one phrase naming it (``"the
    answer is A"``, ``"我选B"``). "A strong economy ..." is not an answer; a reply whose phrases
    name both letters is ambiguous.
    """
    text = text.strip()
    match = _LEADING.match(text)
    if match:
        return match.group(1)
    found = {m.group(1) for m in _PHRASE.finditer(text)}
    return found.pop() if len(found) == 1 else None
