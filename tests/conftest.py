"""Shared fixtures: an isolated gazetteer cache, one default pipeline per session, and a
store on each backend (SQLite, and PostGIS on a throwaway cluster)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_cluster import Postgres, postgres_bindir
from support import missing

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


# -- the two storage backends -----------------------------------------------------------


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """The session's PostGIS cluster, started on first use and removed afterwards."""
    bindir = postgres_bindir()
    if bindir is None:
        missing(
            "PostgreSQL with PostGIS is missing: run `make test` as root, or "
            "`sudo apt-get install postgresql postgresql-15-postgis-3`, to test the PostGIS backend"
        )
    with Postgres(bindir) as server:
        yield server


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty store on each backend in turn (a module's tests run once per backend)."""
    if request.param == "sqlite":
        return str(tmp_path_factory.mktemp("store") / "store.db")
    return request.getfixturevalue("postgres").new_database()
