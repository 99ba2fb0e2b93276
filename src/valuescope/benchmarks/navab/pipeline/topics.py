"""Stage 1: topic modelling with instruction tagging (spec section 3, step 1), offline.

1. Embed every article (``embed.py``) and cluster with seeded spherical k-means, best of 10
   starts (k = ``--topics``, default articles / ``--min-topic-size``, the original HDBSCAN's
   minimum cluster size).
2. Outliers, as HDBSCAN's noise: members of clusters smaller than ``--min-topic-size``, and
   articles much further from their centroid than the rest (cosine below mean - 2 sd).
3. Topic creation: key terms per cluster by c-TF-IDF (words; character bigrams for Chinese;
   terms in more than half the articles are the corpus's own stop words), then the LLM names
   each cluster from its key terms and sample articles ("topic: <label>", at most 5 words).
4. Instruction tagging of outliers: the LLM tags each outlier, offered the topic names so far;
   a tag naming an existing topic joins it, other tags are consolidated by normalised text into
   new topics. So outliers are kept, as in the paper, instead of dropped.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from valuescope.benchmarks.navab.pipeline.corpus import Doc
from valuescope.benchmarks.navab.pipeline.embed import Embedder
from valuescope.benchmarks.navab.pipeline.llm import StageLLM
from valuescope.benchmarks.navab.pipeline.parse import labelled

KEY_TERMS = 10
SAMPLE_DOCS = 3
SAMPLE_CHARS = 300
TAG_CHARS = 1000
OFFERED = 20  # topic names offered to the tagger: those nearest to the outlier


@dataclass
class Topic:
    id: int
    label: str
    origin: str  # "cluster" or "tag"
    docs: list[str]
    key_terms: list[str] = field(default_factory=list)


def _name_prompt(terms: list[str], samples: list[str]) -> str:
    docs = "\n".join(f"{n}. {s[:SAMPLE_CHARS]}" for n, s in enumerate(samples, start=1))
    return (f"Key terms: {', '.join(terms)}\nSample documents:\n{docs}\n\n"
            "Give a short but highly descriptive label of at most 5 words for the topic of "
            "these news documents. Reply in the format: topic: <label>")


def _tag_prompt(labels: list[str], text: str) -> str:
    known = "\n".join(f"- {label}" for label in labels) or "(none yet)"
    return (f"Topics so far:\n{known}\n\nNews document:\n{text[:TAG_CHARS]}\n\n"
            "Give this document a topic tag of at most 5 words. If one of the topics so far "
            "fits, reply with its exact name. Reply in the format: tag: <tag>")


async def model_topics(docs: Sequence[Doc], llm: StageLLM, embedder: Embedder,
                       min_topic_size: int, n_topics: int | None,
                       seed: int) -> tuple[list[Topic], dict[str, Any]]:
    """Topics over ``docs``; also the stage's record (assignments, unassigned articles)."""
    import numpy as np

    vectors = embedder([d.text for d in docs])
    k = max(1, min(len(docs), n_topics or len(docs) // max(1, min_topic_size)))
    labels, centroids = spherical_kmeans(vectors, k, seed)
    similarity = (vectors * centroids[labels]).sum(axis=1)
    clusters: dict[int, list[int]] = defaultdict(list)
    outliers: list[int] = []
    for cluster in range(k):
        members = [int(i) for i in np.flatnonzero(labels == cluster)]
        if len(members) < min_topic_size:
            outliers += members
            continue
        sims = similarity[members]
        cut = sims.mean() - 2 * sims.std() if len(members) >= 5 else -math.inf
        clusters[cluster] = [i for i in members if similarity[i] >= cut]
        outliers += [i for i in members if similarity[i] < cut]
    texts = [d.text for d in docs]
    groups = list(clusters.values())
    terms = key_terms([[texts[i] for i in g] for g in groups], texts)
    requests = [llm.chat("", _name_prompt(t, [texts[i] for i in g[:SAMPLE_DOCS]]),
                         f"topic:{','.join(docs[i].id for i in g)}", max_tokens=64)
                for g, t in zip(groups, terms, strict=True)]
    names = await llm.ask("naming topics", requests)
    topics = [Topic(n, _clean_label(labelled(reply or "", "topic")) or f"topic {n}: "
                    + ", ".join(t[:3]), "cluster", [docs[i].id for i in g], t)
              for n, (g, t, reply) in enumerate(zip(groups, terms, names, strict=True))]
    nearest = {}
    if groups:
        kept = centroids[list(clusters)]
        for i in outliers:
            nearest[i] = [int(j) for j in np.argsort(-(kept @ vectors[i]))[:OFFERED]]
    unassigned = await _tag_outliers(sorted(outliers), docs, topics, nearest, llm)
    text_of = {d.id: d.text for d in docs}
    for topic in topics[len(groups):]:
        topic.key_terms = key_terms([[text_of[i] for i in topic.docs]], texts)[0]
    record = {"embedder": embedder.name, "k": k, "clusters": len(groups),
              "outliers": len(outliers), "unassigned": unassigned,
              "topics": [asdict(t) for t in topics]}
    return topics, record


async def _tag_outliers(outliers: list[int], docs: Sequence[Doc], topics: list[Topic],
                        nearest: dict[int, list[int]], llm: StageLLM) -> list[dict[str, Any]]:
    """Give each outlier a topic through the LLM's tag; return the articles left without one."""
    requests = [llm.chat("", _tag_prompt([topics[j].label for j in nearest.get(i, [])],
                                         docs[i].text), f"tag:{docs[i].id}", max_tokens=64)
                for i in outliers]
    replies = await llm.ask("tagging outliers", requests)
    by_norm = {_norm(t.label): t for t in topics}
    unassigned = []
    for index, reply in zip(outliers, replies, strict=True):
        tag = _clean_label(labelled(reply or "", "tag"))
        if not tag:
            unassigned.append({"doc": docs[index].id, "reason": "no tag in the reply"
                               if reply is not None else "LLM error"})
            continue
        topic = by_norm.get(_norm(tag))
        if topic is None:
            topic = Topic(len(topics), tag, "tag", [])
            topics.append(topic)
            by_norm[_norm(tag)] = topic
        topic.docs.append(docs[index].id)
    return unassigned


def _norm(label: str) -> str:
    return re.sub(r"[\W_]+", " ", label.lower()).strip()


def _clean_label(label: str | None) -> str | None:
    if not label:
        return None
    return " ".join(label.split()[:8])[:80] or None


def spherical_kmeans(vectors: Any, k: int, seed: int, restarts: int = 10,
                     iterations: int = 100) -> tuple[Any, Any]:
    """(label per row, unit centroids): k-means on cosine similarity with k-means++ seeding,
    the best of ``restarts`` runs (highest total similarity to the centroids)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    best: tuple[float, Any, Any] | None = None
    for _ in range(restarts):
        labels, centroids = _kmeans_once(vectors, k, rng, iterations)
        score = float((vectors * centroids[labels]).sum())
        if best is None or score > best[0] + 1e-9:
            best = (score, labels, centroids)
    assert best is not None
    return best[1], best[2]


def _kmeans_once(vectors: Any, k: int, rng: Any, iterations: int) -> tuple[Any, Any]:
    import numpy as np

    n = len(vectors)
    chosen = [int(rng.integers(n))]
    for _ in range(1, k):
        distance = np.clip(1 - (vectors @ vectors[chosen].T).max(axis=1), 0, None) ** 2
        distance[chosen] = 0
        total = distance.sum()
        pick = rng.choice(n, p=distance / total) if total > 0 else int(
            rng.choice([i for i in range(n) if i not in chosen]))
        chosen.append(int(pick))
    centroids = vectors[chosen].copy()
    labels = np.full(n, -1)
    for _ in range(iterations):
        new = (vectors @ centroids.T).argmax(axis=1)
        if (new == labels).all():
            break
        labels = new
        for cluster in range(k):
            members = vectors[labels == cluster]
            if len(members):
                mean = members.sum(axis=0)
                centroids[cluster] = mean / max(np.linalg.norm(mean), 1e-12)
    return labels, centroids


def _terms(text: str) -> list[str]:
    """Words of three letters or more; Chinese, Japanese and Korean runs as character bigrams."""
    out = []
    for token in re.findall(r"[^\W\d_]+", text.lower()):
        if re.search(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", token):
            out += [token[i:i + 2] for i in range(len(token) - 1)] or [token]
        elif len(token) >= 3:
            out.append(token)
    return out


def key_terms(groups: list[list[str]], corpus: Sequence[str], top: int = KEY_TERMS
              ) -> list[list[str]]:
    """Top c-TF-IDF terms of each group of texts: tf(t, group) * log(1 + A / tf(t, all groups)),
    A the mean number of terms per group; terms in over half of the corpus are dropped."""
    document_frequency = Counter(t for text in corpus for t in set(_terms(text)))
    common = ({t for t, n in document_frequency.items() if n > len(corpus) / 2}
              if len(corpus) >= 4 else set())
    per_group = [Counter(t for text in g for t in _terms(text) if t not in common) for g in groups]
    overall: Counter[str] = Counter()
    for counts in per_group:
        overall.update(counts)
    average = sum(overall.values()) / max(1, len(per_group))
    return [[t for t, _ in sorted(counts.items(), key=lambda kv: (
        -kv[1] * math.log(1 + average / overall[kv[0]]), kv[0]))[:top]] for counts in per_group]
