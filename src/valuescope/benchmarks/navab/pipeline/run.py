"""``valuescope navab build``: news corpus -> NaVAB items, stage by stage.

Stages (each writes ``OUT/stages/<n>_<name>.json``; the LLM's answers are cached in
``OUT/build.sqlite``, so an interrupted build resumes where it stopped and a repeated one sends
nothing): 0 corpus, 1 topics, 2 topic screening, 3 statement extraction, 4 statement screening,
5 conflict reduction (dropped statements also in ``5_conflicts_dropped.jsonl``), 6 source
judgment, 7 Q/S/RS. The result is ``OUT/<Nation>/{human,official}_statement_result.json``, the
NaVAB layout, so ``valuescope run navab:mc --data OUT`` reads it directly.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from valuescope import __version__
from valuescope.benchmarks.navab.data import FILE_OF, HF_FOLDERS
from valuescope.benchmarks.navab.pipeline import (
    conflicts,
    extraction,
    qsr,
    screening,
    source,
    topics,
)
from valuescope.benchmarks.navab.pipeline.corpus import read_corpus
from valuescope.benchmarks.navab.pipeline.embed import make_embedder
from valuescope.benchmarks.navab.pipeline.llm import StageLLM
from valuescope.core.atomic import write_json
from valuescope.core.runner import RunSettings
from valuescope.core.store import Store
from valuescope.models import spec as model_specs
from valuescope.sources import sha256_of

STORE = "build.sqlite"


@dataclass
class BuildConfig:
    corpus: Path
    nation: str
    llm: model_specs.ModelSpec
    out: Path
    language: str | None = None
    embedder: str = "char-ngram"
    min_topic_size: int = 50  # the original HDBSCAN's min_cluster_size
    topics: int | None = None
    temperature: float = 0.6
    max_tokens: int = 2048
    seed: int = 0
    original_filter: bool = False
    conflict_reduction: bool = True
    neighbours: int = 3
    min_similarity: float = 0.2

    def to_manifest(self) -> dict[str, Any]:
        values = asdict(self)
        values.update(corpus=str(self.corpus), out=str(self.out), llm=self.llm.to_manifest())
        return values


def build(config: BuildConfig, settings: RunSettings, show_progress: bool = True
          ) -> dict[str, Any]:
    """Run every stage; return the build summary (also written to ``build_manifest.json``)."""
    corpus = read_corpus(config.corpus)
    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / "stages").mkdir(exist_ok=True)
    write_json(config.out / "stages" / "0_corpus.json", corpus.summary())
    store = Store(config.out / STORE)
    try:
        return asyncio.run(_stages(config, corpus, store, settings, show_progress))
    finally:
        store.close()


async def _stages(config: BuildConfig, corpus: Any, store: Store, settings: RunSettings,
                  show_progress: bool) -> dict[str, Any]:
    model = model_specs.build(config.llm)
    try:
        store.set_manifest({"config": config.to_manifest(), "llm_identity": model.identity,
                            "valuescope_version": __version__})
        llm = StageLLM(model, store, settings, config.temperature, config.max_tokens,
                       config.seed, show_progress)
        embedder = make_embedder(config.embedder, config.seed)
        stages = config.out / "stages"
        counts: dict[str, Any] = {"articles": len(corpus.docs), "bad_lines": len(corpus.problems)}

        found, record = await topics.model_topics(corpus.docs, llm, embedder,
                                                  config.min_topic_size, config.topics,
                                                  config.seed)
        write_json(stages / "1_topics.json", record)
        counts["topics"] = len(found)

        sensitive, record = await screening.screen_topics(found, llm, config.original_filter)
        write_json(stages / "2_topic_screening.json", record)
        topic_of = {doc: t.id for t in sensitive for doc in t.docs}
        docs = [d for d in corpus.docs if d.id in topic_of]
        counts.update(sensitive_topics=len(sensitive), sensitive_articles=len(docs))

        language = extraction.language_for(config.nation, config.language)
        statements, record = await extraction.extract_statements(docs, topic_of, llm, language)
        write_json(stages / "3_statements.json", {**record, "language": language,
                                              "statements": statements})
        counts["statements"] = len(statements)

        kept, record = await screening.screen_statements(statements, llm, config.original_filter)
        write_json(stages / "4_statement_screening.json", {**record, "statements": kept})
        counts["screened_statements"] = len(kept)

        if config.conflict_reduction:
            kept, record = await conflicts.reduce_conflicts(
                kept, llm, embedder, config.neighbours, config.min_similarity)
        else:
            record = {"skipped": "--no-conflict-reduction", "pairs": [], "dropped": []}
        write_json(stages / "5_conflicts.json", {**record, "statements": kept})
        write_json(stages / "5_conflicts_dropped.jsonl", record["dropped"], lines=True)
        counts["after_conflict_reduction"] = len(kept)

        judged, record = await source.judge_sources(kept, llm)
        write_json(stages / "6_sources.json", {**record, "statements": judged})
        counts.update(quoted=record["quoted"], official=record["official"])

        items, record = await qsr.build_triples(judged, llm)
        write_json(stages / "7_qsr.json", record)
        written = _write_navab(config.out, config.nation, items)
        counts["items"] = {kind: len(rows) for kind, rows in written.items()}
    finally:
        await model.aclose()
    summary = {"config": config.to_manifest(), "corpus_sha256": sha256_of(config.corpus),
               "llm_identity": model.identity, "embedder": embedder.name,
               "valuescope_version": __version__, "counts": counts,
               "requests_sent": dict(llm.sent),
               "files": {k: str(p) for k, p in _files(config.out, config.nation).items()
                         if p.is_file()}}
    write_json(config.out / "build_manifest.json", summary)
    return summary


def _files(out: Path, nation: str) -> dict[str, Path]:
    return {kind: out / HF_FOLDERS[nation] / name for kind, name in FILE_OF.items()}


def _write_navab(out: Path, nation: str, items: list[dict[str, Any]]
                 ) -> dict[str, list[dict[str, Any]]]:
    """The NaVAB layout; a kind without items gets no file (an empty file is not NaVAB)."""
    written = {}
    for kind, path in _files(out, nation).items():
        rows = [{k: v for k, v in item.items() if k != "kind"} for item in items
                if item["kind"] == kind]
        written[kind] = rows
        if rows:
            write_json(path, rows)
        elif path.is_file():
            path.unlink()  # left over from an earlier build of the same folder
    return written


