"""Ingest: text -> articles -> events -> store; shared by the CLI and POST /api/articles.

Plain text may hold several articles; an HTML page is reduced to its article text
and metadata (title, date, site name, URL) with trafilatura first. Explicit
metadata given by the caller wins over what the page says.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import itertools
import multiprocessing as mp
import os
import re
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

from sqlalchemy.engine import Connection

from geomap.events import Event, article_events
from geomap.geoparse import Mention, unresolved_candidates
from geomap.pipeline import ParsedArticle, Pipeline
from geomap.records import pickled_as_fields
from geomap.store import Store

_HTML = re.compile(r"^\s*(?:<!doctype html|<html|<head|<body|<article|<p[ >])", re.IGNORECASE)


@dataclass
class IngestResult:
    """What one article of an ingested text became."""

    article_id: int
    title: str
    created: bool
    events: int
    mentions: int
    unresolved: int  # place-like names after cues ("the town of X") the gazetteer lacks


@dataclass
class Source:
    """Article text with the metadata that came with it."""

    text: str
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    published: str | None = None


def is_html(text: str) -> bool:
    """Whether ``text`` is an HTML page or fragment rather than plain text."""
    return bool(_HTML.match(text))


def from_html(html: str) -> Source:
    """The article text and metadata of an HTML page (trafilatura)."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True)
    if doc is None or not (doc.text or "").strip():
        raise ValueError("no article text found in the HTML")
    return Source(
        text=doc.text, title=doc.title, url=doc.url, outlet=doc.sitename, published=doc.date
    )


def parse_published(value: str | None) -> dt.date | None:
    """An ISO date (or datetime) string as a date; ValueError with a message otherwise."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"published {value!r} is not an ISO date (YYYY-MM-DD)") from None


def _shift(ev: Event, base: int) -> Event:
    """Make an event's offsets relative to its article's stored text."""
    reps = [
        replace(
            r,
            sentence_start=r.sentence_start - base,
            sentence_end=r.sentence_end - base,
            mention=replace(r.mention, start=r.mention.start - base, end=r.mention.end - base),
        )
        for r in ev.reports
    ]
    return replace(ev, reports=reps, mention=reps[0].mention)


def _analysis(
    pa: ParsedArticle, text: str, pipeline: Pipeline, day: dt.date | None
) -> tuple[list[Mention], list[Event]]:
    """An article's mentions and events with offsets relative to its own stored text."""
    base = pa.article.start
    evs = article_events(pa, text, pipeline, day)
    if not base:  # the text's first article: its offsets are the stored text's already
        return pa.mentions, evs
    evs = [_shift(ev, base) for ev in evs]
    found = [replace(m, start=m.start - base, end=m.end - base) for m in pa.mentions]
    return found, evs


def reanalyse_store(store: Store, pipeline: Pipeline) -> int:
    """Re-geocode every stored article with ``pipeline`` (after a gazetteer change), so
    the map follows the gazetteer; returns the number of articles."""

    def analyse(row: dict) -> tuple[list[Mention], list[Event]]:
        day = parse_published(row["published"])
        found: list[Mention] = []
        evs: list[Event] = []
        for pa in pipeline.parse_articles(row["text"]):  # offsets are already the stored text's
            found += pa.mentions
            evs += article_events(pa, row["text"], pipeline, day)
        return found, evs

    return store.reanalyse(analyse)


@pickled_as_fields
@dataclass
class Analysed:
    """One article of a text, parsed and ready to store (picklable: made in a worker)."""

    title: str
    text: str
    found: list[Mention]
    events: list[Event]
    url: str | None
    outlet: str | None
    published: str | None
    unresolved: int


def analyse_text(
    pipeline: Pipeline,
    text: str,
    *,
    title: str | None = None,
    url: str | None = None,
    outlet: str | None = None,
    published: str | None = None,
) -> list[Analysed]:
    """Parse every article in ``text`` (plain text or HTML): the store-free half of
    :func:`ingest_text`, which worker processes run in parallel."""
    given = Source(text, title, url, outlet, published)
    if is_html(text):
        page = from_html(text)
        given = Source(
            page.text,
            title or page.title,
            url or page.url,
            outlet or page.outlet,
            published or page.published,
        )
    day = parse_published(given.published)
    parsed = pipeline.parse_articles(given.text)
    out = []
    for pa in parsed:
        art = pa.article
        found, evs = _analysis(pa, given.text, pipeline, day)
        out.append(
            Analysed(
                title=given.title if given.title and len(parsed) == 1 else art.title,
                text=given.text[art.start : art.end],
                found=found,
                events=evs,
                url=given.url,
                outlet=given.outlet,
                published=day.isoformat() if day else None,
                unresolved=len(unresolved_candidates(given.text, pa.mentions, art.spans())),
            )
        )
    return out


def store_analysed(
    store: Store, analysed: list[Analysed], source: str | None, conn: Connection | None = None
) -> list[IngestResult]:
    """Store the articles :func:`analyse_text` made, idempotently (each in a transaction of
    its own, or all in ``conn``, a :meth:`Store.writing` transaction)."""
    results = []
    for a in analysed:
        aid, created = store.add_article(
            title=a.title,
            text=a.text,
            found=a.found,
            article_events=a.events,
            url=a.url,
            outlet=a.outlet,
            published=a.published,
            source=source,
            conn=conn,
        )
        results.append(
            IngestResult(aid, a.title, created, len(a.events), len(a.found), a.unresolved)
        )
    return results


def ingest_text(
    store: Store,
    pipeline: Pipeline,
    text: str,
    *,
    source: str | None = None,
    title: str | None = None,
    url: str | None = None,
    outlet: str | None = None,
    published: str | None = None,
) -> list[IngestResult]:
    """Parse every article in ``text`` (plain text or HTML) and store it, idempotently."""
    meta = {"title": title, "url": url, "outlet": outlet, "published": published}
    return store_analysed(store, analyse_text(pipeline, text, **meta), source)


_WORKER_PIPELINE: Pipeline | None = None


def _worker_init(pipeline: Pipeline, parent: int) -> None:
    """Hold the pipeline, and end with the ingest process: a parsing worker outlives a
    ``kill -9`` of its parent otherwise, blocked on the task queue for ever."""
    global _WORKER_PIPELINE
    _WORKER_PIPELINE = pipeline
    if sys.platform == "linux":
        PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _worker_analyse(texts: list[str]) -> list[list[Analysed]]:
    assert _WORKER_PIPELINE is not None
    return [analyse_text(_WORKER_PIPELINE, text) for text in texts]


TASK_TEXTS = 8
"""Texts a parsing process gets at once: each task costs the writing process a few
hundred microseconds of queue and pickling work, as much as writing an article."""
WRITE_BATCH = 4
"""At most this many tasks' articles go into one write transaction of an ingest."""


def ingest_many(
    store: Store,
    pipeline: Pipeline,
    items: Iterable[tuple[str, str | None]],
    *,
    workers: int | None = None,
) -> Iterator[list[IngestResult]]:
    """Ingest ``(text, source)`` pairs, yielding each one's results in order.

    Parsing is CPU-bound Python, so ``workers`` processes (default: the usable cores)
    parse while this process alone writes to the store (SQLite has one writer). Workers
    are forked and share the loaded pipeline; the stored result is the serial one's."""
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if workers <= 1 or "fork" not in mp.get_all_start_methods():
        for text, source in items:
            yield ingest_text(store, pipeline, text, source=source)
        return
    pipeline.gazetteer.unpack()
    pending: deque = deque()
    # tasks in flight, topped up before each write: while this process writes a batch,
    # each worker still has about a batch's time of work queued (with a third of this,
    # submitted only between writes, the cores idled a tenth of the ingest)
    in_flight = WRITE_BATCH + 4 * workers
    ctx = mp.get_context("fork")
    # what is loaded now (the pipeline above all) outlives the ingest: the collector
    # leaves it alone while it runs, in this process and in the forked workers, whose
    # collections would otherwise touch, and so copy, every page they share with it
    gc.freeze()
    try:
        with ProcessPoolExecutor(
            workers, ctx, initializer=_worker_init, initargs=(pipeline, os.getpid())
        ) as pool:
            it = iter(items)
            tasks = iter(lambda: list(itertools.islice(it, TASK_TEXTS)), [])
            while True:
                for task in itertools.islice(tasks, in_flight - len(pending)):
                    texts, sources = zip(*task, strict=True)
                    pending.append((pool.submit(_worker_analyse, list(texts)), sources))
                if not pending:
                    break
                yield from _store_ready(store, pending)
    finally:
        gc.unfreeze()


def _store_ready(store: Store, pending: deque) -> list[list[IngestResult]]:
    """Write the analyses of the tasks at the head of ``pending`` that are ready (the first
    one waited for) in one transaction; their results, in order, once it has committed.
    A failed write loses nothing stored before: the transaction rolls back whole, and an
    ingest run again stores what it holds."""
    ready = []
    for n in range(WRITE_BATCH):
        if not pending or (n and not pending[0][0].done()):
            break
        future, sources = pending.popleft()
        ready += zip(future.result(), sources, strict=True)
    with store.writing() as conn:
        return [store_analysed(store, analysed, source, conn) for analysed, source in ready]
