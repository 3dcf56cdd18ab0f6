"""Figure 4: ingest end to end (articles, geoparse, events, merge, SQLite) of 10,000 articles.

The articles are synthetic (see :mod:`bench_corpus`): 8-16 seed sentences each, so
the same sentences recur across articles the way wire copy recurs across outlets,
and the store merges them into multi-source events. The articles go through
:func:`geomap.ingest.ingest_many` into a fresh SQLite file as ``geomap ingest`` does:
one process per core parses (the work of :func:`geomap.ingest.ingest_text` before the
store) while this process writes the articles ready at once in one transaction.

The whole ingest runs ``BENCH_INGEST_RUNS`` times (3), each into a fresh file, and the
figure is the median run: on this shared machine one run of the same code varies by a
quarter. The rate falls as the store grows, so each run is capped at
``BENCH_INGEST_SECONDS`` (default 90 s) unless ``BENCH_LONG=1``; the figure then says how
many articles it measured. The rate of each block of 1,000 articles is kept in the detail.
"""

from __future__ import annotations

import time

from bench_common import CORES, LONG, TMP_DIR, Figure, env_int, log, pipeline, profile_summary
from bench_common import save_profile as _save
from bench_corpus import articles, nbytes


def _ingest_once(texts: list[str], cap: float | None) -> dict:
    """One ingest of ``texts`` into a fresh SQLite file: its rate and what it stored."""
    from geomap.ingest import ingest_many
    from geomap.store import open_store

    pipe = pipeline()
    TMP_DIR.mkdir(parents=True, exist_ok=True)
    db = TMP_DIR / "ingest.db"
    for suffix in ("", "-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    store = open_store(str(db))
    blocks: list[float] = []
    events = done = 0
    t0 = tb = time.perf_counter()
    items = ((text, f"bench:{i}") for i, text in enumerate(texts))
    for i, results in enumerate(ingest_many(store, pipe, items, workers=CORES)):
        events += sum(r.events for r in results)
        done = i + 1
        if done % 1000 == 0:
            now = time.perf_counter()
            blocks.append(round(1000 / (now - tb), 1))
            tb = now
            log(f"ingest: {done} articles, {blocks[-1]} articles/s in the last 1,000")
        if cap and time.perf_counter() - t0 > cap:
            break
    elapsed = time.perf_counter() - t0
    out = {
        "rate": done / elapsed,
        "articles": done,
        "seconds": round(elapsed, 1),
        "per_1000_articles_per_s": blocks,
        "events_found": events,
        "store": store.stats(),
    }
    store.engine.dispose()
    return out


def run() -> list[Figure]:
    from pyinstrument import Profiler

    from geomap.ingest import ingest_text
    from geomap.store import open_store

    total = env_int("BENCH_INGEST_ARTICLES", 10_000)
    runs = env_int("BENCH_INGEST_RUNS", 3)
    cap = None if LONG else env_int("BENCH_INGEST_SECONDS", 90)
    texts = articles(count=total, seed=4)
    log(f"ingest: {total} articles ({nbytes(texts) / 1e6:.1f} MB), {runs} runs, cap {cap} s each")
    done_runs = []
    for n in range(runs):
        done_runs.append(_ingest_once(texts, cap))
        log(f"ingest: run {n + 1}: {done_runs[-1]['rate']:.0f} articles/s")
    rates = sorted(r["rate"] for r in done_runs)
    mid = sorted(done_runs, key=lambda r: r["rate"])[len(done_runs) // 2]
    done, elapsed, stats = mid["articles"], mid["seconds"], mid["store"]

    log("ingest: profiling (pyinstrument) 200 more articles into the last run's store")
    store = open_store(str(TMP_DIR / "ingest.db"))
    prof = Profiler(interval=0.001)
    more = articles(count=200, seed=5)
    prof.start()
    for text in more:
        ingest_text(store, pipeline(), text)
    prof.stop()
    _save(prof, "ingest")
    store.engine.dispose()
    capped = done < total
    return [
        *_postgis(texts),
        Figure(
            "ingest end to end",
            mid["rate"],
            "articles/s",
            500,
            measured=f"{done} of {total} synthetic articles "
            f"({nbytes(texts[:done]) / 1e6:.1f} MB) in {elapsed:.0f} s"
            + (f" (capped at {cap} s; BENCH_LONG=1 runs all)" if capped else "")
            + f", median of {runs} runs ({', '.join(f'{r:.0f}' for r in rates)} articles/s), "
            f"{CORES} parsing processes (geomap.ingest.ingest_many) and one writer on "
            f"{CORES} cores, fresh SQLite file each; "
            f"{stats['events']} events, {stats['reports']} reports stored",
            detail={
                "runs_articles_per_s": [round(r, 1) for r in rates],
                **{k: v for k, v in mid.items() if k != "rate"},
                "capped": capped,
                "profile": profile_summary(prof),
            },
        ),
    ]


def _postgis(texts: list[str]) -> list[Figure]:
    """The same ingest into PostGIS (a throwaway cluster, as :mod:`bench_postgis`), over
    the first ``BENCH_PG_INGEST_ARTICLES`` (2,000) articles, capped at
    ``BENCH_PG_INGEST_SECONDS`` (30): one writer holding the write lock per article, with
    the server on the same two cores."""
    import sys
    from pathlib import Path

    from geomap.ingest import ingest_many
    from geomap.store import open_store

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the cluster helper
    from pg_cluster import Postgres, postgres_bindir

    name = "ingest end to end, PostGIS"
    bindir = postgres_bindir()
    if bindir is None:
        log("ingest: PostgreSQL/PostGIS is missing (make postgres): PostGIS skipped")
        return [Figure(name, None, "articles/s", measured="skipped: PostGIS is missing")]
    total = env_int("BENCH_PG_INGEST_ARTICLES", 2000)
    cap = env_int("BENCH_PG_INGEST_SECONDS", 30)
    items = ((text, f"bench:{i}") for i, text in enumerate(texts[:total]))
    with Postgres(bindir) as pg:
        store = open_store(pg.new_database())
        log(f"ingest: {total} articles into PostGIS, cap {cap} s")
        done = 0
        t0 = time.perf_counter()
        for _ in ingest_many(store, pipeline(), items, workers=CORES):
            done += 1
            if time.perf_counter() - t0 > cap:
                break
        elapsed = time.perf_counter() - t0
        stats = store.stats()
        store.engine.dispose()
    return [
        Figure(
            name,
            done / elapsed,
            "articles/s",
            measured=f"{done} of {total} synthetic articles in {elapsed:.0f} s, "
            f"{CORES} parsing processes and one writer, PostgreSQL 15 + PostGIS 3 on the "
            f"same {CORES} cores; {stats['events']} events, {stats['reports']} reports stored",
            detail={"articles": done, "seconds": round(elapsed, 1), "store": stats},
        )
    ]
