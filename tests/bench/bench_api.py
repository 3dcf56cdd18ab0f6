"""Figures 5 and 7: the items endpoint on 1,000,000 events, and /map for 10,000 events.

In process (no network, no server), over the cached store of :mod:`bench_store`, through
:class:`bench_common.LoopClient`: httpx over the app's ASGI interface on one event loop,
as a server runs the app. Requests cycle through bounding boxes of every size a
map client asks for, from a district to the whole of Syria, each with ``limit=100``;
the latency of each request is wall clock around ``client.get``. Each request pans its box a
little (a new URL), so every answer is computed; a last round repeats the same URLs to show
what the response cache answers in. A shorter run through Starlette's ``TestClient`` is
printed beside it, with what that client costs on a bare route.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

import orjson
from bench_common import (
    CORES,
    Figure,
    LoopClient,
    env_int,
    log,
    median,
    percentile,
    pipeline,
    profile_summary,
    save_profile,
    timed_runs,
)

ONE_LOOP = "httpx over ASGI on one event loop, as in a server"
# (name, bbox): district, governorate, region, country, wider region
BBOXES = [
    ("Daraa", "35.7,32.3,36.6,33.0"),
    ("Idlib", "36.2,35.5,37.0,36.3"),
    ("Aleppo", "36.8,35.9,37.5,36.6"),
    ("Damascus", "36.1,33.3,36.6,33.7"),
    ("Deir ez-Zor", "39.5,34.5,41.0,35.8"),
    ("NE Syria", "39.0,35.8,42.4,37.4"),
    ("Syria", "35.5,32.3,42.4,37.4"),
    ("Levant", "25.0,29.0,50.0,42.0"),
]


def items_url(bbox: str, limit: int = 100) -> str:
    return f"/collections/events/items?bbox={bbox}&limit={limit}"


def moved(bbox: str, rng: random.Random) -> str:
    """``bbox`` panned by up to 2 % of its size: a new URL every time, as a map client
    panning around sends, so the server's response cache never answers."""
    minx, miny, maxx, maxy = (float(x) for x in bbox.split(","))
    dx, dy = (maxx - minx) * rng.uniform(-0.02, 0.02), (maxy - miny) * rng.uniform(-0.02, 0.02)
    return ",".join(f"{v:.5f}" for v in (minx + dx, miny + dy, maxx + dx, maxy + dy))


@dataclass
class ItemsRun:
    """In-process items requests cycled through ``BBOXES``: seconds per request by box."""

    latencies: dict[str, list[float]]
    matched: dict[str, int]  # numberMatched of each box
    errors: int
    done: int
    capped: bool

    @property
    def every(self) -> list[float]:
        return [x for xs in self.latencies.values() for x in xs]

    def per_box(self) -> dict[str, dict[str, float]]:
        return {
            name: {
                "matched": self.matched[name],
                "p50_ms": round(median(xs) * 1e3, 1),
                "p99_ms": round(percentile(xs, 99) * 1e3, 1),
            }
            for name, xs in self.latencies.items()
        }


def measure_items(client, store, n_events: int, n: int | None = None) -> ItemsRun:
    """Up to ``n`` (``BENCH_REQUESTS``) items requests (capped at ``BENCH_ITEMS_SECONDS``),
    after one warm-up request per box; the same run for every backend and client."""
    from geomap.store import EventFilter

    n = n or env_int("BENCH_REQUESTS", 1000)
    cap = env_int("BENCH_ITEMS_SECONDS", 45)
    matched = {}
    for name, bbox in BBOXES:  # warm-up, and how much each box holds
        r = client.get(items_url(bbox))
        r.raise_for_status()
        box = tuple(float(x) for x in bbox.split(","))
        matched[name] = store.count_events(EventFilter(bbox=box))  # exact, for the record
    log(
        f"api: up to {n} in-process items requests (cap {cap} s) over {len(BBOXES)} boxes "
        f"on {n_events:,} events"
    )
    lat: dict[str, list[float]] = {name: [] for name, _ in BBOXES}
    errors = done = 0
    rng = random.Random(7)
    t0 = time.perf_counter()
    # whole cycles through the boxes, so each size weighs the same in the percentiles
    while done < n and (done % len(BBOXES) or time.perf_counter() - t0 < cap):
        name, bbox = BBOXES[done % len(BBOXES)]
        url = items_url(moved(bbox, rng))
        t = time.perf_counter()
        r = client.get(url)
        lat[name].append(time.perf_counter() - t)
        errors += r.status_code != 200
        done += 1
    return ItemsRun(lat, matched, errors, done, capped=done < n)


def items_figures(
    items: ItemsRun, n_events: int, backend: str, index: str, profile: Any = None
) -> list[Figure]:
    """The p50 and p99 figures of an items run; ``backend`` tags their names (the SQLite
    figures keep their untagged names)."""
    capped = f", capped at {env_int('BENCH_ITEMS_SECONDS', 45)} s" if items.capped else ""
    what = (
        f"{items.done} in-process requests ({ONE_LOOP}{capped}), "
        f"limit=100, {len(BBOXES)} bboxes from a district "
        f"to the Levant in turn, each panned at random by up to 2 % (a new URL each time: "
        f"no response cache), {n_events:,} events ({index}), {CORES} cores; "
        f"errors {items.errors}"
    )
    tag = f", {backend}" if backend else ""
    detail = {"per_bbox": items.per_box(), "errors": items.errors}
    return [
        Figure(
            f"items bbox limit=100, p50 (in-process{tag})",
            median(items.every) * 1e3,
            "ms",
            10,
            better="lower",
            measured=what,
            detail=detail if profile is None else {**detail, "profile": profile},
        ),
        Figure(
            f"items bbox limit=100, p99 (in-process{tag})",
            percentile(items.every, 99) * 1e3,
            "ms",
            50,
            better="lower",
            measured=what,
        ),
    ]


def run() -> list[Figure]:
    import bench_store
    from fastapi.testclient import TestClient
    from pyinstrument import Profiler

    from geomap.api import create_app
    from geomap.api.cache import ResponseCache
    from geomap.geojson import event_feature
    from geomap.mapview import build_map
    from geomap.store import EventFilter, open_store

    pipe = pipeline()
    path, build_fig = bench_store.ensure(pipe.gazetteer)
    store = open_store(str(path))
    n_events = store.stats()["events"]
    with LoopClient(create_app(store=store, pipeline=pipe)) as client:  # see ONE_LOOP
        items = measure_items(client, store, n_events)
        cached = []  # the same URLs again: answered from the response cache
        for k in range(min(items.done, 200)):
            t = time.perf_counter()
            client.get(items_url(BBOXES[k % len(BBOXES)][1])).raise_for_status()
            cached.append(time.perf_counter() - t)
        bare_loop = timed_runs(lambda: client.get("/conformance").raise_for_status(), 200)
    # the same through Starlette's TestClient, a shorter run, for comparison
    with TestClient(create_app(store=store, pipeline=pipe)) as client:
        via_testclient = measure_items(client, store, n_events, n=200)
        bare_tc = timed_runs(lambda: client.get("/conformance").raise_for_status(), 200)
    # the route renders in the app's thread pool, which pyinstrument (this thread) does not
    # see: profile the handler's work (count, page, features, JSON) in this thread instead
    prof = Profiler(interval=0.0005)
    prof.start()
    for _, bbox in BBOXES:
        f = EventFilter(bbox=tuple(float(x) for x in bbox.split(",")))
        page = store.items_page(f, limit=100)
        feats = [event_feature(r) for r in page.rows]
        doc = {"type": "FeatureCollection", "features": feats, "numberMatched": page.matched}
        orjson.dumps(doc)
    prof.stop()
    save_profile(prof, "items")
    figs = [] if build_fig is None else [build_fig]
    figs += items_figures(items, n_events, "", "R*Tree", profile_summary(prof))
    figs.append(
        Figure(
            "items bbox limit=100, repeated URL, p50 (in-process)",
            median(cached) * 1e3,
            "ms",
            better="lower",
            measured=f"{len(cached)} requests for the {len(BBOXES)} unpanned boxes in turn, "
            f"answered from the response cache (store unchanged); p99 "
            f"{percentile(cached, 99) * 1e3:.1f} ms",
        )
    )
    figs.append(
        Figure(
            "reference: items p50 through Starlette TestClient (in-process)",
            median(via_testclient.every) * 1e3,
            "ms",
            better="lower",
            measured=f"{via_testclient.done} requests as above through a TestClient session; "
            f"a bare route (/conformance) costs {median(bare_tc) * 1e3:.1f} ms through it "
            f"against {median(bare_loop) * 1e3:.1f} ms through the loop client (p50 of 200)",
            detail={"per_bbox": via_testclient.per_box(), "errors": via_testclient.errors},
        )
    )
    matched = items.matched

    # /map for 10,000 events: the landing map (no filter, the default limit of 10,000),
    # end to end; the build and render alone; and the same through the Syria bbox
    runs = 3
    log(f"api: GET /map (10,000 events), {runs} runs")
    ends, size = [], 0
    uncached = create_app(store=store, pipeline=pipe)
    uncached.state.response_cache = ResponseCache(0)  # every run renders the map
    with LoopClient(uncached) as client:
        for _ in range(runs):
            t = time.perf_counter()
            r = client.get("/map")
            ends.append(time.perf_counter() - t)
            r.raise_for_status()
            size = len(r.content)
    t = time.perf_counter()
    rows = store.query_events(EventFilter(), limit=10_000)
    query_s = time.perf_counter() - t
    feats = [event_feature(r) for r in rows]
    builds, renders = [], []
    for _ in range(runs):
        t = time.perf_counter()
        fmap = build_map(feats, pipe.actors)
        t1 = time.perf_counter()
        html = fmap.get_root().render()
        builds.append(t1 - t)
        renders.append(time.perf_counter() - t1)
    bbox_url = f"/map?bbox={BBOXES[6][1]}&limit=10000"
    bbox_runs = []
    with LoopClient(uncached) as client:
        for _ in range(runs):
            t = time.perf_counter()
            client.get(bbox_url).raise_for_status()
            bbox_runs.append(time.perf_counter() - t)
    bbox_s = median(bbox_runs)
    n_articles = len({s["article_id"] for f in feats for s in f["properties"]["sources"]})
    prof = Profiler(interval=0.001)  # the handler's work, in this thread (see above)
    prof.start()
    rows = store.query_events(EventFilter(), limit=10_000)
    build_map([event_feature(r) for r in rows], pipe.actors).get_root().render()
    prof.stop()
    save_profile(prof, "map")
    map_profile = profile_summary(prof)
    store.engine.dispose()
    what = (
        f"GET /map: the first {len(rows):,} of {n_events:,} events (default limit), from "
        f"{n_articles:,} articles, median of {runs} runs, in-process, {CORES} cores"
    )
    return [
        *figs,
        Figure(
            "/map 10,000 events: GET end to end",
            median(ends),
            "s",
            1,
            better="lower",
            measured=what,
            detail={
                "seconds": [round(x, 3) for x in ends],
                "query_s": round(query_s, 3),
                "build_map_s": round(median(builds), 3),
                "render_s": round(median(renders), 3),
                "syria_bbox_get_s": round(bbox_s, 3),
                "profile": map_profile,
            },
        ),
        Figure(
            "/map 10,000 events: build_map + render only",
            median(builds) + median(renders),
            "s",
            1,
            better="lower",
            measured=f"{what}; features already queried",
        ),
        Figure(
            "/map 10,000 events, Syria bbox: GET end to end",
            bbox_s,
            "s",
            1,
            better="lower",
            measured=f"GET {bbox_url}: 10,000 of {matched['Syria']:,} events in the box, "
            f"median of {runs} runs",
            detail={"seconds": [round(x, 3) for x in bbox_runs]},
        ),
        Figure(
            "/map 10,000 events: HTML size",
            size / 1e6,
            "MB",
            3,
            better="lower",
            measured=f"{what}; {len(html) / 1e6:.2f} MB from build_map alone",
        ),
    ]
