"""OGC API – Features: collections, extents, queryables, paging as QGIS walks it, sortby,
exports (CSV, KML, GeoJSON sequences), ETags, gzip and the OpenAPI document.

A real SQLite store in a tmp dir holds the seed corpus plus two crafted articles: one whose
title is a spreadsheet formula and whose text carries a script tag, one with no events.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geomap.api import create_app
from geomap.api.ogc import router as ogc_router
from geomap.events import EVENT_TYPES
from geomap.geojson import EventCollection, EventFeature, WGS84Point
from geomap.ingest import ingest_text
from geomap.pipeline import read_text
from geomap.store import EventFilter, open_store, period_end, period_start

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
EVIL_TITLE = '=HYPERLINK("https://evil.example","click") <script>alert(1)</script>'
EVIL_TEXT = (
    "Clashes erupted in Manbij on March 3, 2023. <script>alert(1)</script> "
    "Fighters shelled the town."
)
KML = "{http://www.opengis.net/kml/2.2}"
COLLECTION_IDS = ["events", "places", "articles", "actors", "regions"]


@pytest.fixture(scope="module")
def store(pipeline, store_url):
    store = open_store(store_url)
    for path in sorted(SEEDS.glob("*.txt")):
        ingest_text(store, pipeline, read_text(path), source=str(path))
    ingest_text(
        store,
        pipeline,
        EVIL_TEXT,
        title=EVIL_TITLE,
        url="https://evil.example/a?b=1&c=2",
        outlet="@evil",
        published="2023-03-04",
    )
    ingest_text(store, pipeline, "Nothing to report today. The weather was mild.", title="Quiet")
    return store


@pytest.fixture(scope="module")
def client(store, pipeline):
    return TestClient(create_app(store, pipeline))


def get_json(client, url, **params):
    resp = client.get(url, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def all_events(client, **params):
    return get_json(client, "/collections/events/items", **{"limit": 10_000, **params})


def link(doc, rel, media=None):
    return next(
        lk["href"] for lk in doc["links"] if lk["rel"] == rel and media in (None, lk.get("type"))
    )


# -- landing, conformance, collections --------------------------------------------------


def test_landing_conformance_and_four_collections(client):
    landing = client.get("/", headers={"Accept": "application/json"}).json()
    rels = {lk["rel"] for lk in landing["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= rels
    for lk in landing["links"]:
        assert client.get(lk["href"]).status_code == 200, lk
    conf = get_json(client, "/conformance", f="json")["conformsTo"]
    for cls in ("core", "geojson", "oas30"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{cls}" in conf
    assert any(c.endswith("/conf/queryables") for c in conf)
    listed = get_json(client, "/collections")
    assert [c["id"] for c in listed["collections"]] == COLLECTION_IDS
    for coll in listed["collections"]:
        assert get_json(client, f"/collections/{coll['id']}") == coll
        items = [lk for lk in coll["links"] if lk["rel"] == "items"]
        assert items[0]["type"] == "application/geo+json"  # what QGIS picks
    assert client.get("/collections/nope").status_code == 404


def test_event_extent_matches_stored_data(client):
    coll = get_json(client, "/collections/events")
    feats = all_events(client)["features"]
    lons = [f["geometry"]["coordinates"][0] for f in feats]
    lats = [f["geometry"]["coordinates"][1] for f in feats]
    assert coll["extent"]["spatial"]["bbox"] == [[min(lons), min(lats), max(lons), max(lats)]]
    dates = [f["properties"]["date"] for f in feats if f["properties"]["date"]]
    start, end = coll["extent"]["temporal"]["interval"][0]
    assert start == period_start(min(dates)) + "T00:00:00Z"
    assert end == max(period_end(d) for d in dates) + "T23:59:59Z"
    assert coll["extent"]["temporal"]["trs"].endswith("Gregorian")


def test_other_extents(client, store, pipeline):
    places = get_json(client, "/collections/places")["extent"]["spatial"]["bbox"][0]
    curated = [p for p in pipeline.gazetteer.places if p.layer == "curated"]
    assert places == [
        min(p.lon for p in curated),
        min(p.lat for p in curated),
        max(p.lon for p in curated),
        max(p.lat for p in curated),
    ]
    articles = get_json(client, "/collections/articles")["extent"]
    assert articles["spatial"] == get_json(client, "/collections/events")["extent"]["spatial"]
    assert articles["temporal"]["interval"] == [["2023-03-04T00:00:00Z", "2023-03-04T23:59:59Z"]]
    assert "extent" not in get_json(client, "/collections/actors")


def test_period_helpers():
    assert (period_start("2022"), period_end("2022")) == ("2022-01-01", "2022-12-31")
    assert (period_start("2024-02"), period_end("2024-02")) == ("2024-02-01", "2024-02-29")
    assert (period_start("2024-05-02"), period_end("2024-05-02")) == ("2024-05-02", "2024-05-02")


@pytest.mark.parametrize("cid", COLLECTION_IDS)
def test_queryables_are_json_schema(client, cid):
    resp = client.get(f"/collections/{cid}/queryables")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/schema+json")
    doc = resp.json()
    assert doc["type"] == "object" and doc["$schema"].startswith("https://json-schema.org/")
    assert doc["$id"].endswith(f"/collections/{cid}/queryables")
    assert isinstance(doc["properties"], dict)
    if cid == "events":
        assert doc["properties"]["event_type"]["enum"] == list(EVENT_TYPES)
        assert "TUR" in doc["properties"]["actors"]["items"]["enum"]
        assert {"geometry", "date", "place_name"} <= set(doc["properties"])


def test_queryables_of_unknown_collection(client):
    assert client.get("/collections/nope/queryables").status_code == 404


# -- a QGIS-like client ------------------------------------------------------------------


def test_qgis_like_client_walks_every_collection(client):
    """landing -> data -> collections -> items (geo+json) -> next ... to the end."""
    landing = client.get("/", headers={"Accept": "application/json"}).json()
    collections = client.get(link(landing, "data")).json()["collections"]
    for coll in collections:
        url = link(coll, "items", "application/geo+json")
        seen, matched = [], None
        url += "?limit=7"
        while url:
            resp = client.get(url, headers={"Accept": "application/geo+json"})
            assert resp.status_code == 200, (coll["id"], resp.text)
            assert resp.headers["content-type"].startswith("application/geo+json")
            page = resp.json()
            assert page["type"] == "FeatureCollection"
            assert page["numberReturned"] == len(page["features"]) <= 7
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", page["timeStamp"])
            matched = page["numberMatched"] if matched is None else matched
            assert page["numberMatched"] == matched
            seen += [f["id"] for f in page["features"]]
            nxt = [lk["href"] for lk in page["links"] if lk["rel"] == "next"]
            url = nxt[0] if nxt else None
        assert len(seen) == len(set(seen)) == matched > 0, coll["id"]
        one = client.get(f"/collections/{coll['id']}/items/{seen[-1]}")
        assert one.status_code == 200 and one.json()["id"] == seen[-1]


def test_prev_link_goes_back(client):
    second = get_json(client, "/collections/actors/items", limit=5, offset=5)
    back = client.get(link(second, "prev")).json()
    assert back["features"] == get_json(client, "/collections/actors/items", limit=5)["features"]


# -- items of each collection ------------------------------------------------------------


def test_event_features_are_typed_rounded_and_in_range(client):
    for feat in all_events(client)["features"]:
        EventFeature.model_validate(feat)
        for x in feat["geometry"]["coordinates"]:
            assert round(x, 6) == x
    point = WGS84Point(type="Point", coordinates=(36.123456789, 32.1))
    assert point.coordinates == (36.123457, 32.1)
    for bad in [(180.5, 0), (-181, 0), (0, 91)]:
        with pytest.raises(ValueError):
            WGS84Point(type="Point", coordinates=bad)


@pytest.mark.parametrize(
    "query",
    ["limit=7", "limit=5&offset=5&sortby=-date", "bbox=35.5,32.3,42.4,37.4&limit=3", "limit=1000"],
)
def test_items_pages_are_the_bytes_their_model_writes(client, query):
    """Pages are built as plain dicts and written by orjson: the same bytes (hence ETags) as
    EventCollection, which documents them, validates and writes."""
    r = client.get(f"/collections/events/items?{query}")
    body, stamp = r.content.rsplit(b',"timeStamp":', 1)
    assert stamp.startswith(b'"') and body.startswith(b'{"type":"FeatureCollection"')
    doc = EventCollection.model_validate_json(r.content)
    assert doc.features and doc.model_dump_json(exclude={"timeStamp"}).encode() == body + b"}"


def test_datetime_intervals_with_open_ends(client):
    dated = [f for f in all_events(client)["features"] if f["properties"]["date"]]
    upto = all_events(client, datetime="../2021-12-31")["features"]
    since = all_events(client, datetime="2022-01-01/..")["features"]
    assert upto and since
    assert all(f["properties"]["date"] <= "2021-12-31" for f in upto)
    assert all(f["properties"]["date"] >= "2022" for f in since)
    assert len(upto) + len(since) == len(dated)  # a year or a month counts where it overlaps
    year = all_events(client, datetime="2022-06-15/..")["features"]
    assert "2022" in {f["properties"]["date"] for f in year}
    assert "2022-03" not in {f["properties"]["date"] for f in year}
    assert all_events(client, datetime="../..")["numberMatched"] == len(dated)


def test_places_search_bbox_and_item(client):
    found = get_json(client, "/collections/places/items", q="Khmeimim")["features"]
    assert found and found[0]["properties"]["kind"] == "military_base"
    daraa = "35.7,32.3,36.6,33.0"
    boxed = get_json(client, "/collections/places/items", bbox=daraa, limit=1000)
    assert boxed["features"] and boxed["numberMatched"] == len(boxed["features"])
    for f in boxed["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert 35.7 <= lon <= 36.6 and 32.3 <= lat <= 33.0
    both = get_json(client, "/collections/places/items", q="Tafas", bbox=daraa)["features"]
    assert [f["id"] for f in both] == ["sy.tafas"]
    assert not get_json(client, "/collections/places/items", q="Tafas", bbox="0,0,1,1")["features"]
    assert get_json(client, "/collections/places/items/sy.tafas")["properties"]["name"] == "Tafas"


def test_articles_sit_at_the_centroid_of_their_events(client, store):
    arts = get_json(client, "/collections/articles/items")["features"]
    assert len(arts) == len(store.list_articles())
    for art in arts:
        events = all_events(client, article=str(art["id"]))["features"]
        assert art["properties"]["events"] == len(events)
        if not events:
            assert art["geometry"] is None and "bbox" not in art
            continue
        lons = [f["geometry"]["coordinates"][0] for f in events]
        lats = [f["geometry"]["coordinates"][1] for f in events]
        lon, lat = art["geometry"]["coordinates"]
        assert lon == pytest.approx(sum(lons) / len(lons), abs=1e-6)
        assert lat == pytest.approx(sum(lats) / len(lats), abs=1e-6)
        assert art["bbox"] == [min(lons), min(lats), max(lons), max(lats)]
    quiet = next(a for a in arts if a["properties"]["title"] == "Quiet")
    whole_world = get_json(client, "/collections/articles/items", bbox="-180,-90,180,90")
    assert quiet["id"] not in {a["id"] for a in whole_world["features"]}
    assert whole_world["numberMatched"] == len(arts) - 1


def test_actors_have_no_geometry_and_count_their_events(client, pipeline):
    actors = get_json(client, "/collections/actors/items")["features"]
    assert {a["id"] for a in actors} == set(pipeline.actors.actors)
    for a in actors:
        assert a["geometry"] is None
        assert a["properties"]["colour"].startswith("#")
        n = all_events(client, actor=a["id"])["numberMatched"]
        assert a["properties"]["events"] == n
    tur = get_json(client, "/collections/actors/items/TUR")["properties"]
    assert tur["code"] == "TUR" and tur["name"]
    assert not get_json(client, "/collections/actors/items", bbox="-180,-90,180,90")["features"]


# -- sortby ------------------------------------------------------------------------------


def test_sortby_date_desc_then_place_name(client):
    feats = all_events(client, sortby="-date,place_name")["features"]
    keys = [(f["properties"]["date"], f["properties"]["place_name"]) for f in feats]
    dated = [k for k in keys if k[0]]
    assert keys[: len(dated)] == dated  # undated last
    for (d1, p1), (d2, p2) in pairwise(dated):
        assert d1 > d2 or (d1 == d2 and p1 <= p2)
    assert len(feats) == all_events(client)["numberMatched"]


def test_sortby_plus_arrives_as_a_space_and_pages_stay_stable(client):
    asc = all_events(client, sortby="+source_count")["features"]  # '+' is a space in a URL
    counts = [f["properties"]["source_count"] for f in asc]
    assert counts == sorted(counts)
    paged, offset = [], 0
    while offset < len(asc):
        page = get_json(
            client, "/collections/events/items", sortby="-source_count", limit=4, offset=offset
        )
        paged += [f["id"] for f in page["features"]]
        offset += 4
    assert len(paged) == len(set(paged)) == len(asc)


@pytest.mark.parametrize(
    ("cid", "sortby", "prop", "reverse"),
    [
        ("actors", "-events", "events", True),
        ("actors", "name", "name", False),
        ("articles", "-mentions", "mentions", True),
        ("places", "-population", "population", True),
    ],
)
def test_sortby_on_other_collections(client, cid, sortby, prop, reverse):
    feats = get_json(client, f"/collections/{cid}/items", sortby=sortby, limit=1000)["features"]
    values = [f["properties"][prop] for f in feats]
    assert values == sorted(values, reverse=reverse)


# -- errors: 400 / 404 / 422, never 500 --------------------------------------------------


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/collections/events/items", {"sortby": "nope"}),
        ("/collections/events/items", {"sortby": "actors"}),
        ("/collections/events/items", {"sortby": "date;drop table events"}),
        ("/collections/events/items", {"sortby": "-"}),
        ("/collections/events/items", {"article": "99999999999999999999"}),
        ("/collections/events/items", {"article": "\u00b2"}),
        ("/collections/events/items", {"bbox": "nan,0,1,1"}),
        ("/collections/events/items", {"datetime": "2022/2023/2024"}),
        ("/collections/places/items", {"sortby": "aliases"}),
        ("/collections/places/items", {"bbox": "1,2,3"}),
        ("/collections/articles/items", {"bbox": "0,10,1,5"}),
        ("/collections/articles/items", {"sortby": "text"}),
        ("/collections/actors/items", {"bbox": "x"}),
        ("/collections/actors/items", {"sortby": "colour"}),
        ("/collections", {"unknown": "1"}),
        ("/conformance", {"g": "json"}),
        ("/collections/events", {"limit": "1"}),
        ("/collections/events/queryables", {"q": "x"}),
        ("/collections/events/items/1", {"acter": "TUR"}),
        ("/collections/places/items", {"type": "battle"}),
        ("/collections/articles/items", {"actor": "TUR"}),
        ("/collections/actors/items", {"datetime": "2022"}),
    ],
)
def test_bad_parameters_are_400_with_a_message(client, url, params):
    resp = client.get(url, params=params)
    assert resp.status_code == 400, resp.text
    assert isinstance(resp.json()["detail"], str) and resp.json()["detail"]


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/collections/events/items", {"f": "shapefile"}),
        ("/collections/events/items", {"limit": "0"}),
        ("/collections/events/items", {"limit": "10001"}),
        ("/collections/events/items", {"offset": "99999999999999999999"}),
        ("/collections/places/items", {"limit": "-1"}),
        ("/collections/articles/items", {"offset": "-1"}),
        ("/collections/actors/items", {"f": "csv"}),
        ("/collections/events/items/abc", {}),
        ("/collections/events/items/99999999999999999999", {}),
        ("/collections/articles/items/x", {}),
        ("/", {"f": "xml"}),
        ("/collections", {"f": "html"}),
    ],
)
def test_malformed_values_are_422(client, url, params):
    resp = client.get(url, params=params)
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/collections/nope",
        "/collections/nope/items",
        "/collections/events/items/999999",
        "/collections/places/items/no.such.place",
        "/collections/articles/items/999999",
        "/collections/actors/items/XYZ",
    ],
)
def test_missing_things_are_404(client, url):
    resp = client.get(url)
    assert resp.status_code == 404
    assert resp.json()["detail"]


def _ogc_get_paths(client) -> list[tuple[str, dict]]:
    ours = {r.path for r in ogc_router.routes}
    spec = client.get("/openapi.json").json()
    return [(p, ops["get"]) for p, ops in spec["paths"].items() if p in ours and "get" in ops]


@pytest.mark.parametrize(
    "value", ["", "x", "-1", "0", "1e999", "99999999999999999999", "'; --", "\u202e", ".."]
)
def test_no_value_of_any_parameter_is_a_500(client, value):
    for path, op in _ogc_get_paths(client):
        url = re.sub(r"\{[^}]+\}", value or "x", path)
        for prm in op.get("parameters", []):
            if prm["in"] == "query":
                resp = client.get(url, params={prm["name"]: value})
                assert resp.status_code < 500, (path, prm["name"], value, resp.text)


# -- exports -----------------------------------------------------------------------------


def test_csv_export_parses_and_neutralises_formulas(client):
    resp = client.get("/collections/events/items", params={"f": "csv"})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    assert 'filename="geomap-events.csv"' in resp.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert len(rows) == all_events(client)["numberMatched"]  # the whole selection, not a page
    evil = [r for r in rows if "HYPERLINK" in r["article_title"]]
    assert evil and evil[0]["article_title"] == "'" + EVIL_TITLE
    assert evil[0]["source_outlets"] == "'@evil"
    for row in rows:
        for value in row.values():
            try:
                float(value)
            except ValueError:
                assert not value.startswith(("=", "+", "-", "@")), value
    tafas = next(r for r in rows if r["place_id"] == "sy.tafas")
    assert int(tafas["source_count"]) == len(tafas["source_titles"].split(" | ")) == 2


def test_csv_export_honours_filters_sort_and_limit(client):
    text = client.get(
        "/collections/events/items",
        params={"f": "csv", "actor": "TUR", "sortby": "-date", "limit": 3},
    ).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    assert all("TUR" in r["actors"].split(";") for r in rows)
    top = all_events(client, actor="TUR", sortby="-date", limit=3)["features"]
    assert [int(r["id"]) for r in rows] == [f["id"] for f in top]


def test_kml_export_parses_escapes_and_styles_by_actor(client, pipeline):
    resp = client.get("/collections/events/items", params={"f": "kml"})
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/vnd.google-earth.kml+xml"
    assert 'filename="geomap-events.kml"' in resp.headers["content-disposition"]
    assert "<script>" not in resp.text
    root = ET.fromstring(resp.content)
    styles = {s.get("id") for s in root.iter(f"{KML}Style")}
    assert {f"actor-{code}" for code in pipeline.actors.actors} <= styles
    marks = list(root.iter(f"{KML}Placemark"))
    assert len(marks) == all_events(client)["numberMatched"]
    for pm in marks:
        assert pm.findtext(f"{KML}styleUrl").removeprefix("#") in styles
        assert "<script" not in pm.findtext(f"{KML}description")  # HTML-escaped balloon
        lon, lat = map(float, pm.findtext(f"{KML}Point/{KML}coordinates").split(","))
        assert -180 <= lon <= 180 and -90 <= lat <= 90
    evil = next(pm for pm in marks if "&lt;script&gt;" in pm.findtext(f"{KML}description"))
    assert evil.findtext(f"{KML}TimeStamp/{KML}when") == "2023-03-03"
    colour = pipeline.actors.actors["TUR"].colour.lstrip("#").lower()
    tur = next(s for s in root.iter(f"{KML}Style") if s.get("id") == "actor-TUR")
    assert tur.findtext(f"{KML}IconStyle/{KML}color") == f"ff{colour[4:]}{colour[2:4]}{colour[:2]}"


def test_geojsonseq_streams_one_feature_per_record(client):
    with client.stream(
        "GET", "/collections/events/items", params={"f": "geojsonseq", "actor": "RUS"}
    ) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "application/geo+json-seq"
        assert "content-length" not in resp.headers  # streamed, not built whole
        lines = "".join(resp.iter_text()).split("\n")
    assert lines.pop() == ""  # every record ends with a line feed
    assert len(lines) == all_events(client, actor="RUS")["numberMatched"]
    for line in lines:
        assert line.startswith("\x1e")  # RFC 8142 record separator
        feat = json.loads(line[1:])
        assert feat["type"] == "Feature" and "RUS" in feat["properties"]["actors"]
        EventFeature.model_validate(feat)


def test_store_iterates_in_pages(store):
    everything = store.query_events(EventFilter(), limit=10_000, sort=[("date", True)])
    paged = list(store.iter_events(EventFilter(), sort=[("date", True)], page_size=7))
    assert [r["id"] for r in paged] == [r["id"] for r in everything]
    by_id = store.query_events(EventFilter(), limit=10_000)
    some = list(store.iter_events(EventFilter(), limit=10, offset=3, page_size=4))
    assert [r["id"] for r in some] == [r["id"] for r in by_id[3:13]]
    with pytest.raises(ValueError):
        store.query_events(EventFilter(), sort=[("sentence; drop", False)])


# -- caching and compression -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/?f=json",
        "/conformance",
        "/collections",
        "/collections/events",
        "/collections/events/queryables",
        "/collections/events/items?limit=5",
        "/collections/events/items/1",
        "/collections/places/items?q=Tafas",
        "/collections/articles/items",
        "/collections/actors/items/TUR",
    ],
)
def test_etag_and_304(client, url):
    first = client.get(url)
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and "no-cache" in first.headers["cache-control"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    listed = client.get(url, headers={"If-None-Match": f'"other", {etag.removeprefix("W/")}'})
    assert listed.status_code == 304
    stale = client.get(url, headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.headers["etag"] == etag


def test_etag_changes_when_the_data_does(client, store, pipeline):
    url = "/collections/events/items?place=Qamishli"
    before = client.get(url).headers["etag"]
    ingest_text(store, pipeline, "Turkish drones struck Qamishli on May 2, 2024.", title="Drones")
    after = client.get(url, headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["etag"] != before


def test_gzip_when_asked(client):
    url = "/collections/events/items?limit=200"
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.json()["numberReturned"] > 0  # the client inflates it
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


@pytest.mark.parametrize(
    "url", ["/collections/events/items?limit=200", "/collections/events/items?f=csv"]
)
def test_gzip_inflates_to_the_plain_bytes(client, url):
    """The ISA-L deflate (``IsalGZipMiddleware``) writes standard gzip: zlib, which httpx
    inflates with, gets back the bytes sent without compression (but the timeStamp)."""
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.num_bytes_downloaded < len(plain.content) / 3
    stamp = re.compile(rb'"timeStamp":"[^"]*"')
    assert stamp.sub(b"", zipped.content) == stamp.sub(b"", plain.content)


# -- OpenAPI -----------------------------------------------------------------------------


def test_openapi_documents_every_query_parameter_with_an_example(client):
    spec = client.get("/openapi.json").json()
    missing = []
    for path, ops in spec["paths"].items():
        if "get" not in ops:
            continue
        for prm in ops["get"].get("parameters", []):
            if prm["in"] != "query":
                continue
            example = prm.get("example") is not None or prm.get("examples")
            example = example or prm.get("schema", {}).get("examples")
            if not (prm.get("description") and example):
                missing.append(f"{path}?{prm['name']}")
    assert not missing, f"undocumented query parameters: {missing}"
    items = spec["paths"]["/collections/events/items"]["get"]
    content = items["responses"]["200"]["content"]
    assert content["application/geo+json"]["schema"]["$ref"].endswith("/EventCollection")
    assert {"text/csv; charset=utf-8", "application/geo+json-seq"} <= set(content)
    schemas = spec["components"]["schemas"]
    assert {"numberMatched", "numberReturned", "timeStamp", "links"} <= set(
        schemas["EventCollection"]["properties"]
    )
