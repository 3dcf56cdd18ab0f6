"""API tests with FastAPI's client over a real store of the seed corpus, on each backend."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geomap.api import create_app
from geomap.ingest import ingest_text
from geomap.pipeline import read_text
from geomap.store import open_store

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def client(pipeline, store_url):
    store = open_store(store_url)
    for path in sorted(SEEDS.glob("*.txt")):
        ingest_text(store, pipeline, read_text(path), source=str(path))
    return TestClient(create_app(store, pipeline))


def items(client, **params):
    resp = client.get("/collections/events/items", params=params)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/geo+json")
    return resp.json()


def test_landing_html_and_ogc_json(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    doc = client.get("/", params={"f": "json"}).json()
    rels = {link["rel"] for link in doc["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = client.get("/conformance").json()["conformsTo"]
    assert any(c.endswith("/conf/core") for c in conf)
    ids = [c["id"] for c in client.get("/collections").json()["collections"]]
    assert ids == ["events", "places", "articles", "actors", "regions"]
    assert client.get("/collections/events").json()["id"] == "events"
    assert client.get("/collections/nope").status_code == 404


def test_items_are_valid_geojson_with_paging(client):
    first = items(client, limit=5)
    assert first["type"] == "FeatureCollection"
    assert first["numberReturned"] == len(first["features"]) == 5
    assert first["numberMatched"] > 5
    for feat in first["features"]:
        lon, lat = feat["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        props = feat["properties"]
        for key in (
            "article_id",
            "article_title",
            "sentence",
            "mention",
            "place_id",
            "place_name",
            "place_kind",
            "country",
            "admin1",
            "geo_precision",
            "actors",
            "event_type",
            "date",
            "confidence",
            "source_count",
        ):
            assert key in props
    nxt = [link for link in first["links"] if link["rel"] == "next"]
    assert nxt
    second = client.get(nxt[0]["href"]).json()
    assert {f["id"] for f in second["features"]}.isdisjoint({f["id"] for f in first["features"]})
    assert any(link["rel"] == "prev" for link in second["links"])
    # walking every page yields every event once
    seen, url = [], "/collections/events/items?limit=40"
    while url:
        page = client.get(url).json()
        seen += [f["id"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == first["numberMatched"]


def test_single_item_and_missing_item(client):
    feat = items(client, limit=1)["features"][0]
    one = client.get(f"/collections/events/items/{feat['id']}")
    assert one.status_code == 200 and one.json()["id"] == feat["id"]
    assert client.get("/collections/events/items/999999").status_code == 404


def test_filters_actor_type_place_bbox_datetime(client):
    turkish_meetings = items(client, actor="TUR", type="meeting_talks", limit=1000)
    assert turkish_meetings["features"]
    for f in turkish_meetings["features"]:
        assert "TUR" in f["properties"]["actors"]
        assert f["properties"]["event_type"] == "meeting_talks"
    everything = items(client, limit=1000)
    assert turkish_meetings["numberMatched"] < everything["numberMatched"]

    daraa_box = items(client, bbox="35.7,32.3,36.6,33.0", limit=1000)
    assert daraa_box["features"]
    for f in daraa_box["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert 35.7 <= lon <= 36.6 and 32.3 <= lat <= 33.0
    names = {f["properties"]["place_name"] for f in daraa_box["features"]}
    assert any("Tafas" in n for n in names)

    dated = items(client, datetime="2022-01-01/2022-12-31", limit=1000)
    assert dated["features"]
    assert all(f["properties"]["date"].startswith("2022") for f in dated["features"])
    open_end = items(client, datetime="2022/..", limit=1000)
    assert all(f["properties"]["date"] >= "2022" for f in open_end["features"])
    assert open_end["numberMatched"] >= dated["numberMatched"]

    damascus = items(client, place="Damascus", limit=1000)
    assert damascus["features"]
    assert {f["properties"]["place_name"] for f in damascus["features"]} == {"Damascus"}

    fine = items(client, max_geo_precision=1, limit=1000)
    assert all(f["properties"]["geo_precision"] == 1 for f in fine["features"])

    article_id = everything["features"][0]["properties"]["article_id"]
    of_article = items(client, article=str(article_id), limit=1000)
    assert all(
        any(s["article_id"] == article_id for s in f["properties"]["sources"])
        for f in of_article["features"]
    )


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"},
        {"bbox": "a,b,c,d"},
        {"bbox": "0,95,10,96"},
        {"bbox": "-200,0,10,10"},
        {"datetime": "yesterday"},
        {"datetime": "2023/2022"},
        {"limit": "0"},
        {"limit": "-5"},
        {"limit": "100000000"},
        {"offset": "-1"},
        {"actor": "XYZ"},
        {"type": "picnic"},
        {"article": "abc"},
        {"max_geo_precision": "9"},
        {"unknown_filter": "1"},
    ],
)
def test_bad_parameters_are_4xx_with_a_message(client, params):
    resp = client.get("/collections/events/items", params=params)
    assert 400 <= resp.status_code < 500
    assert resp.json()["detail"]


def test_places_search_across_spellings(client):
    for q in ("Hmeimim", "Khmeimim", "Idleb", "Suweida"):
        feats = client.get("/collections/places/items", params={"q": q}).json()["features"]
        assert feats, q
        assert feats[0]["properties"]["country"] == "SY"


def test_articles_actors_parse_health(client):
    arts = client.get("/api/articles").json()
    assert len(arts) == 6  # the first seed file holds two articles
    assert all(a["title"] and not a["title"].endswith(".txt") for a in arts)
    actors = client.get("/api/actors").json()
    codes = {a["code"] for a in actors}
    assert {"RUS", "TUR", "SYR-GOV", "UN", "SDF"} <= codes
    used = client.get("/api/actors", params={"used": "true"}).json()
    assert used and all(a["events"] > 0 for a in used)
    parsed = client.post("/api/parse", json={"text": "Shelling hit Tafas, in Daraa."}).json()
    assert [m["text"] for m in parsed["mentions"]][:1] == ["Tafas"]
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["events"] > 0
    mentions = client.get(f"/api/articles/{arts[0]['id']}/mentions").json()
    assert any(not m["literal"] for m in mentions)  # metonymy stays visible as mentions


def test_post_article_requires_token(client, monkeypatch):
    body = {"text": "Turkish drones struck Qamishli on May 2, 2024.", "title": "Drone strike"}
    monkeypatch.delenv("GEOMAP_API_TOKEN", raising=False)
    resp = client.post("/api/articles", json=body)
    assert resp.status_code == 403 and "GEOMAP_API_TOKEN" in resp.json()["detail"]
    monkeypatch.setenv("GEOMAP_API_TOKEN", "s3cret")
    assert client.post("/api/articles", json=body).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post("/api/articles", json=body, headers=wrong).status_code == 401
    ok = client.post("/api/articles", json=body, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 201, ok.text
    assert ok.json()[0]["created"] is True
    again = client.post("/api/articles", json=body, headers={"Authorization": "Bearer s3cret"})
    assert again.json()[0]["created"] is False
    found = items(client, place="Qamishli", datetime="2024-05-02", limit=100)["features"]
    assert [f["properties"]["event_type"] for f in found] == ["airstrike_shelling"]
    assert found[0]["properties"]["actors"] == ["TUR"]
    bad = client.post("/api/articles", json={"text": 5}, headers={"Authorization": "Bearer s3cret"})
    assert bad.status_code == 422
    broken = client.post(
        "/api/articles",
        content=b"{not json",
        headers={"Authorization": "Bearer s3cret", "Content-Type": "application/json"},
    )
    assert broken.status_code == 422


def test_map_layers_and_escaping(client, monkeypatch):
    monkeypatch.setenv("GEOMAP_API_TOKEN", "t")
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    client.post(
        "/api/articles",
        headers={"Authorization": "Bearer t"},
        json={
            "text": f"Clashes erupted in Manbij. {evil}",
            "title": f"Evil {evil}",
            "url": "javascript:alert(3)",
        },
    )
    page = client.get("/map")
    assert page.status_code == 200
    body = page.text
    assert "<script>alert(1)</script>" not in body
    assert 'onerror="alert(2)"' not in body
    assert "javascript:alert(3)" not in body
    layers = [
        html.unescape(json.loads(k))
        for k in re.findall(r'("(?:[^"\\]|\\.)*")\s*:\s*feature_group_', body)
    ]
    assert any("<script>alert(1)</script>" in name for name in layers)  # escaped, then shown
    for art in client.get("/api/articles").json():
        assert art["title"] in layers  # one layer per article, named by its title
    for actor in client.get("/api/actors", params={"used": "true"}).json():
        assert any(name.endswith(" " + actor["name"]) for name in layers)
    assert "https://cdn" not in body and "cdnjs" not in body and "code.jquery" not in body
    assert "/static/vendor/leaflet/dist/leaflet.js" in body
    filtered = client.get("/map", params={"actor": "TUR"})
    assert filtered.status_code == 200 and len(filtered.text) < len(body)
    assert client.get("/map", params={"bbox": "x"}).status_code == 400
