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


def _event(
    place_id: str,
    lat: float,
    lon: float,
    actors: list[str],
    date: str | None,
    etype: str = "airstrike_shelling",
    sentence: str = SENTENCE,
    **place,
) -> Event:
    """An event reported in one sentence; ``place``: more of its mention's fields (kind,
    admin1, geo_precision)."""
    mention = Mention(0, 5, "Tafas", place_id, place_id, "town", "SY", lat, lon)
    for field, value in place.items():
        setattr(mention, field, value)
    report = Report(sentence, 0, len(sentence), mention, actors, date, "day" if date else None)
    return Event(mention, etype, actors, date, "day" if date else None, [report])


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


def test_at_a_village_an_undated_report_naming_no_one_joins_a_dated_one(store):
    # the place's kind comes from the report's mention: a village holds few happenings
    fight = dict(etype="battle", kind="village")
    _add(store, "dated", _event("sy.walgha", *TAFAS, [], "2026-02-11", **fight))
    _add(store, "undated", _event("sy.walgha", *TAFAS, [], None, sentence="Clashes.", **fight))
    # a town holds more: the same reports there stay two events (worded apart)
    town = _north(30)
    _add(store, "town", _event("sy.tafas", *town, [], "2026-02-11", "battle", "Clashes hit."))
    _add(store, "town again", _event("sy.tafas", *town, [], None, "battle", "A gunfight."))
    rows = store.query_events(EventFilter(), sort=[("id", False)])
    assert [r["source_count"] for r in rows] == [2, 1, 1]
    assert rows[0]["date"] == "2026-02-11"


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


# -- one happening told at two precisions ------------------------------------------------
DARAA = ("sy.gov.daraa", 32.61889, 36.10213)
NAWA = ("sy.nawa", 32.8907, 36.0427)
IN_DARAA = dict(admin1="Daraa Governorate")
GOVERNORATE = dict(kind="governorate", geo_precision=3, **IN_DARAA)
TALKALAKH_AREA = dict(kind="town", geo_precision=2, admin1="Homs Governorate")  # its countryside
AL_ZARA = ("sy.al_zara", 34.745, 36.305)  # 9.5 km from Talkalakh
HOMS = ("sy.homs", 34.7324, 36.7137)  # 42 km from it


def _places(store) -> list[tuple[str, int]]:
    return [
        (r["place_id"], r["source_count"])
        for r in store.query_events(EventFilter(), sort=[("id", False)])
    ]


@pytest.mark.parametrize("governorate_first", [True, False])
def test_a_governorate_report_joins_a_village_report_of_the_day_at_the_village(
    store, governorate_first
):
    province = _event(*DARAA, ["ISR"], "2026-02-15", **GOVERNORATE)
    village = _event(*NAWA, ["ISR"], "2026-02-15", **IN_DARAA)
    first, second = (province, village) if governorate_first else (village, province)
    _add(store, "first", first)
    _add(store, "second", second)
    assert _places(store) == [("sy.nawa", 2)]
    (row,) = store.query_events(EventFilter())
    assert (row["lat"], row["lon"], row["geo_precision"]) == (*NAWA[1:], 1)
    # the spatial index moved with the event: found around the village, not the city
    near_nawa = (NAWA[2] - 0.05, NAWA[1] - 0.05, NAWA[2] + 0.05, NAWA[1] + 0.05)
    near_daraa = (DARAA[2] - 0.05, DARAA[1] - 0.05, DARAA[2] + 0.05, DARAA[1] + 0.05)
    assert store.count_events(EventFilter(bbox=near_nawa)) == 1
    assert store.count_events(EventFilter(bbox=near_daraa)) == 0


@pytest.mark.parametrize(
    ("date", "etype", "village"),
    [
        (None, "airstrike_shelling", IN_DARAA),  # undated: the governorate holds many
        ("2026-02-15", "military_presence", IN_DARAA),  # a lasting state
        # a place the gazetteer puts in another governorate is not in this one's area
        ("2026-02-15", "airstrike_shelling", {"admin1": "Quneitra Governorate"}),
    ],
)
def test_area_reports_stay_apart_undated_for_a_lasting_state_or_outside_the_area(
    store, date, etype, village
):
    province = _event(*DARAA, ["ISR"], date, etype, "Israel hit Daraa.", **GOVERNORATE)
    _add(store, "province", province)
    _add(store, "village", _event(*NAWA, ["ISR"], date, etype, "Jets struck Nawa.", **village))
    assert _places(store) == [("sy.gov.daraa", 1), ("sy.nawa", 1)]


def test_a_settlements_area_holds_the_villages_near_it(store):
    countryside = _event(
        "sy.talkalakh",
        34.66842,
        36.25995,
        ["SYR-GOV"],
        "2026-02-16",
        etype="battle",
        **TALKALAKH_AREA,
    )
    _add(store, "countryside", countryside)
    _add(store, "far", _event(*HOMS, ["SYR-GOV"], "2026-02-16", etype="battle"))
    _add(store, "village", _event(*AL_ZARA, ["SYR-GOV"], "2026-02-16", etype="battle"))
    assert _places(store) == [("sy.al_zara", 2), ("sy.homs", 1)]


def test_an_articles_report_at_a_place_joins_before_its_report_of_the_area(store):
    """The article's "strikes in Daraa province" comes first but must not claim the
    Nawa event its "jets hit Nawa" joins: an article's reports stay distinct events."""
    _add(store, "one", _event(*NAWA, ["ISR"], "2026-02-15", sentence="Jets hit Nawa.", **IN_DARAA))
    province = _event(*DARAA, ["ISR"], "2026-02-15", sentence="Strikes in Daraa.", **GOVERNORATE)
    village = _event(*NAWA, ["ISR"], "2026-02-15", sentence="Jets struck Nawa.", **IN_DARAA)
    _add(store, "two", province, village)
    rows = store.query_events(EventFilter(), sort=[("id", False)])
    assert [(r["place_id"], r["source_count"]) for r in rows] == [
        ("sy.nawa", 2),
        ("sy.gov.daraa", 1),
    ]
    assert [s["sentence"] for s in rows[0]["sources"]] == ["Jets hit Nawa.", "Jets struck Nawa."]


@pytest.mark.parametrize("dated", [False, True])
@pytest.mark.parametrize("governorate", [False, True])
def test_area_candidates_walk_their_index_back_without_sorting(store, dated, governorate):
    """The area candidates are the newest few of a type in a governorate: SQLite reads
    them off ``ix_events_region_type`` (migration 0003) from the newest, whatever the
    store's size, instead of sorting every event of the governorate."""
    query = store._writes.area_candidates[dated, governorate]
    values = {"region": "Daraa Governorate", "type": "battle", "precision": 1, "date": "2026"}
    with store.engine.connect() as conn:
        cursor = conn.connection.cursor()
        plan = [
            row[-1]
            for row in cursor.execute("EXPLAIN QUERY PLAN " + query.sql, query._args(values))
        ]
    assert any("ix_events_region_type" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
