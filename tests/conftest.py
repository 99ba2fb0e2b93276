"""Test-wide settings: the upstream data mirror (``../shared/seeds-data``) and a cache folder kept
inside the repository (git-ignored), so tests never touch the user's own cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (ROOT / ".." / "shared" / "seeds-data").resolve()

os.environ.setdefault("VALUESCOPE_DATA", str(SEEDS))
os.environ.setdefault("VALUESCOPE_CACHE", str(ROOT / ".cache" / "test-cache"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def seeds() -> Path:
    mirror = Path(os.environ["VALUESCOPE_DATA"])
    if not mirror.is_dir():
        pytest.fail(f"data mirror {mirror} missing: set VALUESCOPE_DATA to ../shared/seeds-data")
    return mirror


@pytest.fixture(scope="session")
def wvb_dir(seeds: Path) -> Path:
    return seeds / "github" / "Demon702" / "WorldValuesBench"
