"""Events: who did what, where and when, one per (sentence, place worth a point).

A sentence with a literal place mention becomes an event anchored on that
place, typed from the cue file (``event_cues.csv``), with the actors named in
the sentence and an explicit date when the text gives one. Repeated sentences
(captions, a headline repeated) fold into one event; reports of the same event
in several articles are merged by the store (see :func:`same_event`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import ahocorasick
from rapidfuzz import fuzz, process

from geomap.actors import ActorHit
from geomap.articles import sentences
from geomap.dates import WEEKDAYS, Phrase, StoryDates, dates_compatible
from geomap.geoparse import Mention, is_dateline, is_heading, owns_place
from geomap.matching import build_automaton, iter_hits, padded
from geomap.pipeline import ParsedArticle, Pipeline, default_pipeline, spanned
from geomap.records import pickled_as_fields
from geomap.spatial import within_km

DATA_DIR = Path(__file__).resolve().parent / "data"
EVENT_TYPES = (
    "battle",
    "airstrike_shelling",
    "violence_against_civilians",
    "protest",
    "meeting_talks",
    "agreement_ceasefire",
    "military_presence",
    "statement",
    "other",
)
MERGE_SIMILARITY = 85  # token-set similarity (0-100) that makes two reports the same event


@pickled_as_fields
@dataclass
class Report:
    """One sentence of one article that reports an event."""

    sentence: str
    sentence_start: int
    sentence_end: int
    mention: Mention
    actors: list[str]
    date: str | None
    date_precision: str | None


@pickled_as_fields
@dataclass
class Event:
    """An event in one article: a place, a type, actors, a date and its reports."""

    mention: Mention
    event_type: str
    actors: list[str]
    date: str | None
    date_precision: str | None
    reports: list[Report] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)  # actor code -> agent/target/...

    @property
    def sentence(self) -> str:
        return self.reports[0].sentence


NO_CUE = "none"  # the event type of a phrase whose words cue nothing ("ceasefire line")


@lru_cache(maxsize=1)
def _cues() -> list[tuple[re.Pattern[str], str, int]]:
    """The cue file's rows as (pattern, event type, weight): first the phrases that cue
    nothing (type ``none``: "ceasefire line", "no deal"), then the cues, so that where
    both start at one word the phrase is seen first."""
    out = []
    with (DATA_DIR / "event_cues.csv").open(encoding="utf-8", newline="") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda row: row["event_type"] != NO_CUE)
        for row in rows:
            cue = row["cue"].strip().lower()
            # a trailing * is a prefix; otherwise plurals count too ("barrel bombs")
            body = re.escape(cue.rstrip("*")) + (r"\w*" if cue.endswith("*") else "(?:e?s)?")
            out.append(
                (
                    # matched in the text as written (offsets are the text's): any case
                    re.compile(r"\b" + body.replace(r"\ ", r"\s+") + r"\b", re.IGNORECASE),
                    row["event_type"],
                    int(row.get("weight") or 1),
                )
            )
    return out


VIOLENT = frozenset({"battle", "airstrike_shelling", "violence_against_civilians"})


_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1)
def _lead_automaton() -> ahocorasick.Automaton:
    """Where a match of each cue can start: a word that is the cue's first word (or its
    plural, -s/-es), or, for one-word prefix cues ("bomb*"), a word that begins with the
    prefix. One automaton finds them over a whole text's folded form at once, as the
    gazetteer's finds places; each cue's own pattern then confirms it."""
    words: list[tuple[str, int]] = []
    prefixes: list[tuple[str, int]] = []
    for n, (pattern, _, _) in enumerate(_cues()):
        body = pattern.pattern.removeprefix(r"\b")
        lead = _WORD.match(body).group()
        if body == lead + r"\w*\b":
            prefixes.append((lead, n))
        else:
            words += [(form, n) for form in (lead, lead + "s", lead + "es")]
    return build_automaton(words, prefixes)


Leads = list[tuple[int, tuple[int, ...]]]
"""Where cues may start: (offset, the numbers of the cues that may start there), in order."""


def cue_leads(folded: str, s: int, e: int) -> Leads:
    """The :data:`Leads` of ``[s, e)`` of a text, given its folded form (``padded``): there
    a key holds the blanks around its word, so ``[s, e + 2)`` (in order of start, as the
    automaton reports a hit where it ends)."""
    return sorted((a, ns) for a, _, ns in iter_hits(_lead_automaton(), folded, s, e + 2))


def _cue_hits(clause: str, leads: Leads | None = None, at: int = 0) -> list[tuple[int, str, int]]:
    """Every event cue in a clause as (position of its first match, event type, weight),
    in :func:`_cues` order; none inside a phrase that cues nothing. A cue is tried only
    where its first word is (``leads``, offsets in a text where the clause starts at
    ``at``; found here when not given). A weapon that is not used (:func:`_fired`) cues
    no shelling; aid on the move (:func:`_aid_cargo`) cues ``other``, not a presence."""
    if leads is None:
        leads = cue_leads(padded(clause), 0, len(clause))
    cues = _cues()
    first: dict[int, int] = {}
    masked_to = 0  # the end of the phrases that cue nothing seen so far
    for pos, ns in leads:
        pos -= at
        if clause[pos : pos + 2].istitle() and _in_name(clause, pos):
            continue
        for n in ns:
            if n in first:
                continue
            pattern, etype, _ = cues[n]
            if etype == NO_CUE:
                if m := pattern.match(clause, pos):
                    masked_to = max(masked_to, m.end())
            elif pos >= masked_to and pattern.match(clause, pos):
                first[n] = pos
    hits = []
    for n in sorted(first):
        pos, (_, etype, weight) = first[n], cues[n]
        if etype == "airstrike_shelling" and not _fired(clause, pos):
            continue
        if etype == "military_presence" and _aid_cargo(clause, pos):
            etype = "other"  # aid on the move: a happening, of no armed kind
        hits.append((pos, etype, weight))
    return hits


def _fired(clause: str, pos: int) -> bool:
    """Whether the weapon cued at ``pos`` is used: not goods ("a shipment of rockets"),
    nor cleared ("engineers removed 40 landmines"), nor the weather ("the snowstorm that
    hit camps"), nor air power backing a ground fight ("backed by drones")."""
    rules = _rules()
    reach = max(0, pos - _NOT_FIRED_REACH)
    if rules["unfired"].search(clause, reach, pos):
        return False
    support = rules["air_support"].search(clause, reach, pos)
    if support is None:
        return True
    # the air power may be the cue ("drones") or a word before it ("air strikes")
    air = rules["air_power"]
    return not (air.match(clause, pos) or air.search(clause, support.start(), pos))


def _aid_cargo(clause: str, pos: int) -> bool:
    """Whether the presence cued at ``pos`` is aid on the move: a movement ("a convoy",
    "entered") in a clause that names aid ("trucks from the World Food Programme")."""
    rules = _rules()
    return bool(rules["aid_movement"].match(clause, pos) and rules["aid"].search(clause))


_NOT_FIRED_REACH = 60  # characters: "seized a shipment of Grad rockets and explosive-laden "
_UP_TO_FOUR_WORDS = r"\s+(?:[\w.-]+\s+){0,4}$"  # "backed by U.S.-led coalition "


_AS_OF = re.compile(r"\b(?:[Aa]s\s+of|[Uu]ntil|[Ss]ince)\b")  # a status's day, not a happening's
_WHEN_CLAUSE = re.compile(r",?\s*when\b")  # a "when" clause after a clause that tells nothing
_ASKS = ("?", '?"', "?\u201d", "?\u2019", "?'")  # how a sentence that asks ends, quoted or not
_STOPS = frozenset(".!?:;,\"\u201d\u2019')")  # what ends a line that is no heading
_LIST_ITEM = re.compile(r"[-\u2022*\u2013]\s")  # "- A civilian was shot dead in ..."
_NAME_BEFORE = re.compile(r"[A-Z][\w'\u2019.-]*\s+$")
_LOWER_WORD = re.compile(r"\b[a-z]{5,}")


def _in_name(clause: str, pos: int) -> bool:
    """Whether a capitalised word at ``pos`` continues a name ("Syrian Democratic
    Forces", "Local Defence Forces", "Hmeimim Air Base"): a name says who or what, not
    what happened. Not so in a headline in title case, where every word is capitalised."""
    return bool(_NAME_BEFORE.search(clause, max(0, pos - 40), pos)) and bool(
        _LOWER_WORD.search(clause)
    )


def actor_roles(
    clause: str,
    hits: list[tuple[int, str]],
    etype: str,
    cues: list[tuple[int, str, int]] | None = None,
) -> dict[str, str]:
    """Who acts and who is acted on: actors named before the clause's cue are agents;
    after it they are targets of violence or participants in anything else.
    ``hits`` are (offset in the clause, actor code); ``cues`` the clause's
    :func:`_cue_hits` when the caller has them already."""
    cues = _cue_hits(clause) if cues is None else cues
    rules = _rules()
    owned_by = rules["owned_by"] if any(w in clause for w in rules["owned_by_words"]) else None
    # a weapon followed by its owner ("a drone launched by a militia struck") is not
    # where the doers end: the next cue is
    cue = min(
        (pos for pos, _, _ in cues if not (owned_by and owned_by.match(clause, pos))),
        default=None,
    )
    after = "target" if etype in VIOLENT else "participant"
    roles: dict[str, str] = {}
    for pos, code in sorted(hits):
        role = "agent" if cue is None or pos < cue else after
        roles.setdefault(code, role)
    return roles


def event_type(sentence: str, cues: list[tuple[int, str, int]] | None = None) -> str:
    """The event type whose cues weigh most in the sentence (``other`` when none); on a tie
    the type cued first wins, as the main verb tends to come first. ``cues``: the
    sentence's :func:`_cue_hits` when the caller has them already."""
    # one word counts once: "elections" matches both the cue "election" (plurals count)
    # and the cue "elections"; the heavier reading stands
    weights: dict[tuple[int, str], int] = {}
    for pos, etype, weight in _cue_hits(sentence) if cues is None else cues:
        weights[pos, etype] = max(weights.get((pos, etype), 0), weight)
    scores: dict[str, int] = {}
    first: dict[str, int] = {}
    for (pos, etype), weight in weights.items():
        scores[etype] = scores.get(etype, 0) + weight
        first[etype] = min(first.get(etype, pos), pos)
    if not scores:
        return "other"
    return max(scores, key=lambda t: (scores[t], -first[t]))


_LEAD_IN = re.compile(  # what may open a sentence before a date that dates all of it
    rf"\W*(?:(?:on|in|by|since|early|late|mid)\s+)?(?:(?:{'|'.join(WEEKDAYS)}),?\s+)?(?:the\s+)?",
    re.IGNORECASE,
)
_RELATIVE_WORD = re.compile(  # "before dawn" is a time of day, not a clause
    r"\b(?:that|which|who|whose|when|"
    r"(?:since|after|before|until)(?!\s+(?:dawn|daybreak|sunrise|noon|dusk|sunset|midnight)))\b"
)


def _mention_date(
    text: str,
    s: int,
    phrases: list[Phrase],
    clauses: list[tuple[int, int]],
    m: Mention,
    clause: tuple[int, int],
    cues_of: Callable[[int, int], list[tuple[int, str, int]]],
) -> tuple[str | None, str | None]:
    """The date of what happens at a mention in ``clause``, among its sentence's date
    ``phrases`` (offsets from ``s``): the nearest one that tells of it. A date in a relative or
    subordinate stretch of its clause that the mention is not in ("two towns that
    government forces captured in early 2020") dates another happening, and so does one
    in another clause that reports a happening of its own ("lost Baghouz in March 2019,
    but its cells have stepped up attacks across the Badia") - unless the mention's
    clause is subordinate to it ("..., when ISIS ambushed a bus near Palmyra")."""
    cs, ce = clause
    subordinate = bool(_rules()["subordinate_start"].match(text, cs))
    best: tuple[int, str | None, str | None] | None = None
    for at, to, iso, precision in phrases:
        pos = s + at
        if _LEAD_IN.fullmatch(text, s, pos):
            pass  # "On Sunday, October 8, 2023, drones hit ..., while another strike ...": all
        elif cs <= pos < ce:
            a = text.rfind(",", cs, pos) + 1 or cs
            b = text.find(",", s + to, ce)
            own = a <= m.start < (ce if b < 0 else b)
            # "since December 2024": the date's own preposition opens no stretch
            if not own and any(
                text[r.end() : pos].strip() for r in _RELATIVE_WORD.finditer(text, a, pos)
            ):
                continue
        else:
            c0, c1 = next(c for c in clauses if c[0] <= pos < c[1])
            # a clause opening the sentence ("As rebels captured the capital in early
            # December 2024, ...") dates the main clause too
            opener = c0 == s and bool(_rules()["opening_clause"].match(text, s))
            if not subordinate and not opener and cues_of(c0, c1):
                continue
        # "seized Afrin in March 2018 and Ras al-Ain in October 2019": a date before an
        # "and" that opens the place's conjunct dates the conjunct before it
        far = pos < m.start and text.find(" and ", s + to, m.start) >= 0
        distance = abs(pos - m.start) + (_CONJUNCT_PENALTY if far else 0)
        if best is None or distance < best[0]:
            best = (distance, iso, precision)
    return (best[1], best[2]) if best else (None, None)


_CONJUNCT_PENALTY = 1000  # characters: more than a sentence, so any other date wins


def _worth_a_point(m: Mention, others: list[Mention], cs: int, ce: int) -> bool:
    """Literal places finer than a macro-region; a containing place yields to a finer one
    in its sentence, and a country to any finer place in its clause ``[cs, ce)``: the
    finest location is where a happening is coded ("talks at the Kremlin on Syria",
    "Idlib province on the border with Türkiye")."""
    if not m.literal or (m.kind == "region" and not m.country):
        return False
    finer = [
        o
        for o in others
        if o is not m and o.literal and o.country and o.geo_precision < m.geo_precision
    ]
    if m.kind == "country":
        return not any(o.country == m.country or cs <= o.start < ce for o in finer)
    if m.kind == "natural_feature":  # "a bridge over the Orontes near Hermel"
        return not any(cs <= o.start < ce for o in finer)
    if m.kind == "governorate":  # so does a hill or a plain of the province
        features = (o for o in others if o is not m and o.literal and o.kind == "natural_feature")
        return not any(o.admin1 == m.name for o in (*finer, *features))
    if m.kind in ("city", "town"):  # "In Raqqa, ... in the al-Mashlab neighbourhood"
        return not any(
            o is not m
            and o.literal
            and o.kind in _INSIDE_KINDS
            and within_km(m.lat, m.lon, o.lat, o.lon, _INSIDE_KM)
            for o in others
        )
    return True


_FINE_KINDS = frozenset(
    {"neighbourhood", "camp", "military_base", "airport", "landmark", "border_crossing"}
)

_INSIDE_KM = 8  # a neighbourhood, a landmark or a base this close to a town is part of it
_INSIDE_KINDS = _FINE_KINDS - {"border_crossing"}  # a way out of the town, not a part of it


def _size(m: Mention) -> int:
    """How large a place is, for "X in Y": a camp or a base lies inside a town."""
    return 2 * m.geo_precision - (m.kind in _FINE_KINDS)


def _locates_only(text: str, before: list[Mention], m: Mention, opens_line: bool) -> bool:
    """Whether a place is named only to locate another, or to describe someone: "Tal
    Rifaat, north of Aleppo", "al-Hol camp in al-Hasakah", "east of the Euphrates", "the
    Britain-based Observatory", or in a dateline (``opens_line``: whether its sentence
    starts a line, as a dateline does). Such a place carries no event (the gold's
    reference places); nor does a heading that only names its section's land ("Syria"),
    or where a source is or a person comes from ("sources in Damascus said", "a researcher
    from Mayadeen"), or an end of a road (:func:`_on_a_road`).
    ``before``: the sentence's places before ``m``; the one right before may own it ("the
    Cilvegozu gate in Hatay's Reyhanli district"), and the locator then stands before
    the owner."""
    rules = _rules()
    previous = before[-1] if before else None
    until = m.start
    if len(before) > 1 and _area_of(text, previous, m):
        previous, until = before[-2], previous.start
    if text.startswith(rules["attributive_after"], m.end) or (
        opens_line and (is_dateline(text, m) or is_heading(text, m))
    ):
        return True
    reach = max(0, m.start - _REFERENCE_REACH)
    if (
        _side_area(text, m)
        or (
            _has_stem(text, reach, m.start, "reference_stems")
            and rules["reference_after"].search(text, reach, m.start)
        )
        or rules["whereabouts"].search(text, max(0, m.start - _WHEREABOUTS_REACH), m.start)
        or _on_a_road(text, m)
    ):
        return True
    if previous is None or m.start - previous.end > _LOCATOR_REACH or _side_area(text, previous):
        return False  # "patrols east of the Euphrates near Kobani" happen at Kobani
    if rules["distance_side"].search(text, max(previous.end, m.start - _REFERENCE_REACH), m.start):
        return True  # "al-Sukhnah, a town of some 10,000 people 70 km northeast of Palmyra"
    if _IN_PARENTHESES.fullmatch(text, previous.end, m.start):
        # "Al-Shaddadi base (southern Hasakah)": the area it lies in, or its other name
        return _size(m) >= _size(previous)
    # a place locates one no larger than itself: "the Orontes near Jisr al-Shughur" is
    # where on the river, not a river near the town
    how = rules["locator"].fullmatch(text, previous.end, until)
    larger = _size(m) - _size(previous)
    return bool(how) and (larger > 0 or (larger == 0 and how.lastgroup == "beside"))


def _on_a_road(text: str, m: Mention) -> bool:
    """Whether a place is an end of a road, a pipeline or a line named after its ends ("the
    Palmyra–Deir ez-Zor road", ``roads``): it locates the road, and carries no event."""
    rules = _rules()
    if text[m.end : m.end + 2].strip()[:1] in _DASHES:
        return bool(rules["road_after"].match(text, m.end))
    return (
        text[max(0, m.start - 2) : m.start].strip()[-1:] in _DASHES
        and text[max(0, m.start - 3) : m.start - 1].strip()[-1:].isalpha()
        and bool(rules["road_end"].match(text, m.end))
    )


_DASHES = frozenset("-\u2013\u2014")


def _area_of(text: str, m: Mention, after: Mention) -> bool:
    """Whether a place names the area the next one lies in: "the Idlib town of Saraqib",
    "the Bekaa town of Brital" (``area_of`` in event_rules.json), "Damascus's Mezzeh
    district"."""
    return (
        after.start - m.end < _AREA_OF_REACH
        and bool(_rules()["area_of"].fullmatch(text, m.end, after.start))
    ) or owns_place(text, m, after)


_AREA_OF_REACH = 30  # characters: " border town of the "
_WHEREABOUTS_REACH = 25  # characters: "correspondents based in the "
_REFERENCE_REACH = 60  # characters: "linking the northern city of Aleppo and "


def _side_area(text: str, m: Mention) -> bool:
    """A river or another natural feature after a side ("east of the Euphrates"): it
    names the area on that side; so does any place after a side set off by a comma
    (", west of Saraqib,"), which locates what comes before it, named or not."""
    start = max(0, m.start - 30)
    if m.kind != "natural_feature" and text.find(",", start, m.start) < 0:
        return False  # the cheap test first: most places follow no comma
    side = _rules()["side_of"].search(text, start, m.start)
    return bool(side) and (
        m.kind == "natural_feature" or text[: side.start()].rstrip().endswith(",")
    )


# a place's head noun or two, then a parenthesis opening on the area it lies in
_IN_PARENTHESES = re.compile(
    r"(?:\s+[a-z-]+){0,3}\s*\(\s*(?:(?:northern|southern|eastern|western|central|"
    r"north|south|east|west|rural|countryside\s+of)\s+)?"
)
_LOCATOR_REACH = 80  # characters: longer gaps between two places hold more than a locator


def _locator(beside: list[str], within: list[str]) -> re.Pattern[str]:
    """The text between two places where the second only locates the first: after the
    first's parenthesised alias and a comma, an apposition ("a village that straddles the
    border") or a head noun or two ("the Jeddah-1 rehabilitation centre"), a distance
    ("15km (9 miles)"), then a phrase (the group named after its kind), then up to three
    lower-case words ("near the northeastern city of")."""
    return re.compile(
        r"[\s)]*(?:\([^)]*\)\s*)?,?\s*(?:an?\s+(?:[a-z-]+\s+){1,6}?"
        r"|(?:(?!(?:and|or|but|as|while|then|where|when|which|that|who)\s)[a-z-]+\s+){1,2}?)?"
        r"(?:(?:some|about|around|roughly)\s+)?"
        r"(?:\d[\d.,]*\s*(?:km|kilometres|kilometers|miles)\s+(?:\([^)]*\)\s*)?)?(?:the\s+)?"
        rf"(?:(?P<beside>{_words(beside)})|(?P<within>{_words(within)}))"
        r"\s+(?:the\s+)?(?:[a-z-]+\s+){0,3}"
    )


def _words(phrases: list[str]) -> str:
    """An alternation of whole-word phrases (any spacing between their words)."""
    return r"\b(?:" + "|".join(r"\s+".join(map(re.escape, w.split())) for w in phrases) + r")\b"


# what may stand between a comma and a subordinator: ", soon after", ", days after"
_BEFORE_SUBORDINATOR = (
    r"(?:(?:soon|shortly|just|only|even|(?:(?:a|one|two|three|several|a\s+few|\d+)\s+)?"
    r"(?:minutes?|hours?|days?|weeks?|months?|years?))\s+)?"
)


@lru_cache(maxsize=1)
def _rules() -> dict:
    """``event_rules.json`` compiled: ``topic_before`` must end the text it is searched in,
    ``attribution`` spans its phrase up to the next comma."""
    data = json.loads((DATA_DIR / "event_rules.json").read_text(encoding="utf-8"))
    return {
        "topic_before": re.compile(_words(data["topic_before"]) + r"\s*$", re.IGNORECASE),
        "attribution": re.compile(_words(data["attribution"]) + r"[^,;]*", re.IGNORECASE),
        # ", <speaker> <verb> [when or where: 'on Thursday', 'in a statement'; whom: 'told
        # AFP']" closing the sentence; not a relative clause (", that officials said were")
        "closing_attribution": re.compile(
            r",[\"\u201d]?\s+(?!(?:that|which|who|whom|where|when)\b)[^,;:\"\u201c\u201d]{2,160}?\s+"
            + _words(data["closing_attribution"])
            + r"(?:\s+(?:on|in|at|to|from|via|during|late|early|last|this|earlier|later|"
            r"yesterday|today|without)\b[^,;:\"\u201c\u201d]{0,60}"
            r"|(?<=told)(?:\s+[^,;:\"\u201c\u201d\s]+){1,4})?"
            # ", speaking on condition of anonymity because ..."
             + rf"(?:{_SPEAKING.pattern}[^,;:\"\u201c\u201d]{{0,120}})?$"
        ),
        # "<speaker> <verb> [in a statement, on Thursday] that" opening the sentence
        "opening_attribution": re.compile(
            r"[^,;:\"\u201c\u201d]{2,120}?\s+"
            + _words(data["closing_attribution"])
            + r"(?:\s+(?:in|on|at|late|early)\b[^,;:\"\u201c\u201d]{0,40}?)?\s+that\b"
            + r"|[^,;:\"\u201c\u201d]{2,80}?\s+says?\s"
        ),
        # _CLAUSE_BREAK, or the comma before a subordinate clause: one pass per sentence
        "breaks": re.compile(
            _CLAUSE_BREAK.pattern
            + r"|,(?=\s+"
            + _BEFORE_SUBORDINATOR
            + r"(?i:"
            + _words(data["subordinators"])
            + "))"
            + r"|\s(?=(?:after|before)\s+(?!\d)[a-z])"
        ),
        # a clause that starts with one (after its comma) is subordinate
        "subordinate_start": re.compile(
            r"\s*" + _BEFORE_SUBORDINATOR + r"(?i:" + _words(data["subordinators"]) + ")"
        ),
        "opening_clause": re.compile(
            r"\W*(?i:" + _words(data["subordinators"] + data["openers"]) + r")\s"
        ),
        "area_types": frozenset(data["area_types"]),
        "state_types": frozenset(data["state_types"]),
        "partyless_types": frozenset(data["partyless_types"]),
        "small_kinds": frozenset(data["small_kinds"]),
        "unarmed": frozenset(data["unarmed"]),
        "governing_types": frozenset(data["governing_types"]),
        "description": re.compile(_words(data["descriptions"])),
        "agentless": re.compile(_words(data["agentless"]), re.IGNORECASE),
        "subject_owned": re.compile(_words(data["subject_owned"])),
        "backdrop": re.compile(rf"\b(?:{_words(data['backdrop'])})\s+(?:the\s+)?$"),
        # "since the fall of Assad", "since Assad's ouster": a time, not a party
        "epoch": re.compile(
            r"\b(?:[Ss]ince|[Aa]fter|[Bb]efore|[Uu]ntil|[Ff]ollowing)\s+(?:the\s+)?(?:"
            + _words(data["epochs"])
            + r"\s+of\s+(?:the\s+)?(?:former\s+)?[\w'\u2019-]+"
            + r"(?:\s+(?:al-)?[A-Z][\w'\u2019-]*){0,2}"
            + r"|[\w'\u2019-]+(?:\s+[\w'\u2019-]+)?['\u2019]s\s+"
            + _words(data["epochs"])
            + ")"
            # "when Assad fell", "the day Bashar al-Assad fled to Moscow": up to a comma
            + r"|\b(?:[Ww]hen|[Tt]he\s+day|[Ss]ince|[Aa]fter|[Bb]efore|[Uu]ntil)\s+"
            + r"(?:former\s+)?(?:[Pp]resident\s+)?(?:[A-Z][\w'\u2019-]*\s+)?"
            + r"(?:al-)?[A-Z][\w'\u2019-]*"
            + r"\s+"
            + _words(data["epoch_verbs"])
            + r"\b[^,;]*"
        ),
        "as_not_after": frozenset(data["as_not_after"]),
        "back_reference": re.compile(_words(data["back_references"]), re.IGNORECASE),
        # "the Homs attack" (after the place) and "the raid on Khiam" (before it)
        "happening_after": re.compile(r"\s+" + _words(data["happening_nouns"]), re.IGNORECASE),
        "happening_before": re.compile(
            r"\b[Tt]he\s+(?:[\w-]+\s+)?"
            + _words(data["happening_nouns"])
            + r"\s+(?:"
            + "|".join(_HAPPENING_PREPOSITIONS)
            + r")\s+(?:the\s+)?$"
        ),
        "told_before": re.compile(r"\bhad\s+" + _words(data["earlier_markers"])),
        "locator": _locator(data["locators"]["beside"] + data["sides"], data["locators"]["within"]),
        "side_of": re.compile(_words(data["sides"]) + r"\s+(?:the\s+)?$", re.IGNORECASE),
        # a distance and a side: "30 km (19 miles) east of", which only locates
        "distance_side": re.compile(
            r"\d\s*(?:km|kilometres|kilometers|miles)\s+(?:\([^)]*\)\s+)?"
            + _words(data["sides"])
            + r"\s+(?:the\s+)?$",
            re.IGNORECASE,
        ),
        "attributive_after": tuple(data["attributive_after"]),
        "owned_by": re.compile(r"[\w-]+\s+" + _words(data["owned_by"])),
        # their first words, for a cheap test before the pattern runs
        "owned_by_words": tuple({w.split()[0] for w in data["owned_by"]}),
        "credits": re.compile(_words(data["credits"]), re.IGNORECASE),
        "unfired": re.compile(
            _words(
                [w for kind in ("goods", "clearance", "hazards") for w in data["not_fired"][kind]]
            )
            + _UP_TO_FOUR_WORDS,
            re.I,
        ),
        "air_support": re.compile(
            _words(data["not_fired"]["air_support"]) + _UP_TO_FOUR_WORDS, re.I
        ),
        "air_power": re.compile("|".join(data["not_fired"]["air_power"]), re.IGNORECASE),
        "aid_movement": re.compile(_words(data["aid_cargo"]["movements"]), re.IGNORECASE),
        "aid": re.compile(_words(data["aid_cargo"]["aid"]), re.IGNORECASE),
        # "signed in", "agreed with Damascus and Washington in": no "to" ("agreed to deploy
        # troops in") nor the ground of the deal ("brokered a truce in") between
        "deal_venue_before": re.compile(
            _words(data["deal_venue"])
            + rf"\s+(?:(?!to\b|{_words(data['deal_ground'])})[\w'\u2019-]+\s+){{0,4}}?"
            + r"(?:in|at)\s+(?:the\s+)?$"
        ),
        "deal_venue_after": re.compile(
            r"[^,;]{0,40}?,\s+where\s+(?:[\w'\u2019-]+\s+){0,4}?" + _words(data["deal_venue"])
        ),
        "archival": re.compile(r"\W*" + _words(data["archival"]) + r"\s*[-\u2013\u2014:]\s"),
        # "Russia, a key Assad ally, ...": the subject's name, then its apposition
        "backer_apposition": re.compile(
            r"[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*){0,3},\s+[^,;]{0,60}?"
            + _words(data["backer_apposition"])
            + r"[^,;]{0,40},"
        ),
        "reference_after": re.compile(_words(data["reference_after"]) + r"[^,;.]*$"),
        # "the Palmyra–Deir ez-Zor road": the place before the dash, and the one after it
        "road_after": re.compile(
            r"\s?[-\u2013\u2014]\s?[A-Z][\w'\u2019-]*(?:\s+[\w'\u2019-]+){0,3}?\s+"
            r"(?:M\d+\s+)?" + _words(data["roads"])
        ),
        "road_end": re.compile(r"\s+(?:M\d+\s+)?" + _words(data["roads"])),
        "whereabouts": re.compile(_words(data["whereabouts"]) + r"\s+(?:the\s+)?$", re.IGNORECASE),
        # for a cheap test before these patterns run: each phrase's longest word without
        # its first letter (which may be a capital)
        "attribution_stems": _stems(data["attribution"]),
        "credit_stems": _stems(data["credits"]),
        "epoch_stems": _stems(data["epochs"] + data["epoch_verbs"]),
        "reference_stems": _stems(data["reference_after"]),
        "closing_stems": _stems(data["closing_attribution"]),
        "area_of": re.compile(r"\s+(?:[a-z-]+\s+)?" + _words(data["area_of"]) + r"\s+(?:the\s+)?"),
        "speakers": frozenset(data["agents_only"]["speakers"]),
        "announced_by_parties": frozenset(data["announced_by_parties"]),
        "protesters": frozenset(data["agents_only"]["protesters"]),
    }


def _parties(
    clause: str, hits: list[tuple[int, str]], etype: str, cues: list[tuple[int, str, int]]
) -> tuple[list[str], dict[str, str]]:
    """The actors of a clause and their roles; for a statement or a protest, without what is
    said or protested against ("welcomed the rapprochement between Syria and Turkey"):
    those are not parties."""
    rules = _rules()
    roles = actor_roles(clause, hits, etype, cues)
    speaker = etype in rules["speakers"] and "agent" in roles.values()
    if speaker or etype in rules["protesters"]:
        roles = {code: role for code, role in roles.items() if role == "agent"}
    return sorted(roles), roles


def _cited(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """The spans of sentence ``[s, e)`` whose actors are no party: a cited source
    ("according to UN data"), whom an apposition on the opening subject says it backs
    ("Russia, a key Assad ally, has kept ..."), and who names a time ("since the fall of
    Assad")."""
    rules = _rules()
    cited = []
    if _has_stem(text, s, e, "attribution_stems"):
        cited = [c.span() for c in rules["attribution"].finditer(text, s, e)]
    if (apposed := rules["backer_apposition"].match(text, s, e)) is not None:
        cited.append((text.index(",", s), apposed.end()))
    if _has_stem(text, s, e, "epoch_stems"):
        cited += [c.span() for c in rules["epoch"].finditer(text, s, e)]
    return cited


def _closing_attribution(text: str, s: int, e: int) -> tuple[int, int] | None:
    """The span of the attribution that closes sentence ``[s, e)`` (", the SDF added."):
    who reports a happening is no party to it, unless the report is a statement."""
    end = e - 1 if text[e - 1 : e] in '.\u201d"' else e
    end -= text[end - 1 : end] in '.\u201d"'
    last = text.rfind(",", s, end)
    if last > s and _SPEAKING.match(text, last):  # ", speaking on condition of anonymity"
        last = text.rfind(",", s, last)
    if last < 0 or not _has_stem(text, last, end, "closing_stems"):
        return None
    m = _rules()["closing_attribution"].match(text, last, end)
    return m.span() if m else None


_SPEAKING = re.compile(r",\s+(?:speaking|declining|asking|requesting)\b")


_SAYS_THAT = re.compile(r" that | says? ")  # the cheap test before the pattern
_BACK_REACH = 24  # characters after an attribution where a pronoun is its speaker ("said its")
_BACK_PRONOUN = re.compile(r"\b(?:it|its|itself|they|their|them|we|our|he|his|she|her)\b", re.I)


def _opening_attribution(text: str, s: int, e: int) -> tuple[int, int] | None:
    """The span of the attribution that opens sentence ``[s, e)`` ("The Defence Ministry
    said in a statement that strikes hit ...", a headline's "State media says ..."): its
    speaker is the source, not a party - unless what follows refers back to it ("said its
    jets struck", "IDF says it struck")."""
    if _SAYS_THAT.search(text, s, e) is None:
        return None
    m = _rules()["opening_attribution"].match(text, s, e)
    if m is None or _BACK_PRONOUN.search(text, m.end(), min(e, m.end() + _BACK_REACH)):
        return None
    return m.span()


def _stems(phrases: list[str]) -> re.Pattern[str]:
    """Each phrase's longest word without its first letter (which may be a capital), as
    one pattern of plain strings: a test cheap and case-blind enough to skip the phrase's
    own pattern where it cannot match."""
    return re.compile("|".join(sorted({re.escape(max(w.split(), key=len)[1:]) for w in phrases})))


def _has_stem(text: str, s: int, e: int, stems: str) -> bool:
    """Whether ``text[s:e]`` holds one of the stems ``_rules()[stems]``."""
    return _rules()[stems].search(text, s, e) is not None


def _topic_possessor(text: str, s: int, x: Mention) -> bool:
    """A state named as the possessor of a topic ("talks on Syria's settlement", "a debate
    about Iran's role"): what is discussed, not who takes part. ``s``: where the
    sentence starts."""
    return bool(
        _POSSESSIVE.match(text, x.end)
        and _rules()["topic_before"].search(text, max(s, x.start - _TOPIC_REACH), x.start)
    )


_TOPIC_REACH = 40  # characters before a place searched for a topic word: it must end there
_POSSESSIVE = re.compile(r"['\u2019]s\b")


def _label(text: str, x: Mention) -> bool:
    """Whether a place opens its line as a label ("Syria live: Turkish drone kills ...",
    "Lebanon: ..."): the page's subject, no party to what the line tells."""
    return (x.start == 0 or text[x.start - 1] == "\n") and bool(_LABEL.match(text, x.end))


_LABEL = re.compile(r"(?:\s[a-z]+){0,2}:\s")


def _topic_use(m: Mention, etype: str, before: str) -> bool:
    """A country after a topic word in a clause that reports no happening ("manoeuvres over
    Syria", "Focused on Ukraine, ..."): what the text is about, not where something took
    place, so it carries no event - and cannot lend its cast to a later report it would
    fold with. ``before``: the clause's text up to the mention."""
    return (
        etype == "other"
        and m.kind == "country"
        and bool(_rules()["topic_before"].search(before[-_TOPIC_REACH:]))
    )


def article_events(
    parsed: ParsedArticle, text: str, pipeline: Pipeline, published: dt.date | None = None
) -> list[Event]:
    """Events of one parsed article (repeated sentences at one place folded together).
    ``published`` anchors relative dates ("on Thursday")."""
    rules = _rules()
    events: list[Event] = []
    first_at: dict[str, Event] = {}  # the first event at each place, by place id
    # both in text order: a sentence's share of each is found by bisection
    mention_starts = [m.start for m in parsed.mentions]
    hit_starts = [h.start for h in parsed.actor_hits]
    for a, b in parsed.article.spans():
        leads = cue_leads(parsed.folded, a, b)
        lead_starts = [pos for pos, _ in leads]
        # the last sentence of the paragraph that named actors
        antecedent: tuple[int, int, list[ActorHit]] | None = None
        previous: tuple[int, int, list[ActorHit]] | None = None  # the last to name actors
        dates = StoryDates(published)
        latest = ""  # the latest year the article has given so far: the story's own
        # a line ending in a colon, the actors it names and the day it gives: the items of
        # the list after it continue it ("US troops are now in three places:" / "- the
        # Rmeilan airstrip;"), and happened that day ("Violations recorded on Sunday, 19
        # July 2026:") - but for a status "as of" a day, which dates no happening
        intro: tuple[int, int, list[str], tuple[str | None, str | None]] | None = None
        for s, e in sentences(text, a, b):
            if "\n" in text[max(a, s - 2) : s]:
                if not _LIST_ITEM.match(text, s):
                    antecedent = None
                    intro = None
                else:  # an item of a list tells a story of its own, though its "Troops"
                    previous = None  # may still be the forces of the item before it
                if text[e - 1] not in _STOPS:  # so does a section under a heading
                    previous = None
            listed = intro
            clause_cues: dict[tuple[int, int], list[tuple[int, str, int]]] = {}

            def cues_of(
                cs: int, ce: int, clause_cues=clause_cues, leads=leads, lead_starts=lead_starts
            ) -> list[tuple[int, str, int]]:
                """The cues of clause ``[cs, ce)``, found once: its places share them."""
                cues = clause_cues.get((cs, ce))
                if cues is None:
                    inside = leads[bisect_left(lead_starts, cs) : bisect_left(lead_starts, ce)]
                    cues = clause_cues[cs, ce] = _cue_hits(text[cs:ce], inside, cs)
                return cues

            in_sentence = _subject_owned(
                text, s, spanned(parsed.actor_hits, hit_starts, s, e), pipeline, cues_of
            )
            named = _named((s, e, in_sentence))
            ms = spanned(parsed.mentions, mention_starts, s, e)
            sent = text[s:e]
            date, precision, phrases = dates.read(sent)
            if text.endswith(":", s, e):  # "Most of them are in three places:" (them: anaphor)
                day = (None, None) if _AS_OF.search(sent) else (date, precision)
                intro = (s, e, named or _named(antecedent), day)
            latest = max(latest, (date or "")[:4])
            if ms and _has_stem(text, s, e, "credit_stems") and rules["credits"].search(text, s, e):
                ms = []  # a credit line: where reporters filed from is no event
            elif ms and text.endswith(_ASKS, s, e):
                ms = []  # "What is Russia doing in Syria?" asks; it reports nothing
            if not ms:  # no place, no event: the sentence lends only its actors and date
                antecedent = (s, e, in_sentence) if named else antecedent
                previous = (s, e, in_sentence) if named else previous
                continue
            # a state's name used for another place's territory ("Kazan, Russia", "near
            # Turkey") names where, not who; as the event's own place ("invaded Ukraine")
            # it still names the side the happening befalls
            territory = {(x.start, x.end) for x in ms if x.literal}
            topics = {
                (x.start, x.end) for x in ms if _topic_possessor(text, s, x) or _label(text, x)
            }
            # a cited source ("according to UN data") is no party either
            cited = _cited(text, s, e)
            closing = _closing_attribution(text, s, e)
            opening = _opening_attribution(text, s, e)

            types: dict[tuple[int, int], str] = {}
            breaks = _clause_breaks(text, s, e)
            opens_line = s == a or text[s - 1] == "\n"
            # places that only locate another or describe someone carry no event, and
            # leave a country or a governorate its event ("Tripoli-based foes" in Libya)
            where = [
                m
                for i, m in enumerate(ms)  # a metonymic place carries none in any case
                if m.literal
                and not _locates_only(text, ms[:i], m, opens_line)
                and not (i + 1 < len(ms) and _area_of(text, m, ms[i + 1]))
            ]
            for m in where:
                cs, ce = _clause(breaks, s, e, m)
                if not _worth_a_point(m, where, cs, ce):
                    continue
                cues = cues_of(cs, ce)
                if closing and m.start < closing[0] <= ce:
                    # "..., the official said": the place is in what is said, not where
                    cues = [c for c in cues if not closing[0] <= cs + c[0] < closing[1]]
                if not cues and (when := _WHEN_CLAUSE.match(text, ce, e)):
                    # a clause that says nothing of what happened, and a "when" clause
                    # after it that does ("have not forgotten November 28, when a raid")
                    cues = [(p + when.end() - cs, t, w) for p, t, w in cues_of(when.end(), e)]
                if not cues and listed:  # an item of a list: what its lead-in says happens
                    cues = [(p + listed[0] - cs, t, w) for p, t, w in cues_of(*listed[:2])]
                if not cues and rules["description"].search(text, cs, ce):
                    continue  # "The dam lies on the Euphrates": where it is, not what happened
                etype = _mention_type(text, cs, ce, m, cues, types)
                if _topic_use(m, etype, text[cs : m.start]):
                    continue
                told = first_at.get(m.place_id)
                if told is not None and _names_a_happening(text, s, m):
                    # "No group claimed the Homs attack": the event told of at the place
                    _fold(told, Report(sent, s, e, m, [], None, None), "other", {})
                    continue
                reporting = closing is not None and closing[0] <= m.start < closing[1]
                if reporting:  # "..., the SDF told reporters in Qamishli": the report is
                    cs, ce = closing  # what happens there, and the reporter its party
                    cues = cues_of(cs, ce)
                end = _parties_end(text, cs, ce, m)
                # who reports the happening is no party to it - unless the report is the
                # happening or part of it (who announces a deal takes part in it)
                sources = (
                    [*cited, closing]
                    if closing and etype not in rules["announced_by_parties"] and not reporting
                    else cited
                )
                if opening and etype not in rules["announced_by_parties"] and m.start >= opening[1]:
                    sources = [*sources, opening]
                # a place inside such a span ("the day Assad fled to Moscow") takes its actors
                if own := next(((a, b) for a, b in sources if a <= m.start < b), None):
                    sources = [(cs, own[0]), (own[1], ce)]
                hits = [
                    (h.start - cs, h.code)
                    for h in in_sentence
                    if cs <= h.start
                    and h.end <= end
                    and ((h.start, h.end) not in territory or h.start == m.start)
                    and (h.start, h.end) not in topics
                    and not any(a <= h.start < b for a, b in sources)
                ]
                for x in ms:
                    if (
                        cs <= x.start < end
                        and (x.start, x.end) not in topics
                        and not any(a <= x.start < b for a, b in sources)
                    ):
                        hits += [
                            (x.start - cs, c)
                            for c in pipeline.mention_actors([x], metonymic_only=True)
                        ]
                actors, roles = _parties(text[cs:ce], hits, etype, cues)
                if not actors and _acting_anaphor(text[cs:ce], cues):
                    # "he", "the warplanes": who acted in the previous sentence ("Israeli
                    # forces moved in the day Assad fled" / "They took up positions"), or
                    # whom it named when no one acted there
                    actors = []
                    if antecedent:
                        ps, pe, hits_before = antecedent
                        actors = _agents(text[ps:pe], ps, hits_before, cues_of(ps, pe))
                        actors = actors or _named(antecedent)
                    roles = dict.fromkeys(actors, "agent")
                elif not actors and listed:  # an item: the parties its lead-in names
                    actors = listed[2]
                    roles = dict.fromkeys(actors, "agent")
                elif not actors and (when := _WHEN_CLAUSE.match(text, ce, e)):
                    # "people were displaced from Shehba in 2024, when the Turkish occupation
                    # and its mercenaries attacked": who acted then caused it
                    whom = [h for h in in_sentence if when.end() <= h.start]
                    actors = _agents(text[when.end() : e], when.end(), whom, cues_of(when.end(), e))
                    roles = dict.fromkeys(actors, "agent")
                elif (
                    etype in VIOLENT
                    and "agent" not in roles.values()
                    and not _uncoded_agent(text, ms, in_sentence, cs, cues)
                    and not rules["agentless"].search(text, cs, ce)
                ):
                    # "A separate strike hit ...": violence with no one doing it is done by
                    # whoever acts in another clause of the sentence ("ISIS stepped up
                    # attacks, as the monitor counted nine in Shuhail"), or else in the last
                    # sentence that named anyone
                    others = [
                        h
                        for h in in_sentence
                        if not cs <= h.start < ce and not any(a <= h.start < b for a, b in sources)
                    ]
                    borrowed = others and _agents(sent, s, others, cues_of(s, e))
                    if not borrowed and previous:
                        ps, pe, hits_before = previous
                        borrowed = _agents(text[ps:pe], ps, hits_before, cues_of(ps, pe))
                    armed = [c for c in borrowed or () if c not in rules["unarmed"]]
                    roles |= dict.fromkeys(armed, "agent")
                    actors = sorted(roles)
                when = (date, precision)
                if any(iso for _, _, iso, _ in phrases):  # a sentence may date several happenings
                    clauses = _clauses(breaks, s, e)
                    when = _mention_date(text, s, phrases, clauses, m, (cs, ce), cues_of)
                elif date is None and listed:  # an item of a list: its lead-in's day
                    when = listed[3]
                report = Report(sent, s, e, m, actors, *when)
                agents = {code for code, role in roles.items() if role == "agent"}
                same = next(
                    (
                        ev
                        for ev in events
                        if _same_in_article(ev, report, etype, cues, agents, latest)
                    ),
                    None,
                )
                if same is None:
                    events.append(Event(m, etype, actors, *when, [report], roles))
                    first_at.setdefault(m.place_id, events[-1])
                else:
                    local = _local_type(text, cs, ce, m, etype, cues)
                    dated = etype == same.event_type and _next_to(same, report)
                    _fold(same, report, local, roles, dated=dated)
            antecedent = (s, e, in_sentence) if named else antecedent
            previous = (s, e, in_sentence) if named else previous
    return events


def _subject_owned(
    text: str,
    s: int,
    hits: list[ActorHit],
    pipeline: Pipeline,
    cues_of: Callable[[int, int], list[tuple[int, str, int]]],
) -> list[ActorHit]:
    """A sentence's actor ``hits`` without the unmarked army nouns its opening state owns:
    "Israel has kept soldiers at nine positions" names Israel alone, where "Israeli jets
    struck army depots" (violence between them) names the depots' side too."""
    if len(hits) < 2 or (subject := hits[0]).code not in pipeline.actors.states:
        return hits
    owned = _rules()["subject_owned"]
    kept = hits[:1]
    for h in hits[1:]:
        if (
            h.code != subject.code
            and h.code in pipeline.actors.states
            and owned.match(text, h.start)
            and text[h.start : h.end].islower()
        ):
            cues = cues_of(s, h.start)
            if not any(etype in VIOLENT and subject.end - s <= pos for pos, etype, _ in cues):
                continue
        kept.append(h)
    return kept


def _named(sentence: tuple[int, int, list[ActorHit]] | None) -> list[str]:
    """The codes a sentence (``start, end, hits``) names, sorted."""
    return sorted({h.code for h in sentence[2]}) if sentence else []


# a relative stretch, with the ", where" stretch that tells what happens at a place in it
_RELATIVE_STRETCH = re.compile(r",\s+(?:who|whose|which)\b[^,;]*(?:,\s*where\b[^,;]*)?")


def _parties_end(text: str, cs: int, ce: int, m: Mention) -> int:
    """Where the parties of a mention in clause ``[cs, ce)`` end: at the end of the
    relative stretch it is in ("Araghchi, who visited Damascus ..., has been urging
    Turkey": Turkey is no party to the visit), else at the clause's end."""
    if text.find(" wh", cs, ce) < 0:  # the cheap test first: most clauses have none
        return ce
    for r in _RELATIVE_STRETCH.finditer(text, cs, ce):
        if r.start() <= m.start < r.end():
            return r.end()
    return ce


def _uncoded_agent(
    text: str,
    ms: list[Mention],
    hits: list[ActorHit],
    cs: int,
    cues: list[tuple[int, str, int]],
) -> bool:
    """Whether a state outside the actor codes acts in the clause starting at ``cs``
    ("Azerbaijan routed ...", "Jordanian border guards killed ..."): a metonymic place,
    or a demonym no actor alias covers, before the clause's first cue."""
    cue = cs + min((pos for pos, _, _ in cues), default=0)
    if any(not x.literal and cs <= x.start < cue for x in ms):
        return True
    return any(
        not any(h.start <= d.start() < h.end for h in hits)
        for d in _DEMONYM_WORD.finditer(text, cs, cue)
    )


_DEMONYM_WORD = re.compile(r"\b[A-Z][a-z]+(?:ians?|ish|ese|is?)\b")  # "Jordanian", "Iraqi"


def _agents(sent: str, s: int, hits: list[ActorHit], cues: list[tuple[int, str, int]]) -> list[str]:
    """Who acts in a sentence starting at ``s``, given its actor ``hits`` and its
    :func:`_cue_hits`; a statement's speaker is no one who acts."""
    etype = event_type(sent, cues)
    if etype in _rules()["speakers"]:
        return []
    roles = actor_roles(sent, [(h.start - s, h.code) for h in hits], etype, cues)
    return [code for code, role in roles.items() if role == "agent"]


_ANAPHOR_NOUNS = (
    r"(?:warplanes|jets|forces|troops|soldiers|militants|fighters|rebels|delegation|envoy)"
)
_ANAPHOR = re.compile(  # "they", "the warplanes", "its troops", and "Troops" opening a clause
    r"\b(?:[Hh]e|[Ss]he|[Tt]hey|(?:[Tt]he|[Ii]ts|[Tt]heir) " + _ANAPHOR_NOUNS + r")\b"
    r"|(?:^(?:[-\u2022*\u2013]\s+)?|(?<=[.;,] ))(?:Troops|Soldiers|Forces|Fighters)\b"
)


def _acting_anaphor(clause: str, cues: list[tuple[int, str, int]]) -> bool:
    """Whether a pronoun or definite anaphor of the clause does what it reports: it comes
    before the clause's first cue ("They shelled ...") or is the passive's agent ("... was
    shelled by the warplanes"). One after the cue stands for something else ("the
    understandings ... and ensuring that they hold"), so it borrows no actors."""
    cue = min((pos for pos, _, _ in cues), default=len(clause))
    return any(
        a.start() <= cue or clause[: a.start()].rstrip().endswith(" by")
        for a in _ANAPHOR.finditer(clause)
    )


_CLAUSE_BREAK = re.compile(r";|\s[–—]\s|,\s+(?:but|while|whereas|although)\s")


def _clause_breaks(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Where sentence ``[s, e)`` splits into clauses, in text order: :data:`_CLAUSE_BREAK`,
    a comma before a subordinate clause (", soon after Moscow launched ...") and the
    comma that closes one opening the sentence."""
    rules = _rules()
    breaks = [b.span() for b in rules["breaks"].finditer(text, s, e)]
    if " as " in text[s:e]:  # "rebels storm Aleppo as Russian jets strike Idleb"
        phrase = rules["as_not_after"]
        conj = [
            a.span()
            for a in _AS_CLAUSE.finditer(text, s, e)
            if _word_before(text, max(s, a.start() - 20), a.start()) not in phrase
        ]
        breaks = sorted(breaks + conj) if conj else breaks
    if rules["opening_clause"].match(text, s):
        comma = text.find(",", s, breaks[0][0] if breaks else e)
        if comma >= 0:
            breaks.insert(0, (comma, comma + 1))
    return breaks


_AS_CLAUSE = re.compile(  # not "Jabal al-Sheikh, as Syrians call Mount Hermon"
    r",?\s(?=as\s+(?:(?:the|more|some|many|new|its|their)\s+)?[A-Z])"
    r"(?!as\s+(?:the\s+)?[A-Z][\w'’-]*\s+(?:call|know|name)s?\b)"
)


def _word_before(text: str, a: int, b: int) -> str:
    """The last word of ``text[a:b]``, lower case ('' if none)."""
    words = text[a:b].split()
    return words[-1].lower() if words else ""


def _clauses(breaks: list[tuple[int, int]], s: int, e: int) -> list[tuple[int, int]]:
    """The clauses of sentence ``[s, e)`` given its clause ``breaks``, in text order."""
    return list(zip([s] + [be for _, be in breaks], [bs for bs, _ in breaks] + [e], strict=True))


def _clause(breaks: list[tuple[int, int]], s: int, e: int, m: Mention) -> tuple[int, int]:
    """The clause of sentence ``[s, e)`` that holds the mention, given the sentence's
    clause ``breaks`` (see :func:`_clause_breaks`): the type and the actors of
    "understandings hold in Idlib, but fronts heat up in Daraa" differ by clause."""
    start, end = s, e
    for bs, be in breaks:
        if be <= m.start:
            start = be
        elif bs >= m.end:
            end = bs
            break
    return start, end


def _stretch(text: str, cs: int, ce: int, m: Mention) -> tuple[int, int]:
    """The mention's own stretch of clause ``[cs, ce)``: between the commas around it,
    with the relative clause that tells what happens there ("from Kazan, Russia, where
    he attended the summit")."""
    a = text.rfind(",", cs, m.start) + 1 or cs
    b = text.find(",", m.end, ce)
    if b >= 0 and (where := _WHERE.match(text, b, ce)):
        b = text.find(",", where.end(), ce)
    return a, ce if b < 0 else b


_WHERE = re.compile(r",\s*(?:[A-Z][\w.'\u2019 -]*,\s*)?where\b")


def _mention_type(
    text: str,
    cs: int,
    ce: int,
    m: Mention,
    cues: list[tuple[int, str, int]],
    types: dict[tuple[int, int], str],
) -> str:
    """The type of what happens at a mention: the cues of its own stretch between commas
    when they say what happened, else the whole clause's. An apposition or a relative
    clause ("Turkish forces, deployed around Ras al-Ain since they seized it, also shelled
    villages near Tal Tamr") tells of another happening than the one at the place.
    Where a deal was made (:func:`_deal_venue`), the parties met there: talks.
    ``types``: the sentence's types so far, by stretch (its places share them)."""
    a, b = _stretch(text, cs, ce, m)
    own = [c for c in cues if a <= cs + c[0] < b]
    key = (a, b) if own else (cs, ce)
    own = own or cues
    etype = types.get(key)
    if etype is None:
        etype = types[key] = event_type("", own)
    if etype == "statement" and not _spoken_at(text, cs, ce, m, own):
        # the place is in what was said: the happening reported there gives the type
        etype = event_type("", [c for c in own if c[1] != "statement"])
    elif etype != "statement" and _speech_venue(text, cs, m, own):
        # "said in Paris that France would mediate": what happens in Paris is the saying
        etype = "statement"
    else:
        etype = _governing_type(text, cs, m, own, etype)
    return "meeting_talks" if _deal_venue(text, cs, ce, m) else etype


def _deal_venue(text: str, cs: int, ce: int, m: Mention) -> bool:
    """Whether a deal was made at the mention ("signed in Jeddah", "in Damascus, where the
    two men signed an agreement"), in the clause ``[cs, ce)``: the parties met there."""
    rules = _rules()
    return bool(
        rules["deal_venue_before"].search(text, max(cs, m.start - 80), m.start)
        or rules["deal_venue_after"].match(text, m.end, ce)
    )


def _governing_type(
    text: str, cs: int, m: Mention, cues: list[tuple[int, str, int]], etype: str
) -> str:
    """The type of the happening named right before the place, which governs it ("agreed
    a roadmap at talks in Amman"), else ``etype``, the clause's. Of cues that end there,
    the longest reads it ("a drone attack on"). Where both are violent, the clause's verb
    says how ("killed in an attack on Tower 22"), unless the noun is a backdrop to it
    ("bombed the ministry during fighting in Sweida")."""
    if not text.endswith(_BEFORE_PLACE_ANY, max(cs, m.start - 12), m.start):
        return etype  # the cheap test first: most places follow no such preposition
    pos = min(
        (p for p, _, _ in cues if cs + p < m.start and _GOVERNS.fullmatch(text, cs + p, m.start)),
        default=None,
    )
    if pos is None:
        return etype
    head = event_type("", [c for c in cues if c[0] == pos])
    rules = _rules()
    if head not in rules["governing_types"]:
        return etype
    if etype in VIOLENT and head in VIOLENT and not rules["backdrop"].search(text, cs, cs + pos):
        return etype
    return head


def _speech_venue(text: str, cs: int, m: Mention, cues: list[tuple[int, str, int]]) -> bool:
    """Whether a statement cue before the mention makes it the venue of the statement
    ("said in Paris", "condemned the strike at a press conference in Tehran", "speaking
    at the Kirya"), in the clause starting at ``cs``."""
    return any(
        etype == "statement" and cs + pos < m.start and _VENUE.fullmatch(text, cs + pos, m.start)
        for pos, etype, _ in cues
    )


# a statement cue, then up to three words (not "of": "accused of abuses in ..." says what,
# not where), then where: "said in", "press conference in", "speaking at the"
_VENUE = re.compile(r"\w+\s+(?:(?:a|an|the)\s+)?(?:(?!of\b)[\w-]+\s+){0,3}?(?:in|at)\s+(?:the\s+)?")


def _spoken_at(text: str, cs: int, ce: int, m: Mention, cues: list[tuple[int, str, int]]) -> bool:
    """Whether a statement was made at the mention ("told a briefing in Moscow", "In
    Erbil, a spokesman called on ..."), rather than the mention being part of what was
    said: inside a quotation, in the reported clause ("said its fighters fired rockets
    near Saraqeb"), in a relative clause on the speaker ("Umm Ahmad, who came back to
    Kafr Takharim, said"), or before an attribution that closes the clause ("..., the
    Observatory said")."""
    quotes = [ch for ch in text[cs : m.start] if ch in '"\u201c\u201d']
    if quotes and (quotes[-1] == "\u201c" or quotes.count('"') % 2):
        return False
    if any(r.start() < m.start <= r.end() for r in _RELATIVE_STRETCH.finditer(text, cs, ce)):
        return False  # "Umm Ahmad, who came back to Kafr Takharim, said": what she did there
    said = [cs + pos for pos, etype, _ in cues if etype == "statement"]
    first = min(said)
    if first < m.start:
        return _speech_venue(text, cs, m, cues)
    last_comma = text.rfind(",", m.end, min(said))
    return last_comma < 0 or len(text[last_comma:ce].split()) > 7


def _local_type(
    text: str, cs: int, ce: int, m: Mention, etype: str, cues: list[tuple[int, str, int]]
) -> str:
    """The type a later report gives the event it folds into: the clause's type when a cue
    of that type stands in the mention's own stretch between commas, else ``other`` (an
    untyped back-reference, adding no actors). "Focused on Ukraine, Russia had few
    resources left ... amid the war with Israel" mentions Ukraine, but the war it names is
    another one, with other parties."""
    a, b = _stretch(text, cs, ce, m)
    return etype if any(t == etype and a <= cs + pos < b for pos, t, _ in cues) else "other"


def _same_in_article(
    ev: Event,
    report: Report,
    etype: str,
    cues: list[tuple[int, str, int]],
    agents: set[str],
    latest: str = "",
) -> bool:
    """One article, one place: later sentences at the place continue the same happening
    (a repeated caption, a back-reference) unless their type or date says otherwise, or
    a typed report's ``agents`` do: other hands did it ("government shelling struck
    Ariha" ... "Russian jets struck Ariha"). Nor does a report cued as another kind of
    happening ("families fled to Hmeimim") fold into a typed event unless it refers back
    ("again intervened"), nor, at a site (a country hosts many happenings at once), a
    typed report into such a happening ("Iraq repatriated families from al-Hol" /
    "forces took control of al-Hol"), or an earlier happening into an undated one: a dated report in
    the past perfect or from a "since" date ("militias had maintained bases in Albu
    Kamal since 2017"), one that says so ("had earlier struck"), or one of a year before
    the ``latest`` the article has given (a caption's "in early 2025" in a story of 2026),
    unless it comes right after the event's last report. An archive photograph's caption
    ("FILE - ...") is an event of its own."""
    m, date = report.mention, report.date
    archival = _rules()["archival"]
    return (
        (ev.mention.place_id == m.place_id or _within_area(ev, m, etype))
        and dates_compatible(ev.date, date)
        and not archival.match(ev.sentence)
        and not archival.match(report.sentence)
        and (ev.event_type == etype or "other" in (ev.event_type, etype))
        and (etype == "other" or not agents or _shared_agent(ev, agents))
        and not (
            "other" in (etype, ev.event_type)
            and etype != ev.event_type
            and (
                any(t == "other" for _, t, _ in cues)
                if etype == "other"
                else m.geo_precision == 1
                and any(t == "other" for _, t, _ in _cue_hits(ev.sentence))
            )
            and not _rules()["back_reference"].search(report.sentence)
        )
        and not (
            ev.date is None
            and (
                _told_before(report.sentence, date)
                or bool(date and date[:4] < latest and not _next_to(ev, report))
            )
        )
    )


def _next_to(ev: Event, report: Report) -> bool:
    """Whether a report's sentence comes right after the event's last one (a heading and
    the sentence under it: "Relations amid the war in Ukraine" / "... after he invaded
    Ukraine in 2022")."""
    return report.sentence_start - ev.reports[-1].sentence_end <= _ADJACENT


_ADJACENT = 3  # characters between two sentences next to each other: a blank, "\r\n"


_PAST_PERFECT = re.compile(
    r"\bhad\b(?!\s+to\b)|\bsince\s+(?:early\s+|late\s+|mid-)?(?:[A-Z][a-z]+\s+)?\d{4}\b"
)


def _names_a_happening(text: str, s: int, m: Mention) -> bool:
    """Whether a place is named in a definite description of a happening ("the Homs
    attack", "the raid on Khiam"): one the article has told of, if it has at that place."""
    rules = _rules()
    if rules["happening_after"].match(text, m.end):
        return text[max(s, m.start - 4) : m.start].lower() == "the "
    return text.endswith(_BEFORE_PLACE, max(s, m.start - 13), m.start) and (
        rules["happening_before"].search(text, max(s, m.start - _HAPPENING_REACH), m.start)
        is not None
    )


_HAPPENING_PREPOSITIONS = ("on", "in", "at", "near", "against")  # "the raid on Khiam"
# the words such a description may end with: a cheap test before the pattern
_BEFORE_PLACE = tuple(f" {w} {t}" for w in _HAPPENING_PREPOSITIONS for t in ("", "the "))
# a happening noun governing a place ("talks in Amman", "fighting around the dam"): its
# preposition, the cheap test, then a cue of one or two words, the preposition, the place
_GOVERNING_PREPOSITIONS = (*_HAPPENING_PREPOSITIONS, "around", "outside", "inside")
_BEFORE_PLACE_ANY = tuple(f" {w} {t}" for w in _GOVERNING_PREPOSITIONS for t in ("", "the "))
_GOVERNS = re.compile(
    r"[\w-]+(?:\s+[\w-]+)?\s+(?:" + "|".join(_GOVERNING_PREPOSITIONS) + r")\s+(?:the\s+)?"
)
_HAPPENING_REACH = 50  # characters: "the devastating drone strikes against the "


def _told_before(sentence: str, date: str | None) -> bool:
    """Whether a report tells of a happening before the story's own: dated and in the
    past perfect or from a "since" date, or "had earlier" / "had previously"."""
    if date is not None and _PAST_PERFECT.search(sentence):
        return True
    return bool(_rules()["told_before"].search(sentence))


def _shared_agent(ev: Event, agents: set[str]) -> bool:
    """Whether an event has one of ``agents`` as an agent, or no agent at all."""
    done_by = [code for code, role in ev.roles.items() if role == "agent"]
    return not done_by or not agents.isdisjoint(done_by)


def _within_area(ev: Event, m: Mention, etype: str) -> bool:
    """Whether ``m`` lies in the governorate an agreement-like event (``area_types``) of
    the same type applies to: a later reference to the deal there is the same deal."""
    return (
        etype == ev.event_type
        and etype in _rules()["area_types"]
        and ev.mention.kind == "governorate"
        and m.admin1 == ev.mention.name
    )


def _fold(
    ev: Event, report: Report, etype: str, roles: dict[str, str], dated: bool = False
) -> None:
    """Add a report to an event: the first specific type, the finest date, and the actors
    of reports that say what happened (an untyped mention of the place adds none). A
    report right under the event's last one, whose clause is of the event's type
    (``dated``), dates an undated event even when its cue stands outside the place's
    stretch ("a car bomb exploded on Saturday, 18 July 2026, in the Sheikh Maqsoud
    neighborhood" under the headline's "explosion in Sheikh Maqsoud")."""
    ev.reports.append(report)
    if dated and etype == "other" and ev.date is None and report.date:
        ev.date, ev.date_precision = report.date, report.date_precision
    if ev.event_type == "other" and etype != "other":
        # the first report that says what happened defines the event's date: an untyped
        # caption's date was the photograph's
        ev.event_type, ev.date, ev.date_precision = etype, report.date, report.date_precision
    if etype != "other" or ev.event_type == "other":  # an untyped back-reference adds
        ev.actors = sorted(set(ev.actors) | set(report.actors))  # neither actors nor a date
        ev.roles = {**roles, **ev.roles}  # the first report's reading of a role stands
        if report.date and (not ev.date or len(report.date) > len(ev.date)):
            ev.date, ev.date_precision = report.date, report.date_precision


def extract_events(text: str, pipeline: Pipeline | None = None) -> list[Event]:
    """Events in every article of ``text`` (library entry point; no store needed)."""
    pipe = pipeline or default_pipeline()
    return [ev for pa in pipe.parse_articles(text) for ev in article_events(pa, text, pipe)]


def same_event(
    place_a: str,
    type_a: str,
    actors_a: list[str],
    date_a: str | None,
    sentence_a: str | Sequence[str],
    place_b: str,
    type_b: str,
    actors_b: list[str],
    date_b: str | None,
    sentence_b: str,
    *,
    area: bool = False,
    kind: str | None = None,
) -> bool:
    """The merge rule: same place and type, compatible dates, and either the same
    (non-empty) actors - or the actors of one report among the other's, as one outlet
    names fewer parties than another ("Turkish drones struck Qamishli" and "Turkish drones
    struck the U.S.-backed SDF near Qamishli"), none at all for a lasting state
    (``state_types``: "the al-Tanf garrison"), or by neither where nobody does what goes
    on (``partyless_types``: "Syrians crossed back through Masnaa") - or, when one report
    names no one, a day in both dates (one may be its month), or a day in the other's
    when it names the parties and this one gives no date ("a car bomb in Ras al-Ain on
    January 20" and "the car bomb toll rises") - or near-identical wording (token-set
    similarity >= 85).
    ``sentence_a`` may be every sentence an event was reported in: any of them counts;
    none (an empty sequence) asks the actor half alone.
    With ``area``, one place is the area the other lies in ("Daraa province", "Nawa"),
    which holds many happenings: the parties count only when both reports are dated,
    and never for a lasting state.
    ``kind`` is the place's: one that holds few happenings (a village, a square:
    ``small_kinds``) lets an undated report that names no one join a dated one ("clashes
    around Walgha" and "fighting broke out in Walgha on February 11")."""
    if place_a != place_b or type_a != type_b or not dates_compatible(date_a, date_b):
        return False
    nested = set(actors_a) <= set(actors_b) or set(actors_b) <= set(actors_a)
    # on one day, outlets that share a party may each name another ("Israeli jets hit
    # Iranian positions near Kiswah" and "army air defences intercepted Israeli missiles")
    nested = nested or bool(
        date_a and len(date_a) == 10 and date_a == date_b and set(actors_a) & set(actors_b)
    )
    rules = _rules()
    lasting = type_a in rules["state_types"]
    small = kind in rules["small_kinds"]
    parties = not area or (date_a and date_b and not lasting)
    if parties and nested and ((actors_a and actors_b) or lasting):
        return True
    if not (area or actors_a or actors_b) and (type_a in rules["partyless_types"] or small):
        return True
    if not (actors_a and actors_b):
        # one outlet names no one: a day and that day or its month; or, at one place, an
        # undated report and a dated one that names the parties
        lengths = sorted((len(date_a or ""), len(date_b or "")))
        undated = lengths[0] == 0 and not area and (actors_a or actors_b or small)
        if lengths[1] == 10 and (lengths[0] >= 7 or undated):
            return True
    # one call compares the sentence with all of them (in C, the sentence parsed once)
    others = [sentence_a] if isinstance(sentence_a, str) else sentence_a
    if not others:
        return False
    if sentence_b.strip() and sentence_b in others:  # wire copy: the same words verbatim
        return True
    best = process.extractOne(
        sentence_b, others, scorer=fuzz.token_set_ratio, score_cutoff=MERGE_SIMILARITY
    )
    return best is not None
