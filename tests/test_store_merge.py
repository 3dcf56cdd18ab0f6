"""Merging reports of one happening across articles: places within the merge distance
(geodesic, ``GEOMAP_MERGE_KM``) count as one place; the rest of the rule is
``geomap.events.same_event``."""

from __future__ import annotations

import pytest
from geopy.distance import geodesic

from geomap.events import Event, Report
from geomap.geoparse import Mention
from geomap.store import DEFAULT_MERGE_KM, EventFilter, merge_distance_km, open_store

TAFAS = (32.7356, 35.9669)
SENTENCE = "Government forces shelled the town on Monday, killing three people."


def _event(place_id: str, lat: float, lon: float, actors: list[str], date: str | None) -> Event:
    mention = Mention(0, 5, "Tafas", place_id, place_id, "town", "SY", lat, lon)
    report = Report(SENTENCE, 0, len(SENTENCE), mention, actors, date, "day" if date else None)
    return Event(mention, "airstrike_shelling", actors, date, "day" if date else None, [report])


def _add(store, title: str, *evs: Event) -> int:
    found = [e.mention for e in evs]
    return store.add_article(
        title=title, text=title + " " + SENTENCE, found=found, article_events=list(evs)
    )[0]


def _north(km: float) -> tuple[float, float]:
    point = geodesic(kilometers=km).destination(TAFAS, bearing=0)
    return point.latitude, point.longitude


@pytest.fixture
def store(tmp_path):
    return open_store(str(tmp_path / "merge.db"))


def test_reports_at_nearby_places_merge_and_far_ones_do_not(store):
    _add(store, "one", _event("sy.tafas", *TAFAS, ["SYR-GOV"], "2024-05-06"))
    _add(store, "two", _event("gn.tafas", *_north(DEFAULT_MERGE_KM * 0.6), ["SYR-GOV"], "2024-05"))
    _add(store, "three", _event("gn.far", *_north(DEFAULT_MERGE_KM * 1.5), ["SYR-GOV"], None))
    rows = store.query_events(EventFilter(), sort=[("id", False)])
    assert [r["source_count"] for r in rows] == [2, 1]
    merged, far = rows
    assert merged["place_id"] == "sy.tafas" and merged["date"] == "2024-05-06"
    assert [s["article_title"] for s in merged["sources"]] == ["one", "two"]
    assert far["place_id"] == "gn.far"


def test_incompatible_dates_and_same_article_events_stay_apart(store):
    _add(store, "one", _event("sy.tafas", *TAFAS, ["SYR-GOV"], "2024-05-06"))
    _add(store, "two", _event("sy.tafas", *TAFAS, ["SYR-GOV"], "2024-06"))
    both = _event("sy.tafas", *TAFAS, ["SYR-GOV"], None)
    _add(store, "three", both, _event("sy.tafas", *TAFAS, ["SYR-GOV"], None))
    counts = [r["source_count"] for r in store.query_events(EventFilter(), sort=[("id", False)])]
    # three's first event joins one (the first compatible event); its second cannot join an
    # event three already reports, so it joins two
    assert counts == [2, 2]
    assert store.stats()["reports"] == 4


def test_a_report_joins_the_candidate_that_shares_most_actors(store):
    # an archive caption's "U.S. soldiers" (2018) and the story's handover (2026): an undated
    # report of the handover fits both by the rule, and joins the one with both parties
    _add(store, "caption", _event("sy.tafas", *TAFAS, ["USA"], "2018-10-22"))
    _add(store, "handover", _event("sy.tafas", *TAFAS, ["SYR-GOV", "USA"], "2026-02-12"))
    _add(store, "undated", _event("sy.tafas", *TAFAS, ["SYR-GOV", "USA"], None))
    rows = store.query_events(EventFilter(), sort=[("id", False)])
    assert [r["source_count"] for r in rows] == [1, 2]
    assert [s["article_title"] for s in rows[1]["sources"]] == ["handover", "undated"]


def test_merge_distance_setting(monkeypatch, store):
    assert merge_distance_km("") == DEFAULT_MERGE_KM and merge_distance_km("0.5") == 0.5
    for bad in ("-1", "far", "nan", "inf"):
        with pytest.raises(ValueError, match="GEOMAP_MERGE_KM"):
            merge_distance_km(bad)
    monkeypatch.setenv("GEOMAP_MERGE_KM", "0")
    _add(store, "one", _event("sy.tafas", *TAFAS, ["SYR-GOV"], None))
    _add(store, "two", _event("gn.tafas", *_north(0.2), ["SYR-GOV"], None))
    _add(store, "three", _event("sy.tafas", *TAFAS, ["SYR-GOV"], None))
    assert [r["source_count"] for r in store.query_events(EventFilter())] == [2, 1]


def test_articles_written_in_one_transaction_merge_and_commit_together(store, tmp_path):
    """An ingest writes the articles its workers have ready in one :meth:`Store.writing`
    transaction: they merge with each other as if written one by one, and a reader sees
    them all at the commit, none before."""
    reader = open_store(str(tmp_path / "merge.db"))
    with store.writing() as conn:
        for title in ("one", "two"):
            ev = _event("sy.tafas", *TAFAS, ["SYR-GOV"], "2024-05-06")
            store.add_article(
                title=title,
                text=title + " " + SENTENCE,
                found=[ev.mention],
                article_events=[ev],
                conn=conn,
            )
        assert reader.stats()["articles"] == 0
    assert [r["source_count"] for r in reader.query_events(EventFilter())] == [2]


def test_a_failed_transaction_stores_none_of_its_articles(store):
    _add(store, "before", _event("sy.tafas", *TAFAS, ["SYR-GOV"], None))
    with pytest.raises(RuntimeError), store.writing() as conn:
        ev = _event("sy.tafas", *TAFAS, ["SYR-GOV"], None)
        store.add_article(
            title="lost",
            text="lost " + SENTENCE,
            found=[ev.mention],
            article_events=[ev],
            conn=conn,
        )
        raise RuntimeError("the write after it failed")
    assert store.stats() == {"articles": 1, "events": 1, "mentions": 1, "reports": 1}
    assert [s["article_title"] for s in store.query_events(EventFilter())[0]["sources"]] == [
        "before"
    ]
