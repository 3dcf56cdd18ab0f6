"""Geoparsing: text -> place mentions resolved to gazetteer entries.

One pass of the gazetteer automaton over the folded text finds every known
spelling; a second pass tries capitalised phrases the lists lack through the
transliteration key and a bounded fuzzy match. Each candidate is then checked
(capitalisation, stop words, organisation names), resolved with context
(country focus, nearby places, "X province" / "city of X" cues, population) and
flagged literal or metonymic ("Moscow insists").
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from geomap.articles import split_articles
from geomap.gazetteer import PRECISION, SETTLEMENT_KINDS, TOWN_KINDS, Gazetteer, Place, world_config
from geomap.matching import build_automaton, iter_hits, longest_first, padded, phrase_key
from geomap.normalize import ARTICLES, name_key
from geomap.records import pickled_as_fields

DATA_DIR = Path(__file__).resolve().parent / "data"
_CAP_PHRASE = re.compile(  # the lookahead (implied by the rest) lets re skip ahead fast
    r"(?=[A-Zae])(?:\b(?:[Aa]l|[Ee]l)[-‐ ]|\b(?:[Aa][rstdzn]|[Aa]sh)[-‐])?\b[A-Z][\w’'ʼ-]*"
    r"(?:[ -](?:(?:al|el|ad|as|ash|az|ar|at|an|ez|es|ed|bin|ibn|de)[- ])?[A-Z][\w’'ʼ-]*){0,3}"
)
_POSSESSIVE_END = re.compile(r"[’']s?$")
_POSSESSIVE_GAP = re.compile(r"[’']s?\s+(?:(?:[a-z]+ern|central)\s+)?")  # "Syria's northern"


def owns_place(text: str, m: Mention, after: Mention | None) -> bool:
    """Whether a country's or a city's possessive names a place inside it ("Syria's Idlib
    province", "Damascus's Mezzeh district"): territory. "Russia's Hmeimim airbase", in
    Syria, is Russia's as a state."""
    return (
        after is not None
        and after.country == m.country
        and bool(_POSSESSIVE_GAP.fullmatch(text, m.end, after.start))
    )


_DEMONYM = re.compile(r"(?:ians?|ish|ese|eans?)$")  # "Syrians", "Turkish": not places
FUZZY_MIN_LEN = 7
_CUE_WORD = re.compile(r"[\w'’]+")
_ARTICLE_THEN = re.compile(r"(\w+)[-‐ ]+(\w)")
_NEXT_NAME = re.compile(r"[ -]([A-Z][\w’'-]+)")
_PREV_NAME = re.compile(r"([A-Z][\w’'-]+)[ -]$")
_HEAD_AFTER = re.compile(r"[’']?\s+([A-Za-z][\w ]*)")
_HEAD_AFTER_SKIP = re.compile(r"[’']?\s+[A-Z]\w*\s+([A-Za-z][\w ]*)")  # "Doha International Forum"
_LIST_SEP = re.compile(r",\s*|\s+and\s+|,\s+and\s+")
_PRO_ANTI = re.compile(r"\b(?:pro|anti)-$")
_COMMA = re.compile(r",\s*")
_VERB_RIGHT_AFTER = re.compile(r"\s+(?:also\s+|has\s+|have\s+)?(\w+)")
_VERB_AFTER = re.compile(  # "X insists", "X, meanwhile, says", "X and Y also vied"
    r"\s*(?:,\s*)?(?:and\s+[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?\s+)?(?:also\s+|has\s+|have\s+)?(\w+)"
)
# "Saudi and Jordanian officials", "a Saudi-Syrian forum": the joiner, then the word
_WORD_NEXT = re.compile(r"(?:\s+(?:(and|or)\s+)?|(-))([A-Za-z][\w-]*)")
_LAST_WORD = re.compile(r"(\w+)\s+$")
_LOWER_WORD = re.compile(r"[a-z]{3,}")
_WORDISH = re.compile(r"[\w'’-]")  # what may not touch a word on either side
FUZZY_CUTOFF = 90


@pickled_as_fields
@dataclass(slots=True)
class Mention:
    """A place mention: a span of the text and the place it resolves to."""

    start: int
    end: int
    text: str
    place_id: str
    name: str
    kind: str
    country: str | None
    lat: float
    lon: float
    literal: bool = True
    confidence: float = 1.0
    reason: str = ""
    admin1: str | None = None
    geo_precision: int = 1

    def to_dict(self, explain: bool = True) -> dict:
        """The JSON shape of DESIGN.md plus ``admin1`` and ``geo_precision``; ``reason`` (how
        it was resolved) only when ``explain``."""
        out = asdict(self)
        if not explain:
            del out["reason"]
        return out


@dataclass(frozen=True, slots=True)
class _Candidates:
    """A hit's candidate places as the resolution rules see them."""

    country: Place  # the country among them, else the first (see Geoparser._territories)
    sole_country: str | None  # the one country all non-country candidates lie in
    admin1: str | None  # the governorate of a lone candidate
    governorates: tuple[str, ...]  # names of the governorates among them
    curated: bool  # whether a curated file knows the name


def _context() -> dict:
    return json.loads((DATA_DIR / "context.json").read_text(encoding="utf-8"))


def _alternation(words: list[str]) -> str:
    """A regex alternation of literal phrases, longest first."""
    alts = sorted((re.escape(w) for w in words), key=len, reverse=True)
    return "|".join(alts) if alts else "(?!)"


# "the Sinjar district along the border with Syria": the country across it, not the
# country of the places around it
_NEIGHBOUR = re.compile(r"\bborders?\s+with\s+(?:the\s+)?$", re.IGNORECASE)
_APPOSED = re.compile(r",\s+")  # between a place and the country it lies in
# between a part of a town and the town: "al-Qusour, a neighborhood of Baniyas", "the
# al-Qusour neighbourhood of Idlib city"
_PART_OF = re.compile(
    r"(?:,\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,2})?(?:neighbou?rhoods?|quarter|district|"
    r"suburb|village|town)\s+(?:of|in)\s+(?:the\s+)?(?:(?:city|town)\s+of\s+)?",
    re.IGNORECASE,
)
_COMMON = re.compile(r"[a-z]{4,}")  # a lower-case word, not a particle ("al", "de", "es")

# "the UK-based Observatory": where an organisation sits, no setting of the story
_SEAT = re.compile(r"[-‐](?:based|headquartered)\b")


class Geoparser:
    """Finds and resolves place mentions with one gazetteer (see module docstring)."""

    def __init__(
        self,
        gazetteer: Gazetteer,
        context: dict | None = None,
        organs: frozenset[str] = frozenset(),
    ):
        """``organs``: folded names of actors' organs; a landmark with such a name ("the
        Kremlin", "the White House") is a place only where a cue locates something at it."""
        self.gaz = gazetteer
        self.organs = organs
        ctx = context or _context()
        self.ctx = {k: v for k, v in ctx.items() if not k.startswith("_")}
        alts = {k: _alternation(v) for k, v in self.ctx.items() if isinstance(v, list)}
        # "_after" cues are the word after a mention; "_before" cues end the text before it
        self._embedded_after = re.compile(rf"(?:{alts['embedded_after']})")
        self._embedded_head = re.compile(rf"[’']?\s+(?:[A-Z]\w*\s+)?(?i:{alts['embedded_after']})")
        # the word after a mention, past a direction ("Hama northwestern countryside")
        past_direction = rf"[’']?s?\s+(?:(?:{alts['kind_after_skips']})\s+)?"
        self._word_after = re.compile(past_direction + r"(\w+)")
        self._governorate_after = frozenset(self.ctx["governorate_after"])
        # the area around a settlement: one pattern after it, one ending the text before
        self._area_after = re.compile(past_direction + rf"(?i:{alts['area_after']})\b")
        self._area_before = re.compile(rf"(?i:\b(?:{alts['area_before']}))\s+$")
        self._area_of_after = frozenset(self.ctx["area_of_after"])
        self._outlet_possessed = frozenset(self.ctx["outlet_possessed"])
        self._outlet_before = tuple(f" {w} " for w in self.ctx["outlet_before"])
        self._outlet_reach = max(map(len, self._outlet_before))
        self._city_after = frozenset(self.ctx["city_after"])
        self._adjectives = frozenset(self.ctx["adjectives"])
        self._heads = frozenset(w.lower() for w in self.ctx["name_heads"])
        self._prepositions = frozenset(w for w in self.ctx["literal_before"] if " " not in w)
        self._place_prepositions = self._prepositions - {"of"}  # "a group of Saudi officials"
        self._kind_before = _Suffixes(self.ctx["governorate_before"], self.ctx["city_before"])
        self._territory_before = _Suffixes(self.ctx["literal_before"], self.ctx["metonymy_before"])
        self._landmark_before = _Suffixes(self.ctx["landmark_before"])
        # what the words after a country or capital say, in the order the rules ask (the
        # first alternative that matches wins; their first characters differ but for the
        # dashes, which are tried in that order too)
        self._after_cue = re.compile(
            rf"(?P<backed>[-‐](?:{alts['backed_suffix']})\b)"  # "Turkish-backed"
            r"|(?P<apposed>,\s+(?P<apposite>[A-Z][\w’'-]+(?: [A-Z][\w’'-]+)?))"  # ", Syria"
            # "Russia's war in Ukraine", "Russia's full-scale war against Ukraine"
            rf"|(?P<against>[’']s?\s+(?:[\w-]+\s+)?(?:{alts['possessed_against']})\b)"
            r"|(?P<possessive>[’']s?\s+(?P<owned>[\w-]+)(?:\s+(?P<owned2>[\w-]+))?)"
            rf"|(?P<literal>(?i:\s+(?:{alts['literal_after']})\b)|[-‐](?:based\b|\w+ border))"
            r"|(?P<compound>[-‐][A-Z])"  # "US-Turkish ties", "Russia-Ukraine talks"
            rf"|(?P<forces>(?i:\s+(?:{alts['forces_after']})\b))"  # "at US forces"
        )
        self._literal_possessed = frozenset(self.ctx["literal_possessed"])
        self._seats = frozenset(n.lower() for n in self.ctx["seats_of_government"])
        self._embedded_before = re.compile(rf"(?:{alts['embedded_before']})\s*(?:for|of)?$")
        self._embedded_ends = ("for", "of", *self.ctx["embedded_before"])
        # memos of this parser, as names recur (on the instance, not ``lru_cache`` on the
        # method, which would keep every parser a gazetteer reload replaced alive)
        self._phrase_place = lru_cache(maxsize=65536)(self._phrase_place)
        self._plausible = lru_cache(maxsize=65536)(self._plausible)
        self._candidates = lru_cache(maxsize=65536)(self._candidates)
        self._curated_only = lru_cache(maxsize=65536)(self._curated_only)
        self._abroad = lru_cache(maxsize=65536)(self._abroad)

    # -- data derived once -------------------------------------------------
    @cached_property
    def _priors(self) -> dict[int, float]:
        """Place index -> :meth:`_prior`, filled as places come up."""
        return {}

    @cached_property
    def _organisations(self):
        lines = (DATA_DIR / "organisations.txt").read_text(encoding="utf-8").splitlines()
        names = [ln.split("#", 1)[0].strip() for ln in lines]
        return build_automaton((n, n) for n in names if n)

    @property
    def _capitals(self) -> frozenset[str]:
        return self.gaz.capitals

    @cached_property
    def _fuzzy_choices(self) -> dict[str, list[str]]:
        """Keys long enough for a fuzzy match to mean something, by first letter (a
        transliteration keeps its first consonant: "Dayr"/"Deir", "Idleb"/"Idlib")."""
        out: dict[str, list[str]] = {}
        for k in self._fuzzy_keys:
            if len(k) >= 6:
                out.setdefault(k[:1], []).append(k)
        return out

    @cached_property
    def _verbs(self) -> frozenset[str]:
        return frozenset(self.ctx["metonymy_after_verbs"]) - {"and", "also", "has", "have"}

    @cached_property
    def _region(self) -> frozenset[str]:
        """The countries the service follows (a resolution prior), from world_layer.json."""
        return frozenset(world_config()["regional_countries"])

    @cached_property
    def _home(self) -> str:
        """The country the corpus is about (the first regional country): a further prior."""
        return world_config()["regional_countries"][0]

    @property
    def _fuzzy_keys(self) -> dict[str, tuple[int, ...]]:
        """The only targets of the second pass (see :attr:`Gazetteer.variant_keys`)."""
        return self.gaz.variant_keys

    # -- the pass ----------------------------------------------------------
    def parse(
        self, text: str, spans: list[tuple[int, int]] | None = None, folded: str | None = None
    ) -> list[Mention]:
        """Mentions in ``text`` (only inside ``spans`` when given: article bodies).

        ``folded``: ``padded(text)``, when the caller has it. Only the lines that hold the
        spans are read, so parsing each article of a long text costs its own length."""
        if spans is None:
            spans = [s for a in split_articles(text) for s in a.spans()]
        if not spans:
            return []
        if folded is None:
            folded = padded(text)
        inside = _SpanSet(spans)
        # from the start of the first span's line (no match crosses a line) to the end of
        # the last span; in the folded text, a hit also holds the blanks around it
        lo = text.rfind("\n", 0, min(a for a, _ in spans)) + 1
        hi = max(b for _, b in spans)
        hits: list[tuple[int, int, tuple[str, tuple[int, ...]]]] = []
        for s, e, idxs in iter_hits(self.gaz.automaton, folded, lo, hi + 2):
            if inside(s, e) and self._plausible(text[s:e], idxs):
                hits.append((s, e, ("exact", idxs)))
        for s, e, _ in iter_hits(self._organisations, folded, lo, hi + 2):
            if inside(s, e):
                hits.append((s, e, ("org", ())))
        hits = [  # a name a curated file knows is taken as a place whatever its context
            h
            for h in hits
            if h[2][0] == "org"
            or self._candidates(h[2][1]).curated
            or not (self._person_name(text, *h[:2]) or self._common_word(text, *h[:2], lo, hi))
        ]
        found = self._second_pass(text, inside, hits, lo, hi)
        if found:
            again = {(h[0], h[1]) for h in found}  # a far-off namesake's span, found at home
            hits = [h for h in hits if h[2][0] == "org" or (h[0], h[1]) not in again] + found
        accepted = [h for h in longest_first(hits) if h[2][0] != "org"]
        accepted = [
            h
            for h in accepted
            if not (self._embedded(text, h[0], h[1]) or self._adjective(text, h[0], h[1]))
        ]
        return self._resolve(text, accepted)

    def _plausible(self, surface: str, idxs: tuple[int, ...]) -> bool:
        """Capitalised (or an article then a capital), and not a lone stop word."""
        first = surface[0]
        short = len(surface) < 4 or not surface[:4].isalpha()  # else 4+ letters for sure
        if short and sum(c.isalpha() for c in surface) <= 3:
            # "US", "UAE": acronyms a place is known by; "Roj": a short curated name as spelt
            bare = surface.replace(".", "")
            return any(
                n.replace(".", "") == bare
                and (surface.isupper() or self.gaz.places[i].layer == "curated")
                for i in idxs
                for n in self.gaz.places[i].names
            )
        if " " in surface and any(_COMMON.fullmatch(w) for w in surface.split()[1:]):
            # "The crossing": a GeoNames alternate name made of ordinary words
            return any(self.gaz.places[i].layer == "curated" for i in idxs)
        if first.isupper() or first.isdigit():
            return True
        m = _ARTICLE_THEN.match(surface)
        return bool(m and m.group(1).lower() in ARTICLES and m.group(2).isupper())

    def _person_name(self, text: str, s: int, e: int) -> bool:
        """A GeoNames-only name glued to another capitalised word ("Vladimir Putin",
        "Barack Obama", "Lina Farah": a given name, though a stop word, glues too) is part
        of a person's or organisation's name; so are two glued
        GeoNames-only names ("Hozan Hamo"), which no curated file places."""
        nxt = _NEXT_NAME.match(text[e : e + 40])
        prev = _PREV_NAME.search(text[max(0, s - 40) : s])
        glued = [w.group(1) for w in (nxt, prev) if w]
        automaton = self.gaz.automaton
        return any(
            (got := automaton.get(phrase_key(w), None)) is None
            or not self._candidates(got[1]).curated
            for w in glued
            if not (prev and w == prev.group(1) and _sentence_initial(text, s - len(w) - 1))
        )

    def _common_word(self, text: str, s: int, e: int, lo: int, hi: int) -> bool:
        """A one-word GeoNames-only name the same article (``text[lo:hi]``) also uses in
        lower case ("Mobile" and "mobile") is an ordinary word that happens to start a
        sentence."""
        word = text[s:e]
        return word.isalpha() and _used_in_lower_case(text, word.lower(), lo, hi)

    def _second_pass(self, text, inside, taken, lo: int, hi: int) -> list:
        """Capitalised phrases no list spells (starting in ``[lo, hi)``, ``lo`` a line
        start): transliteration key, then bounded fuzzy."""
        out = []
        # a phrase a longer-or-equal exact hit already covers needs no second look, unless
        # the hit names only towns far from the region and a home place has the phrase's
        # very key ("the village of Arima, west of Manbij" is al-Arimah, not the town in
        # Trinidad)
        covered = _SpanSet([(h[0], h[1]) for h in taken])
        abroad = {(h[0], h[1]): h[2][1] for h in taken if self._abroad(h[2][1])}
        for m in _CAP_PHRASE.finditer(text, lo):
            s, e = m.span()
            if s >= hi:
                break
            # what the phrase names depends on its spelling only: most name nothing
            # ("The", "President Assad"), and are dropped before any test of where they are
            length, found = self._phrase_place(m.group())
            if not found:
                continue
            if covered(s, e) or (length < e - s and covered(s, s + length)):
                far = abroad.get((s, s + length)) if found[0] == "key" else None
                if far is None:
                    continue  # covered even before a possessive is cut off
                found = ("key", found[1] + far)  # context may still choose the far one
            e = s + length
            if inside(s, e) and not _sentence_initial(text, s):  # a capital there says nothing
                out.append((s, e, found))
        return out

    def _phrase_place(self, phrase: str) -> tuple[int, tuple[str, tuple[int, ...]] | None]:
        """The length of a capitalised phrase without a possessive ending ("Raqqa's" is
        looked at as "Raqqa"), and the curated place :meth:`_unlisted` finds for that."""
        possessive = _POSSESSIVE_END.search(phrase)
        length = possessive.start() if possessive else len(phrase)
        return length, self._unlisted(phrase[:length])

    def _stopword(self, phrase: str) -> bool:
        """The phrase, or its last word, or the phrase without its article, or its first
        word but an article or a name's head is a stop word ("al-Shaibani", "Shi'ite",
        "Hatem", "President X"; not "Al-Latamina" or "Ain Shiqaq", though "Al" and "Ain"
        alone are ones)."""
        key = phrase_key(phrase).strip()
        words = key.split()
        bare = " ".join(w for w in words if w not in ARTICLES)
        stop = self.gaz.stopwords
        return (
            key in stop
            or bare in stop
            or words[-1] in stop
            or (words[0] in stop and words[0] not in ARTICLES and words[0] not in self._heads)
        )

    def _unlisted(self, phrase: str) -> tuple[str, tuple[int, ...]] | None:
        """A curated place for a spelling no list has (same key, else a close key), unless
        the phrase is too short, a demonym or a stop word."""
        if len(phrase) < 4 or _DEMONYM.search(phrase) or self._stopword(phrase):
            return None
        key = name_key(phrase)
        idxs = self._fuzzy_keys.get(key)
        if idxs:
            return "key", idxs
        choices = self._fuzzy_choices.get(key[:1])
        if len(phrase) < FUZZY_MIN_LEN or not choices:
            return None
        best = process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        return (f"fuzzy:{best[1]:.0f}", self._fuzzy_keys[best[0]]) if best else None

    def _abroad(self, idxs: tuple[int, ...]) -> bool:
        """Whether a hit names only towns outside the region (GeoNames places under a
        city's size: news names a far-off city like Sochi or Jeddah, seldom a town)."""
        return all(
            p.layer == "geonames" and p.kind in TOWN_KINDS and p.country not in self._region
            for p in map(self.gaz.places.__getitem__, idxs)
        )

    def _candidates(self, idxs: tuple[int, ...]) -> _Candidates:
        """What the rules ask of a hit's candidates, worked out once per candidate set."""
        places = [self.gaz.places[i] for i in idxs]
        countries = {p.country for p in places if p.kind != "country"}
        return _Candidates(
            country=next((p for p in places if p.kind == "country"), places[0]),
            sole_country=next(iter(countries)) if len(countries) == 1 else None,
            admin1=places[0].admin1 if len(places) == 1 else None,
            governorates=tuple(p.name for p in places if p.kind == "governorate"),
            curated=any(p.layer == "curated" for p in places),
        )

    def _curated_only(self, surface: str, idxs: tuple[int, ...]) -> tuple[int, ...]:
        """Curated files win where both know a name: GeoNames entries stay in the running
        only under their own name ("Tripoli"), not an alternate one."""
        places = self.gaz.places
        return tuple(
            i for i in idxs if places[i].layer == "curated" or _primary(places[i], surface)
        )

    def _embedded(self, text: str, s: int, e: int) -> bool:
        """Part of an organisation, event or outlet name ("Astana process", "Doha Forum",
        "the Raqqa Military Council", "Hanano Street") or of a currency ("US$40,000")."""
        if text.startswith("$", e):
            return True
        after = text[e : e + 40]
        # a head word right after the name or one more name is rare: one pattern says
        # whether the two exact tests need run
        if self._embedded_head.match(after):
            for head in (_HEAD_AFTER, _HEAD_AFTER_SKIP):
                m = head.match(after)
                if m and self._embedded_after.match(m.group(1).lower()):
                    nxt = m.group(1).split()[0]
                    if nxt[0].isupper() or nxt.lower() in {"process", "format", "platform"}:
                        return True
        if text[s - 1 : s] != " ":
            return False
        before = text[max(0, s - 30) : s].rstrip().lower()
        # the cue (or its "for"/"of") ends the text: a test of its last letters first
        return before.endswith(self._embedded_ends) and bool(self._embedded_before.search(before))

    def _adjective(self, text: str, s: int, e: int) -> bool:
        """A name that is also an adjective qualifying the word after it ("his Saudi
        counterpart", "Saudi and Jordanian officials", "a Saudi-Syrian forum"). Before a
        verb or a preposition ("Saudi announced", "Saudi in 2015"), or after a preposition
        but "of" ("returned from Saudi last year"), it names the country."""
        if text[s:e] not in self._adjectives:
            return False
        m = _WORD_NEXT.match(text, e)
        if m is None:
            return False
        word = m.group(3)
        if m.group(1) or m.group(2):
            return bool(_DEMONYM.search(word)) or word in self._adjectives
        if word.lower() in self._verbs or word.lower() in self._prepositions:
            return False
        before = _LAST_WORD.search(text, max(0, s - 20), s)
        return not (before and before.group(1).lower() in self._place_prepositions)

    # -- resolution --------------------------------------------------------
    def _resolve(self, text: str, hits: list) -> list[Mention]:
        places = self.gaz.places
        # the article's country focus: countries named as territory, and the countries of
        # unambiguous places ("US officials" names an actor, not where things happen)
        facts = [self._candidates(idxs) for _, _, (_, idxs) in hits]
        told: dict = {}  # the cues around each country, shared by _territories and _literal
        country_at = self._territories(text, hits, facts, told)
        focus: Counter[str] = Counter(c for _, c in country_at)
        focus.update(f.sole_country for f in facts if f.sole_country)
        total = sum(focus.values()) or 1
        # governorates the article is about: unambiguous places and governorates it names
        admin_focus = {f.admin1 for f in facts}
        admin_focus.update(name for f in facts for name in f.governorates)
        admin_focus.discard(None)
        chosen = []
        for n, (s, e, (_, idxs)) in enumerate(hits):
            if facts[n].curated:
                idxs = self._curated_only(text[s:e], idxs)
            apposed = self._apposed_country(text, hits, facts, n) if len(idxs) > 1 else None
            located = [i for i in idxs if places[i].country == apposed]
            if len(idxs) > 1 and not located and (part_of := self._part_of(text, hits, facts, n)):
                located = [i for i in idxs if places[i].admin1 == part_of]
            if len(idxs) == 1:  # nothing to choose between: no cue need be read
                chosen.append((idxs[0], 5.0, 1, ""))
            elif located:  # "Tripoli, Libya": the country named in apposition settles it
                chosen.append((located[0], 5.0, len(idxs), "apposed"))
            else:
                cue = self._kind_cue(text, s, e, hits, facts, n)
                nearby = _countries_near(country_at, s, 250)
                best, margin = self._choose(idxs, text[s:e], nearby, focus, total, admin_focus, cue)
                chosen.append((best, margin, len(idxs), cue))
        self._one_country_per_name(text, hits, chosen)
        mentions: list[Mention] = []
        for (s, e, (reason, _)), (best, margin, choices, cue) in zip(hits, chosen, strict=True):
            conf = round(
                min(0.99, 0.5 + 0.5 * (1 - math.exp(-margin)))
                * (0.9 if reason.startswith("fuzzy") else 1.0),
                3,
            )
            p = places[best]
            why = reason + (f"+{cue}" if cue else "") + (f"+of{choices}" if choices > 1 else "")
            mentions.append(
                Mention(
                    start=s,
                    end=e,
                    text=text[s:e],
                    place_id=p.id,
                    name=p.name,
                    kind=p.kind,
                    country=p.country,
                    lat=p.lat,
                    lon=p.lon,
                    confidence=conf,
                    reason=why,
                    admin1=p.admin1,
                    geo_precision=self._precision(text, s, e, p),
                )
            )
        self._literal(text, mentions, told)
        # a name that is an outlet's once is one throughout ("the daily Al-Thawra said" and
        # a roundup's heading "Al-Thawra: Fire crews ...")
        outlets = {m.text for m in mentions if m.kind != "country" and self._outlet(text, m)}
        return [
            m
            for m in mentions
            if (
                m.kind != "landmark"
                or self._located(text, m)
                or phrase_key(m.text).strip() not in self.organs
            )
            and (m.kind == "country" or m.text not in outlets)
        ]

    @staticmethod
    def _apposed_country(text: str, hits: list, facts: list, n: int) -> str | None:
        """The country code of a country named right after the mention, after a comma
        ("Tripoli, Libya"; "Kazan, Russia")."""
        if n + 1 == len(hits) or facts[n + 1].country.kind != "country":
            return None
        return (
            facts[n + 1].country.country
            if _APPOSED.fullmatch(text, hits[n][1], hits[n + 1][0])
            else None
        )

    @staticmethod
    def _part_of(text: str, hits: list, facts: list, n: int) -> str | None:
        """The governorate of the town a place is said to be part of right after it ("a
        neighborhood of Baniyas"): of two places of one name, the one there."""
        if n + 1 == len(hits) or not _PART_OF.fullmatch(text, hits[n][1], hits[n + 1][0]):
            return None
        return facts[n + 1].admin1

    def _one_country_per_name(self, text: str, hits: list, chosen: list) -> None:
        """One name, one country in an article: an ambiguous name read in two countries
        takes, everywhere, the reading its clearest mention gave (the largest lead), as the
        writer means one place ("Fighting in Tripoli, Libya" ... "Shops in Tripoli stayed
        shut, as they did in Lebanon"). Kinds may still differ (Idlib city, Idlib
        province)."""
        places = self.gaz.places
        clearest: dict[str, tuple[float, int]] = {}
        for (s, e, _), (best, margin, choices, _) in zip(hits, chosen, strict=True):
            if choices > 1:
                key = phrase_key(text[s:e])
                if margin > clearest.get(key, (-1.0, 0))[0]:
                    clearest[key] = (margin, best)
        for n, ((s, e, (_, idxs)), (best, margin, choices, cue)) in enumerate(
            zip(hits, chosen, strict=True)
        ):
            if choices > 1:
                lead = clearest[phrase_key(text[s:e])][1]
                if places[best].country != places[lead].country and lead in idxs:
                    chosen[n] = (lead, margin, choices, cue)

    def _choose(
        self,
        idxs: tuple[int, ...],
        surface: str,
        nearby: set,
        focus: Counter[str],
        total: int,
        admin_focus: set,
        cue: str,
    ) -> tuple[int, float]:
        """The best-scoring candidate of a mention, and its lead over the runner-up."""
        places = self.gaz.places
        priors = self._priors
        scored = []
        for i in idxs:
            p = places[i]
            prior = priors.get(i)
            if prior is None:
                prior = priors[i] = self._prior(p)
            score = (
                prior
                + (3.0 if p.country in nearby else 0.0)
                + 2.0 * focus[p.country] / total
                + (1.5 if p.admin1 in admin_focus else 0.0)
                + (1.0 if _primary(p, surface) else 0.0)
                + self._kind_bonus(p, cue)
            )
            scored.append((score, i))
        scored.sort(reverse=True)
        return scored[0][1], scored[0][0] - scored[1][0]

    def _located(self, text: str, m: Mention) -> bool:
        """A landmark that doubles as an organ ("the Kremlin said") counts only where a
        location cue places something at it ("a meeting at the Kremlin")."""
        return any(self._landmark_before.match(text[max(0, m.start - 30) : m.start]))

    def _territories(
        self, text: str, hits: list, facts: list[_Candidates], told: dict
    ) -> list[tuple[int, str | None]]:
        """Where the text names a country as territory ("in Libya", not "US officials"):
        a nearby one is evidence for a same-country reading of an ambiguous name."""
        out = []
        previous: Mention | None = None
        for (s, e, _), f in zip(hits, facts, strict=True):
            c = f.country
            m = Mention(s, e, text[s:e], c.id, c.name, c.kind, c.country, c.lat, c.lon)
            if c.kind == "country":
                m.literal = self._names_territory_once(text, m, previous, told)
                if (
                    m.literal
                    and not _SEAT.match(text, e)
                    and not _NEIGHBOUR.search(text, max(0, s - 25), s)
                ):
                    out.append((s, c.country))
            previous = m
        return out

    def _kind_cue(self, text: str, s: int, e: int, hits: list, facts: list, n: int) -> str:
        """``governorate`` / ``city`` from the words around the mention, or ''."""
        after = text[e : e + 40].lower()
        m = self._word_after.match(after)
        if m:  # a single word: the cue lists' words are a set
            if m.group(1) in self._governorate_after:
                return "governorate"
            if m.group(1) in self._area_of_after and after.startswith(" of ", m.end()):
                return "governorate"  # "the Idlib town of Saraqib"
            if m.group(1) in self._city_after:
                return "city"
        governorate, city = self._kind_before.match(text[max(0, s - 25) : s].lower())
        if governorate:
            return "governorate"
        if city:
            return "city"
        # front lists: "Daraa, Sweida and al-Hasakeh" name governorates
        for j in (n - 1, n + 1):
            if 0 <= j < len(hits) and facts[j].governorates:
                ns, ne = hits[j][0], hits[j][1]
                gap = text[min(e, ne) : max(s, ns)] if ns > s else text[ne:s]
                if _LIST_SEP.fullmatch(gap):
                    return "governorate"
        return ""

    def _precision(self, text: str, s: int, e: int, p: Place) -> int:
        """The place's precision, but a district's for the area around a settlement
        ("Qamishli countryside", "the countryside of Manbij", "the Manbij area"): coarser
        than the villages in it."""
        if p.geo_precision != 1 or p.kind not in SETTLEMENT_KINDS:
            return p.geo_precision
        if self._area_after.match(text, e, e + 40) or self._area_before.search(text, s - 25, s):
            return PRECISION["district"]
        return 1

    def _prior(self, p: Place) -> float:
        """The context-free part of a candidate's score (the first terms of the sum in
        :meth:`_choose`, added in the same order, so the total is bit-identical)."""
        return (
            (1.5 if p.layer == "curated" else 0.0)
            + (1.0 if p.country in self._region else 0.0)
            + (1.0 if p.country == self._home else 0.0)
            + 0.6 * math.log10(p.population + 1)
            + (4.0 if p.kind == "country" else 0.0)
        )

    @staticmethod
    def _kind_bonus(p: Place, cue: str) -> float:
        if cue == "governorate":
            return 5.0 if p.kind == "governorate" else 0.0
        if cue == "city":
            return 2.0 if p.kind in ("city", "town") else 0.0
        return -1.0 if p.kind in ("governorate", "district") else 0.0

    def _literal(self, text: str, mentions: list[Mention], told: dict) -> None:
        """Flag metonymy. Countries and seats of government name a government ("Moscow
        insists", "ties with Ankara") unless a cue says they name territory ("in Syria",
        "Syria's borders", "Kazan, Russia"); other places are literal."""
        previous: Mention | None = None
        for i, m in enumerate(mentions):
            after = mentions[i + 1] if i + 1 < len(mentions) else None
            if (m.kind == "country" or m.place_id in self._capitals) and owns_place(
                text, m, after
            ):  # "Syria's Idlib province", "Damascus's Mezzeh district": a place in it
                m.literal = True
            elif (
                m.kind == "country" or m.place_id in self._capitals or m.text.lower() in self._seats
            ):
                m.literal = self._names_territory_once(text, m, previous, told)
            previous = m

    def _outlet(self, text: str, m: Mention) -> bool:
        """Whether a place names a news outlet ("Al Mayadeen's correspondent", "residents
        told Al Mayadeen", "the daily Al-Watan"): an organisation, like the names in
        organisations.txt."""
        if text.startswith(("'s ", "’s "), m.end):
            return text[m.end + 3 : m.end + 20].split(" ", 1)[0] in self._outlet_possessed
        return text.endswith(self._outlet_before, max(0, m.start - self._outlet_reach), m.start)

    def _names_territory_once(
        self, text: str, m: Mention, previous: Mention | None, told: dict
    ) -> bool:
        """:meth:`_names_territory`, with what the words around the mention say worked out
        once per parse: :meth:`_territories` and :meth:`_literal` ask about the same
        countries, each with its own reading of the mention before."""
        key = (m.start, m.end, m.kind, m.country)
        cues = told.get(key)
        if cues is None:
            cues = told[key] = self._territory_cues(text, m)
        return self._names_territory(text, m, previous, cues)

    def _territory_cues(self, text: str, m: Mention) -> bool | tuple[str, int, int, bool]:
        """The answer when the words around the mention settle it; else what the rest of
        :meth:`_names_territory` reads: the text after it, the lengths of the literal and
        the metonymic cue before it, and whether it acts."""
        after = text[m.end : m.end + 40]
        cue = self._after_cue.match(after)
        said = cue.lastgroup if cue else None
        if said == "backed":
            return False  # "Turkish-backed", "U.S.-backed"
        if (
            said == "apposed"
            and m.kind != "country"
            and any(
                p.kind == "country" and p.country == m.country
                for p in self.gaz.lookup(cue["apposite"])
            )
        ):
            return True  # a capital located by its country: "a highway, Damascus, Syria"
        if said == "against":
            return False  # the possessor wages it
        if said == "possessive":
            owned = (cue["owned"], cue["owned2"] or "")
            return any(w.lower() in self._literal_possessed for w in owned)
        if said == "literal":
            return True  # "the Syria border", "Tripoli-based", "the Türkiye-Syria border"
        if said == "forces":
            return False  # "rockets at US forces": the state's, wherever they are
        before = text[max(0, m.start - 40) : m.start].lower()
        if said == "compound" or _PRO_ANTI.search(before):
            return False  # "US-Turkish ties", "Russia-Ukraine talks", "pro-Damascus"
        if is_dateline(text, m) or is_heading(text, m):
            return True
        lit, meto = self._territory_before.match(before)
        return after, lit, meto, self._acts(after)

    def _names_territory(
        self,
        text: str,
        m: Mention,
        previous: Mention | None,
        cues: bool | tuple[str, int, int, bool],
    ) -> bool:
        if isinstance(cues, bool):
            return cues
        after, lit, meto, acts = cues
        if (
            m.kind == "country"
            and previous
            and previous.kind not in ("country", "region")
            and _COMMA.fullmatch(text[previous.end : m.start])
        ):  # apposition: "Kazan, Russia", "Tripoli, Libya, continued" - unless it acts
            return not self._acts(after, comma=False)  # "…Damascus, Syria said"
        if acts and not lit:
            return False  # "Moscow insists", ", Syria said" (not "a summit in Riyadh was")
        if lit or meto:  # the longer cue wins: "border with Türkiye" over "with"
            return lit >= meto
        # a list after a literal cue: "in Geneva, Astana and Doha"
        return bool(
            previous and previous.literal and _LIST_SEP.fullmatch(text[previous.end : m.start])
        )

    def _acts(self, after: str, comma: bool = True) -> bool:
        """Whether the words after a name make it the subject of a verb of agency
        (``comma``: "Damascus, meanwhile, continues" counts too)."""
        nxt = (_VERB_AFTER if comma else _VERB_RIGHT_AFTER).match(after)
        return bool(nxt) and nxt.group(1).lower() in self._verbs


_CUE_WORDS = (
    "town",
    "village",
    "city",
    "district",
    "neighbourhood",
    "neighborhood",
    "countryside",
    "province",
    "camp",
    "area",
    "outskirts",
    "suburb",
)
_CUE = "(?:" + "|".join(_CUE_WORDS) + ")"
_NAME_ARTICLES = ("al-", "el-", "ad-", "as-", "ar-", "az-")
_NAME = rf"((?:{'|'.join(_NAME_ARTICLES)})?[A-Z][\w'’-]+(?: (?:al-|el-)?[A-Z][\w'’-]+)?)"
_FIRSTS = "".join(sorted({w[0] for w in _CUE_WORDS + _NAME_ARTICLES}))
_UNKNOWN = re.compile(  # a match starts a word, so the lookahead lets re skip to one fast
    rf"(?=[{_FIRSTS}A-Z])\b(?:{_CUE} of (?:the )?{_NAME}|{_NAME} {_CUE}\b)"
)


_DATELINE = re.compile(  # "DAMASCUS, Syria (AP) —", "AMMAN/BEIRUT, May 28 (Reuters) -"
    r"[A-Z][\w.'’/-]*(?: [A-Z][\w.'’/-]*)*(?:, [A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*)*)?"
    r"(?:,? [A-Z][a-z]{2,8}\.? \d{1,2})?(?: \([^)\n]{1,40}\))? ?[-–—] "
)
_DATELINE_REACH = 80  # characters from the start of a line that a dateline may span


def is_dateline(text: str, m: Mention) -> bool:
    """Whether a mention is in a dateline, where the report was filed, at the start of a
    line: "DAMASCUS, Syria (AP) —", "ERBIL, Kurdistan Region -", "Damascus, SANA –"; or
    a line that starts with a place in capitals ("DAMASCUS, Syria")."""
    if m.text.isupper() and len(m.text) > 3 and (m.start == 0 or text[m.start - 1] == "\n"):
        return True
    line = text.rfind("\n", max(0, m.start - _DATELINE_REACH), m.start) + 1
    if not line and m.start > _DATELINE_REACH:
        return False  # no line starts close enough before it
    head = _DATELINE.match(text, line, min(len(text), line + _DATELINE_REACH))
    return bool(head) and m.end <= head.end()


# a name ("Deir ez-Zor", "al-Bab" too), or what joins names
_HEADING_WORD = r"(?:(?:[a-z]{1,3}-)?[A-Z][\w'’.-]*,?|and|of|the|[,:|&–—-])"
_HEADING = re.compile(rf"{_HEADING_WORD}(?:[ \t]+{_HEADING_WORD})*")
_HEADING_MAX = 40  # characters: a heading names a section, a sentence says more


def is_heading(text: str, m: Mention) -> bool:
    """Whether a mention stands in a line of names only ("Syria", "Lebanon and Israel",
    "Analysis | Syria"): a section heading, which names the land the section is about."""
    start = text.rfind("\n", 0, m.start) + 1
    end = text.find("\n", m.end)
    end = len(text) if end < 0 else end
    while end > m.end and text[end - 1] in " \t\r":
        end -= 1
    return end - start <= _HEADING_MAX and bool(_HEADING.fullmatch(text, start, end))


def unresolved_candidates(
    text: str, mentions: list[Mention], spans: list[tuple[int, int]] | None = None
) -> list[tuple[int, str]]:
    """Capitalised names after place cues ("the town of X", "X village") that no mention
    covers: toponyms the gazetteer probably lacks, as ``(offset, name)``."""
    spans = spans or [(0, len(text))]
    inside = _SpanSet(spans)
    out = []
    for m in _lines_then(_UNKNOWN, text, _CUE_WORDS, min(spans)[0], max(b for _, b in spans)):
        grp = 1 if m.group(1) else 2
        s, e = m.span(grp)
        if (
            inside(s, e)
            and not any(x.start < e and s < x.end for x in mentions)
            and not _sentence_initial(text, s)
        ):
            out.append((s, m.group(grp)))
    return out


def _lines_then(
    pattern: re.Pattern[str], text: str, needed: tuple[str, ...], lo: int, hi: int
) -> Iterator:
    """``pattern.finditer`` over the whole lines of ``text[lo:hi]``, for a pattern whose
    matches hold no newline and one of the ``needed`` words: run only over the lines that
    have one (most have none, and scanning a line in C for a word is far cheaper than
    trying the pattern at each character)."""
    start = text.rfind("\n", 0, lo) + 1
    end_of_last = text.find("\n", max(lo, hi - 1))
    lines = text[start : len(text) if end_of_last < 0 else end_of_last]
    if not any(w in lines for w in needed):  # most texts: one look at the whole
        return
    for line in lines.split("\n"):
        end = start + len(line)
        if any(w in line for w in needed):
            yield from pattern.finditer(text, start, end)
        start = end + 1


def _countries_near(country_at: list[tuple[int, str | None]], s: int, window: int) -> set:
    """Countries named within ``window`` characters of offset ``s`` (not at ``s`` itself)."""
    lo = bisect.bisect_left(country_at, (s - window,))
    hi = bisect.bisect_right(country_at, (s + window, "~"))
    return {c for cs, c in country_at[lo:hi] if cs != s}


def _used_in_lower_case(text: str, low: str, lo: int = 0, hi: int | None = None) -> bool:
    """Whether ``low`` (a lower-case word) stands in ``text[lo:hi]`` as an all-lower-case
    word of three or more ASCII letters (evidence that it is no name). ``str.find`` over
    the few words that need asking, not a regex over the whole text."""
    if not _LOWER_WORD.fullmatch(low):
        return False
    hi = len(text) if hi is None else hi
    at = text.find(low, lo, hi)
    while at >= 0:
        end = at + len(low)
        if not (at and _WORDISH.match(text, at - 1)) and not _WORDISH.match(text, end):
            return True
        at = text.find(low, at + 1, hi)
    return False


class _Suffixes:
    """Families of cue phrases that may end the text just before a mention ("countryside
    of (the)"), matched together: the text before a mention is read once for all of them,
    backwards through a trie of the phrases' words."""

    def __init__(self, *families: list[str]):
        self.none = (0,) * len(families)
        self.trie: dict[str, tuple[dict, set[int]]] = {}  # last word first
        for family, phrases in enumerate(families):
            for phrase in phrases:
                node, entry = self.trie, None
                for word in reversed(phrase.lower().split()):
                    entry = node.setdefault(word, ({}, set()))
                    node = entry[0]
                if entry:
                    entry[1].add(family)

    def match(self, before: str) -> tuple[int, ...]:
        """For each family, how many words its longest cue ending ``before`` has (0: none)."""
        if not before[-1:].isspace() or not before.rstrip()[-1:].isalnum():
            return self.none
        window = before[-60:].lower()
        # the last word first: most text ends in no cue, and then the window need not be
        # tokenised at all (a plain last word is the whole last blank-separated token)
        tokens = window.rsplit(None, 1)
        if not tokens:
            return self.none  # blanks only: no word
        last = tokens[-1]
        if not last.isalpha():
            i = len(last)
            while i and (last[i - 1].isalnum() or last[i - 1] in "_'’"):
                i -= 1
            last = last[i:]
        if last and last != "the" and last not in self.trie:
            return self.none
        words = _CUE_WORD.findall(window)
        if not words:
            return self.none
        if words[-1] == "the" and len(words) > 1:
            words.pop()
        found = list(self.none)
        node = self.trie
        for depth, word in enumerate(reversed(words), 1):
            entry = node.get(word)
            if entry is None:
                break
            node, families = entry
            for family in families:
                found[family] = depth  # deeper: a longer cue of that family
        return tuple(found)


class _SpanSet:
    """Membership test of ``[s, e)`` in a list of spans: some span starting at or before
    ``s`` reaches ``e`` (a bisection and the furthest end so far, for every hit)."""

    def __init__(self, spans: list[tuple[int, int]]):
        ordered = sorted(spans)
        self.starts = [a for a, _ in ordered]
        self.reach = list(itertools.accumulate((b for _, b in ordered), max))

    def __call__(self, s: int, e: int) -> bool:
        i = bisect.bisect_right(self.starts, s)
        return i > 0 and self.reach[i - 1] >= e


def _primary(p: Place, surface: str) -> bool:
    """Whether the surface spells a curated name or the place's own GeoNames name."""
    return p.layer == "curated" or name_key(surface) == name_key(p.name)


def _sentence_initial(text: str, s: int) -> bool:
    """Whether the word at ``s`` opens a sentence (its capital says nothing)."""
    before = text[max(0, s - 6) : s].rstrip(" \t\"“‘'(")
    return not before or before[-1] in ".!?\n:"
