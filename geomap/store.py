"""Storage: articles, mentions and merged events behind one small interface.

SQLAlchemy Core keeps the SQL portable: SQLite is the embedded default, with WAL, a
busy timeout and an R*Tree index for bounding-box queries; a ``postgresql://`` URL
selects PostGIS, with a GiST-indexed point column (the differences live in
``geomap.backends``, the schema's history in ``geomap.migrations``). Each article is
stored in one transaction and identified by a hash of its content, so
ingesting the same text twice stores nothing twice.
"""

from __future__ import annotations

import calendar
import hashlib
import math
import operator
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from geomap import backends, migrations, spatial
from geomap.events import Event, same_event
from geomap.gazetteer import PRECISION
from geomap.geoparse import Mention

DEFAULT_DB = "data/geomap.db"
AREA_KM = 25.0
"""How far from a settlement a village may lie to be in the area a report names after it
("the Talkalakh countryside", "the Tal Abyad district": a district's precision)."""
AREA_CANDIDATES = 64
"""How many of the latest events of a type in a governorate an area report is compared with."""
DEFAULT_MERGE_KM = 2.0
"""Reports of one happening merge when their places lie within this geodesic distance
(``GEOMAP_MERGE_KM`` overrides it). In the gazetteer, a Syrian city, town or village has its
nearest neighbour 7.0 km away (median of 365; 10th percentile 2.6 km): 2 km keeps nine in ten
neighbouring places apart, while a place and a point inside it (a neighbourhood, a base by
its town) or two sources' points for one town merge."""
KM_PER_DEGREE = 111.32  # of latitude (and of longitude at the equator)

metadata = sa.MetaData()
articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("outlet", sa.Text),
    sa.Column("published", sa.String(32)),
    sa.Column("source", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("ingested_at", sa.String(32), nullable=False),
)
events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("place_id", sa.String(64), nullable=False, index=True),
    sa.Column("place_name", sa.Text, nullable=False),
    sa.Column("place_kind", sa.String(32), nullable=False),
    sa.Column("country", sa.String(2)),
    sa.Column("admin1", sa.Text),
    sa.Column("region", sa.String(64), index=True),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("geo_precision", sa.Integer, nullable=False),
    sa.Column("event_type", sa.String(32), nullable=False, index=True),
    sa.Column("date", sa.String(10), index=True),
    sa.Column("date_precision", sa.String(8)),
    sa.Column("actors", sa.Text, nullable=False),  # JSON list of codes, sorted
    sa.Column("roles", sa.Text, nullable=False, server_default="{}"),  # JSON code -> role
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("source_count", sa.Integer, nullable=False),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
    sa.Column("sentence", sa.Text, nullable=False),
    sa.Column("mention", sa.Text, nullable=False),
    # the area candidates of a merge, newest first (_area_candidates)
    sa.Index("ix_events_region_type", "region", "event_type", "id"),
)
event_actors = sa.Table(
    "event_actors",
    metadata,
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), primary_key=True),
    sa.Column("actor", sa.String(16), primary_key=True),
    sa.Index("ix_event_actors_actor", "actor", "event_id"),
)
reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False, index=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False, index=True),
    sa.Column("sentence", sa.Text, nullable=False),
    sa.Column("sentence_start", sa.Integer, nullable=False),
    sa.Column("sentence_end", sa.Integer, nullable=False),
    sa.Column("mention_start", sa.Integer, nullable=False),
    sa.Column("mention_end", sa.Integer, nullable=False),
    sa.Column("actors", sa.Text, nullable=False),
    sa.Column("date", sa.String(10)),
)
event_sentences = sa.Table(
    "event_sentences",
    metadata,
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), primary_key=True),
    sa.Column("digest", sa.String(32), primary_key=True),  # sentence_digest(sentence)
    sa.Column("sentence", sa.Text, nullable=False),
)
"""The distinct report sentences of each event: what the wording half of the merge rule
reads (an event may gather thousands of reports of a few sentences)."""
mentions = sa.Table(
    "mentions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False, index=True),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("place_id", sa.String(64), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("country", sa.String(2)),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("literal", sa.Boolean, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("reason", sa.Text),
)

SORTABLE = (
    "id",
    "date",
    "place_name",
    "place_id",
    "place_kind",
    "country",
    "admin1",
    "geo_precision",
    "event_type",
    "confidence",
    "source_count",
    "article_id",
)
"""Event columns ``query_events(sort=...)`` accepts: the scalar ones a reader would order by."""

Sort = Sequence[tuple[str, bool]]
"""An ordering: ``(column, descending)`` pairs, most significant first."""

COUNT_UP_TO = 4_000
"""The items endpoint's numberMatched is exact up to this many matches and left out beyond:
counting reads every match, a page only ~``limit`` rows (OGC API Features makes the member
optional)."""
SELECTIVE_BOX = 4_000
"""A bbox holding at most this many points is read through the R*Tree (then sorted);
a larger one by scanning events in page order. Measured on 1,000,000 events: the two cost
the same (~10 ms) near 4,000 points for a page of 100."""

ESTIMATE_MARGIN = 4
"""On PostGIS, a box is paged by scanning in id order when the planner expects more than
this many times :data:`SELECTIVE_BOX` points in it (its estimate of a district of the
1,000,000-event bench store is 46,000 for 61,000)."""

_rtree = backends.rtree


@dataclass
class EventFilter:
    """The filters the items endpoint, the map and the CLI share."""

    bbox: tuple[float, float, float, float] | None = None
    datetime: tuple[str | None, str | None] | None = None  # inclusive ISO prefixes, None = open
    article: list[int] = field(default_factory=list)
    actor: list[str] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    place: list[str] = field(default_factory=list)
    max_geo_precision: int | None = None
    near: spatial.Near | None = None  # geodesic circle
    intersects: spatial.Area | None = None  # polygon or multipolygon


@dataclass
class Page:
    """A page of events (see :meth:`Store.items_page`)."""

    matched: int | None  # None: more than the count goes up to
    rows: list[dict]
    more: bool  # whether the next page holds any event


def _box_conds(
    bbox: tuple[float, float, float, float], sqlite: bool, scan: bool, bound: bool = True
) -> list:
    """A bbox's conditions: the spatial index unless ``scan`` (see :meth:`Store._page`),
    then the exact test on the coordinates, the same on both backends (SQLite's R*Tree
    keeps 32-bit floats rounded outwards); on parameters (:func:`backends.box_params`)
    unless not ``bound``."""
    conds = [] if scan else [backends.bbox_condition(events, bbox, sqlite, bound)]
    return conds + backends.coordinates_in(events, bbox, bound)


def _order(sort: Sort) -> list:
    """The ORDER BY of ``sort`` then id (so pages are stable), nulls last either way."""
    order = []
    for name, desc in sort:
        if name not in SORTABLE:
            raise ValueError(f"cannot sort events by {name!r}; one of {', '.join(SORTABLE)}")
        col = events.c[name]
        order.append((col.desc() if desc else col.asc()).nulls_last())
    return [*order, events.c.id]


def _page_select(conds: list, order: list, count: bool | None) -> sa.Select:
    """A page of events matching ``conds``, with parameters ``limit`` and ``offset``, and
    a ``_matched`` column: every match counted (``count`` True), up to the parameter
    ``upto`` (None), or none (False)."""
    columns: list = [events]
    if count is True:
        columns.append(sa.func.count().over().label("_matched"))
    elif count is None:
        upto = sa.select(events.c.id).where(*conds).limit(sa.bindparam("upto")).subquery()
        columns.append(
            sa.select(sa.func.count()).select_from(upto).scalar_subquery().label("_matched")
        )
    return (
        sa.select(*columns)
        .where(*conds)
        .order_by(*order)
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
    )


_SHAPES = {False: (-180.0, -90.0, 180.0, 90.0), True: (180.0, -90.0, -180.0, 90.0)}
"""A box of each shape (crossing the antimeridian or not) for the statements built once:
their values are parameters."""


@lru_cache(maxsize=64)
def _bbox_page(
    dialect: sa.Dialect,
    crosses: bool,
    scan: bool,
    sort: tuple[tuple[str, bool], ...],
    count: bool | None,
) -> backends.Prepared:
    """The page statement of a filter that is a bbox alone, what a map client sends on every
    pan, compiled once per shape and run on the DBAPI cursor: building, compiling and
    wrapping it per request took a fifth of a page."""
    conds = _box_conds(_SHAPES[crosses], dialect.name == "sqlite", scan)
    return backends.Prepared(_page_select(conds, _order(sort), count), dialect)


@cache
def _box_hits(sqlite: bool, crosses: bool) -> sa.Select:
    """The ids of the events in a box (parameters as in :func:`backends.box_params`) that
    the spatial index finds."""
    if sqlite:
        return backends.rtree_ids(_SHAPES[crosses], bound=True)
    return sa.select(events.c.id).where(
        backends.bbox_condition(events, _SHAPES[crosses], False, bound=True)
    )


@lru_cache(maxsize=8)  # keyed on the engine's dialect: a few entries per engine
def _box_count(dialect: sa.Dialect, crosses: bool) -> backends.Prepared:
    """How many points the R*Tree holds in a box, counting no further than the parameter
    ``upto``."""
    hits = _box_hits(True, crosses).limit(sa.bindparam("upto")).subquery()
    return backends.Prepared(sa.select(sa.func.count()).select_from(hits), dialect)


class _VersionReader:
    """The connection :meth:`Store.data_version` reads, shared by the threads of a process:
    one of its own, so it sees every other connection's commits and never waits for the
    pool."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name == "sqlite":
            self._con = sqlite3.connect(engine.url.database, check_same_thread=False, timeout=30)
            # counts the commits of every other connection (this one never writes)
            self._sql = "PRAGMA data_version"
        else:
            fairy = engine.raw_connection()
            self._con = fairy.driver_connection
            fairy.detach()  # this reader's for good: out of the pool
            self._con.rollback()  # the pool's connect-time checks opened a transaction
            self._con.autocommit = True
            # where the next WAL record goes: past every commit record, including those of
            # commits not yet visible (asynchronous commit); maintenance writes only move it
            # too early, which costs a render, never a stale answer
            self._sql = "SELECT pg_current_wal_insert_lsn() - '0/0'"
        self._lock = threading.Lock()

    def read(self) -> int:
        with self._lock:
            return int(self._con.execute(self._sql).fetchone()[0])


@dataclass(frozen=True)
class Extent:
    """Where and when the stored events lie: a WGS84 bbox and the first/last day they cover."""

    bbox: tuple[float, float, float, float] | None
    start: str | None  # ISO day
    end: str | None


def period_start(date: str) -> str:
    """The first day of an ISO date prefix (``2022`` -> ``2022-01-01``)."""
    return (date + "-01-01")[:10] if len(date) == 4 else (date + "-01")[:10]


def period_end(date: str) -> str:
    """The last day of an ISO date prefix (``2022-02`` -> ``2022-02-28``)."""
    if len(date) == 4:
        return f"{date}-12-31"
    if len(date) == 7:
        year, month = int(date[:4]), int(date[5:7])
        return f"{date}-{calendar.monthrange(year, month)[1]:02d}"
    return date


def db_url(value: str | None = None) -> str:
    """``GEOMAP_DB`` as an SQLAlchemy URL (a bare path means an SQLite file)."""
    value = value or os.environ.get("GEOMAP_DB") or DEFAULT_DB
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser()}"


def _json(value: Any) -> str:
    """A column's JSON text (actors, roles): orjson's compact form, a tenth of the cost
    of ``json.dumps`` on the write path; both forms read back the same."""
    return orjson.dumps(value).decode()


def merge_distance_km(value: str | None = None) -> float:
    """``GEOMAP_MERGE_KM`` (kilometres, >= 0) or :data:`DEFAULT_MERGE_KM`."""
    value = os.environ.get("GEOMAP_MERGE_KM", "") if value is None else value
    if not value.strip():
        return DEFAULT_MERGE_KM
    try:
        km = float(value)
    except ValueError:
        km = -1.0
    if not km >= 0 or math.isinf(km):
        raise ValueError(f"GEOMAP_MERGE_KM={value!r} is not a distance in km (e.g. 2 or 0.5)")
    return km


def content_hash(title: str, body: str) -> str:
    """Identity of an article: its title and whitespace-normalised body."""
    norm = " ".join(body.split())
    return hashlib.sha256(f"{title}\n{norm}".encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_PLACE_FIELDS = {
    "place_id": "place_id",
    "place_name": "name",
    "place_kind": "kind",
    "country": "country",
    "admin1": "admin1",
    "lat": "lat",
    "lon": "lon",
    "geo_precision": "geo_precision",
    "confidence": "confidence",
    "mention": "text",
}
"""The place columns of an event and the :class:`Mention` fields they come from."""
_MOVE_UPDATE = (
    events.update()
    .where(events.c.id == sa.bindparam("eid"))
    .values({c: sa.bindparam(c) for c in (*_PLACE_FIELDS, "region")})
)
"""An event moves to a finer place one of its reports names (:meth:`Store._add_event`)."""

_MERGE_UPDATE = (
    events.update()
    .where(events.c.id == sa.bindparam("eid"))
    .values(
        source_count=events.c.source_count + 1,
        **{c: sa.bindparam(f"merged_{c}") for c in ("actors", "date", "date_precision", "roles")},
    )
)
"""A report joins an event: its merged fields come as ``merged_*`` parameters, and one more
source."""


def _place_row(m: Mention) -> dict[str, Any]:
    """The place columns of an event reported at ``m`` (``region`` aside)."""
    return {column: getattr(m, field) for column, field in _PLACE_FIELDS.items()}


def _box(m: Mention) -> dict[str, float]:
    """The R*Tree box of a point event at ``m``."""
    return {"minx": m.lon, "maxx": m.lon, "miny": m.lat, "maxy": m.lat}


def _nesting(
    m: Mention,
    lat: float,
    lon: float,
    precision: int,
    kind: str,
    admin1: str | None,
    country: str | None,
) -> int:
    """How the place of ``m`` and another place nest: 1 when ``m``'s lies in the other's
    area, -1 when the other lies in ``m``'s, 0 when neither. An area is a governorate,
    holding the places the gazetteer puts in it (``admin1``), or a settlement's area (a
    district's precision: "the Talkalakh countryside"), holding the finer places of its
    country within :data:`AREA_KM`. A region of another kind ("the Golan Heights") holds
    none."""
    if (kind == "governorate") != (m.kind == "governorate"):
        inside = admin1 is not None and admin1 == m.admin1
        return (1 if kind == "governorate" else -1) if inside else 0
    district = PRECISION["district"]
    if {precision, m.geo_precision} != {district, district - 1} or country != m.country:
        return 0
    if not spatial.within_km(m.lat, m.lon, lat, lon, AREA_KM):
        return 0
    return 1 if precision == district else -1


def _date_compatible(column: sa.ColumnElement, d: sa.BindParameter) -> sa.ColumnElement:
    """same_event's dates_compatible as a prefilter: no date, or one is a prefix of the
    other."""
    return sa.or_(
        column.is_(None),
        column == sa.func.substr(d, 1, sa.func.length(column)),
        d == sa.func.substr(column, 1, sa.func.length(d)),
    )


_CANDIDATE_COLUMNS = tuple(
    events.c[c]
    for c in ("id", "actors", "date", "date_precision", "place_id", "roles", "lat", "lon")
)
"""What a merge reads of a candidate event (:meth:`Store._same_happening` takes the first
six)."""


def _candidates(sqlite: bool, dated: bool) -> sa.Select:
    """The merge candidates of an event (see :meth:`Store._near_target`): parameters
    ``type``, the box ``minx``..``maxy`` and ``date``."""
    e, b = events.c, sa.bindparam
    if sqlite:
        r = _rtree.c
        box = sa.select(r.id).where(
            r.minx <= b("maxx"), r.maxx >= b("minx"), r.miny <= b("maxy"), r.maxy >= b("miny")
        )
        near = [e.id.in_(box)]
    else:
        near = [e.lon.between(b("minx"), b("maxx")), e.lat.between(b("miny"), b("maxy"))]
    conds = [e.event_type == b("type"), *near]
    if dated:
        conds.append(_date_compatible(e.date, b("date", type_=sa.String)))
    return sa.select(*_CANDIDATE_COLUMNS).where(*conds).order_by(e.id)


def _area_candidates(dated: bool, governorate: bool) -> sa.Select:
    """The events of the same type in the same governorate (parameter ``region``) that
    may nest with this one's place (see :func:`_nesting`): for a ``governorate`` report,
    those at other kinds of places; else those at a governorate or at another precision
    than this one's (``precision``). The latest :data:`AREA_CANDIDATES` only, walked back
    on the ``(region, event_type, id)`` index: an area report tells of recent
    happenings, and the cost stays bounded as the store grows."""
    e, b = events.c, sa.bindparam
    conds = [e.region == b("region"), e.event_type == b("type")]
    if governorate:
        conds.append(e.place_kind != "governorate")
    else:
        conds.append(sa.or_(e.place_kind == "governorate", e.geo_precision != b("precision")))
    if dated:
        conds.append(_date_compatible(e.date, b("date", type_=sa.String)))
    return (
        sa.select(*_CANDIDATE_COLUMNS, e.geo_precision, e.place_kind, e.admin1, e.country)
        .where(*conds)
        .order_by(e.id.desc())
        .limit(AREA_CANDIDATES)
    )


_SENTENCES = sa.select(event_sentences.c.sentence).where(
    event_sentences.c.event_id == sa.bindparam("eid")
)
"""The distinct report sentences of one event, for the wording half of the merge rule."""


def sentence_digest(sentence: str) -> str:
    """The key of a sentence in ``event_sentences`` (an index on the text itself would
    not hold a long sentence on PostgreSQL)."""
    return hashlib.blake2b(sentence.encode(), digest_size=16).hexdigest()


_ARTICLE_COLUMNS = tuple(c.name for c in articles.c if c.name != "id")
_EVENT_COLUMNS = tuple(c.name for c in events.c if c.name != "id")
_MENTION_COLUMNS = tuple(c.name for c in mentions.c if c.name != "id")
_REPORT_COLUMNS = tuple(c.name for c in reports.c if c.name != "id")
_ACTOR_COLUMNS = ("event_id", "actor")
_SENTENCE_COLUMNS = ("event_id", "digest", "sentence")
_mention_row = operator.attrgetter(*_MENTION_COLUMNS[1:])
"""A mention's column values but ``article_id`` (its attributes bear the columns' names)."""


def _insert(table: sa.Table, columns: Iterable[str], insert=sa.insert) -> sa.Insert:
    """``INSERT`` of ``columns``, each bound to a parameter of its name (``insert``: a
    dialect's own, for ``ON CONFLICT``)."""
    return insert(table).values({c: sa.bindparam(c) for c in columns})


class _Writes:
    """The statements of an article write, compiled once for the store's dialect
    (:class:`geomap.backends.Prepared`)."""

    def __init__(self, dialect: sa.Dialect):
        if dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert

        def prep(stmt: sa.Executable) -> backends.Prepared:
            return backends.Prepared(stmt, dialect)

        sqlite = dialect.name == "sqlite"
        # insert-or-ignore on the content hash, atomically: two writers posting the same
        # article at once store it once, and the second learns it was already there
        self.article = prep(
            _insert(articles, _ARTICLE_COLUMNS, insert)
            .on_conflict_do_nothing(index_elements=["content_hash"])
            .returning(articles.c.id)
        )
        self.mention = prep(_insert(mentions, _MENTION_COLUMNS))
        self.event = prep(_insert(events, _EVENT_COLUMNS).returning(events.c.id))
        self.rtree = prep(_insert(_rtree, ("id", "minx", "maxx", "miny", "maxy")))
        self.merge = prep(_MERGE_UPDATE)
        self.move = prep(_MOVE_UPDATE)
        self.rtree_move = prep(
            _rtree.update()
            .where(_rtree.c.id == sa.bindparam("eid"))
            .values({c: sa.bindparam(c) for c in ("minx", "maxx", "miny", "maxy")})
        )
        self.candidates = {dated: prep(_candidates(sqlite, dated)) for dated in (False, True)}
        self.area_candidates = {
            (dated, governorate): prep(_area_candidates(dated, governorate))
            for dated in (False, True)
            for governorate in (False, True)
        }
        self.sentences = prep(_SENTENCES)
        self.actor = prep(_insert(event_actors, _ACTOR_COLUMNS))
        self.report = prep(_insert(reports, _REPORT_COLUMNS))
        self.sentence = prep(
            _insert(event_sentences, _SENTENCE_COLUMNS, insert).on_conflict_do_nothing()
        )


@lru_cache(maxsize=8)  # keyed on the engine's dialect: a few entries per engine
def _sources(dialect: sa.Dialect) -> backends.Prepared:
    """The reports of events (parameter ``ids``, a :func:`backends.id_list`) with their
    articles, in report order: compiled once and run on the DBAPI cursor, as building it
    took a tenth of an items page and SQLAlchemy's execution of it a third."""
    stmt = (
        sa.select(
            reports.c.event_id,
            reports.c.article_id,
            reports.c.sentence,
            reports.c.date,
            articles.c.title,
            articles.c.url,
            articles.c.outlet,
            articles.c.published,
        )
        .join(articles, articles.c.id == reports.c.article_id)
        .where(backends.any_of(reports.c.event_id, "ids", dialect.name == "sqlite"))
        .order_by(reports.c.id)
    )
    return backends.Prepared(stmt, dialect)


class Store:
    """The event store (see module docstring); create with :func:`open_store`."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"

    # -- schema ------------------------------------------------------------
    def init(self) -> None:
        """Create the store, or upgrade it to this version's schema keeping every stored
        row (Alembic migrations, ``geomap.migrations``)."""
        migrations.upgrade(self.engine)

    # -- writes ------------------------------------------------------------
    def add_article(
        self,
        *,
        title: str,
        text: str,
        found: list[Mention],
        article_events: list[Event],
        url: str | None = None,
        outlet: str | None = None,
        published: str | None = None,
        source: str | None = None,
        conn: Connection | None = None,
    ) -> tuple[int, bool]:
        """Store one article with its mentions and events in one transaction: its own, or
        ``conn``, a :meth:`writing` transaction that writes several articles at once.

        Returns ``(article_id, created)``; an article already stored (same
        content hash) is left alone and ``created`` is False.
        """
        digest = content_hash(title, text)
        row = {
            "content_hash": digest,
            "title": title,
            "url": url,
            "outlet": outlet,
            "published": published,
            "source": source,
            "text": text,
            "ingested_at": _now(),
        }
        if conn is None:
            with self.writing() as conn:
                return self._add_article(conn, row, found, article_events)
        return self._add_article(conn, row, found, article_events)

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction, the write lock held: what :meth:`add_article` writes in
        it commits at the end, all of it or nothing. An ingest writes the articles its
        workers have ready in one: a commit per article cost as much as two writes."""
        with self.engine.begin() as conn:
            backends.lock_for_write(conn)
            yield conn

    def _add_article(
        self, conn: Connection, row: dict[str, Any], found: list[Mention], evs: list[Event]
    ) -> tuple[int, bool]:
        inserted = self._writes.article.run(conn, row).fetchone()
        if inserted is None:
            existing = conn.execute(
                sa.select(articles.c.id).where(articles.c.content_hash == row["content_hash"])
            ).scalar_one()
            return existing, False
        aid = inserted[0]
        self._add_analysis(conn, aid, found, evs)
        return aid, True

    @cached_property
    def _writes(self) -> _Writes:
        return _Writes(self.engine.dialect)

    def reanalyse(
        self, analyse: Callable[[dict[str, Any]], tuple[list[Mention], list[Event]]]
    ) -> int:
        """Recompute every article's mentions and events (after a gazetteer change).

        ``analyse`` gets each stored article (id, title, text, published) and returns its
        mentions and events. Parsing happens before the write, which then replaces all
        derived rows in one transaction: readers see the old map until the commit, and a
        failure leaves it untouched. Returns the number of articles.
        """
        with self.engine.connect() as conn:
            rows = [
                dict(r._mapping)
                for r in conn.execute(
                    sa.select(
                        articles.c.id, articles.c.title, articles.c.text, articles.c.published
                    ).order_by(articles.c.id)
                )
            ]
        results = [(row["id"], *analyse(row)) for row in rows]
        with self.engine.begin() as conn:
            backends.lock_for_write(conn)
            for table in (event_actors, event_sentences, reports, mentions):
                conn.execute(table.delete())
            if self.sqlite:
                conn.execute(_rtree.delete())
            conn.execute(events.delete())
            for aid, found, evs in results:
                self._add_analysis(conn, aid, found, evs)
        return len(rows)

    def _add_analysis(
        self, conn: Connection, aid: int, found: list[Mention], article_events: list[Event]
    ) -> None:
        """Insert an article's mentions and events (merging reports of known events); the
        rows of each table go in with one ``executemany``."""
        w = self._writes
        if found:
            w.mention.run_rows(conn, _MENTION_COLUMNS, ((aid, *_mention_row(m)) for m in found))
        km = merge_distance_km()
        touched: set[int] = set()  # events this article reports (its reports are written last)
        actor_rows: list[tuple[int, str]] = []
        report_rows: list[tuple] = []
        merges: list[dict[str, Any]] = []
        # the reports that join an event at their own place go first, so that a report
        # of the area around it ("in the Damascus countryside") does not claim that event
        # before the article's report of it ("near Kisweh"), which then could not join
        deferred: list[Event] = []
        added: list[tuple[Event, tuple[int, set[str]]]] = []
        for ev in article_events:
            near = self._add_event(conn, aid, ev, touched, km, merges, area=False)
            if near is None:
                deferred.append(ev)
            else:
                touched.add(near[0])
                added.append((ev, near))
        for ev in deferred:
            eid, new_actors = self._add_event(conn, aid, ev, touched, km, merges, area=True)
            touched.add(eid)
            added.append((ev, (eid, new_actors)))
        for ev, (eid, new_actors) in added:
            actor_rows += [(eid, a) for a in sorted(new_actors)]
            report_rows += [
                (
                    eid,
                    aid,
                    r.sentence,
                    r.sentence_start,
                    r.sentence_end,
                    r.mention.start,
                    r.mention.end,
                    _json(r.actors),
                    r.date,
                )
                for r in ev.reports
            ]
        if merges:
            w.merge.run_many(conn, merges)
        if actor_rows:
            w.actor.run_rows(conn, _ACTOR_COLUMNS, actor_rows)
        if report_rows:
            w.report.run_rows(conn, _REPORT_COLUMNS, report_rows)
            sentences = sorted({(row[0], row[2]) for row in report_rows})
            w.sentence.run_rows(
                conn,
                _SENTENCE_COLUMNS,
                ((eid, sentence_digest(text), text) for eid, text in sentences),
            )

    def _add_event(
        self,
        conn: Connection,
        aid: int,
        ev: Event,
        touched: set[int],
        km: float,
        merges: list[dict[str, Any]],
        *,
        area: bool,
    ) -> tuple[int, set[str]] | None:
        """Merge ``ev`` into an event another article reported within ``km``
        (:meth:`_near_target`), or with ``area``, into one at a place in its area or whose
        area it lies in (:meth:`_area_target`), else insert it; returns the event id and
        the actors it gains (None: no event near, and ``area`` not asked). A merge's update
        joins ``merges``, which the caller runs: the merged event is in ``touched`` from
        then on, so no later event of the article reads it. A merged event gains one
        source: its target never holds a report of this article."""
        m = ev.mention
        region, finer = None, False  # known in the area pass, the only one that inserts or moves
        if not area:
            target = self._near_target(conn, ev, touched, km)
            if target is None:
                return None
        else:
            region = spatial.event_region(m.lon, m.lat, m.geo_precision)
            target, finer = self._area_target(conn, ev, touched, region)
        w = self._writes
        if target is None:
            row = {
                **_place_row(m),
                "region": region,
                "event_type": ev.event_type,
                "date": ev.date,
                "date_precision": ev.date_precision,
                "actors": _json(ev.actors),
                "roles": _json(ev.roles),
                "source_count": 1,
                "article_id": aid,
                "sentence": ev.sentence,
            }
            eid = w.event.run(conn, row).fetchone()[0]
            if self.sqlite:
                w.rtree.run(conn, {"id": eid, **_box(m)})
            return eid, set(ev.actors)
        eid, old_actors, old_date, old_prec, old_roles = target
        if finer:  # the event keeps the finest place its reports name
            w.move.run(conn, {"eid": eid, **_place_row(m), "region": region})
            if self.sqlite:
                w.rtree_move.run(conn, {"eid": eid, **_box(m)})
        actors = set(old_actors) | set(ev.actors)
        date, prec = old_date, old_prec
        if ev.date and (not old_date or len(ev.date) > len(old_date)):
            date, prec = ev.date, ev.date_precision
        merges.append(
            {
                "eid": eid,
                "merged_actors": _json(sorted(actors)),
                "merged_date": date,
                "merged_date_precision": prec,
                "merged_roles": _json({**ev.roles, **old_roles}),
            }
        )
        return eid, actors - set(old_actors)

    def _near_target(self, conn: Connection, ev: Event, touched: set[int], km: float):
        """An event of another article that reports the same happening within ``km``, if
        any.

        Candidates are the events of the same type whose place lies within ``km``
        (:func:`merge_distance_km`) of this one (a box through the R*Tree, then the geodesic
        distance) and whose date is compatible, from one query; :meth:`_same_happening`
        decides. Events this article already reports (``touched``: every report of an
        article is written by one :meth:`_add_analysis`) stay distinct.
        """
        m = ev.mention
        dlat = km / KM_PER_DEGREE
        dlon = min(180.0, km / (KM_PER_DEGREE * max(math.cos(math.radians(m.lat)), 1e-6)))
        params = {
            "type": ev.event_type,
            "minx": m.lon - dlon,
            "maxx": m.lon + dlon,
            "miny": m.lat - dlat,
            "maxy": m.lat + dlat,
            "date": ev.date,
        }
        near = [
            row[:6]
            for row in self._writes.candidates[bool(ev.date)].run(conn, params).fetchall()
            if row[0] not in touched
            and (row[4] == m.place_id or spatial.within_km(m.lat, m.lon, row[6], row[7], km))
        ]
        return self._same_happening(conn, ev, near, area=False)

    def _area_target(
        self, conn: Connection, ev: Event, touched: set[int], region: str | None
    ) -> tuple[tuple | None, bool]:
        """An event of another article that reports the same happening at a place in the
        area this report names, or that names the area this report's place lies in
        (:func:`_nesting`: "strikes in Daraa province" and "jets hit Tal al-Hara"), as
        outlets tell one happening at different precisions; and whether this report's
        place is the finer (the event then moves there, as a map shows the finest place
        known). :meth:`_same_happening` decides.
        """
        m = ev.mention
        if region is None:
            return None, False
        params = {
            "type": ev.event_type,
            "region": region,
            "precision": m.geo_precision,
            "date": ev.date,
        }
        query = self._writes.area_candidates[bool(ev.date), m.kind == "governorate"]
        nesting = {}
        for row in query.run(conn, params).fetchall():
            if row[0] not in touched and (how := _nesting(m, *row[6:])):
                nesting[row[0]] = (how, row[:6])
        target = self._same_happening(conn, ev, [row for _, row in nesting.values()], area=True)
        if target is None:
            return None, False
        return target, nesting[target[0]][0] > 0

    def _same_happening(
        self, conn: Connection, ev: Event, candidates: list[tuple], *, area: bool
    ) -> tuple | None:
        """The candidate (``id, actors, date, date_precision, place_id, roles`` rows, in
        order) that reports the same happening as ``ev`` by :func:`same_event`, with its
        place counted as ``ev``'s: of those the rule's actor half accepts, the one that
        shares most actors (an archive caption's "U.S. soldiers" at a base does not take a
        report of the handover there); when it accepts none, the first whose wording is
        close enough (``area``: candidates in this report's area or whose area it lies in,
        see :func:`same_event`). A candidate's distinct report sentences
        (``event_sentences``) are read only when the wording must decide."""
        w = self._writes
        worded = []  # the candidates whose wording must decide, in order
        best: tuple[int, tuple] | None = None  # (actors shared, candidate)
        for eid, actors, date, precision, place_id, roles in candidates:
            old = orjson.loads(actors)

            def same(sentence: str | list[str], place_id=place_id, old=old, date=date) -> bool:
                return same_event(
                    place_id,
                    ev.event_type,  # the queries select this type only
                    old,
                    date,
                    sentence,
                    place_id,  # the same place, or one in the other's area
                    ev.event_type,
                    ev.actors,
                    ev.date,
                    ev.sentence,
                    area=area,
                    kind=ev.mention.kind,  # same_event reads it at one place only
                )

            # the rule's actor half needs no wording (asked with no sentences): the reports
            # are read only when the wording must decide, as an event may gather thousands
            if same([]):
                shared = len(set(old) & set(ev.actors))
                if best is None or shared > best[0]:
                    best = (shared, (eid, old, date, precision, orjson.loads(roles)))
            elif best is None:
                worded.append((eid, old, date, precision, roles, same))
        if best is not None:
            return best[1]
        for eid, old, date, precision, roles, same in worded:
            if same([s for (s,) in w.sentences.run(conn, {"eid": eid}).fetchall()]):
                return eid, old, date, precision, orjson.loads(roles)
        return None

    # -- reads -------------------------------------------------------------
    def _where(self, f: EventFilter, index: bool = True) -> list:
        """The conditions of ``f``; its boxes and shapes go through the spatial index
        unless not ``index`` (a caller that scans in its own order, see :meth:`_page`)."""
        conds = []
        if f.bbox:
            conds += _box_conds(f.bbox, self.sqlite, scan=not index, bound=False)
        for shape in (f.near, f.intersects):
            if shape is not None:
                conds += backends.shape_condition(events, shape, self.sqlite, index=index)
        if f.datetime:
            lo, hi = f.datetime
            conds.append(events.c.date.is_not(None))
            if lo:  # a coarser date overlaps when it is a prefix of lo: 2022 reaches 2022-06
                d = events.c.date
                conds.append(sa.or_(d >= lo, d.in_({lo[:4], lo[:7]})))
            if hi:
                conds.append(events.c.date <= hi + "\uffff")
        if f.article:
            conds.append(
                events.c.id.in_(
                    sa.select(reports.c.event_id).where(reports.c.article_id.in_(f.article))
                )
            )
        if f.actor:
            conds.append(
                events.c.id.in_(
                    sa.select(event_actors.c.event_id).where(event_actors.c.actor.in_(f.actor))
                )
            )
        if f.type:
            conds.append(events.c.event_type.in_(f.type))
        if f.place:
            low = [p.lower() for p in f.place]
            conds.append(
                sa.or_(events.c.place_id.in_(f.place), sa.func.lower(events.c.place_name).in_(low))
            )
        if f.max_geo_precision:
            conds.append(events.c.geo_precision <= f.max_geo_precision)
        return conds

    def region_counts(self, f: EventFilter) -> dict[str, int]:
        """Governorate -> how many events match ``f`` there (events outside Syria left out)."""
        q = (
            sa.select(events.c.region, sa.func.count())
            .where(events.c.region.is_not(None), *self._where(f))
            .group_by(events.c.region)
        )
        with self.engine.connect() as conn:
            return {r: n for r, n in conn.execute(q)}

    def event_points(self, f: EventFilter) -> list[tuple[float, float]]:
        """The distinct ``(lon, lat)`` of the events matching ``f``."""
        q = sa.select(events.c.lon, events.c.lat).distinct().where(*self._where(f))
        with self.engine.connect() as conn:
            return [(lon, lat) for lon, lat in conn.execute(q)]

    def count_events(self, f: EventFilter) -> int:
        """How many events match the filter."""
        with self.engine.connect() as conn:
            q = sa.select(sa.func.count()).select_from(events).where(*self._where(f))
            return conn.execute(q).scalar_one()

    def query_events(
        self, f: EventFilter, limit: int = 100, offset: int = 0, sort: Sort = ()
    ) -> list[dict]:
        """Matching events (with their sources), ordered by ``sort`` then id (so pages are
        stable); nulls sort last either way. An unknown sort column is a ValueError."""
        with self.engine.connect() as conn:
            return self._page(conn, f, limit, offset, sort, count=False)[0]

    def page_events(
        self, f: EventFilter, limit: int = 100, offset: int = 0, sort: Sort = ()
    ) -> tuple[int, list[dict]]:
        """``(number matched, one page)`` read by one statement, so the count and the page
        agree even while articles are being ingested. The count reads every match: see
        :meth:`items_page` for a page of a large selection."""
        with self.engine.connect() as conn:
            rows, matched, _ = self._page(conn, f, limit, offset, sort, count=True)
            if matched is None:  # past the last page: count on its own
                matched = conn.execute(
                    sa.select(sa.func.count()).select_from(events).where(*self._where(f))
                ).scalar_one()
            return matched, rows

    def items_page(
        self,
        f: EventFilter,
        limit: int = 100,
        offset: int = 0,
        sort: Sort = (),
        count_up_to: int = COUNT_UP_TO,
    ) -> Page:
        """One page of events, reading about ``limit`` rows however many match: the number
        matched is exact up to ``count_up_to`` matches and None beyond (counting a million
        matches reads a million rows), and :attr:`Page.more` says whether a next page has any.
        Number and page come from one statement (or the page holds every match)."""
        with self.engine.connect() as conn:
            rows, matched, more = self._page(conn, f, limit, offset, sort, count=count_up_to)
            if not more and (rows or offset == 0):  # the last page: the total is known
                matched = offset + len(rows)
            elif matched is not None and matched > count_up_to:
                matched = None
            return Page(matched, rows, more)

    def _page(
        self,
        conn: Connection,
        f: EventFilter,
        limit: int,
        offset: int,
        sort: Sort,
        count: bool | int,
    ) -> tuple[list[dict], int | None, bool]:
        """``(rows with sources, number matched or None, whether more rows follow)``.

        ``count`` True counts every match (a window over them all), an int counts up to one
        more than that (in the same statement; not for a large bbox, where that would scan
        too), False not at all. A bbox (or the bbox of a ``near``/``intersects`` shape) is
        read through the spatial index only when it holds at most :data:`SELECTIVE_BOX`
        points (:meth:`_large_box`); a larger box scans the events in page order and checks
        their coordinates (and the shape's exact test), which finds a page after about
        ``limit`` × (events / matches) rows instead of sorting every match."""
        boxes = [f.bbox] if f.bbox else []
        boxes += [s.bounds for s in (f.near, f.intersects) if s is not None]
        scan = bool(boxes) and all(self._large_box(conn, b) for b in boxes)
        if scan and count is not True:  # a bounded count would scan as far as the bound
            count = False
        params = {"limit": limit + 1, "offset": offset}
        if count is not True and count is not False:
            params["upto"] = count + 1
            count = None
        if f.bbox and replace(f, bbox=None) == EventFilter():
            params |= backends.box_params(f.bbox)
            crosses = f.bbox[0] > f.bbox[2]
            page = _bbox_page(self.engine.dialect, crosses, scan, tuple(sort), count)
            rows = _dicts(page.run(conn, params))
        else:
            q = _page_select(self._where(f, index=not scan), _order(sort), count)
            rows = _dicts(conn.execute(q, params))
        more = len(rows) > limit
        del rows[limit:]
        matched = rows[0].pop("_matched") if rows and count is not False else None
        for r in rows:
            r.pop("_matched", None)
        self._attach_sources(conn, rows)
        return rows, matched, more

    def _large_box(self, conn: Connection, bbox: tuple[float, float, float, float]) -> bool:
        """Whether ``bbox`` holds more than :data:`SELECTIVE_BOX` points, so that a page scans
        the events in id order. SQLite counts them in its R*Tree (about 1 ms). PostGIS has no
        cheap bounded count (4,001 matches of a district cost 20-40 ms of heap reads on
        1,000,000 events), so there its planner's estimate decides, with a margin of
        :data:`ESTIMATE_MARGIN`: a box it misjudges is paged all the same, and
        only the presence of ``numberMatched`` may differ from SQLite's."""
        if self.sqlite:
            return self._box_points(conn, bbox, SELECTIVE_BOX + 1) > SELECTIVE_BOX
        hits = _box_hits(self.sqlite, bbox[0] > bbox[2])
        rows = backends.estimated_rows(conn, hits, backends.box_params(bbox))
        return rows > SELECTIVE_BOX * ESTIMATE_MARGIN

    def _box_points(self, conn: Connection, bbox: tuple[float, ...], up_to: int) -> int:
        """How many points the R*Tree holds in ``bbox``, counting no further than ``up_to``."""
        params = {**backends.box_params(bbox), "upto": up_to}
        return _box_count(self.engine.dialect, bbox[0] > bbox[2]).run(conn, params).fetchone()[0]

    def data_version(self) -> int | None:
        """A number that changes whenever any connection of any process (or server) commits
        to the store, for caches of rendered answers; None for an in-memory SQLite store.

        SQLite's ``PRAGMA data_version``; PostgreSQL's WAL insert position, which any data
        change moves before it becomes visible (see :class:`_VersionReader`)."""
        if self.sqlite and self.engine.url.database in (None, "", ":memory:"):
            return None  # a new connection would see another database
        return self._version_reader.read()

    @cached_property
    def _version_reader(self) -> _VersionReader:
        return _VersionReader(self.engine)

    def iter_events(
        self,
        f: EventFilter,
        sort: Sort = (),
        limit: int | None = None,
        offset: int = 0,
        page_size: int = 1000,
    ) -> Iterator[dict]:
        """Like :meth:`query_events` over the whole selection (or ``limit`` rows), fetched a
        page at a time so an export of any size holds one page in memory and no connection
        between pages."""
        while limit is None or limit > 0:
            n = page_size if limit is None else min(page_size, limit)
            rows = self.query_events(f, limit=n, offset=offset, sort=sort)
            yield from rows
            if len(rows) < n:
                return
            offset += n
            if limit is not None:
                limit -= n

    def event_extent(self) -> Extent:
        """The bbox and the date span of every stored event (an OGC collection ``extent``).

        The span ends on the last day of the latest period: ``2024-05`` outlasts
        ``2024-05-02``, so every date of the latest year is looked at."""
        e = events.c
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(
                    sa.func.min(e.lon),
                    sa.func.min(e.lat),
                    sa.func.max(e.lon),
                    sa.func.max(e.lat),
                    sa.func.min(e.date),
                    sa.func.max(e.date),
                )
            ).one()
            minx, miny, maxx, maxy, first, last = row
            end = None
            if last:
                latest = conn.execute(
                    sa.select(e.date).distinct().where(e.date >= last[:4])
                ).scalars()
                end = max(period_end(d) for d in latest)
        bbox = None if minx is None else (minx, miny, maxx, maxy)
        return Extent(bbox, period_start(first) if first else None, end)

    def article_extents(self) -> dict[int, dict[str, float]]:
        """Article id -> the centroid (``lon``, ``lat``: mean of its distinct events) and the
        bbox (``minx``, ``miny``, ``maxx``, ``maxy``) of the events it reports."""
        pairs = sa.select(reports.c.article_id, reports.c.event_id).distinct().subquery()
        e = events.c
        q = (
            sa.select(
                pairs.c.article_id,
                sa.func.avg(e.lon).label("lon"),
                sa.func.avg(e.lat).label("lat"),
                sa.func.min(e.lon).label("minx"),
                sa.func.min(e.lat).label("miny"),
                sa.func.max(e.lon).label("maxx"),
                sa.func.max(e.lat).label("maxy"),
            )
            .join(events, e.id == pairs.c.event_id)
            .group_by(pairs.c.article_id)
        )
        with self.engine.connect() as conn:
            return {r.article_id: dict(r._mapping) for r in conn.execute(q)}

    def get_event(self, event_id: int) -> dict | None:
        """One event with its sources, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(events).where(events.c.id == event_id)).first()
            if not row:
                return None
            out = [dict(row._mapping)]
            self._attach_sources(conn, out)
            return out[0]

    def _attach_sources(self, conn: Connection, rows: list[dict]) -> None:
        if not rows:
            return
        ids = [r["id"] for r in rows]
        by_event: dict[int, list[dict]] = {i: [] for i in ids}
        for eid, aid, sentence, date, title, url, outlet, published in _sources(conn.dialect).run(
            conn, {"ids": backends.id_list(ids, self.sqlite)}
        ):
            by_event[eid].append(
                {
                    "article_id": aid,
                    "article_title": title,
                    "url": url,
                    "outlet": outlet,
                    "published": published,
                    "sentence": sentence,
                    "date": date,
                }
            )
        titles = {}
        for r in rows:
            r["actors"] = orjson.loads(r["actors"])
            r["actor_roles"] = orjson.loads(r.pop("roles", None) or "{}")
            r["sources"] = by_event[r["id"]]
            titles[r["id"]] = r["sources"][0]["article_title"] if r["sources"] else ""
            r["article_title"] = titles[r["id"]]

    def list_articles(self) -> list[dict]:
        """Every article with its event and mention counts."""
        with self.engine.connect() as conn:
            n_events = (
                sa.select(sa.func.count(sa.distinct(reports.c.event_id)))
                .where(reports.c.article_id == articles.c.id)
                .scalar_subquery()
            )
            n_mentions = (
                sa.select(sa.func.count())
                .where(mentions.c.article_id == articles.c.id)
                .scalar_subquery()
            )
            q = sa.select(
                articles.c.id,
                articles.c.title,
                articles.c.url,
                articles.c.outlet,
                articles.c.published,
                articles.c.source,
                articles.c.ingested_at,
                n_events.label("events"),
                n_mentions.label("mentions"),
            ).order_by(articles.c.id)
            return [dict(r._mapping) for r in conn.execute(q)]

    def article_mentions(self, article_id: int) -> list[dict]:
        """Every place mention of an article, mapped or not (metonymy, countries...)."""
        with self.engine.connect() as conn:
            q = (
                sa.select(mentions)
                .where(mentions.c.article_id == article_id)
                .order_by(mentions.c.start)
            )
            return [dict(r._mapping) for r in conn.execute(q)]

    def actors_used(self) -> dict[str, int]:
        """Actor code -> number of events it takes part in."""
        with self.engine.connect() as conn:
            q = sa.select(event_actors.c.actor, sa.func.count()).group_by(event_actors.c.actor)
            return {a: n for a, n in conn.execute(q)}

    def stats(self) -> dict[str, int]:
        """Row counts, for /health and the ingest summary."""
        with self.engine.connect() as conn:
            return {
                name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for name, t in (
                    ("articles", articles),
                    ("events", events),
                    ("mentions", mentions),
                    ("reports", reports),
                )
            }


def _dicts(result: sa.CursorResult | Any) -> list[dict]:
    """The rows of a result (or of a DBAPI cursor) as dicts, zipped with the column names
    once: ``dict(row._mapping)`` costs about a third of a page of events."""
    keys = (
        list(result.keys())
        if isinstance(result, sa.CursorResult)
        else [d[0] for d in result.description]
    )
    return [dict(zip(keys, row, strict=True)) for row in result]


def open_store(url: str | None = None) -> Store:
    """Open the store at ``url`` or ``GEOMAP_DB``, creating it or bringing it to this
    version's schema first (SQLite path or file URL, or ``postgresql://`` for PostGIS)."""
    store = Store(backends.create_engine(db_url(url)))
    store.init()
    return store


def iter_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and the text/HTML files inside folders named, in a stable order."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(
                q
                for q in p.rglob("*")
                if q.is_file() and q.suffix.lower() in {".txt", ".text", ".md", ".html", ".htm"}
            )
        else:
            out.append(p)
    return out
