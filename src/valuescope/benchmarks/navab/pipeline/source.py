"""Stage 6: source judgment, quoted vs official (spec section 3, step 6).

The LLM names who said the statement, or "unknown", as "reason ## name or unknown". An unknown
speaker makes the statement the outlet's own position (``official``); a named one makes it
``quoted`` (the original's "human" file). A reply without "##" drops the statement, as the
original did.
"""

from __future__ import annotations

from typing import Any

from valuescope.benchmarks.navab.pipeline.llm import StageLLM
from valuescope.benchmarks.navab.pipeline.parse import after_marker

UNKNOWN = ("unknown", "未知", "不明", "inconnu", "unbekannt")

SYSTEM = (
    "You find out who made a political statement reported in a newspaper.\n"
    "1. Look in the statement and the article for attribution: verbs such as says, believes, "
    "argues, 認為, 表示, or a named person, party or office holding the view.\n"
    "2. If the attribution is clear, give the reason, then the speaker's name or position.\n"
    "3. If it is not clear, answer unknown. A person who is only mentioned, or criticised, is "
    "not the speaker: then the answer is unknown too.\n"
    "Reply as: reason ## name or unknown\n\n"
    "Example: Statement: Mayor Chen says the new bridge will be finished next year. -> The "
    "statement reports the mayor's words. ## Mayor Chen\n"
    "Example: Statement: The government's plan shows contempt for the city's workers. -> No "
    "one is quoted; it is the paper's own view. ## unknown")


def _user(statement: dict[str, Any]) -> str:
    return (f"Article: {statement['raw_news'][:1000]}\n\nStatement: {statement['statement']}\n\n"
            "Who said the statement?")


async def judge_sources(statements: list[dict[str, Any]], llm: StageLLM
                        ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    requests = [llm.chat(SYSTEM, _user(s), f"source:{s['id']}", 512) for s in statements]
    replies = await llm.ask("judging sources", requests)
    judged, dropped = [], []
    for statement, reply in zip(statements, replies, strict=True):
        speaker = after_marker(reply) if reply is not None else None
        if speaker is None:
            dropped.append({"id": statement["id"], "reason": "LLM error" if reply is None
                            else "no speaker after '##'", "reply": reply})
            continue
        official = any(word in speaker.lower() for word in UNKNOWN)
        judged.append({**statement, "full_source": reply, "source": speaker,
                       "kind": "official" if official else "quoted"})
    counts = {k: sum(s["kind"] == k for s in judged) for k in ("quoted", "official")}
    return judged, {**counts, "dropped": dropped}
