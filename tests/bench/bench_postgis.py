"""Figure 5 on PostGIS: the items endpoint on the same 1,000,000 events, next to SQLite's.

A throwaway cluster (``tests/pg_cluster.py``, Debian's PostgreSQL and PostGIS) gets its
schema from geomap's migrations, then every row of the cached SQLite bench store of
:mod:`bench_store` by ``COPY`` (the ``geom`` column and its GiST index are computed by the
server); the in-process requests of :mod:`bench_api` then run against it unchanged, and
then the items phase of :mod:`bench_load` (50 connections from a second process) against a
real ``geomap serve`` of it. The cluster is removed afterwards.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import time
from pathlib import Path

from bench_api import BBOXES, items_figures, items_url, measure_items
from bench_common import CORES, Figure, LoopClient, env_int, log, pipeline
from bench_load import count_errors, items_under_load, p99_text, served

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the cluster helper

from pg_cluster import Postgres, postgres_bindir


def copy_rows(sqlite_path: Path, store) -> None:
    """Every row of the SQLite store into the (empty, migrated) PostGIS store, by COPY."""
    from geomap import backends
    from geomap.store import metadata

    src = sqlite3.connect(sqlite_path)
    raw = store.engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cur:
            for table in metadata.sorted_tables:
                have = {r[1] for r in src.execute(f"PRAGMA table_info({table.name})")}
                cols = ", ".join(f'"{c.name}"' for c in table.columns if c.name in have)
                with cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
                    for row in src.execute(f"SELECT {cols} FROM {table.name}"):
                        copy.write_row(row)
                log(f"postgis: copied {table.name}")
        raw.commit()
    finally:
        raw.close()
        src.close()
    with store.engine.begin() as conn:
        backends.after_bulk_load(conn, metadata.sorted_tables)
    backends.settle_after_bulk_load(store.engine)


def run() -> list[Figure]:
    import bench_store

    from geomap.api import create_app
    from geomap.store import open_store

    name = "items bbox limit=100, p50 (in-process, PostGIS)"
    bindir = postgres_bindir()
    if bindir is None:
        log("postgis: PostgreSQL/PostGIS is missing (make postgres): skipped")
        return [Figure(name, None, "ms", measured="skipped: PostgreSQL/PostGIS is missing")]
    pipe = pipeline()
    path, _ = bench_store.ensure(pipe.gazetteer)
    with Postgres(bindir) as pg:
        store = open_store(pg.new_database())
        log(f"postgis: loading {path.name} into a throwaway cluster")
        t = time.perf_counter()
        copy_rows(path, store)
        load_s = time.perf_counter() - t
        n_events = store.stats()["events"]
        with LoopClient(create_app(store=store, pipeline=pipe)) as client:
            items = measure_items(client, store, n_events)
        store.engine.dispose()
        secs = env_int("BENCH_ITEMS_LOAD_SECONDS", 20)
        with served(store.engine.url.render_as_string(False), "serve-postgis.log") as (
            _,
            base,
            log_path,
        ):
            log(f"postgis: items, 50 connections, {secs} s")
            loaded = items_under_load(base, [items_url(b) for _, b in BBOXES], log_path, secs)
    tool = "wrk" if shutil.which("wrk") else "python load generator"
    return [
        Figure(
            "bench PostGIS load (COPY from the SQLite bench store)",
            load_s,
            "s",
            measured=f"{n_events:,} events with their articles, reports and actors, into "
            "indexed tables (B-tree and GiST), then VACUUM (ANALYZE)",
        ),
        *items_figures(items, n_events, "PostGIS", "GiST on geometry(Point, 4326)"),
        Figure(
            "items under load: throughput, PostGIS",
            loaded["ok_rps"],
            "requests/s",
            measured=f"real `geomap serve` on this store (uvicorn's default workers), {tool} "
            f"in a second process, 50 connections, {secs} s, {len(BBOXES)} bboxes in turn, "
            f"limit=100, {n_events:,} events, PostgreSQL on the same {CORES} cores; p50 "
            f"{loaded['p50_ms']} ms, {p99_text(loaded)}; errors {loaded['errors']} (non-2xx "
            f"{loaded['non_2xx']}, socket {loaded['socket_errors']}, timeouts "
            f"{loaded['timeouts']}, server exceptions {count_errors(loaded['server_exceptions'])})",
            detail=loaded,
        ),
    ]
