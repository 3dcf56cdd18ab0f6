"""Spatial questions: near=/radius_km (geodesic), intersects= (validated polygons), the
governorates (tagging, the regions collection, the choropleth), areas of activity, and
geomap.query. Stores are real SQLite files in tmp dirs: the seed corpus, plus synthetic
events at computed distances from Tafas.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box, mapping, shape

import geomap
from geomap import spatial
from geomap.api import create_app
from geomap.events import Event, Report
from geomap.geoparse import Mention
from geomap.ingest import ingest_text, reanalyse_store
from geomap.pipeline import read_text
from geomap.store import EventFilter, open_store

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
GAZETTEER = Path(__file__).resolve().parent.parent / "gazetteer" / "syria.csv"
TAFAS = (32.73709, 36.06654)  # lat, lon, as gazetteer/syria.csv has it
EARTH_RADIUS_KM = 6371.0088  # mean radius, for the independent hand check below


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance on a sphere: within 0.5% of the geodesic one, computed by hand."""
    (lat1, lon1), (lat2, lon2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def _event(place_id: str, lat: float, lon: float, actors: list[str], precision: int = 1) -> Event:
    """A synthetic event at a point (what the pipeline would make of 'Strikes hit X.')."""
    m = Mention(0, 1, "X", place_id, place_id, "village", "SY", lat, lon, geo_precision=precision)
    return Event(
        m, "airstrike_shelling", actors, None, None, [Report("X", 0, 1, m, actors, None, None)]
    )


# Around Tafas: each bearing gets one point 19 km away (in) and one 21 km away (out).
BEARINGS = (0, 60, 135, 200, 290)
RINGS = {f"near.{b}.{km}": (b, km) for b in BEARINGS for km in (19, 21)}


def _ring_point(bearing: int, km: float) -> tuple[float, float]:
    p = geodesic(kilometers=km).destination(TAFAS, bearing)
    return round(p.latitude, 5), round(p.longitude, 5)


@pytest.fixture(scope="module")
def store(pipeline, tmp_path_factory):
    store = open_store(str(tmp_path_factory.mktemp("spatial") / "spatial.db"))
    for path in sorted(SEEDS.glob("*.txt")):
        ingest_text(store, pipeline, read_text(path), source=str(path))
    ring = [_event(pid, *_ring_point(b, km), ["ISR"]) for pid, (b, km) in RINGS.items()]
    store.add_article(title="Ring around Tafas", text="X", found=[], article_events=ring)
    return store


@pytest.fixture(scope="module")
def client(store, pipeline):
    return TestClient(create_app(store, pipeline))


def _all(client, **params) -> list[dict]:
    resp = client.get("/collections/events/items", params={"limit": 10_000, **params})
    assert resp.status_code == 200, resp.text
    return resp.json()["features"]


# -- near ------------------------------------------------------------------------------


def test_ring_points_are_where_the_test_says():
    """The synthetic points really are 19 and 21 km from Tafas (by a hand-written formula)."""
    for bearing, km in RINGS.values():
        assert _haversine_km(TAFAS, _ring_point(bearing, km)) == pytest.approx(km, rel=0.006)


def test_near_keeps_19_km_and_drops_21_km(client):
    feats = _all(client, near=f"{TAFAS[0]},{TAFAS[1]}", radius_km=20)
    got = {f["properties"]["place_id"] for f in feats}
    ring_in = {pid for pid, (_, km) in RINGS.items() if km == 19}
    assert got & set(RINGS) == ring_in
    assert "sy.tafas" in got  # the seed events at Tafas itself
    for f in feats:
        lon, lat = f["geometry"]["coordinates"]
        assert geodesic(TAFAS, (lat, lon)).km <= 20
    # everything left out is farther than 20 km
    kept = {f["id"] for f in feats}
    for f in _all(client):
        if f["id"] not in kept:
            lon, lat = f["geometry"]["coordinates"]
            assert geodesic(TAFAS, (lat, lon)).km > 20


def test_near_combines_with_filters_and_pages(client):
    near = {"near": f"{TAFAS[0]},{TAFAS[1]}", "radius_km": 25}
    everything = _all(client, **near)
    isr = _all(client, actor="ISR", **near)
    assert {f["id"] for f in isr} == {
        f["id"] for f in everything if "ISR" in f["properties"]["actors"]
    }
    assert len(isr) == len(BEARINGS) * 2  # 21 km is inside 25 km
    seen, offset = [], 0
    while True:
        page = client.get(
            "/collections/events/items", params={**near, "limit": 3, "offset": offset}
        ).json()
        assert page["numberMatched"] == len(everything)
        seen += [f["id"] for f in page["features"]]
        if not any(lk["rel"] == "next" for lk in page["links"]):
            break
        offset += 3
    assert seen == [f["id"] for f in everything]


def test_exports_select_what_the_pages_select(client):
    """Exports resolve the spatial test once for every page they stream."""
    near = {"near": f"{TAFAS[0]},{TAFAS[1]}", "radius_km": 25}
    resp = client.get("/collections/events/items", params={**near, "f": "geojsonseq"})
    assert resp.status_code == 200
    streamed = [json.loads(line.lstrip("\x1e"))["id"] for line in resp.text.splitlines() if line]
    assert streamed == [f["id"] for f in _all(client, **near)]


def test_paged_iteration_keeps_the_spatial_selection(store):
    flt = EventFilter(near=spatial.Near(*TAFAS, 25), actor=["ISR"])
    pages = [e["id"] for e in store.iter_events(flt, page_size=3, sort=[("place_id", True)])]
    assert pages == [
        e["id"] for e in store.query_events(flt, limit=1000, sort=[("place_id", True)])
    ]
    assert len(pages) == len(BEARINGS) * 2


def test_near_circle_bounds_hold_the_circle():
    """The index pre-filter's bbox holds every point of the circle, poles and antimeridian
    included (a bbox too small would silently drop events)."""
    for lat, lon, km in [(32.7, 36.0, 20), (0, 179.9, 50), (89.5, 10, 100), (-60, -179.95, 300)]:
        near = spatial.Near(lat, lon, km)
        minx, miny, maxx, maxy = near.bounds
        for bearing in range(0, 360, 1):
            p = geodesic(kilometers=km).destination((lat, lon), bearing)
            assert miny <= p.latitude <= maxy
            in_lon = minx <= p.longitude <= maxx if minx <= maxx else not maxx < p.longitude < minx
            assert in_lon, (lat, lon, km, bearing)


@given(
    centre=st.tuples(st.floats(-89, 89), st.floats(-180, 180)),
    radius=st.floats(0.5, 2000),
    points=st.lists(st.tuples(st.floats(-1, 1), st.floats(-1, 1)), min_size=1, max_size=20),
)
@settings(max_examples=80, derandomize=True, database=None, deadline=None)
def test_near_agrees_with_geopy_everywhere(centre, radius, points):
    """The quick great-circle pass never changes geopy's geodesic answer, near the edge
    included: points are scattered around the circle's edge (scaled offsets)."""
    near = spatial.Near(centre[0], centre[1], radius)
    lats, lons = [], []
    for bearing_f, scale in points:
        p = geodesic(kilometers=radius * (1 + 0.02 * scale)).destination(centre, 180 * bearing_f)
        lats.append(p.latitude)
        lons.append(p.longitude)
    expected = [
        geodesic(centre, (lat, lon)).km <= radius for lat, lon in zip(lats, lons, strict=True)
    ]
    assert [near.covers(lon, lat) for lon, lat in zip(lons, lats, strict=True)] == expected


def test_within_zero_km_is_the_same_point_only():
    """A merge distance of 0 (``GEOMAP_MERGE_KM=0``) keeps apart any two distinct points."""
    assert spatial.within_km(32.74, 36.07, 32.74, 36.07, 0.0)
    assert not spatial.within_km(32.74, 36.07, 32.74001, 36.07, 0.0)
    assert spatial.within_km(32.74, 36.07, 32.74001, 36.07, 0.002)


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"near": "32.7,36.0"}, "go together"),
        ({"radius_km": 5}, "go together"),
        ({"near": "32.7", "radius_km": 5}, "two numbers"),
        ({"near": "x,y", "radius_km": 5}, "two numbers"),
        ({"near": "91,36", "radius_km": 5}, "out of range"),
        ({"near": "32.7,36.0", "radius_km": 0}, "radius_km"),
        ({"near": "32.7,36.0", "radius_km": 1e9}, "radius_km"),
        ({"near": "32.7,36.0", "radius_km": "nan"}, "radius_km"),
    ],
)
def test_bad_near_is_a_400_that_says_why(client, params, says):
    for path in ("/collections/events/items", "/map", "/collections/regions/items"):
        resp = client.get(path, params=params)
        assert resp.status_code == 400, (path, resp.text)
        assert says in resp.json()["detail"]


# -- intersects ------------------------------------------------------------------------


def _daraa() -> spatial.Region:
    return next(r for r in spatial.regions() if r.name == "Daraa Governorate")


@pytest.mark.parametrize("form", ["wkt", "geojson", "feature"])
def test_polygon_around_daraa_returns_only_its_events(client, form):
    outline = _daraa().geometry.buffer(0.001)  # edges drawn just outside the border
    text = {
        "wkt": outline.wkt,
        "geojson": json.dumps(mapping(outline)),
        "feature": json.dumps({"type": "Feature", "geometry": mapping(outline), "properties": {}}),
    }[form]
    got = _all(client, intersects=text)
    daraa = [f for f in _all(client) if f["properties"]["admin1"] == "Daraa Governorate"]
    assert daraa, "the seeds report events in Daraa"
    seed_ids = {f["id"] for f in got if f["properties"]["place_id"] not in RINGS}
    assert seed_ids == {f["id"] for f in daraa}


def test_multipolygon_is_the_union_of_its_parts(client):
    a, b = box(35.9, 32.6, 36.2, 32.9), box(36.2, 33.4, 36.4, 33.6)  # Tafas, Damascus
    both = {f["id"] for f in _all(client, intersects=a.union(b).wkt)}
    parts = {f["id"] for p in (a, b) for f in _all(client, intersects=p.wkt)}
    assert both == parts and len(both) > len({f["id"] for f in _all(client, intersects=a.wkt)})


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))", "Self-intersection"),
        ('{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}', "Self-intersection"),
        ("POLYGON((0 0, 2 0, 2 2, 0 2, 0 0), (5 5, 6 5, 6 6, 5 5))", "Hole lies outside shell"),
        ("POLYGON((0 0, 1 0, 1 1))", "WKT"),  # not closed
        ("LINESTRING(0 0, 1 1)", "Polygon or MultiPolygon"),
        ("POINT(36 32)", "Polygon or MultiPolygon"),
        ('{"type":"Point","coordinates":[36,32]}', "Polygon or MultiPolygon"),
        ("POLYGON EMPTY", "empty"),
        ("POLYGON((0 0, 200 0, 200 1, 0 0))", "out of range"),
        ("", "empty"),
        ("not a shape", "WKT or GeoJSON"),
        ("{", "WKT or GeoJSON"),
        ('{"type":"Polygon"}', "WKT or GeoJSON"),
        ('{"type":"Polygon","coordinates":"x"}', "WKT or GeoJSON"),
        ('{"type":"GeometryCollection"}', "Polygon or MultiPolygon"),
        ("[" * 5000 + "]" * 5000, "WKT or GeoJSON"),
        ("{" + '"a":' * 3000 + "1" + "}" * 3000, "WKT or GeoJSON"),
        ("POLYGON((nan 0, 1 0, 1 1, nan 0))", ""),
        ('{"type":"Feature","geometry":' + '{"a":' * 2000 + "1" + "}" * 2001, "WKT or GeoJSON"),
        ('{"type":"Polygon","coordinates":' + "[" * 5000 + "]" * 5000 + "}", "WKT or GeoJSON"),
        ('{"type":"Polygon","coordinates":[[[0,0],[1e999,0],[1,1],[0,0]]]}', "finite"),
    ],
)
def test_bad_intersects_is_a_400_that_says_why(client, value, says):
    resp = client.get("/collections/events/items", params={"intersects": value})
    assert resp.status_code == 400, resp.text
    assert resp.json()["detail"].startswith("intersects: ") and says in resp.json()["detail"]


# -- bbox and its polygon agree (property) ---------------------------------------------

GRID = st.integers(min_value=-18000, max_value=18000).map(lambda v: v / 100)
LAT_GRID = st.integers(min_value=-9000, max_value=9000).map(lambda v: v / 100)
NEAR_SYRIA = st.tuples(
    st.integers(3300, 4300).map(lambda v: v / 100), st.integers(3100, 3800).map(lambda v: v / 100)
)


@st.composite
def boxes(draw) -> tuple[float, float, float, float]:
    """Boxes on a 0.01° grid (the stored points have 5 decimals: none sits on an edge
    within the R*Tree's float32 rounding), often around Syria where the events are."""
    if draw(st.booleans()):
        (x1, y1), (x2, y2) = draw(NEAR_SYRIA), draw(NEAR_SYRIA)
    else:
        x1, x2, y1, y2 = draw(GRID), draw(GRID), draw(LAT_GRID), draw(LAT_GRID)
    minx, maxx, miny, maxy = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
    if minx == maxx or miny == maxy:  # a box with no area is no valid polygon
        maxx, maxy = minx + 0.01, miny + 0.01
    return minx, miny, maxx, maxy


@given(bbox=boxes())
@settings(max_examples=60, derandomize=True, database=None, deadline=None)
def test_bbox_and_the_same_polygon_select_the_same_events(store, bbox):
    by_bbox = store.query_events(EventFilter(bbox=bbox), limit=10_000)
    by_polygon = store.query_events(
        EventFilter(intersects=spatial.parse_geometry(box(*bbox).wkt)), limit=10_000
    )
    assert [e["id"] for e in by_bbox] == [e["id"] for e in by_polygon]
    assert store.count_events(EventFilter(bbox=bbox)) == len(by_polygon)


# -- governorates ----------------------------------------------------------------------


def test_the_mapping_names_every_governorate_as_the_gazetteer_spells_it():
    with GAZETTEER.open(encoding="utf-8", newline="") as fh:
        governorates = {r["admin1"] for r in csv.DictReader(fh) if r["kind"] == "governorate"}
    assert len(governorates) == 14
    assert {r.name for r in spatial.regions()} == governorates
    for r in spatial.regions():
        assert r.geometry.is_valid and r.geometry.geom_type in ("Polygon", "MultiPolygon")


def test_every_seed_event_is_tagged_with_its_gazetteer_admin1(client):
    feats = [f for f in _all(client) if f["properties"]["place_id"] not in RINGS]
    assert len(feats) > 30
    syrian = 0
    for f in feats:
        p = f["properties"]
        expected = p["admin1"] if p["geo_precision"] < spatial.COUNTRY_PRECISION else None
        assert p["region"] == expected, (p["place_name"], p["admin1"], p["region"])
        syrian += p["region"] is not None
    assert syrian > 10


def test_a_point_just_off_the_coast_joins_the_nearest_governorate():
    assert spatial.region_at(35.86, 34.89) == "Tartus Governorate"  # Tartus harbour
    assert spatial.region_at(35.5, 34.89) is None  # 30 km out at sea
    assert spatial.region_at(37.6, 55.75) is None  # Moscow


def test_regions_collection_counts_events_under_the_same_filters(client):
    for params in ({}, {"actor": "RUS"}, {"type": "meeting_talks"}, {"datetime": "2024"}):
        resp = client.get("/collections/regions/items", params={**params, "limit": 100})
        assert resp.status_code == 200, resp.text
        doc = resp.json()
        assert doc["numberMatched"] == len(doc["features"]) == 14
        counts = {f["properties"]["name"]: f["properties"]["events"] for f in doc["features"]}
        expected: dict[str, int] = {}
        for f in _all(client, **params):
            if f["properties"]["region"]:
                expected[f["properties"]["region"]] = expected.get(f["properties"]["region"], 0) + 1
        assert {k: v for k, v in counts.items() if v} == expected
    tafas = client.get(
        "/collections/regions/items/SY-DR", params={"near": "32.737,36.066", "radius_km": 20}
    )
    assert tafas.status_code == 200 and tafas.json()["properties"]["name"] == "Daraa Governorate"
    assert tafas.json()["properties"]["events"] == len(
        [
            f
            for f in _all(client, near="32.737,36.066", radius_km=20)
            if f["properties"]["region"] == "Daraa Governorate"
        ]
    )
    assert shape(tafas.json()["geometry"]).contains(
        shape({"type": "Point", "coordinates": TAFAS[::-1]})
    )
    assert client.get("/collections/regions/items/SY-XX").status_code == 404
    by_count = client.get("/collections/regions/items", params={"sortby": "-events"}).json()
    ordered = [f["properties"]["events"] for f in by_count["features"]]
    assert ordered == sorted(ordered, reverse=True)


def test_reanalyse_fills_the_region_of_an_old_store(pipeline, tmp_path):
    path = tmp_path / "old.db"
    store = open_store(str(path))
    ingest_text(store, pipeline, "Russian jets struck Tafas on July 3, 2024.", title="T")
    # what a store made before the region column holds: it also predates the migrations
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_events_region")
        conn.exec_driver_sql("DROP INDEX ix_events_region_type")
        conn.exec_driver_sql("ALTER TABLE events DROP COLUMN region")
        conn.exec_driver_sql("DROP TABLE alembic_version")
    store = open_store(str(path))  # the baseline migration adds the column back, empty
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT region FROM events")).scalars().all() == [None]
    reanalyse_store(store, pipeline)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT region FROM events")).scalars().all() == [
            "Daraa Governorate"
        ]


# -- areas of activity -----------------------------------------------------------------


def test_each_actors_area_contains_its_point_events(client):
    actors = [a["code"] for a in client.get("/api/actors", params={"used": True}).json()]
    assert "ISR" in actors
    checked = 0
    for code in actors:
        resp = client.get(f"/api/actors/{code}/area")
        assert resp.status_code == 200, resp.text
        points = [
            f
            for f in _all(client, actor=code)
            if f["properties"]["geo_precision"] <= spatial.POINT_PRECISION
        ]
        feats = resp.json()["features"]
        if not points:
            assert feats == []
            continue
        (feat,) = feats
        area = shape(feat["geometry"])
        assert area.geom_type == "Polygon" and area.area > 0
        for f in points:
            assert area.covers(shape(f["geometry"])), (code, f["properties"]["place_name"])
        assert feat["properties"]["places"] == len(
            {tuple(f["geometry"]["coordinates"]) for f in points}
        )
        checked += 1
    assert checked >= 3


def test_area_follows_the_filters_and_refuses_unknown_actors(client):
    ring = client.get(
        "/api/actors/ISR/area", params={"near": f"{TAFAS[0]},{TAFAS[1]}", "radius_km": 20}
    ).json()
    assert ring["features"][0]["properties"]["places"] == len(BEARINGS)  # the 19 km points
    assert client.get("/api/actors/ISR/area", params={"datetime": "1990"}).json()["features"] == []
    missing = client.get("/api/actors/NOPE/area")
    assert missing.status_code == 404 and "NOPE" in missing.json()["detail"]
    assert client.get("/api/actors/ISR/area", params={"radius_km": 3}).status_code == 400


@pytest.mark.parametrize(
    "points",
    [[(36.0, 32.7)], [(36.0, 32.7), (36.2, 32.9)], [(36.0, 32.7), (36.1, 32.8), (36.2, 32.9)]],
)
def test_too_few_points_for_a_hull_are_buffered(points):
    area = spatial.activity_area(points)
    assert area.geom_type == "Polygon" and area.area > 0
    assert all(area.contains(shape({"type": "Point", "coordinates": p})) for p in points)
    assert spatial.activity_area([]) is None


# -- the map ---------------------------------------------------------------------------


AREA_CODE = re.compile(r'"code": "([A-Z-]+)", "colour"')


def test_map_has_the_choropleth_and_one_area_layer_per_actor(client):
    """One area layer per actor with point events in the map's selection, under a
    choropleth of the governorates, all in the layer control."""
    for params in ({}, {"near": f"{TAFAS[0]},{TAFAS[1]}", "radius_km": 20}):
        page = client.get("/map", params=params)
        assert page.status_code == 200
        assert "Events per governorate" in page.text and "Areas of activity" in page.text
        expected = {
            code
            for f in _all(client, **params)
            if f["properties"]["geo_precision"] <= spatial.POINT_PRECISION
            for code in f["properties"]["actors"]
        }
        assert set(AREA_CODE.findall(page.text)) == expected
    assert "ISR" in expected


def test_governorate_level_events_carry_their_outline(client):
    blob = client.get("/map/events").json()
    governorate = [e for e in blob["events"] if blob["places"][e[1]][2] == "governorate"]
    assert governorate, "the seeds report governorate-level events"
    for e in governorate:
        outline = blob["outlines"][blob["places"][e[1]][5]]
        _, _, _, lon, lat, _ = blob["places"][e[1]]
        assert (
            shape(outline)
            .buffer(0.02)
            .contains(shape({"type": "Point", "coordinates": (lon, lat)}))
        )
    points = [p for p in blob["places"] if p[2] != "governorate"]
    assert all(p[5] is None for p in points)


# -- the library -----------------------------------------------------------------------


def test_library_query_filters_like_the_api(client, store):
    near = geomap.query(store, near=TAFAS, radius_km=20, limit=1000)
    api = _all(client, near=f"{TAFAS[0]},{TAFAS[1]}", radius_km=20)
    assert [f["id"] for f in near] == [f["id"] for f in api]
    inside = geomap.query(store, intersects=_daraa().geometry, actor=["ISR"], limit=1000)
    assert inside and all(f["properties"]["region"] == "Daraa Governorate" for f in inside)
    as_geojson = geomap.query(
        store, intersects=mapping(_daraa().geometry), actor=["ISR"], limit=1000
    )
    assert [f["id"] for f in as_geojson] == [f["id"] for f in inside]
    with pytest.raises(ValueError, match="Self-intersection"):
        geomap.query(store, intersects="POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))")
    with pytest.raises(ValueError, match="radius_km"):
        geomap.query(store, near=TAFAS)
