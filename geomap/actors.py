"""Actors: who is named in a text, as CAMEO-style codes from an editable data file.

``actors.csv`` lists the codes with their map colour and the state they stand
for; ``actor_aliases.csv`` lists the phrases (names, people, organs, forces)
that name each one, and ``actor_forms.json`` makes more from a state's demonym and a
noun for its forces or officials ("Russian positions"). Extra files in
``GEOMAP_ACTORS`` (``os.pathsep``-separated, same header as ``actor_aliases.csv``) are
layered on top.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from geomap.matching import build_automaton, iter_hits, longest_first, padded, phrase_key

DATA_DIR = Path(__file__).resolve().parent / "data"
# "-backed", "-led", "-aligned": the participle of a compound modifier ("Turkish-backed
# factions" names the proxies); written apart it is a verb whose subject is the state
# itself ("Türkiye backed his foes"), so such an alias matches only where the text has the
# hyphen (folding turns hyphens into spaces, so the matcher alone cannot tell)
_COMPOUND = re.compile(r"-(\w+ed)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Actor:
    """An actor code with its display name, map colour and (for states) its country."""

    code: str
    name: str
    colour: str
    country: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class ActorHit:
    """A phrase in the text that names an actor."""

    start: int
    end: int
    code: str


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _compounds_kept(alias: str, surface: str) -> bool:
    """Whether every hyphenated participle of ``alias`` ("Turkish-backed") is hyphenated in
    the text too (see :data:`_COMPOUND`)."""
    return all(
        re.search(r"[-\u2010\u2011]" + word + r"\b", surface, re.IGNORECASE)
        for word in _COMPOUND.findall(alias)
    )


# "Syrian and Russian", "Russian, Iranian and", and in headlines "Turkish, Syrian":
# modifiers coordinated right before a word
_COORDINATED = re.compile(r"(?:[A-Z][\w.]*,\s+)*[A-Z][\w.]*(?:,?\s+and|,)\s+\Z")
_CAPITALISED = re.compile(r"[A-Z][\w.]*")
_AND_REACH = 8  # characters before a hit searched for "and" or a comma
_COORDINATION_REACH = 60  # characters before a hit searched for its coordinated modifiers
_BACKER = re.compile(r"(?:backed|supported|sponsored)\s+by\b", re.IGNORECASE)
_POSSESSIVE = frozenset({"'s ", "\u2019s "})  # between an owner and what it owns
_PRONOUN_BEFORE = re.compile(r"\b(?:[Ii]ts|[Tt]heir|[Hh]is|[Hh]er) $")  # "two of its soldiers"
# a name right before a word: not the first word of its sentence ("US Army soldiers"; not
# "Three soldiers")
_NAME_BEFORE = re.compile(r"(?<=[\w,)\]-] )[A-Z][\w.-]* $")
_PLURAL_HEAD = re.compile(r"^(.+ [a-z]+?)(ies|s)$")


def _after_and(text: str, s: int) -> bool:
    """The cheap test for a coordination: the hit at ``s`` comes right after "and" or a
    comma and a blank."""
    window = text[max(0, s - _AND_REACH) : s]
    before = window.rstrip()
    if before == window:
        return False
    return before.endswith(",") or (before.endswith("and") and before[-4:-3].isspace())


def _singular(alias: str) -> str | None:
    """The singular of a multi-word alias whose last word is a lower-case plural ("Russian
    warplanes" -> "Russian warplane", "Turkish-backed militias" -> "... militia"): news
    names one jet or one soldier as often as many, and the list spells the plural."""
    m = _PLURAL_HEAD.match(alias)
    if not m or alias.endswith("ss"):
        return None
    return m[1] + ("y" if m[2] == "ies" else "")


def _plural(alias: str) -> str | None:
    """The plural of a multi-word alias whose last word is a lower-case singular ("Turkish
    foreign minister" -> "... ministers", "Syrian ministry" -> "... ministries"): "the
    Turkish and Syrian foreign ministers" names both states' ministers."""
    head, _, last = alias.rpartition(" ")
    if not head or not last.isalpha() or not last.islower() or last.endswith("s"):
        return None
    if last.endswith("y") and last[-2:-1] not in "aeiou":
        return f"{head} {last[:-1]}ies"
    return f"{alias}s"


NO_ONE = ""
"""The code of an alias that names an owner without a code ("Lebanese soldiers"): it
matches, so that no shorter alias inside it ("soldiers") names the Syrian state, and
names no one."""


def _forms() -> list[tuple[str, str, bool]]:
    """The aliases ``actor_forms.json`` makes: each demonym of a state with each noun, and
    each demonym of an owner without a code with each noun (:data:`NO_ONE`)."""
    data = json.loads((DATA_DIR / "actor_forms.json").read_text(encoding="utf-8"))
    coded = [
        (f"{demonym} {noun}", code, False)
        for code, demonyms in data["demonyms"].items()
        for demonym in demonyms
        for noun in data["nouns"]
        if noun not in data["except"].get(code, ())
    ]
    return coded + [
        (f"{demonym} {noun}", NO_ONE, False)
        for demonym in data["uncoded"]
        for noun in data["nouns"]
    ]


class ActorIndex:
    """The actor list and a matcher for its aliases."""

    def __init__(self, actors: list[Actor], aliases: list[tuple[str, str, bool]]):
        self.actors = {a.code: a for a in actors}
        self.aliases = aliases
        self.by_country = {a.country: a.code for a in actors if a.country}
        self.states = frozenset(self.by_country.values())  # the codes of states
        # names recur: a surface's codes are worked out once (a memo of this index, so a
        # reload that replaces it frees it)
        self._codes = lru_cache(maxsize=65536)(self._codes)

    @classmethod
    def load(cls, extra: list[Path] | None = None) -> ActorIndex:
        """Load the packaged actor files plus ``extra`` (default: ``GEOMAP_ACTORS``)."""
        actors = [
            Actor(
                code=r["code"],
                name=r["name"],
                colour=r["colour"],
                country=r.get("country") or None,
                description=r.get("description", ""),
            )
            for r in _read_csv(DATA_DIR / "actors.csv")
        ]
        if extra is None:
            extra = [Path(p) for p in os.environ.get("GEOMAP_ACTORS", "").split(os.pathsep) if p]
        aliases = []
        for path in [DATA_DIR / "actor_aliases.csv", *extra]:
            for r in _read_csv(path):
                aliases.append((r["alias"], r["code"], r.get("case_sensitive", "0") == "1"))
        listed = {(alias.casefold(), code) for alias, code, _ in aliases}
        named = {alias.casefold() for alias, _, _ in aliases}
        aliases += [
            a
            for a in _forms()
            if (a[0].casefold(), a[1]) not in listed
            and not (a[1] == NO_ONE and a[0].casefold() in named)
        ]
        known = {a.code for a in actors} | {NO_ONE}
        return cls(actors, [a for a in aliases if a[1] in known])

    @cached_property
    def _automaton(self):
        entries = [(alias, (alias, code, cs)) for alias, code, cs in self.aliases]
        entries += [
            (other, (other, code, cs))
            for alias, code, cs in self.aliases
            if (other := _singular(alias) or _plural(alias))
        ]
        return build_automaton(entries)

    def find(self, text: str, folded: str | None = None) -> list[ActorHit]:
        """Every actor phrase in ``text`` (longest match wins, case rules applied)."""
        folded = folded if folded is not None else padded(text)
        hits = []
        for s, e, values in iter_hits(self._automaton, folded):
            codes = self._codes(text[s:e], values)
            if codes:
                hits.append((s, e, codes))
        kept = longest_first(hits)
        if coordinated := self._coordinated(text, kept):
            kept = longest_first(kept + coordinated)
        # "rebel factions backed by Ankara": a group right before a backer phrase that
        # names a proxy (a non-state code, SNA) is that proxy, not the generic group its
        # noun names; "the army, backed by Iran" stays the army
        qualified = {
            n - 1
            for n, (s, _, codes) in enumerate(kept)
            if n
            and _BACKER.match(text, s)
            and not text[kept[n - 1][1] : s].strip()
            and any(c != NO_ONE and self.actors[c].country is None for c in codes)
        }
        owned = {
            n for n, hit in enumerate(kept) if self._owned(text, hit, kept[n - 1] if n else None)
        }
        return [
            ActorHit(s, e, code)
            for n, (s, e, codes) in enumerate(kept)
            if n not in qualified | owned
            for code in dict.fromkeys(codes)
            if code != NO_ONE
        ]

    def _owned(self, text: str, hit: tuple, before: tuple | None) -> bool:
        """Whether ``hit`` (``start, end, codes``) is a noun that an owner governs, so it is
        the owner's and not the one its alias names alone: in lower case after an owner's
        possessive ("the SDF's internal security forces"); a state's organ after another
        state's ("Turkey's Defense Ministry"); or a state's noun all in lower case right
        after another actor ("U.S. soldiers"), a possessive pronoun ("two of its
        soldiers") or a name that does not start its sentence ("US Army soldiers")."""
        s, e, codes = hit
        state = any(c in self.states for c in codes)
        gap = text[before[1] : s] if before else None
        if gap in _POSSESSIVE:
            owner = set(before[2])
            return text[s].islower() or (
                state and bool(owner & self.states) and not owner & set(codes)
            )
        if not (state and text[s:e].islower()):
            return False
        return (
            gap in (" ", ". ")
            or bool(_PRONOUN_BEFORE.search(text, max(0, s - 8), s))
            or bool(_NAME_BEFORE.search(text, max(0, s - 40), s))
        )

    def _coordinated(
        self, text: str, hits: list[tuple[int, int, tuple[str, ...]]]
    ) -> list[tuple[int, int, tuple[str, ...]]]:
        """The modifiers coordinated with a hit's first word that make an alias with the
        rest of it: "Syrian and Russian jets" names "Syrian jets" too, and "Russian,
        Iranian and Turkish officials" "Russian officials" and "Iranian officials"."""
        found = []
        for s, e, _ in hits:
            if not _after_and(text, s):
                continue
            head, _, rest = text[s:e].partition(" ")
            if not rest or not head[:1].isupper():
                continue
            m = _COORDINATED.search(text, max(0, s - _COORDINATION_REACH), s)
            for w in _CAPITALISED.finditer(m[0] if m else ""):
                surface = f"{w[0]} {rest}"
                entry = self._automaton.get(phrase_key(surface), None)
                if entry and (codes := self._codes(surface, entry[1])):
                    found.append((m.start() + w.start(), m.start() + w.end(), codes))
        return found

    def _codes(self, surface: str, values: tuple) -> tuple[str, ...]:
        """The codes a hit's surface names among the aliases its key matched (case rules
        applied); memoised per index (see ``__init__``)."""
        # the whole-word key stops before a final period: "U.S." is seen as "U.S"
        return tuple(
            code
            for alias, code, cs in values
            if (not cs or surface.rstrip(".") == alias.rstrip("."))
            and _compounds_kept(alias, surface)
        )

    def phrases(self) -> frozenset[str]:
        """The folded form of every alias (to tell organs such as "Kremlin" from places)."""
        return frozenset(
            phrase_key(alias).strip() for alias, code, _ in self.aliases if code != NO_ONE
        )

    def colour(self, code: str) -> str:
        """The map colour of an actor (grey for unknown codes)."""
        actor = self.actors.get(code)
        return actor.colour if actor else "#777777"
