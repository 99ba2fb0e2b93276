"""What a benchmark is: pure functions from data to requests, and from responses to metrics.

A ``Benchmark`` is registered by name (entry point group ``valuescope.benchmarks``). It declares its
variants and options (so the CLI can validate and document them) and creates a ``Task`` for one
variant with concrete option values. A task never talks to models or to the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from valuescope.core.requests import Request, Response


@dataclass(frozen=True)
class Option:
    name: str  # command-line name without dashes, e.g. "per-group"
    type: type  # str, int, float, bool or Path
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    scoring_only: bool = False  # changes scoring only, so `rescore` may change it freely


@dataclass
class Item:
    id: str
    data: dict[str, Any]


class Task(Protocol):
    """One variant with concrete options.

    Tasks with a judging stage also define ``judge_requests(item, responses) -> list[Request]``
    (sent to the ``--judge`` model, default the evaluated one, after every item has its answers)
    and then receive the judge's responses as a third argument: ``score(item, responses, judged)``.
    """

    name: str  # "benchmark:variant"
    options: dict[str, Any]

    def load(self, limit: int | None) -> list[Item]: ...

    def requests(self, item: Item) -> list[Request]: ...

    def score(self, item: Item, responses: Sequence[Response | None]) -> dict[str, Any]:
        """One JSON-serialisable record per item. ``None`` = not answered (yet)."""
        ...

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Metrics for ``results.json``; computed from records alone."""
        ...

    def manifest(self) -> dict[str, Any]:
        """Data files with checksums, notes (e.g. synthetic data) for the run manifest."""
        ...


@dataclass
class Benchmark:
    name: str
    description: str
    variants: dict[str, str]  # variant -> one-line description
    default_variant: str
    options: list[Option]
    create: Callable[[str, dict[str, Any]], Task]
    count_items: Callable[[str], int | None] = lambda variant: None
    aliases: tuple[str, ...] = ()
    #: What ``valuescope demo`` runs: (variant, options, items in the small demo) per entry.
    demo: tuple[tuple[str, dict[str, Any], int], ...] = ()

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {o.name: o.default for o in self.options}


def coerce_option(option: Option, raw: str | bool) -> Any:
    """Turn a command-line string into the option's type (``UserError`` text on failure)."""
    if option.type is bool:
        if isinstance(raw, bool):
            return raw
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"--{option.name} expects true or false, got {raw!r}")
    if option.choices and raw not in option.choices:
        raise ValueError(f"--{option.name} expects one of {', '.join(option.choices)}, got {raw!r}")
    try:
        return str(raw) if option.type is Path else option.type(raw)
    except ValueError:
        raise ValueError(f"--{option.name} expects {option.type.__name__}, got {raw!r}") from None
