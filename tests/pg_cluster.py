"""A throwaway PostgreSQL cluster with PostGIS for the tests and the benchmark: Debian's
server binaries, a temp directory, a free port on the loopback, removed afterwards."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa
from support import free_port


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

    def _run(self, *cmd: str, check: bool = True) -> None:
        done = subprocess.run(
            [*self.as_owner, str(self.bindir / cmd[0]), *cmd[1:]],
            capture_output=True,
            text=True,
            cwd=self.dir,
        )
        if check and done.returncode:
            raise RuntimeError(f"{cmd[0]} failed ({done.returncode}):\n{done.stderr}")

    def start(self) -> None:
        data = self.dir / "data"
        # C.UTF-8: text sorts by code point, as on SQLite; fsync off: the data is throwaway
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "geomap", "--locale=C.UTF-8")
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(data), "-l", str(self.dir / "log"), "-o", opts, "-w", "start")

    def __enter__(self) -> Postgres:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://geomap@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database on the cluster; its SQLAlchemy URL."""
        name = f"geomap_{next(self._databases)}"
        engine = sa.create_engine(
            self.url().replace("postgresql:", "postgresql+psycopg:"), isolation_level="AUTOCOMMIT"
        )
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        engine.dispose()
        return self.url(name)


def postgres_bindir() -> Path | None:
    """The newest Debian PostgreSQL server that has PostGIS next to it."""
    for bindir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        version = bindir.parent.name
        postgis = Path(f"/usr/share/postgresql/{version}/extension/postgis.control")
        if (bindir / "initdb").exists() and postgis.exists():
            return bindir
    return None
