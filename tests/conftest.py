"""Shared fixtures: an isolated gazetteer cache, one default pipeline per session, and a
store on each backend (SQLite, and PostGIS on a throwaway cluster)."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from support import free_port, missing

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


class Postgres:
    """A throwaway PostgreSQL cluster with PostGIS, run from Debian's binaries in a temp dir
    (as the ``postgres`` user when we are root: the server refuses to run as root)."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="geomap-pg-"))
        self.port = free_port()
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.dir, "postgres")
        self._databases = itertools.count()

    def _run(self, *cmd: str) -> None:
        subprocess.run(
            [*self.as_owner, str(self.bindir / cmd[0]), *cmd[1:]],
            check=True,
            capture_output=True,
            cwd=self.dir,
        )

    def start(self) -> None:
        data = self.dir / "data"
        # C.UTF-8: text sorts by code point, as on SQLite; fsync off: the data is throwaway
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "geomap", "--locale=C.UTF-8")
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(data), "-l", str(self.dir / "log"), "-o", opts, "-w", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://geomap@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database on the cluster; its SQLAlchemy URL."""
        name = f"geomap_{next(self._databases)}"
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        engine.dispose()
        return self.url(name)


def _postgres_bindir() -> Path | None:
    """The newest Debian PostgreSQL server that has PostGIS next to it."""
    for bindir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        version = bindir.parent.name
        postgis = Path(f"/usr/share/postgresql/{version}/extension/postgis.control")
        if (bindir / "initdb").exists() and postgis.exists():
            return bindir
    return None


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """The session's PostGIS cluster, started on first use and removed afterwards."""
    bindir = _postgres_bindir()
    if bindir is None:
        missing(
            "PostgreSQL with PostGIS is missing: run `make test` as root, or "
            "`sudo apt-get install postgresql postgresql-15-postgis-3`, to test the PostGIS backend"
        )
    server = Postgres(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty store on each backend in turn (a module's tests run once per backend)."""
    if request.param == "sqlite":
        return str(tmp_path_factory.mktemp("store") / "store.db")
    return request.getfixturevalue("postgres").new_database()
