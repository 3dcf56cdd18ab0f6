"""Spatial filters on 1,000,000 events: ``near``/``radius_km``, ``intersects`` and the
per-governorate counts, in process, over the cached store of :mod:`bench_store`.

The issue sets no target for them; they are here so a change to the spatial path shows
in ``make bench``. Each query runs ``BENCH_SPATIAL_RUNS`` times (default 5) with the
response cache off, so every answer is computed; the figure is the median. The cost
grows with the number of events the spatial index returns for the shape's bounding box,
since the exact test (geodesic distance, point in polygon) runs on each of them: the
matched count is in each figure's description.
"""

from __future__ import annotations

import time
from urllib.parse import quote

from bench_common import CORES, Figure, LoopClient, env_int, log, median, pipeline

DARAA = (
    "POLYGON((35.85 32.45, 36.05 32.30, 36.45 32.35, 36.65 32.55, 36.55 33.05, "
    "36.10 33.10, 35.90 32.90, 35.85 32.45))"
)
"""Roughly Daraa governorate (a polygon a user would draw around it)."""
SYRIA = (
    "POLYGON((35.7 32.3, 36.8 32.3, 38.8 33.4, 41.0 34.4, 41.2 34.8, 42.4 37.1, "
    "40.0 36.9, 38.0 36.8, 36.6 36.8, 36.0 35.8, 35.8 34.8, 35.7 32.3))"
)
"""Roughly Syria (most of the bench store's events)."""

QUERIES = [  # (name, query string, the filter it makes)
    ("near Tafas, 20 km", "near=32.74,35.97&radius_km=20", {"near": (32.74, 35.97, 20)}),
    ("near Aleppo, 100 km", "near=36.20,37.16&radius_km=100", {"near": (36.20, 37.16, 100)}),
    ("intersects a Daraa polygon", f"intersects={quote(DARAA)}", {"intersects": DARAA}),
    ("intersects a Syria polygon", f"intersects={quote(SYRIA)}", {"intersects": SYRIA}),
]


def _filter(given: dict):
    from geomap.spatial import Near, parse_geometry
    from geomap.store import EventFilter

    if "near" in given:
        return EventFilter(near=Near(*given["near"]))
    return EventFilter(intersects=parse_geometry(given["intersects"]))


def run() -> list[Figure]:
    import bench_store

    from geomap.api import create_app
    from geomap.api.cache import ResponseCache
    from geomap.store import open_store

    runs = env_int("BENCH_SPATIAL_RUNS", 5)
    pipe = pipeline()
    path, _ = bench_store.ensure(pipe.gazetteer)
    store = open_store(str(path))
    n_events = store.stats()["events"]
    app = create_app(store=store, pipeline=pipe)
    app.state.response_cache = ResponseCache(0)  # every request is computed
    figs = []
    urls = [
        (f"{name}, items limit=100", f"/collections/events/items?{q}&limit=100", f)
        for name, q, f in QUERIES
    ]
    urls += [
        (f"{name}, governorate counts", f"/collections/regions/items?{q}", f)
        for name, q, f in QUERIES[:1]
    ]
    urls.append(("governorate counts, no filter", "/collections/regions/items", {}))
    with LoopClient(app) as client:
        for name, url, given in urls:
            log(f"spatial: {name}, {runs} runs")
            first = client.get(url)  # warm-up; and what the query matches
            first.raise_for_status()
            if url.startswith("/collections/regions"):
                counts = [f["properties"]["events"] for f in first.json()["features"]]
                matched = f"{len(counts)} governorates, {sum(counts):,} events counted"
            else:
                matched = f"{store.count_events(_filter(given)):,} events matched"
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                client.get(url).raise_for_status()
                times.append(time.perf_counter() - t)
            figs.append(
                Figure(
                    f"spatial: {name} (in-process)",
                    median(times) * 1e3,
                    "ms",
                    better="lower",
                    measured=f"GET {url.split('?')[0]}, median of {runs} runs, "
                    f"response cache off, {n_events:,} events, {CORES} cores; {matched}",
                    detail={"seconds": [round(x, 4) for x in times]},
                )
            )
    store.engine.dispose()
    return figs
