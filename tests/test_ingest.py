"""Ingest: plain text and HTML pages, metadata, publication-anchored dates, idempotence."""

from __future__ import annotations

import datetime as dt
import gc

import pytest

from geomap.dates import find_date
from geomap.ingest import ingest_text, is_html, parse_published
from geomap.store import EventFilter, open_store

PAGE = """<!doctype html><html><head><title>Jets strike Idlib market</title>
<meta property="og:site_name" content="Example Wire">
<meta property="og:url" content="https://example.org/news/idlib-market">
<meta name="date" content="2024-07-04"></head>
<body><nav>Home | World | Sign in</nav><article><h1>Jets strike Idlib market</h1>
<p>Russian jets struck a market in Idlib on Wednesday, killing five civilians, according to
local rescuers who spoke to reporters at the scene of the attack.</p>
<p>Rescue teams were still searching the rubble late in the evening, the rescuers said,
as more strikes were reported on the outskirts of the city.</p></article>
<footer>Subscribe to our newsletter</footer></body></html>"""


@pytest.fixture
def store(tmp_path):
    return open_store(str(tmp_path / "ingest.db"))


def test_html_page_is_reduced_to_its_article_with_metadata(store, pipeline):
    assert is_html(PAGE) and not is_html("Shelling hit Daraa <b>today</b>.")
    [res] = ingest_text(store, pipeline, PAGE)
    assert res.created and res.title == "Jets strike Idlib market"
    [art] = store.list_articles()
    assert art["outlet"] == "Example Wire"
    assert art["url"] == "https://example.org/news/idlib-market"
    assert art["published"] == "2024-07-04"
    [event] = store.query_events(EventFilter(place=["Idlib"]))
    assert event["event_type"] == "airstrike_shelling"
    assert event["actors"] == ["RUS"]
    # "on Wednesday" in an article published on Thursday 2024-07-04 is 2024-07-03
    assert (event["date"], event["date_precision"]) == ("2024-07-03", "day")
    assert "Subscribe" not in store.article_mentions(art["id"]).__repr__()


def test_explicit_metadata_wins_and_ingest_is_idempotent(store, pipeline):
    text = "Turkish drones struck Qamishli on Monday, local sources said."
    first = ingest_text(
        store, pipeline, text, title="Drone strike", outlet="Wire", published="2024-05-08"
    )
    again = ingest_text(
        store, pipeline, text, title="Drone strike", outlet="Wire", published="2024-05-08"
    )
    assert first[0].created and not again[0].created
    assert first[0].article_id == again[0].article_id
    assert store.stats()["articles"] == 1
    [event] = store.query_events(EventFilter(place=["Qamishli"]))
    assert event["date"] == "2024-05-06"  # the Monday before Wednesday 2024-05-08
    undated = ingest_text(store, pipeline, "Turkish drones struck Amuda on Monday.")
    assert undated[0].created
    [event] = store.query_events(EventFilter(place=["Amuda"]))
    assert event["date"] is None  # no publication date: a relative date is not invented


def test_bad_published_date_is_rejected_with_a_message(store, pipeline):
    with pytest.raises(ValueError, match="published"):
        ingest_text(store, pipeline, "Clashes in Daraa.", published="last Tuesday")
    assert parse_published("2024-07-04T10:00:00Z") == dt.date(2024, 7, 4)
    assert store.stats()["articles"] == 0


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Strikes hit Idlib yesterday.", ("2024-11-13", "day")),
        ("Talks were held in Doha on Thursday.", ("2024-11-14", "day")),
        ("Talks were held in Doha on Friday.", ("2024-11-08", "day")),
        # opening the sentence
        ("On Tuesday, a drone struck Kobani.", ("2024-11-12", "day")),
        ("Yesterday, jets struck Idlib.", ("2024-11-13", "day")),
        ("Clashes erupted last week in Daraa.", ("2024-11", "month")),
        ("Last month, fighting spread to Sweida.", ("2024-10", "month")),
        ("Last year the base was expanded.", ("2023", "year")),
        ("In March, protests erupted in Sweida.", ("2024-03", "month")),
        ("In December, protests erupted in Sweida.", ("2023-12", "month")),
        ("They met on July 3, 2024 in Astana.", ("2024-07-03", "day")),
    ],
)
def test_relative_dates_resolve_against_publication(sentence, expected):
    assert find_date(sentence, dt.date(2024, 11, 14)) == expected  # a Thursday


def test_relative_dates_need_a_publication_date():
    assert find_date("Talks were held in Doha on Thursday.") == (None, None)
    assert find_date("In March, protests erupted in Sweida.") == (None, None)


def test_an_older_store_gains_new_columns_and_keeps_its_events(tmp_path, pipeline):
    import sqlite3

    db = tmp_path / "old.db"
    ingest_text(open_store(str(db)), pipeline, "Turkish drones struck Amuda.", title="Old")
    with sqlite3.connect(db) as conn:  # make it look like a store from before actor roles
        conn.execute("ALTER TABLE events DROP COLUMN roles")
        conn.execute("DROP TABLE alembic_version")  # (and from before migrations, then)
    assert "roles" not in [r[1] for r in sqlite3.connect(db).execute("PRAGMA table_info(events)")]
    store = open_store(str(db))
    [event] = store.query_events(EventFilter())
    assert event["place_name"] == "Amuda" and event["actor_roles"] == {}
    ingest_text(store, pipeline, "Turkish drones struck Qamishli.", title="New")
    assert store.stats()["events"] == 2


def _contents(store) -> tuple:
    """What a store holds, minus ingest times."""
    arts = [{k: v for k, v in a.items() if k != "ingested_at"} for a in store.list_articles()]
    evs = store.query_events(EventFilter(), limit=100_000)
    for e in evs:
        for s in e["sources"]:
            s.pop("ingested_at", None)
    mentions = [store.article_mentions(a["id"]) for a in arts]
    return arts, evs, mentions


def test_an_analysed_article_crosses_a_process_boundary_whole(pipeline, seeds_dir):
    """A parsing process pickles each article's analysis to the writer: its mentions,
    events and reports come back equal, field for field, and still share their mentions."""
    import pickle

    from geomap.ingest import analyse_text
    from geomap.pipeline import read_text

    analysed = analyse_text(pipeline, read_text(sorted(seeds_dir.glob("*.txt"))[0]))
    events = [ev for a in analysed for ev in a.events]
    assert events and any(ev.roles for ev in events)
    back = pickle.loads(pickle.dumps(analysed, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == analysed and back[0] is not analysed[0]
    for ev, was in zip([ev for a in back for ev in a.events], events, strict=True):
        assert (ev.sentence, ev.roles, ev.reports) == (was.sentence, was.roles, was.reports)
        assert (ev.mention is ev.reports[0].mention) == (was.mention is was.reports[0].mention)


def test_parallel_ingest_stores_what_serial_ingest_does(tmp_path, pipeline, seeds_dir):
    """Worker processes parse, this process writes in input order: the same store."""
    from geomap.ingest import ingest_many
    from geomap.pipeline import read_text

    seeds = [(read_text(p), str(p)) for p in sorted(seeds_dir.glob("*.txt"))]
    # enough texts for several tasks in flight and several tasks in one write: the seeds,
    # and each again under a dateline (another article, of the same events)
    items = seeds + [
        (f"AMMAN, day {i}.\n\n{text}", f"{src}#{i}") for i in range(8) for text, src in seeds
    ]
    items += items[:2]  # already stored: reported as such, stored once
    serial = open_store(str(tmp_path / "serial.db"))
    parallel = open_store(str(tmp_path / "parallel.db"))
    one = [r for rs in ingest_many(serial, pipeline, items, workers=1) for r in rs]
    two = [r for rs in ingest_many(parallel, pipeline, items, workers=2) for r in rs]
    assert one == two
    assert gc.get_freeze_count() == 0  # what the ingest froze is collectable again
    assert [r.created for r in two[-2:]] == [False, False]
    assert serial.stats() == parallel.stats() and serial.stats()["events"] > 0
    assert _contents(serial) == _contents(parallel)


def test_parallel_ingest_reads_its_input_as_it_goes(tmp_path, pipeline, seeds_dir):
    """A long input (a directory of a day's articles, a pipe) is not read whole before the
    first article is stored: a bounded number of texts is parsed ahead of the writes."""
    from geomap.ingest import ingest_many
    from geomap.pipeline import read_text

    text = read_text(sorted(seeds_dir.glob("*.txt"))[0])
    pulled = 0

    def items():
        nonlocal pulled
        for i in range(1000):
            pulled += 1
            yield f"{text}\n\nUpdate {i}.", None

    store = open_store(str(tmp_path / "lazy.db"))
    results = ingest_many(store, pipeline, items(), workers=2)
    first = next(results)
    assert first[0].created
    assert pulled <= 200  # a few tasks a worker, not the whole input
    results.close()  # the pool shuts down, and what was stored stays
    assert 0 < store.stats()["articles"] < 1000
