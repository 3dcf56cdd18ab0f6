"""What differs between the two storage backends, kept here so ``store.py`` stays portable.

SQLite (the embedded default) indexes event points in an R*Tree virtual table that the
store feeds on insert; PostGIS keeps them in a ``geometry(Point, 4326)`` column that the
database computes from ``lon``/``lat`` itself, under a GiST index. Everything else — the
tables, the filters, paging, merging — is the same SQLAlchemy Core on both.
"""

from __future__ import annotations

import operator
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import shapely
import sqlalchemy as sa
from geoalchemy2 import Geography, Geometry
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine

from geomap import spatial

SRID = 4326
"""WGS84: the coordinates of every stored point."""

rtree = sa.table("events_rtree", *(sa.column(c) for c in ("id", "minx", "maxx", "miny", "maxy")))
"""SQLite's R*Tree over event points (one degenerate box per event)."""

geom = sa.literal_column("events.geom", Geometry("POINT", srid=SRID))
"""PostGIS's point column of ``events`` (computed by the database, so not in the portable
table definition)."""

_MIGRATION_LOCK = 0x67656F6D  # "geom": the advisory lock two migrating processes share
_WRITE_LOCK = 0x67656F77  # "geow": the advisory lock every article write holds


def is_sqlite(bind: Engine | Connection) -> bool:
    """Whether ``bind`` talks to SQLite (the alternative being PostgreSQL/PostGIS)."""
    return bind.dialect.name == "sqlite"


def create_engine(url: str) -> Engine:
    """An engine tuned for the backend ``url`` names (``postgresql://`` means psycopg 3)."""
    parsed = sa.engine.make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        # each `geomap serve` keeps a bounded share of the server's connections, so several
        # processes can sit on one database (max_connections is 100 by default)
        return sa.create_engine(
            parsed, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=60
        )
    path = Path(url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    # SQLite connections are cheap: size the pool for the server's thread pool (40),
    # so a burst of readers waits on the database, not on the pool (a 500 otherwise)
    engine = sa.create_engine(
        url, connect_args={"timeout": 30}, pool_size=40, max_overflow=40, pool_timeout=60
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        _wal(cur)
        # no fsync per commit: a crashed process loses nothing, a power cut the last
        # commits at most, and the file stays consistent (SQLite's WAL guarantee)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
        # the exact test of near= and intersects= (see shape_condition)
        dbapi_conn.create_function("geomap_covers", 3, spatial.sql_covers, deterministic=True)

    return engine


def _wal(cur: sqlite3.Cursor, patience: float = 30.0) -> None:
    """Switch to WAL. SQLite answers "database is locked" at once, without its busy
    handler, when the switch meets another connection's lock (processes opening a new
    store together, one of them migrating it): wait for it, as for any other lock."""
    deadline = time.monotonic() + patience
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def migration_engine(engine: Engine) -> Engine:
    """An engine whose transactions are safe to migrate in while other processes start.

    On PostgreSQL DDL is transactional already. pysqlite, though, commits before each DDL
    statement; the engine returned for SQLite hands transaction control to SQLite and
    begins ``IMMEDIATE`` (SQLAlchemy's documented recipe), so a migration is atomic and
    two processes opening a new store migrate one after the other."""
    if not is_sqlite(engine):
        return engine
    mig = sa.create_engine(engine.url, connect_args={"timeout": 30}, poolclass=sa.pool.NullPool)

    @sa.event.listens_for(mig, "connect")
    def _autocommit(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None

    @sa.event.listens_for(mig, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return mig


def lock_for_migration(conn: Connection) -> None:
    """Serialise migrations: the first process upgrades, the others then find it done
    (SQLite's ``BEGIN IMMEDIATE`` already holds the write lock)."""
    if not is_sqlite(conn):
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))


def lock_for_write(conn: Connection) -> None:
    """One article write at a time, as on SQLite (whose write lock the first INSERT takes):
    merging reads the events it may merge with, and two writers reading at once would
    both miss each other's event. Readers never wait."""
    if not is_sqlite(conn):
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_WRITE_LOCK)))


class Prepared:
    """A statement compiled once for a dialect and run on the connection's DBAPI cursor.

    An ingest runs the same few writes and merge lookups thousands of times; through
    ``Connection.execute`` each costs about 0.25 ms of Python (statement cache, parameter
    processing, result wrapping), more than SQLite needs to run it. The columns these
    statements bind are ints, floats, text and booleans, which sqlite3 and psycopg take
    as they are, so skipping SQLAlchemy's bind processing stores the same values."""

    def __init__(self, stmt: sa.Executable, dialect: sa.Dialect):
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        order = compiled.positiontup  # None for named paramstyles (psycopg)
        self._named = order is None
        self._order = tuple(order or ())
        # positional values picked out of a row in C; the first key twice, so that a
        # one-parameter statement gets a tuple too, and the extra cut off
        self._pick = operator.itemgetter(*order, order[0]) if order else None
        # values the statement itself holds (the 1 of ``substr(x, 1, n)``)
        self._fixed = {k: b.value for b, k in compiled.bind_names.items() if not b.required}

    def _args(self, values: Mapping[str, Any]) -> Any:
        if self._fixed:
            values = {**self._fixed, **values}
        if self._named:
            return values
        return self._pick(values)[:-1] if self._pick else ()

    def run(self, conn: Connection, values: Mapping[str, Any]) -> Any:
        """Execute with ``values`` in ``conn``'s transaction; returns the DBAPI cursor."""
        cursor = conn.connection.cursor()
        cursor.execute(self.sql, self._args(values))
        return cursor

    def run_many(self, conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        """Execute once per row (``executemany``) in ``conn``'s transaction."""
        cursor = conn.connection.cursor()
        cursor.executemany(self.sql, [self._args(r) for r in rows])
        cursor.close()

    def run_rows(self, conn: Connection, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        """:meth:`run_many` with each row a tuple of the values of ``columns``. Where those
        are the statement's parameters in order, the tuples go to the driver as they are: an
        ingest writes a few dozen rows an article, and a dict each cost more than SQLite's
        insert."""
        if self._named or self._fixed or self._order != tuple(columns):
            self.run_many(conn, (dict(zip(columns, row, strict=True)) for row in rows))
            return
        cursor = conn.connection.cursor()
        cursor.executemany(self.sql, rows)
        cursor.close()


def lon_ranges(minx: float, maxx: float) -> list[tuple[float, float]]:
    """A box's longitude span as ranges that do not cross the antimeridian."""
    return [(minx, maxx)] if minx <= maxx else [(minx, 180.0), (-180.0, maxx)]


def box_terms(bbox: tuple[float, float, float, float], bound: bool = False) -> tuple:
    """``(lon ranges, miny, maxy)`` of a box, as values or, with ``bound``, as the bound
    parameters ``lo0``, ``hi0`` (``lo1``, ``hi1`` across the antimeridian), ``miny`` and
    ``maxy`` that :func:`box_params` fills: a statement built on those is built once per
    shape and executed with any box of that shape."""
    minx, miny, maxx, maxy = bbox
    ranges = lon_ranges(minx, maxx)
    if not bound:
        return ranges, miny, maxy
    lon = [
        tuple(sa.bindparam(f"{end}{i}", type_=sa.Float) for end in ("lo", "hi"))
        for i in range(len(ranges))
    ]
    return lon, sa.bindparam("miny", type_=sa.Float), sa.bindparam("maxy", type_=sa.Float)


def box_params(bbox: tuple[float, float, float, float]) -> dict[str, float]:
    """The values of the parameters :func:`box_terms` binds for ``bbox``."""
    minx, miny, maxx, maxy = bbox
    out = {"miny": miny, "maxy": maxy}
    for i, (lo, hi) in enumerate(lon_ranges(minx, maxx)):
        out[f"lo{i}"], out[f"hi{i}"] = lo, hi
    return out


def rtree_ids(bbox: tuple[float, float, float, float], bound: bool = False) -> sa.Select:
    """The ids of the events SQLite's R*Tree holds in ``bbox`` (see :func:`bbox_condition`;
    ``bound`` as in :func:`box_terms`)."""
    ranges, miny, maxy = box_terms(bbox, bound)
    r = rtree.c
    lon = sa.or_(*[sa.and_(r.minx <= b, r.maxx >= a) for a, b in ranges])
    return sa.select(r.id).where(lon, r.miny <= maxy, r.maxy >= miny)


def bbox_condition(
    events: sa.Table, bbox: tuple[float, float, float, float], sqlite: bool, bound: bool = False
) -> sa.ColumnElement[bool]:
    """Events inside a WGS84 ``(minx, miny, maxx, maxy)`` box, through the spatial index
    (``bound`` as in :func:`box_terms`).

    A box with ``minx > maxx`` crosses the antimeridian: it is the union of the two boxes
    on either side of it."""
    if sqlite:
        return events.c.id.in_(rtree_ids(bbox, bound))
    ranges, miny, maxy = box_terms(bbox, bound)
    return sa.or_(
        *[geom.op("&&")(sa.func.ST_MakeEnvelope(a, miny, b, maxy, SRID)) for a, b in ranges]
    )


def any_of(column: sa.ColumnElement, name: str, sqlite: bool) -> sa.ColumnElement[bool]:
    """``column`` in the ints bound to ``name`` as one parameter (:func:`id_list`), so the
    statement compiles once whatever their number: SQLite reads a JSON array through
    ``json_each``, PostgreSQL takes an array (``= ANY``), in half the time of 100
    parameters for a page of 100."""
    if sqlite:
        values = sa.func.json_each(sa.bindparam(name, type_=sa.String)).table_valued("value")
        return column.in_(sa.select(values.c.value))
    return column == sa.any_(sa.bindparam(name, type_=ARRAY(sa.Integer)))


def id_list(ids: list[int], sqlite: bool) -> str | list[int]:
    """The value of an :func:`any_of` parameter: a JSON array on SQLite, a list for
    PostgreSQL's array."""
    return orjson.dumps(ids).decode() if sqlite else ids


def estimated_rows(conn: Connection, stmt: sa.Select, params: dict[str, Any]) -> float:
    """PostgreSQL's planner estimate of how many rows ``stmt`` (a statement built once)
    returns with ``params``: ``EXPLAIN`` reads the table's statistics, not its rows."""
    compiled = _compiled(stmt, conn.dialect)
    sql = "EXPLAIN (FORMAT JSON) " + compiled.string
    plan = conn.exec_driver_sql(sql, compiled.construct_params(params)).scalar_one()
    return float(plan[0]["Plan"]["Plan Rows"])


@lru_cache(maxsize=8)  # keyed on the engine's dialect: a few entries per engine
def _compiled(stmt: sa.Select, dialect: sa.Dialect) -> sa.Compiled:
    return stmt.compile(dialect=dialect)


def shape_condition(
    events: sa.Table, shape: spatial.Shape, sqlite: bool, *, index: bool = True
) -> list[sa.ColumnElement[bool]]:
    """Events inside a :class:`~geomap.spatial.Near` circle or an
    :class:`~geomap.spatial.Area`: the shape's bbox (through the spatial index unless not
    ``index``: the caller then scans in its own order), then the exact test, which the
    database applies as it reads. SQLite calls :meth:`Near.covers`/:meth:`Area.covers`;
    PostGIS runs ``ST_DWithin`` on the spheroid (a geodesic, as geopy's) or
    ``ST_Intersects`` (edges included, as shapely's)."""
    e = events.c
    conds = [bbox_condition(events, shape.bounds, sqlite)] if index else []
    conds += coordinates_in(events, shape.bounds)
    if sqlite:
        conds.append(sa.func.geomap_covers(spatial.sql_key(shape), e.lon, e.lat) == 1)
    elif isinstance(shape, spatial.Near):
        centre = sa.func.ST_SetSRID(sa.func.ST_MakePoint(shape.lon, shape.lat), SRID)
        conds.append(
            sa.func.ST_DWithin(
                sa.cast(geom, Geography), sa.cast(centre, Geography), shape.radius_km * 1000
            )
        )
    else:
        area = sa.func.ST_GeomFromWKB(shapely.to_wkb(shape.geometry), SRID)
        conds.append(sa.func.ST_Intersects(geom, area))
    return conds


def coordinates_in(
    events: sa.Table, bbox: tuple[float, float, float, float], bound: bool = False
) -> list:
    """The exact bbox test on the events' coordinates (across the antimeridian when
    minLon > maxLon; ``bound`` as in :func:`box_terms`): exact where the R*Tree rounds to
    32-bit floats, and cheap on rows read anyway."""
    ranges, miny, maxy = box_terms(bbox, bound)
    in_lon = sa.or_(*[events.c.lon.between(a, b) for a, b in ranges])
    return [in_lon, events.c.lat.between(miny, maxy)]


def settle_after_bulk_load(engine: Engine) -> None:
    """After a bulk load has committed, PostgreSQL vacuums and analyses the store, as after
    a restore. The planner gets statistics at once (it guesses until autovacuum's analyse
    comes by), and the vacuum autovacuum would start by itself, minutes later and in the
    middle of serving (a benchmark of a fresh store ran 7x slower under it), is done.
    SQLite needs nothing."""
    if is_sqlite(engine):
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")


def after_bulk_load(conn: Connection, tables: list[sa.Table]) -> None:
    """Make a store loaded with explicit ids whole again: PostgreSQL's id sequences move
    past the loaded ids; SQLite's R*Tree gets the loaded events (PostGIS computes
    ``geom`` itself)."""
    if is_sqlite(conn):
        conn.execute(sa.text("DELETE FROM events_rtree"))
        conn.execute(sa.text("INSERT INTO events_rtree SELECT id, lon, lon, lat, lat FROM events"))
        return
    for table in tables:
        if "id" in table.c:
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"coalesce(max(id), 1), max(id) IS NOT NULL) FROM {table.name}"
                )
            )
