"""Ingest: text -> articles -> events -> store; shared by the CLI and POST /api/articles.

Plain text may hold several articles; an HTML page is reduced to its article text
and metadata (title, date, site name, URL) with trafilatura first. Explicit
metadata given by the caller wins over what the page says.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from geomap.events import Event, article_events
from geomap.geoparse import Mention, unresolved_candidates
from geomap.pipeline import ParsedArticle, Pipeline
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
    evs = [_shift(ev, base) for ev in article_events(pa, text, pipeline, day)]
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
    results = []
    for pa in parsed:
        art = pa.article
        body = given.text[art.start : art.end]
        name = given.title if given.title and len(parsed) == 1 else art.title
        found, evs = _analysis(pa, given.text, pipeline, day)
        aid, created = store.add_article(
            title=name,
            text=body,
            found=found,
            article_events=evs,
            url=given.url,
            outlet=given.outlet,
            published=day.isoformat() if day else None,
            source=source,
        )
        missing = unresolved_candidates(given.text, pa.mentions, art.spans())
        results.append(IngestResult(aid, name, created, len(evs), len(found), len(missing)))
    return results
