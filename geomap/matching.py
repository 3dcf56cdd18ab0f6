"""Whole-word multi-pattern matching over folded text (one Aho-Corasick pass).

Shared by the gazetteer (place names) and the actor and organisation lists:
keys are folded and padded with spaces, text is folded and padded the same way,
so every hit is a whole-word phrase and offsets map straight back to the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import ahocorasick

from geomap.normalize import fold


def phrase_key(phrase: str) -> str:
    """The automaton key of a phrase: folded, single-spaced, padded with spaces."""
    return f" {' '.join(fold(phrase).split())} "


def build_automaton(
    entries: Iterable[tuple[str, Any]], prefixes: Iterable[tuple[str, Any]] = ()
) -> ahocorasick.Automaton:
    """An automaton mapping each phrase key to ``(key_length, [values...])``. A phrase of
    ``prefixes`` matches at the start of a word ("bombard" in "bombardment"): its key has
    no trailing blank, so :func:`iter_hits` gives its hits' starts only."""
    grouped: dict[str, list[Any]] = {}
    keyed = [(phrase_key(p), v) for p, v in entries]
    keyed += [(phrase_key(p)[:-1], v) for p, v in prefixes]
    for key, value in keyed:
        values = grouped.setdefault(key, [])
        if key.strip() and value not in values:
            values.append(value)
    automaton = ahocorasick.Automaton()
    for key, values in grouped.items():
        automaton.add_word(key, (len(key), tuple(values)))
    automaton.make_automaton()
    return automaton


def padded(text: str) -> str:
    """The folded, space-padded text an automaton from :func:`build_automaton` runs over."""
    return f" {fold(text)} "


def iter_hits(
    automaton: ahocorasick.Automaton, folded_text: str, start: int = 0, end: int | None = None
) -> Iterator[tuple[int, int, tuple[Any, ...]]]:
    """Yield ``(start, end, values)`` in original-text offsets for every whole-word hit
    (only those wholly inside ``folded_text[start:end]`` when given)."""
    if not len(automaton):
        return
    end = len(folded_text) if end is None else min(end, len(folded_text))
    for end_i, (klen, values) in automaton.iter(folded_text, start, end):
        start = end_i - klen + 1
        yield start, end_i - 1, values


def longest_first(
    hits: Iterable[tuple[int, int, Any]],
) -> list[tuple[int, int, Any]]:
    """Keep the longest non-overlapping hits (leftmost on ties), in text order."""
    ordered = sorted(hits, key=lambda h: (h[0] - h[1], h[0]))
    if not ordered:
        return []
    occupied = bytearray(max(h[1] for h in ordered) + 1)  # 1 where a kept hit lies
    taken = []
    for hit in ordered:
        s, e = hit[0], hit[1]
        if occupied.find(1, s, e) < 0:
            occupied[s:e] = b"\x01" * (e - s)
            taken.append(hit)
    return sorted(taken, key=lambda h: h[0])
