"""Ingest: text -> articles -> events -> store; shared by the CLI and POST /api/articles."""

from __future__ import annotations

from dataclasses import dataclass, replace

from geomap.events import Event, article_events
from geomap.pipeline import Pipeline
from geomap.store import Store


@dataclass
class IngestResult:
    """What one article of an ingested text became."""

    article_id: int
    title: str
    created: bool
    events: int
    mentions: int
    unresolved: int = 0


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
    """Parse every article in ``text`` and store it (idempotent on content)."""
    parsed = pipeline.parse_articles(text)
    results = []
    for pa in parsed:
        art = pa.article
        body = text[art.start : art.end]
        name = title if title and len(parsed) == 1 else art.title
        evs = [_shift(ev, art.start) for ev in article_events(pa, text, pipeline)]
        found = [replace(m, start=m.start - art.start, end=m.end - art.start) for m in pa.mentions]
        aid, created = store.add_article(
            title=name,
            text=body,
            body=body,
            found=found,
            article_events=evs,
            url=url,
            outlet=outlet,
            published=published,
            source=source,
        )
        results.append(IngestResult(aid, name, created, len(evs), len(found)))
    return results
