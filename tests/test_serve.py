"""`geomap serve` with its default worker processes: every worker sees a write at once
(each keeps its own response cache, valid for one version of the store)."""

from __future__ import annotations

import argparse
import os

import httpx
import pytest
from support import serve
from test_reload import HEADER, PLACE, TEXT

from geomap.cli import _workers

TOKEN = "serve-token"
ARTICLE = {
    "title": "Shelling in Daraa",
    "text": "Government forces shelled Daraa on Monday, killing three civilians.",
}


def test_workers_option():
    assert _workers("1") == 1 and _workers("3") == 3
    for bad in ("0", "-1", "two", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="number of processes"):
            _workers(bad)


def test_every_worker_answers_with_the_latest_write(tmp_path, pipeline):
    # ``pipeline`` has built the gazetteer cache the workers load (not each its own, at once)
    env = {**os.environ, "GEOMAP_DB": str(tmp_path / "serve.db"), "GEOMAP_API_TOKEN": TOKEN}
    env.pop("GEOMAP_RESPONSE_CACHE", None)
    items = "/collections/events/items?limit=100"
    with serve(env, tmp_path / "serve.log") as url, httpx.Client(base_url=url) as http:
        # new connections spread over the workers: each one caches the empty answer
        for _ in range(8):
            with httpx.Client(base_url=url) as one:
                assert one.get(items).json()["numberReturned"] == 0
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert http.post("/api/articles", json=ARTICLE, headers=auth).status_code == 201
        for _ in range(8):
            with httpx.Client(base_url=url) as one:
                page = one.get(items).json()
                assert page["numberReturned"] == page["numberMatched"] >= 1


def test_a_gazetteer_reload_reaches_every_worker(tmp_path, pipeline):
    """The reload is answered by one worker; the others follow at their next request."""
    text = {"text": TEXT}
    user_file = tmp_path / "extra.csv"
    user_file.write_text(HEADER, encoding="utf-8")
    env = {
        **os.environ,
        "GEOMAP_DB": str(tmp_path / "serve.db"),
        "GEOMAP_API_TOKEN": TOKEN,
        "GEOMAP_GAZETTEER": str(user_file),
        "GEOMAP_CACHE": str(tmp_path / "cache"),  # this test's reloads stay its own
    }

    def names(url: str) -> set[tuple[str, ...]]:
        """What the workers answer, over new connections (spread over the workers)."""
        out = set()
        for _ in range(8):
            with httpx.Client(base_url=url, timeout=60) as one:
                parsed = one.post("/api/parse", json=text).json()
                out.add(tuple(m["name"] for m in parsed["mentions"]))
        return out

    with serve(env, tmp_path / "serve.log") as url, httpx.Client(base_url=url) as http:
        assert names(url) == {()}  # every worker has loaded the gazetteer without the village
        user_file.write_text(HEADER + PLACE, encoding="utf-8")
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert http.post("/api/gazetteer/reload", headers=auth, timeout=120).status_code == 200
        assert names(url) == {("Khirbet Zubaydiya",)}
