"""Benchmarks by name.

Built-ins are found by convention: every package ``valuescope.benchmarks.<pkg>`` with a module
``benchmark.py`` that defines ``BENCHMARK``. Third-party packages register through the entry point
group ``valuescope.benchmarks``; each entry point names a ``Benchmark`` object.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from valuescope.core.benchmark import Benchmark
from valuescope.errors import UserError

GROUP = "valuescope.benchmarks"
#: Shown first in listings and in the demo; the rest follow alphabetically.
FIRST = "worldvaluesbench"


def _builtin() -> dict[str, str]:
    import pkgutil

    import valuescope.benchmarks as package

    found = {"perf-echo": "valuescope.benchmarks.perf_echo:PERF_ECHO"}
    for module in pkgutil.iter_modules(package.__path__):
        if module.ispkg:
            name = module.name.replace("_", "-")
            found[name] = f"valuescope.benchmarks.{module.name}.benchmark:BENCHMARK"
    return found


def _load(target: str) -> Benchmark:
    import importlib

    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


@lru_cache(maxsize=1)
def _targets() -> dict[str, str]:
    targets = _builtin()  # built-ins work even from a source tree without installed metadata
    for ep in entry_points(group=GROUP):
        targets.setdefault(ep.name, ep.value)
    return targets


def names() -> list[str]:
    return sorted(_targets(), key=lambda name: (name != FIRST, name == "perf-echo", name))


def get(name: str) -> Benchmark:
    targets = _targets()
    if name not in targets:
        for candidate in targets:
            if name in _load(targets[candidate]).aliases:
                name = candidate
                break
        else:
            raise UserError(f"unknown benchmark {name!r}; available: {', '.join(names())} "
                            "(see `valuescope list`)")
    return _load(targets[name])


def parse_task_spec(spec: str) -> tuple[Benchmark, str]:
    """``bench[:variant]`` -> (benchmark, variant), with clear errors."""
    name, _, variant = spec.partition(":")
    benchmark = get(name)
    variant = variant or benchmark.default_variant
    if variant not in benchmark.variants:
        raise UserError(f"unknown variant {variant!r} of {benchmark.name}; variants: "
                        f"{', '.join(benchmark.variants)}")
    return benchmark, variant
