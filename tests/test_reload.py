"""Gazetteer reload: edited files are picked up without a restart, invalid ones are
refused with file:line errors while the old gazetteer stays, and the store follows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geomap.api import create_app
from geomap.ingest import ingest_text
from geomap.store import EventFilter, open_store

HEADER = "id,name,aliases,lat,lon,kind,country,admin1,population,geonameid,source\n"
TEXT = "Government shelling hit Khirbet Zubaydiya on Monday, killing three people."
PLACE = "test.zubaydiya,Khirbet Zubaydiya,,35.5,36.9,village,SY,Idlib Governorate,,,test\n"


@pytest.fixture
def user_file(tmp_path, monkeypatch):
    path = tmp_path / "extra.csv"
    path.write_text(HEADER, encoding="utf-8")
    monkeypatch.setenv("GEOMAP_GAZETTEER", str(path))
    return path


def test_reload_through_the_api_follows_the_file_and_refuses_bad_rows(
    tmp_path, pipeline, user_file, monkeypatch
):
    store = open_store(str(tmp_path / "r.db"))
    ingest_text(store, pipeline, TEXT, title="Shelling")
    assert store.query_events(EventFilter()) == []  # the village is unknown
    client = TestClient(create_app(store, pipeline))
    monkeypatch.setenv("GEOMAP_API_TOKEN", "tok")
    auth = {"Authorization": "Bearer tok"}
    assert client.post("/api/gazetteer/reload").status_code == 401

    user_file.write_text(HEADER + PLACE, encoding="utf-8")
    resp = client.post("/api/gazetteer/reload", headers=auth)
    assert resp.status_code == 200, resp.text
    assert resp.json()["articles"] == 1
    [event] = store.query_events(EventFilter())
    assert event["place_name"] == "Khirbet Zubaydiya"
    assert (event["lat"], event["lon"]) == (35.5, 36.9)
    assert event["event_type"] == "airstrike_shelling"
    parsed = client.post("/api/parse", json={"text": TEXT}).json()
    assert [m["name"] for m in parsed["mentions"]] == ["Khirbet Zubaydiya"]

    user_file.write_text(
        HEADER + PLACE + "test.bad,Badplace,,95,36,village,SY,,,,test\n", encoding="utf-8"
    )
    refused = client.post("/api/gazetteer/reload", headers=auth)
    assert refused.status_code == 422
    errors = refused.json()["detail"]["errors"]
    assert errors == [f"{user_file}:3: lat '95' is outside [-90, 90]"]
    # the previous gazetteer stays in use and the store is untouched
    parsed = client.post("/api/parse", json={"text": TEXT}).json()
    assert [m["name"] for m in parsed["mentions"]] == ["Khirbet Zubaydiya"]
    assert len(store.query_events(EventFilter())) == 1


def test_reload_cli_regeocodes_the_local_store(tmp_path, pipeline, user_file):
    db = tmp_path / "cli.db"
    ingest_text(open_store(str(db)), pipeline, TEXT, title="Shelling")
    geomap = str(Path(sys.executable).parent / "geomap")
    env = {**os.environ, "GEOMAP_DB": str(db)}
    user_file.write_text(HEADER + PLACE, encoding="utf-8")
    done = subprocess.run(
        [geomap, "gazetteer", "reload"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "re-geocoded 1 article(s)" in done.stdout
    assert [e["place_name"] for e in open_store(str(db)).query_events(EventFilter())] == [
        "Khirbet Zubaydiya"
    ]
    user_file.write_text(HEADER + "x,,,1,2,town,SY,,,,\n", encoding="utf-8")
    bad = subprocess.run(
        [geomap, "gazetteer", "reload"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert bad.returncode == 1 and f"{user_file}:2:" in bad.stderr
    assert len(open_store(str(db)).query_events(EventFilter())) == 1
