"""Schema migrations (Alembic), for SQLite and PostGIS alike: every store is brought to the
head revision when it is opened, or by ``geomap db upgrade``.

A new revision: ``alembic -c geomap/migrations/alembic.ini revision -m "what"`` (the URL is
``GEOMAP_DB``), then write its ``upgrade()`` by hand for both dialects.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from geomap.backends import lock_for_migration, migration_engine

HERE = Path(__file__).resolve().parent


def _config() -> Config:
    cfg = Config(HERE / "alembic.ini")
    cfg.set_main_option("script_location", str(HERE))
    return cfg


def head() -> str:
    """The revision this version of geomap expects."""
    rev = ScriptDirectory.from_config(_config()).get_current_head()
    assert rev is not None
    return rev


def _known() -> set[str]:
    return {rev.revision for rev in ScriptDirectory.from_config(_config()).walk_revisions()}


def current(engine: Engine) -> str | None:
    """The revision a store is at (None: a new store, or one made before migrations)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Bring the store to :func:`head`, keeping every stored row; returns the revision.

    A store made before migrations existed (tables but no ``alembic_version``) is adopted
    by the first revision, which only adds what it lacks. Concurrent callers (two servers
    starting on one database) migrate one after the other."""
    target = head()
    at = current(engine)
    if at == target:
        return target
    if at is not None and at not in _known():
        raise RuntimeError(
            f"the store is at schema revision {at}, which this geomap does not know "
            f"(its newest is {target}): run a geomap at least as new as the one that wrote it"
        )
    mig = migration_engine(engine)
    try:
        with mig.begin() as conn:
            lock_for_migration(conn)
            if MigrationContext.configure(conn).get_current_revision() != target:
                cfg = _config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
    finally:
        if mig is not engine:
            mig.dispose()
    return target
