"""End to end: the CLI ingests seeds/ into a temporary SQLite file, the API serves it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from shapely.geometry import shape

from geomap.api import create_app
from geomap.store import open_store

REPO = Path(__file__).resolve().parent.parent
GEOMAP = str(Path(sys.executable).parent / "geomap")


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [GEOMAP, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_ingest_seeds_then_serve_geojson(tmp_path, pipeline, monkeypatch):
    import os

    env = {**os.environ, "GEOMAP_DB": str(tmp_path / "e2e.db")}
    first = run("ingest", "seeds/", env=env)
    assert first.returncode == 0, first.stderr
    assert "6 new article(s)" in first.stdout
    again = run("ingest", "seeds/", env=env)
    assert "0 new article(s), 6 already stored" in again.stdout
    store = open_store(env["GEOMAP_DB"])
    stats = store.stats()
    assert stats["articles"] == 6

    client = TestClient(create_app(store, pipeline))
    data = client.get("/collections/events/items", params={"limit": 10000}).json()
    assert data["numberMatched"] == stats["events"] == len(data["features"])
    for feat in data["features"]:
        geom = shape(feat["geometry"])  # valid GeoJSON geometry, [lon, lat] order
        assert geom.geom_type == "Point" and geom.is_valid
    tafas = [f for f in data["features"] if f["properties"]["place_name"] in ("Tafas", "Ţafas")]
    assert tafas, "the Tafas mediation is mapped"
    lon, lat = tafas[0]["geometry"]["coordinates"]
    assert abs(lon - 36.07) < 0.05 and abs(lat - 32.74) < 0.05
    titles = {a["title"] for a in client.get("/api/articles").json()}
    assert (
        "Putin’s Envoy, Syria’s Assad Hold ‘Secret Meeting’ on Political, Military "
        "Arrangements" in titles
    )
    assert (
        "Türkiye and Russia Engage in Delicate Maneuvers over Syria after Assad’s "
        "Downfall" in titles
    )
    # the same report in the first two files is one event with two sources
    assert len(tafas) == 1 and tafas[0]["properties"]["source_count"] == 2
    sources = {s["article_id"] for s in tafas[0]["properties"]["sources"]}
    assert len(sources) == 2
    istanbul = [f for f in data["features"] if f["properties"]["place_name"] == "Istanbul"]
    assert [f["properties"]["date"] for f in istanbul] == ["2022-03"]  # "In March 2022"
    assert istanbul[0]["properties"]["date_precision"] == "month"
    page = client.get("/map").text
    assert page.count("L.geoJson(") + page.count("L.geoJSON(") >= 6 + 1


def test_parse_cli_json_offsets(tmp_path):
    import os

    out = run("parse", "--json", "seeds/004_e5cf73b19b22fc82.txt", env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    row = json.loads(out.stdout.splitlines()[0])
    assert set(row) >= {"file", "mentions", "actors"}
    text = (REPO / "seeds/004_e5cf73b19b22fc82.txt").read_text(encoding="utf-8")
    assert row["mentions"]
    for m in row["mentions"]:
        assert text[m["start"] : m["end"]] == m["text"]
        assert set(m) >= {
            "start",
            "end",
            "text",
            "place_id",
            "name",
            "kind",
            "country",
            "lat",
            "lon",
            "literal",
            "confidence",
        }
    assert {"TUR", "RUS", "SYR-GOV"} <= set(row["actors"])


def test_gazetteer_check_cli(tmp_path):
    import os

    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,aliases,lat,lon,kind\nx1,Somewhere,,91,10,town\n", encoding="utf-8")
    res = run("gazetteer", "check", str(bad), env=dict(os.environ))
    assert res.returncode == 1
    assert f"{bad}:2:" in res.stderr and "lat" in res.stderr
    good = run("gazetteer", "check", env=dict(os.environ))
    assert good.returncode == 0, good.stderr
