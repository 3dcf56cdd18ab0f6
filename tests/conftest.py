"""Shared fixtures: an isolated gazetteer cache and one default pipeline per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO_DIR / "seeds"


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point the gazetteer cache at a session tmp dir and ignore a developer's extra files.

    ``GEOMAP_CACHE`` is read at call time, so setting it here (before any test loads a
    gazetteer) keeps every test independent of ``~/.cache/geomap``. Subprocesses started
    by tests inherit the same environment.
    """
    cache = tmp_path_factory.mktemp("geomap-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GEOMAP_CACHE", str(cache))
        mp.delenv("GEOMAP_GAZETTEER", raising=False)
        mp.delenv("GEOMAP_ACTORS", raising=False)
        yield cache


@pytest.fixture(scope="session")
def pipeline(_isolated_environment: Path):
    """The default pipeline (curated files + GeoNames world layer), built once per session."""
    from geomap.pipeline import Pipeline, reset_default_pipeline

    pipe = Pipeline()
    reset_default_pipeline(pipe)  # library helpers that use the shared instance reuse it
    yield pipe
    reset_default_pipeline(None)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The sample corpus shipped with the repository."""
    assert SEEDS_DIR.is_dir(), f"missing {SEEDS_DIR}"
    return SEEDS_DIR
