"""Stage 5: conflict reduction, valuescope's own design (the paper's algorithm is not released).

Goal (paper): for each topic keep only statements consistent with the nation's dominant stance,
so that S is the nation's value and RS its reversal. Mechanism here, a signed stance graph:

1. Statements are grouped by the topic of their article.
2. Within a topic, candidate pairs are each statement's ``neighbours`` most similar statements
   (cosine of the embeddings, at least ``min_similarity``); small topics pair everything.
3. The LLM judges each pair: same stance, opposite stances, or unrelated ("## same/opposite/
   unrelated"). Same = a positive edge, opposite = a negative edge; the rest add no edge.
4. Each connected component is split into two sides that satisfy as many edges as possible
   (breadth-first 2-colouring, then single-node flips while they help); edges the split cannot
   satisfy are logged as inconsistent.
5. In a component with an opposite edge, the larger side is the dominant stance and is kept; the
   smaller side is dropped. With equal sides there is no dominant stance and both are dropped.

Every dropped statement is logged with its reason, the statements it opposed and the side
sizes, and every judged pair is kept, so a person can review the decisions (the paper adds
human verification; that step is left to the reader of these logs).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from typing import Any

from valuescope.benchmarks.navab.pipeline.embed import Embedder
from valuescope.benchmarks.navab.pipeline.llm import StageLLM
from valuescope.benchmarks.navab.pipeline.parse import after_marker

SYSTEM = (
    "You compare two statements from news about the same topic. Decide whether they take the "
    "same stance (they agree, or one supports the other), opposite stances (they cannot both be "
    "held: one supports what the other opposes), or are unrelated (they are about different "
    "questions). Think briefly, then end your reply with '## same', '## opposite' or "
    "'## unrelated'.")
STANCES = {"same": 1, "agree": 1, "consistent": 1, "opposite": -1, "contradict": -1,
           "conflict": -1, "unrelated": 0, "different": 0, "neither": 0}


def parse_stance(reply: str) -> int | None:
    """+1 same, -1 opposite, 0 unrelated, None unparsed (from the text after the last "##")."""
    tail = (after_marker(reply) or "").lower()
    hits = [(tail.find(word), sign) for word, sign in STANCES.items() if word in tail]
    return min(hits)[1] if hits else None


def candidate_pairs(similarity: Any, neighbours: int, min_similarity: float
                    ) -> list[tuple[int, int, float]]:
    """Unordered (i, j, similarity) with j among i's nearest statements or the other way round."""
    n = len(similarity)
    pairs: set[tuple[int, int]] = set()
    for i in range(n):
        order = sorted((j for j in range(n) if j != i), key=lambda j: (-similarity[i][j], j))
        for j in order[:neighbours]:
            if similarity[i][j] >= min_similarity:
                pairs.add((min(i, j), max(i, j)))
    return [(i, j, float(similarity[i][j])) for i, j in sorted(pairs)]


def split_sides(n: int, edges: Sequence[tuple[int, int, int]]
                ) -> tuple[list[int | None], list[list[int]], list[tuple[int, int, int]]]:
    """(side of each node or None without edges, components, edges no split satisfies)."""
    adjacent: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i, j, sign in edges:
        adjacent[i].append((j, sign))
        adjacent[j].append((i, sign))
    side: list[int | None] = [None] * n
    components = []
    for start in range(n):
        if side[start] is not None or start not in adjacent:
            continue
        side[start], queue, members = 0, deque([start]), [start]
        while queue:
            node = queue.popleft()
            for other, sign in adjacent[node]:
                if side[other] is None:
                    side[other] = side[node] if sign > 0 else 1 - side[node]  # type: ignore[operator]
                    members.append(other)
                    queue.append(other)
        components.append(sorted(members))

    def satisfied(node: int) -> int:
        return sum((side[node] == side[o]) == (s > 0) for o, s in adjacent[node])

    for _ in range(n):  # flip single nodes while that satisfies more edges
        changed = False
        for node in adjacent:
            before = satisfied(node)
            side[node] = 1 - side[node]  # type: ignore[operator]
            if satisfied(node) > before:
                changed = True
            else:
                side[node] = 1 - side[node]  # type: ignore[operator]
        if not changed:
            break
    broken = [(i, j, s) for i, j, s in edges if (side[i] == side[j]) != (s > 0)]
    return side, components, broken


def resolve(n: int, edges: Sequence[tuple[int, int, int]]
            ) -> tuple[dict[int, dict[str, Any]], list[tuple[int, int, int]]]:
    """(dropped node -> why, edges the split cannot satisfy). Dropped: the minority side of a
    conflicting component, or both sides when they are equal."""
    side, components, broken = split_sides(n, edges)
    opposed: dict[int, set[int]] = defaultdict(set)
    for i, j, sign in edges:
        if sign < 0:
            opposed[i].add(j)
            opposed[j].add(i)
    dropped: dict[int, dict[str, Any]] = {}
    for members in components:
        if not any(m in opposed for m in members):
            continue
        sides = [[m for m in members if side[m] == s] for s in (0, 1)]
        sizes = sorted(len(s) for s in sides)
        if len(sides[0]) == len(sides[1]):
            for m in members:
                dropped[m] = {"reason": f"no dominant stance in the topic ({sizes[0]} vs "
                                        f"{sizes[1]} statements)", "opposes": sorted(opposed[m]),
                              "sides": sizes}
            continue
        minority = min(sides, key=len)
        for m in minority:
            dropped[m] = {"reason": f"against the topic's dominant stance ({sizes[0]} vs "
                                    f"{sizes[1]} statements)", "opposes": sorted(opposed[m]),
                          "sides": sizes}
    return dropped, broken


async def reduce_conflicts(statements: list[dict[str, Any]], llm: StageLLM, embedder: Embedder,
                           neighbours: int, min_similarity: float
                           ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    if len(statements) < 2:
        return statements, {"pairs": [], "dropped": [], "inconsistent": []}
    vectors = embedder([s["statement"] for s in statements])
    by_topic: dict[int, list[int]] = defaultdict(list)
    for index, statement in enumerate(statements):
        by_topic[statement["topic"]].append(index)
    jobs = []  # (topic, local i, local j, similarity)
    for topic, members in by_topic.items():
        similarity = (vectors[members] @ vectors[members].T).tolist()
        jobs += [(topic, i, j, s) for i, j, s in candidate_pairs(similarity, neighbours,
                                                                  min_similarity)]
    requests = [llm.chat(SYSTEM, _pair_prompt(statements[by_topic[t][i]]["statement"],
                                              statements[by_topic[t][j]]["statement"]),
                         f"stance:{statements[by_topic[t][i]]['id']}:"
                         f"{statements[by_topic[t][j]]['id']}", 512)
               for t, i, j, _ in jobs]
    replies = await llm.ask("judging stances", requests)
    edges: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    pairs = []
    for (topic, i, j, sim), reply in zip(jobs, replies, strict=True):
        sign = parse_stance(reply) if reply is not None else None
        ids = [statements[by_topic[topic][k]]["id"] for k in (i, j)]
        stance = ("LLM error" if reply is None else "unparsed" if sign is None
                  else {1: "same", -1: "opposite", 0: "unrelated"}[sign])
        pairs.append({"topic": topic, "statements": ids, "similarity": round(sim, 4),
                      "stance": stance, "reply": reply})
        if sign:
            edges[topic].append((i, j, sign))
    dropped, inconsistent = [], []
    drop_ids = set()
    for topic, members in by_topic.items():
        ids = [statements[m]["id"] for m in members]
        drops, broken = resolve(len(members), edges[topic])
        for node, why in sorted(drops.items()):
            statement = statements[members[node]]
            drop_ids.add(statement["id"])
            dropped.append({"id": statement["id"], "topic": topic,
                            "statement": statement["statement"], "reason": why["reason"],
                            "opposes": [ids[o] for o in why["opposes"]], "sides": why["sides"]})
        inconsistent += [{"topic": topic, "statements": [ids[i], ids[j]],
                          "stance": "same" if s > 0 else "opposite"} for i, j, s in broken]
    kept = [s for s in statements if s["id"] not in drop_ids]
    return kept, {"pairs": pairs, "dropped": dropped, "inconsistent": inconsistent}


def _pair_prompt(first: str, second: str) -> str:
    return (f"Statement 1: {first}\nStatement 2: {second}\n\nSame stance, opposite stances, "
            "or unrelated?")
