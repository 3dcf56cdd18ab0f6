"""Pages of a large selection: a bbox read through the R*Tree or by an ordered scan gives
the same events, numberMatched is exact up to a bound, ``next`` links follow the data, and
cached answers never outlive a write."""

from __future__ import annotations

import random
import threading
import time

import pytest
from fastapi.testclient import TestClient

import geomap.store as st
from geomap.api import create_app
from geomap.api.cache import ResponseCache, cache_entries
from geomap.events import EVENT_TYPES, Event, Report
from geomap.geoparse import Mention
from geomap.store import EventFilter, open_store

SENTENCE = "Shelling was reported near the town."
N = 60


def _event(k: int, lat: float, lon: float) -> Event:
    mention = Mention(0, 5, f"P{k}", f"test.p{k}", f"Place {k}", "town", "SY", lat, lon)
    report = Report(SENTENCE, 0, len(SENTENCE), mention, [], None, None)
    return Event(mention, EVENT_TYPES[k % 3], [], None, None, [report])


def _points(rng: random.Random) -> list[tuple[float, float]]:
    """Points around Syria, some on the edges of the test boxes and across the antimeridian."""
    pts = [(rng.uniform(32.0, 37.5), rng.uniform(35.0, 42.5)) for _ in range(N - 6)]
    return [*pts, (34.0, 36.0), (34.0, 38.0), (33.0, 37.0), (35.0, 37.0), (10, 179.5), (10, -179.5)]


@pytest.fixture(scope="module")
def big(store_url):
    """A store of N events, one article each, at known points, on each backend."""
    store = open_store(store_url)
    points = _points(random.Random(3))
    for k, (lat, lon) in enumerate(points):
        ev = _event(k, lat, lon)
        store.add_article(title=f"a{k}", text=f"a{k} {SENTENCE}", found=[], article_events=[ev])
    return store, points


def _inside(points, bbox) -> int:
    minx, miny, maxx, maxy = bbox
    in_lon = (lambda x: minx <= x <= maxx) if minx <= maxx else (lambda x: x >= minx or x <= maxx)
    return sum(in_lon(lon) and miny <= lat <= maxy for lat, lon in points)


BOXES = [(36.0, 33.0, 38.0, 34.0), (35.0, 32.0, 42.5, 37.5), (179.0, 5.0, -179.0, 15.0)]


def _every_box_is_large(monkeypatch) -> None:
    """Page every bbox by the scan in id order (SQLite counts more than 3 points in the box;
    PostGIS's planner expects more than 0)."""
    monkeypatch.setattr(st, "SELECTIVE_BOX", 3)
    monkeypatch.setattr(st, "ESTIMATE_MARGIN", 0)


@pytest.mark.parametrize("large", [False, True], ids=["index", "scan"])
@pytest.mark.parametrize("bbox", BOXES)
def test_both_bbox_paths_page_through_exactly_the_events_inside(big, monkeypatch, bbox, large):
    store, points = big
    if large:
        _every_box_is_large(monkeypatch)
    else:
        monkeypatch.setattr(st, "SELECTIVE_BOX", N + 1)
        monkeypatch.setattr(st, "ESTIMATE_MARGIN", 10**9)
    f = EventFilter(bbox=bbox)
    seen, offset = [], 0
    while True:
        page = store.items_page(f, limit=7, offset=offset, count_up_to=N)
        seen += [(r["lat"], r["lon"]) for r in page.rows]
        if not page.more:
            break
        assert len(page.rows) == 7
        offset += 7
    inside = _inside(points, bbox)
    assert offset + len(page.rows) == inside
    assert len(seen) == len(set(seen)) == inside == store.count_events(f)
    assert all(_inside([p], bbox) for p in seen)


@pytest.mark.parametrize("large", [False, True], ids=["index", "scan"])
@pytest.mark.parametrize("bbox", BOXES)
def test_a_bbox_alone_pages_as_the_general_statement_does(big, monkeypatch, bbox, large):
    """A bbox alone runs a statement compiled once, with the box as parameters; with any
    other filter the statement is built for the request. Both give the same pages."""
    store, _ = big
    if large:
        _every_box_is_large(monkeypatch)
    alone, every = EventFilter(bbox=bbox), EventFilter(bbox=bbox, max_geo_precision=4)
    for offset in (0, 2):
        for sort in ((), (("date", True), ("place_name", False))):
            a = store.items_page(alone, limit=2, offset=offset, sort=sort, count_up_to=N)
            b = store.items_page(every, limit=2, offset=offset, sort=sort, count_up_to=N)
            assert (a.rows, a.matched, a.more) == (b.rows, b.matched, b.more)
            assert a.rows or offset


def test_number_matched_is_exact_up_to_the_bound_then_left_out(big):
    store, points = big
    f = EventFilter(bbox=BOXES[1])
    inside = _inside(points, BOXES[1])
    assert store.items_page(f, limit=5, count_up_to=inside).matched == inside
    assert store.items_page(f, limit=5, count_up_to=inside - 1).matched is None
    everything = store.items_page(EventFilter(), limit=5, count_up_to=N - 1)
    assert everything.matched is None and everything.more
    last = store.items_page(EventFilter(), limit=5, offset=N - 2, count_up_to=1)
    assert last.matched == N and not last.more  # the last page tells the total
    battles = EventFilter(type=[EVENT_TYPES[0]])
    assert store.items_page(battles, limit=1).matched == store.count_events(battles)


def test_items_api_omits_a_costly_count_and_links_every_page(big, monkeypatch):
    store, _ = big
    _every_box_is_large(monkeypatch)  # the scan path, which never counts
    client = TestClient(create_app(store=store))
    url = "/collections/events/items?bbox=35,32,42.5,37.5&limit=10"
    ids = []
    while url:
        page = client.get(url).json()
        assert "numberMatched" not in page or page["numberMatched"] == len(ids) + len(
            page["features"]
        )
        ids += [feat["id"] for feat in page["features"]]
        url = next((lk["href"] for lk in page["links"] if lk["rel"] == "next"), None)
    assert len(ids) == len(set(ids)) == store.count_events(EventFilter(bbox=BOXES[1]))


@pytest.mark.parametrize("kind", ["sqlite", "postgis"])
def test_a_cached_answer_gives_way_to_the_next_write(kind, tmp_path, request):
    """On both backends, and whoever writes: here a second store object on the same
    database stands for another process or server."""
    if kind == "sqlite":
        url = str(tmp_path / "cache.db")
    else:
        url = request.getfixturevalue("postgres").new_database()
    store, writer = open_store(url), open_store(url)
    client = TestClient(create_app(store=store))
    items = "/collections/events/items?limit=100"
    assert client.get(items).json()["numberReturned"] == 0
    first = client.get("/map").text
    v = store.data_version()
    assert v is not None
    if kind == "sqlite":  # reads leave it alone (on PostgreSQL the WAL position is the
        # cluster's: autovacuum and other databases move it too, which costs a render)
        assert store.data_version() == v
    assert client.get(items).json()["numberReturned"] == 0  # (a cached answer)
    ev = _event(1, 33.5, 36.3)
    writer.add_article(title="new", text=f"new {SENTENCE}", found=[], article_events=[ev])
    assert store.data_version() != v
    assert client.get(items).json()["numberReturned"] == 1
    assert client.get("/map").text != first


def test_the_cache_keeps_the_latest_entries_and_renders_a_key_once_at_a_time(tmp_path):
    store = open_store(str(tmp_path / "lru.db"))
    app = create_app(store=store)
    cache = ResponseCache(2)
    svc = app.state.services
    renders: list[str] = []

    class Req:  # what the cache reads of a request
        def __init__(self, query: str) -> None:
            self.url = type("U", (), {"path": "/p", "query": query})()

    def make(q: str):
        def render() -> str:
            renders.append(q)
            time.sleep(0.05)
            return q.upper()

        return render

    threads = [
        threading.Thread(target=cache.get, args=(Req("a"), svc, make("a"))) for _ in range(5)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert renders == ["a"]
    assert cache.get(Req("b"), svc, make("b")) == "B"
    assert cache.get(Req("c"), svc, make("c")) == "C"  # pushes out "a", the oldest
    assert cache.get(Req("a"), svc, make("a")) == "A" and renders == ["a", "b", "c", "a"]
    assert ResponseCache(0).get(Req("a"), svc, make("a")) == "A" and len(renders) == 5


def test_a_peek_answers_only_what_get_would_without_rendering(tmp_path, pipeline):
    """``peek`` (the event loop's look-up) gives the kept answer at the store's current
    version, and None where ``get`` would render: after a write, while a reload another
    process announced is not yet followed, and with the cache off."""
    store = open_store(str(tmp_path / "peek.db"))
    svc = create_app(store=store, pipeline=pipeline).state.services
    cache = ResponseCache(4)
    req = type("R", (), {"url": type("U", (), {"path": "/p", "query": "q"})()})()
    assert cache.peek(req, svc) is None
    assert cache.get(req, svc, lambda: "page") == "page"
    assert cache.peek(req, svc) == "page"
    ev = _event(1, 33.5, 36.3)
    store.add_article(title="new", text=f"new {SENTENCE}", found=[], article_events=[ev])
    assert cache.peek(req, svc) is None
    assert cache.get(req, svc, lambda: "new page") == "new page"
    assert cache.peek(req, svc) == "new page"
    svc.generation -= 1  # as if another process had reloaded the gazetteer since
    assert cache.peek(req, svc) is None
    assert ResponseCache(0).peek(req, svc) is None


def test_a_peek_leaves_postgis_to_the_thread_pool(postgres, pipeline):
    """PostgreSQL's store version is a round trip to the server, which the event loop must
    not wait on: a kept answer is served by ``get`` (in the thread pool), never by ``peek``."""
    store = open_store(postgres.new_database())
    svc = create_app(store=store, pipeline=pipeline).state.services
    cache = ResponseCache(4)
    req = type("R", (), {"url": type("U", (), {"path": "/p", "query": "q"})()})()
    assert cache.get(req, svc, lambda: "page") == "page"
    assert cache.get(req, svc, lambda: "rendered again") == "page"  # kept
    assert cache.peek(req, svc) is None


def test_cache_size_setting():
    assert cache_entries("") == 128 and cache_entries("0") == 0 and cache_entries(" 9 ") == 9
    for bad in ("-1", "many", "1.5"):
        with pytest.raises(ValueError, match="GEOMAP_RESPONSE_CACHE"):
            cache_entries(bad)
