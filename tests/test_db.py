"""The storage backends: spatial queries alike on SQLite and PostGIS, schema upgrades that
keep stored events, export/import between backends, and two servers on one PostGIS."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from geopy.distance import geodesic
from shapely.geometry import Point
from support import serve

from geomap import backends, migrations, spatial
from geomap import store as st
from geomap.cli import main
from geomap.geojson import event_feature
from geomap.ingest import ingest_text
from geomap.pipeline import read_text
from geomap.store import EventFilter, Store, events, metadata, open_store

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
LEGACY_SCHEMA = Path(__file__).resolve().parent / "data" / "store_v0_schema.sql"
TOKEN = "db-test-token"
NEW_ARTICLE = {
    "title": "Shelling in Manbij",
    "text": "Turkish artillery shelled Manbij on March 3, 2024. Residents fled the town.",
}


def seed(store: Store, pipeline, files: int | None = None) -> Store:
    for path in sorted(SEEDS.glob("*.txt"))[:files]:
        ingest_text(store, pipeline, read_text(path), source=str(path))
    return store


def checksum(store: Store, without: tuple[str, ...] = ()) -> str:
    """A digest of every event as the API serves it (GeoJSON, sources included), leaving
    out the properties named in ``without``."""
    feats = [event_feature(row) for row in store.iter_events(EventFilter())]
    for f in feats:
        for name in without:
            del f["properties"][name]
    return hashlib.sha256(json.dumps(feats, sort_keys=True).encode()).hexdigest()


def regions(store: Store) -> list[str | None]:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(events.c.region).order_by(events.c.id)).scalars().all()


def event_sentences(store: Store) -> list[tuple[int, str, str]]:
    """The merge rule's sentence table, checked against the reports it is derived from."""
    with store.engine.connect() as conn:
        table = sa.select(st.event_sentences).order_by(*st.event_sentences.primary_key)
        rows = [tuple(r) for r in conn.execute(table)]
        pairs = conn.execute(sa.select(st.reports.c.event_id, st.reports.c.sentence).distinct())
    assert sorted((e, s) for e, _, s in rows) == sorted(tuple(p) for p in pairs)
    assert all(d == st.sentence_digest(s) for _, d, s in rows)
    return rows


def fresh_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return str(tmp_path / "fresh.db")
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture(scope="module")
def seeded(pipeline, store_url) -> Store:
    return seed(open_store(store_url), pipeline, files=3)


BBOXES = [
    (35.0, 32.0, 38.0, 37.0),  # western Syria
    (36.0, 35.0, 36.0, 37.0),  # a line of longitude: points on it are inside
    (170.0, -90.0, 40.0, 90.0),  # across the antimeridian: east of 170 or west of 40
    (40.0, -90.0, -170.0, 90.0),  # across it the other way: east of 40
    (-10.0, -10.0, 10.0, 10.0),  # nothing there
]


@pytest.mark.parametrize("bbox", BBOXES)
def test_bbox_selects_what_a_plain_comparison_does(seeded, bbox):
    minx, miny, maxx, maxy = bbox
    everything = seeded.query_events(EventFilter(), limit=100_000)

    def inside(e: dict) -> bool:
        lon = minx <= e["lon"] <= maxx if minx <= maxx else e["lon"] >= minx or e["lon"] <= maxx
        return lon and miny <= e["lat"] <= maxy

    expected = sorted(e["id"] for e in everything if inside(e))
    got = sorted(e["id"] for e in seeded.query_events(EventFilter(bbox=bbox), limit=100_000))
    assert got == expected
    assert seeded.count_events(EventFilter(bbox=bbox)) == len(expected)


SHAPES = [
    spatial.Near(33.51, 36.29, 30),  # Damascus, 30 km
    spatial.Near(32.74, 36.07, 80),  # Tafas, 80 km: Daraa, Sweida, Damascus's south
    spatial.Near(36.2, 37.16, 1500),  # Aleppo, 1,500 km: the Levant and beyond
    spatial.Near(33.51, 36.29, 1),  # one city's centre
    spatial.parse_geometry(
        "POLYGON((35.8 32.3, 36.9 32.3, 36.9 33.7, 35.8 33.7, 35.8 32.3),"
        "(36.2 33.4, 36.4 33.4, 36.4 33.6, 36.2 33.6, 36.2 33.4))"  # Damascus cut out
    ),
    spatial.parse_geometry(
        "MULTIPOLYGON(((35.5 35.0, 38.0 35.0, 38.0 36.7, 35.5 36.7, 35.5 35.0)),"
        "((39.5 34.3, 41.0 34.3, 41.0 35.8, 39.5 35.8, 39.5 34.3)))"
    ),
]


def shape_filter(shape: spatial.Shape) -> EventFilter:
    if isinstance(shape, spatial.Near):
        return EventFilter(near=shape)
    return EventFilter(intersects=shape)


def inside(shape: spatial.Shape, e: dict) -> bool:
    """geopy's or shapely's answer, independent of geomap's own test."""
    if isinstance(shape, spatial.Near):
        return geodesic((shape.lat, shape.lon), (e["lat"], e["lon"])).km <= shape.radius_km
    return shape.geometry.intersects(Point(e["lon"], e["lat"]))


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: type(s).__name__)
def test_near_and_intersects_select_what_geopy_and_shapely_do(seeded, shape):
    """The exact test runs in the database (an SQL function on SQLite, ST_DWithin and
    ST_Intersects on PostGIS): the same events as geopy's geodesic and shapely's polygon,
    in every read path (items pages, counts, whole selections)."""
    everything = seeded.query_events(EventFilter(), limit=100_000)
    expected = sorted(e["id"] for e in everything if inside(shape, e))
    flt = shape_filter(shape)
    assert sorted(e["id"] for e in seeded.query_events(flt, limit=100_000)) == expected
    assert seeded.count_events(flt) == len(expected)
    paged, offset = [], 0
    while page := seeded.items_page(flt, limit=7, offset=offset).rows:
        paged += [e["id"] for e in page]
        offset += 7
    assert sorted(paged) == expected


def test_the_shapes_select_some_events_and_not_all(seeded):
    n = seeded.count_events(EventFilter())
    counts = [seeded.count_events(shape_filter(s)) for s in SHAPES]
    assert all(0 < c < n for c in counts[:3] + counts[4:])


def test_some_bboxes_select_some_events_and_not_all(seeded):
    n = seeded.count_events(EventFilter())
    counts = [seeded.count_events(EventFilter(bbox=b)) for b in BBOXES]
    assert any(0 < c < n for c in counts) and 0 in counts


def test_postgis_has_a_point_column_under_a_gist_index(postgres, pipeline):
    store = seed(open_store(postgres.new_database()), pipeline, files=1)
    flt = EventFilter(bbox=(170.0, 30.0, 40.0, 40.0))
    stmt = sa.select(events.c.id).where(*store._where(flt)).compile(store.engine)
    with store.engine.connect() as conn:
        kind = conn.exec_driver_sql(
            "SELECT type, srid FROM geometry_columns WHERE f_table_name = 'events'"
        ).one()
        assert tuple(kind) == ("POINT", 4326)
        lon, lat = conn.exec_driver_sql("SELECT ST_X(geom), ST_Y(geom) FROM events").first()
        assert (lon, lat) == tuple(conn.execute(sa.select(events.c.lon, events.c.lat)).first())
        conn.exec_driver_sql("SET enable_seqscan = off")  # a handful of rows: force the choice
        plan = conn.exec_driver_sql(f"EXPLAIN {stmt}", stmt.params).scalars().all()
    assert any("ix_events_geom" in line for line in plan), "\n".join(plan)


@pytest.mark.parametrize("kind", ["sqlite", "postgis"])
def test_processes_opening_a_new_store_at_once_migrate_it_once(kind, tmp_path, request):
    url = fresh_url(kind, tmp_path, request)
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: open_store(url), range(4)))
    assert {migrations.current(s.engine) for s in stores} == {migrations.head()}
    assert stores[0].stats()["events"] == 0


def test_a_store_made_before_migrations_upgrades_without_losing_events(pipeline, tmp_path):
    """A store with the pre-Alembic schema (tests/data/store_v0_schema.sql, what
    ``create_all`` made) and real rows is adopted: same events, new column, working bbox."""
    source = seed(open_store(str(tmp_path / "source.db")), pipeline, files=2)
    legacy = tmp_path / "legacy.db"
    with closing(sqlite3.connect(legacy)) as con:
        con.executescript(LEGACY_SCHEMA.read_text())
        con.execute("ATTACH DATABASE ? AS source", (str(tmp_path / "source.db"),))
        for (table,) in con.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'"):
            if table.startswith("events_rtree_"):
                continue  # the R*Tree's own storage: filled through events_rtree
            cols = ", ".join(f'"{c[1]}"' for c in con.execute(f"PRAGMA main.table_info({table})"))
            con.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM source.{table}")
        con.commit()
        assert "region" not in {c[1] for c in con.execute("PRAGMA table_info(events)")}

    upgraded = open_store(str(legacy))
    assert migrations.current(upgraded.engine) == migrations.head()
    assert "region" in {c["name"] for c in sa.inspect(upgraded.engine).get_columns("events")}
    assert upgraded.stats() == source.stats() and upgraded.stats()["events"] > 0
    # the stored events are kept; the new region column starts empty and the next
    # re-analysis fills it (README, Spatial queries)
    assert checksum(upgraded, without=("region",)) == checksum(source, without=("region",))
    assert set(regions(upgraded)) == {None} and set(regions(source)) != {None}
    box = EventFilter(bbox=BBOXES[0])
    assert upgraded.count_events(box) == source.count_events(box) > 0
    assert event_sentences(upgraded) == event_sentences(source)
    # and it takes new articles as before
    ingest_text(upgraded, pipeline, NEW_ARTICLE["text"], title=NEW_ARTICLE["title"])
    assert upgraded.stats()["articles"] == source.stats()["articles"] + 1


@pytest.mark.parametrize("kind", ["sqlite", "postgis"])
def test_a_store_at_the_first_revision_gains_the_sentences_of_its_reports(
    kind, tmp_path, request, pipeline
):
    """Revision 0002 fills ``event_sentences`` from the stored reports: the upgraded
    store holds what writing the same articles at the head revision does, and merges
    the next report of a stored event as that store would."""
    url = fresh_url(kind, tmp_path, request)
    store = seed(open_store(url), pipeline, files=3)
    expected = event_sentences(store)
    assert expected
    cfg = migrations._config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert not sa.inspect(store.engine).has_table("event_sentences")
    store.engine.dispose()

    upgraded = open_store(url)
    assert migrations.current(upgraded.engine) == migrations.head()
    assert event_sentences(upgraded) == expected
    before = upgraded.stats()
    sentence = next(s for _, _, s in expected if len(s) > 80)  # a stored report, re-reported
    assert ingest_text(upgraded, pipeline, sentence, title="Again")[0].events
    after = upgraded.stats()
    assert after["articles"] == before["articles"] + 1
    assert after["events"] == before["events"]  # merged by its wording
    assert after["reports"] > before["reports"]


def test_a_postgres_store_made_before_migrations_gains_its_point_column(
    pipeline, postgres, tmp_path
):
    """Before migrations a ``postgresql://`` store was ``create_all`` of the tables (no
    ``geom``, no ``region``): it is adopted with its rows, and bbox works on them."""
    source = seed(open_store(str(tmp_path / "source.db")), pipeline, files=2)
    url = postgres.new_database()
    engine = backends.create_engine(url)
    then = [t for t in metadata.sorted_tables if t.name != "event_sentences"]  # since 0002
    metadata.create_all(engine, tables=then)  # what Store.init did then
    with engine.begin() as conn, source.engine.connect() as src:
        conn.exec_driver_sql("ALTER TABLE events DROP COLUMN region")
        for table in then:
            cols = [c for c in table.columns if c.name != "region"]
            conn.execute(table.insert(), [dict(r._mapping) for r in src.execute(sa.select(*cols))])
        backends.after_bulk_load(conn, metadata.sorted_tables)  # as if ingested there
    engine.dispose()

    upgraded = open_store(url)
    assert migrations.current(upgraded.engine) == migrations.head()
    have = {c["name"] for c in sa.inspect(upgraded.engine).get_columns("events")}
    assert {"region", "geom"} <= have
    assert upgraded.stats() == source.stats()
    assert checksum(upgraded, without=("region",)) == checksum(source, without=("region",))
    for bbox in BBOXES:
        box = EventFilter(bbox=bbox)
        assert upgraded.count_events(box) == source.count_events(box)
    assert event_sentences(upgraded) == event_sentences(source)
    ingest_text(upgraded, pipeline, NEW_ARTICLE["text"], title=NEW_ARTICLE["title"])
    assert upgraded.stats()["articles"] == source.stats()["articles"] + 1


def test_export_import_moves_a_store_between_backends_without_loss(
    pipeline, postgres, tmp_path, capsys
):
    sqlite_url = str(tmp_path / "first.db")
    first = seed(open_store(sqlite_url), pipeline, files=3)
    pg_url = postgres.new_database()
    files = [tmp_path / "first.jsonl", tmp_path / "pg.jsonl.gz", tmp_path / "back.jsonl"]
    back_url = str(tmp_path / "back.db")

    assert main(["db", "export", str(files[0]), "--db", sqlite_url]) == 0
    assert main(["db", "import", str(files[0]), "--db", pg_url]) == 0
    assert main(["db", "export", str(files[1]), "--db", pg_url]) == 0
    assert main(["db", "import", str(files[1]), "--db", back_url]) == 0
    assert main(["db", "export", str(files[2]), "--db", back_url]) == 0
    capsys.readouterr()

    stores = [first, open_store(pg_url), open_store(back_url)]
    assert all(s.stats() == first.stats() for s in stores) and first.stats()["events"] > 0
    with stores[1].engine.connect() as conn:  # vacuumed and analysed, as after a restore
        settled = conn.exec_driver_sql(
            "SELECT relname FROM pg_stat_user_tables"
            " WHERE last_vacuum IS NOT NULL AND last_analyze IS NOT NULL"
        )
        assert {"articles", "events", "mentions", "reports"} <= set(settled.scalars())
    assert len({checksum(s) for s in stores}) == 1
    dumps = [
        gzip.decompress(f.read_bytes()).decode() if f.suffix == ".gz" else f.read_text()
        for f in files
    ]
    assert dumps[0] == dumps[1] == dumps[2]  # every row of every table, byte for byte
    for bbox in BBOXES:  # the spatial indexes were rebuilt on both targets
        assert len({s.count_events(EventFilter(bbox=bbox)) for s in stores}) == 1
    for s in stores[1:]:  # ids continue after the imported ones
        ingest_text(s, pipeline, NEW_ARTICLE["text"], title=NEW_ARTICLE["title"])
        assert s.stats()["articles"] == first.stats()["articles"] + 1

    assert main(["db", "import", str(files[0]), "--db", pg_url]) == 2  # not into a full store
    assert "not empty" in capsys.readouterr().err
    (tmp_path / "junk.jsonl").write_text("hello\n")
    assert main(["db", "import", str(tmp_path / "junk.jsonl"), "--db", str(tmp_path / "j.db")]) == 2
    assert "not a geomap store export" in capsys.readouterr().err


def test_db_upgrade_reports_the_revision(tmp_path, capsys):
    assert main(["db", "upgrade", "--db", str(tmp_path / "new.db")]) == 0
    assert f"revision {migrations.head()}" in capsys.readouterr().out


def test_two_servers_on_one_postgis_database_serve_the_same_data(postgres, pipeline, tmp_path):
    url = postgres.new_database()  # empty: both servers find it so and migrate it at once
    env = {**os.environ, "GEOMAP_DB": url, "GEOMAP_API_TOKEN": TOKEN}
    with ExitStack() as stack, ThreadPoolExecutor(2) as pool:
        servers = [serve(env, tmp_path / f"serve{i}.log") for i in (1, 2)]
        bases = list(pool.map(stack.enter_context, servers))
        seed(open_store(url), pipeline, files=2)  # a third writer, while they run
        clients = [
            stack.enter_context(httpx.Client(base_url=b, trust_env=False, timeout=60))
            for b in bases
        ]

        def items(http: httpx.Client) -> tuple[int, list[dict]]:
            resp = http.get("/collections/events/items", params={"limit": 1000, "f": "json"})
            assert resp.status_code == 200, resp.text
            doc = resp.json()
            return doc["numberMatched"], doc["features"]

        before = [items(c) for c in clients]
        assert before[0] == before[1] and before[0][0] > 0
        auth = {"Authorization": f"Bearer {TOKEN}"}
        resp = clients[0].post("/api/articles", json=NEW_ARTICLE, headers=auth)
        assert resp.status_code == 201, resp.text
        after = items(clients[1])  # asked of the other server, at once
        assert after[0] > before[1][0]
        titles = {a["title"] for a in clients[1].get("/api/articles").json()}
        assert NEW_ARTICLE["title"] in titles
        assert items(clients[0]) == after


def test_a_store_from_a_newer_geomap_is_refused_clearly(tmp_path):
    url = str(tmp_path / "newer.db")
    open_store(url).engine.dispose()
    with closing(sqlite3.connect(url)) as con:
        con.execute("UPDATE alembic_version SET version_num = 'ffff'")
        con.commit()
    with pytest.raises(RuntimeError, match="revision ffff, which this geomap does not know"):
        open_store(url)


SAME_EVENT = [  # one happening, told by five outlets in their own words
    "Turkish drones struck Amuda on March 3, 2024, killing two fighters.",
    "On March 3, 2024, Turkish drones struck Amuda and killed two fighters.",
    "Two fighters were killed when Turkish drones struck Amuda on March 3, 2024.",
    "Turkish drones struck Amuda on March 3, 2024; two fighters were killed.",
    "Turkish drones struck the town of Amuda on March 3, 2024, killing two fighters.",
]


@pytest.mark.parametrize("kind", ["sqlite", "postgis"])
def test_reports_of_one_event_written_at_once_merge_as_when_written_in_turn(
    kind, tmp_path, request, pipeline
):
    one_by_one = open_store(str(tmp_path / "sequential.db"))
    for k, text in enumerate(SAME_EVENT):
        ingest_text(one_by_one, pipeline, text, title=f"Outlet {k}")
    expected = sorted(e["source_count"] for e in one_by_one.query_events(EventFilter()))
    assert max(expected) > 1  # the texts do merge

    store = open_store(fresh_url(kind, tmp_path, request))
    with ThreadPoolExecutor(len(SAME_EVENT)) as pool:
        list(
            pool.map(
                lambda k: ingest_text(store, pipeline, SAME_EVENT[k], title=f"Outlet {k}"),
                range(len(SAME_EVENT)),
            )
        )
    got = sorted(e["source_count"] for e in store.query_events(EventFilter()))
    assert got == expected


@pytest.mark.parametrize("kind", ["sqlite", "postgis"])
def test_rows_given_as_tuples_land_in_their_columns(kind, tmp_path, request):
    """``Prepared.run_rows``: tuples in the statement's order go to the driver as they are,
    in another order (or to a driver that binds by name) by their column names."""
    store = open_store(fresh_url(kind, tmp_path, request))
    columns = ("content_hash", "title", "text", "ingested_at")
    prepared = backends.Prepared(st._insert(st.articles, columns), store.engine.dialect)
    given = [f"h{i}" for i in range(3)]
    rows = [(h, f"title {h}", f"text {h}", "2026-11-22T00:00:00Z") for h in given]
    with store.writing() as conn:
        prepared.run_rows(conn, columns, rows[:2])
        reordered = columns[::-1]
        prepared.run_rows(conn, reordered, [row[::-1] for row in rows[2:]])
    assert [(a["title"], a["url"]) for a in store.list_articles()] == [
        (f"title {h}", None) for h in given
    ]
