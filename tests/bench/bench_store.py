"""The large store the API benchmarks query: 1,000,000 events, built fast and cached.

Ingesting a million events through the pipeline would take hours, so the store is
filled with bulk SQL inserts instead: the schema comes from ``geomap.store``
(``open_store`` creates the tables, indexes and the ``events_rtree`` R*Tree), and
rows go in with ``executemany`` of the INSERT statements SQLAlchemy compiles from
the same ``Table`` objects, in one transaction. The rows look like ingested ones:

- events sit on real gazetteer places (85 % curated Syrian places, the rest other
  curated and regional GeoNames places), with a type, a date (day, month or year),
  1-3 actors, a seed sentence and the mention;
- ten events per article (100,000 articles with a title and a short text), and one
  report per event (two for one event in ten, ``source_count`` 2), one
  ``event_actors`` row per actor and one ``events_rtree`` row per event.

The file is cached under ``data/bench/`` with a name keyed on a hash of the schema
(the DDL SQLAlchemy emits plus the R*Tree), the event count and the generator's
version, so reruns reuse it and a schema change rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import time
from pathlib import Path

from bench_common import BENCH_DIR, Figure, env_int, log
from bench_corpus import seed_text

VERSION = 2  # bump when the generator changes (2: events.region filled)
EVENTS_PER_ARTICLE = 10
ACTORS = ["RUS", "TUR", "IRN", "USA", "ISR", "SYR-GOV", "SYR-OPP", "HTS", "SNA", "SDF", "ISIS"]
ACTORS += ["HEZ", "UN", "PKK"]


def schema_hash() -> str:
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from geomap import store

    dialect = sqlite.dialect()
    ddl = []
    for t in store.metadata.sorted_tables:
        ddl.append(str(CreateTable(t).compile(dialect=dialect)))
        ddl += sorted(str(CreateIndex(i).compile(dialect=dialect)) for i in t.indexes)
    ddl.append("events_rtree(id, minx, maxx, miny, maxy)")
    ddl.append(f"v{VERSION}")
    return hashlib.sha256("\n".join(ddl).encode()).hexdigest()[:12]


def store_path(n_events: int) -> Path:
    return BENCH_DIR / f"store-{n_events}-{schema_hash()}.db"


def _places(gaz) -> tuple[list, list]:
    syria = [p for p in gaz.places if p.layer == "curated" and p.country == "SY"]
    syria = [p for p in syria if p.kind != "country"]
    region = {"TR", "LB", "IQ", "JO", "IL", "IR", "RU", "UA"}
    other = [p for p in gaz.places if p.layer == "curated" and p.country != "SY"]
    other += [p for p in gaz.places if p.layer == "geonames" and p.country in region]
    key = lambda p: p.id  # noqa: E731
    return sorted(syria, key=key), sorted(other, key=key)


def _insert_sql(table, columns: list[str]) -> str:
    from sqlalchemy.dialects import sqlite

    stmt = table.insert().values({c: None for c in columns})
    return str(stmt.compile(dialect=sqlite.dialect()))


def build(path: Path, n_events: int, gaz) -> None:
    from geomap import store as st
    from geomap.events import EVENT_TYPES
    from geomap.spatial import event_region

    tmp = path.with_suffix(".building")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    s = st.open_store(str(tmp))  # the store's own schema: tables, indexes, R*Tree
    s.engine.dispose()
    rng = random.Random(1_000_000)
    seeds = seed_text()
    syria, other = _places(gaz)
    n_articles = (n_events + EVENTS_PER_ARTICLE - 1) // EVENTS_PER_ARTICLE
    now = "2025-01-01T00:00:00Z"
    region: dict[str, str | None] = {}  # place id -> governorate (geomap.spatial)

    cols = {t.name: [c.name for c in t.columns] for t in st.metadata.sorted_tables}
    known = {
        "articles": set(_ARTICLE_COLS),
        "events": set(_EVENT_COLS),
        "reports": set(_REPORT_COLS),
        "event_actors": {"event_id", "actor"},
        "event_sentences": {"event_id", "digest", "sentence"},
    }
    for name, wanted in known.items():
        extra = [c for c in cols[name] if c not in wanted]
        table = st.metadata.tables[name]
        required = [
            c
            for c in extra
            if not table.c[c].nullable
            and table.c[c].server_default is None
            and table.c[c].default is None
        ]
        if required:
            raise RuntimeError(
                f"the bench store generator lacks {name}.{', '.join(required)}: "
                "update tests/bench/bench_store.py"
            )
    con = sqlite3.connect(tmp)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    con.execute("BEGIN")
    t0 = time.perf_counter()

    art_rows = []
    for a in range(1, n_articles + 1):
        title = f"{rng.choice(seeds.titles)} ({a})"
        art_rows.append(
            {
                "id": a,
                "content_hash": hashlib.sha256(f"bench-{a}".encode()).hexdigest(),
                "title": title,
                "url": f"https://news.example.org/{a}",
                "outlet": f"Outlet {a % 40}",
                "published": f"20{rng.randint(15, 24)}-{rng.randint(1, 12):02d}-"
                f"{rng.randint(1, 28):02d}",
                "source": "bench",
                "text": title + "\n\n" + rng.choice(seeds.sentences),
                "ingested_at": now,
            }
        )
    _bulk(con, st.articles, art_rows)
    del art_rows

    ev_rows, rep_rows, act_rows, rtree = [], [], [], []
    rid = 0
    for e in range(1, n_events + 1):
        p = rng.choice(syria) if rng.random() < 0.85 else rng.choice(other)
        if p.id not in region:
            region[p.id] = event_region(p.lon, p.lat, p.geo_precision)
        aid = (e - 1) // EVENTS_PER_ARTICLE + 1
        actors = sorted(rng.sample(ACTORS, rng.choice((1, 1, 2, 2, 3))))
        prec = rng.random()
        y = rng.randint(2011, 2025)
        if prec < 0.5:
            date, dprec = f"{y}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "day"
        elif prec < 0.7:
            date, dprec = f"{y}-{rng.randint(1, 12):02d}", "month"
        elif prec < 0.8:
            date, dprec = str(y), "year"
        else:
            date, dprec = None, None
        sentence = rng.choice(seeds.sentences)
        sources = 2 if e % 10 == 0 else 1
        ev_rows.append(
            (
                e,
                p.id,
                p.name,
                p.kind,
                p.country,
                p.admin1,
                region[p.id],
                p.lat,
                p.lon,
                p.geo_precision,
                rng.choice(EVENT_TYPES),
                date,
                dprec,
                json.dumps(actors),
                round(rng.uniform(0.6, 0.99), 3),
                sources,
                aid,
                sentence,
                p.name,
            )
        )
        rtree.append((e, p.lon, p.lon, p.lat, p.lat))
        act_rows += [(e, a) for a in actors]
        for k in range(sources):
            rid += 1
            src = aid if k == 0 else rng.randint(1, n_articles)
            rep_rows.append(
                (rid, e, src, sentence, 0, len(sentence), 0, 0, json.dumps(actors), date)
            )
        if len(ev_rows) >= 100_000:
            _flush(con, st, ev_rows, rep_rows, act_rows, rtree)
            log(f"store: {e:,} of {n_events:,} events ({time.perf_counter() - t0:.0f} s)")
    _flush(con, st, ev_rows, rep_rows, act_rows, rtree)
    con.create_function("digest", 1, st.sentence_digest, deterministic=True)
    con.execute(
        "INSERT INTO event_sentences (event_id, digest, sentence) "
        "SELECT DISTINCT event_id, digest(sentence), sentence FROM reports"
    )
    con.commit()
    con.execute("ANALYZE")
    con.commit()
    con.close()
    tmp.replace(path)
    for p in (Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)


def _bulk(con: sqlite3.Connection, table, rows: list[dict]) -> None:
    columns = list(rows[0])
    con.executemany(_insert_sql(table, columns), [tuple(r[c] for c in columns) for r in rows])


_ARTICLE_COLS = [
    "id",
    "content_hash",
    "title",
    "url",
    "outlet",
    "published",
    "source",
    "text",
    "ingested_at",
]
_EVENT_COLS = [
    "id",
    "place_id",
    "place_name",
    "place_kind",
    "country",
    "admin1",
    "region",
    "lat",
    "lon",
    "geo_precision",
    "event_type",
    "date",
    "date_precision",
    "actors",
    "confidence",
    "source_count",
    "article_id",
    "sentence",
    "mention",
]
_REPORT_COLS = [
    "id",
    "event_id",
    "article_id",
    "sentence",
    "sentence_start",
    "sentence_end",
    "mention_start",
    "mention_end",
    "actors",
    "date",
]


def _flush(con, st, ev_rows, rep_rows, act_rows, rtree) -> None:
    con.executemany(_insert_sql(st.events, _EVENT_COLS), ev_rows)
    con.executemany(_insert_sql(st.reports, _REPORT_COLS), rep_rows)
    con.executemany(_insert_sql(st.event_actors, ["event_id", "actor"]), act_rows)
    con.executemany(
        "INSERT INTO events_rtree (id, minx, maxx, miny, maxy) VALUES (?,?,?,?,?)", rtree
    )
    for rows in (ev_rows, rep_rows, act_rows, rtree):
        rows.clear()


def ensure(gaz) -> tuple[Path, Figure | None]:
    """The cached store (built when missing); a Figure of the build time when built now."""
    n = env_int("BENCH_EVENTS", 1_000_000)
    path = store_path(n)
    if path.exists():
        log(f"store: reusing {path}")
        return path, None
    for stale in BENCH_DIR.glob(f"store-{n}-*.db*"):
        stale.unlink()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    log(f"store: building {n:,} events into {path} (cached for later runs)")
    t = time.perf_counter()
    build(path, n, gaz)
    took = time.perf_counter() - t
    size = path.stat().st_size / 1e6
    return path, Figure(
        "bench store build (bulk SQL, not ingest)",
        took,
        "s",
        measured=f"{n:,} events, {size:.0f} MB SQLite file, cached as {path.name}",
    )
