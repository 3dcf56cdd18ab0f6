"""The pipeline object the CLI, the server and the library share (text -> mentions -> actors).

Loading the gazetteer and the actor list is the costly part, so one
:class:`Pipeline` is built per process and reused; :func:`default_pipeline`
returns that shared instance.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

from geomap.actors import ActorHit, ActorIndex
from geomap.articles import Article, split_articles
from geomap.gazetteer import Gazetteer
from geomap.geoparse import Geoparser, Mention
from geomap.matching import padded


@dataclass
class ParsedArticle:
    """One article of a text with its mentions and actor phrases (offsets into the text)."""

    article: Article
    folded: str  # the whole text as the matchers read it (matching.padded), for later stages
    mentions: list[Mention] = field(default_factory=list)
    actor_hits: list[ActorHit] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)


class Pipeline:
    """Gazetteer + geoparser + actor index, built once and shared."""

    def __init__(self, gazetteer: Gazetteer | None = None, actors: ActorIndex | None = None):
        self.gazetteer = gazetteer or Gazetteer.load()
        self.actors = actors or ActorIndex.load()
        self.geoparser = Geoparser(self.gazetteer, organs=self.actors.phrases())

    def parse_articles(self, text: str) -> list[ParsedArticle]:
        """Split ``text`` into articles and parse each body (boilerplate excluded)."""
        folded = padded(text)
        all_hits = self.actors.find(text, folded)  # in text order
        starts = [h.start for h in all_hits]
        out = []
        for art in split_articles(text):
            spans = art.spans()
            mentions = self.geoparser.parse(text, spans, folded)
            near = spanned(all_hits, starts, art.start, art.end)
            hits = [h for h in near if any(a <= h.start and h.end <= b for a, b in spans)]
            actors = self.article_actors(mentions, hits)
            out.append(ParsedArticle(art, folded, mentions, hits, actors))
        return out

    def parse(self, text: str) -> list[Mention]:
        """Every place mention in ``text`` (all its articles), in text order."""
        return [m for pa in self.parse_articles(text) for m in pa.mentions]

    def mention_actors(self, mentions: list[Mention], *, metonymic_only: bool = False) -> list[str]:
        """Actor codes that place mentions stand for: metonymic capitals and countries, and
        (for an article's cast, unless ``metonymic_only``) every state it names."""
        codes = []
        for m in mentions:
            if not m.literal or (m.kind == "country" and not metonymic_only):
                code = self.actors.by_country.get(m.country or "")
                if code:
                    codes.append(code)
        return codes

    def article_actors(self, mentions: list[Mention], hits: list[ActorHit]) -> list[str]:
        """The sorted set of actors an article names."""
        return sorted({h.code for h in hits} | set(self.mention_actors(mentions)))


def spanned(items: list, starts: list[int], s: int, e: int) -> list:
    """The items (mentions, actor hits: in text order, ``starts`` their offsets) that lie
    within ``[s, e)``, found by bisection: an article's, a sentence's."""
    return [
        x
        for x in items[bisect.bisect_left(starts, s) : bisect.bisect_left(starts, e)]
        if x.end <= e
    ]


_DEFAULT: Pipeline | None = None


def default_pipeline() -> Pipeline:
    """The process-wide pipeline over the default gazetteer files."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Pipeline()
    return _DEFAULT


def reset_default_pipeline(pipeline: Pipeline | None = None) -> None:
    """Replace the shared pipeline (after a gazetteer reload)."""
    global _DEFAULT
    _DEFAULT = pipeline


def read_text(path: str | Path) -> str:
    """Read a text file as UTF-8 without newline translation (offsets stay exact)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()
