"""Places the gazetteer lacks: names that place cues introduce but no mention covers.

:func:`find_missing` lists the names that place cues ("the town of X", "X village")
introduce but no mention covers, so a user knows which rows to add; the
geocoder (:mod:`geomap.geocoder`) can look them up online.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from geomap.articles import sentences
from geomap.gazetteer import COLUMNS
from geomap.geoparse import unresolved_candidates
from geomap.matching import phrase_key
from geomap.normalize import fold, name_key
from geomap.pipeline import Pipeline, default_pipeline, read_text

#: Cue word -> the kind of the place it introduces ("the town of X", "X village").
CUE_KINDS = {
    "town": "town",
    "village": "village",
    "city": "city",
    "district": "district",
    "neighbourhood": "neighbourhood",
    "neighborhood": "neighbourhood",
    "camp": "camp",
    "province": "governorate",
}
MAX_EXAMPLES = 2


@dataclass
class MissingPlace:
    """A name place cues introduce that the gazetteer does not resolve."""

    name: str  # the most frequent spelling
    count: int
    kind: str  # guessed from the cue words
    spellings: list[str] = field(default_factory=list)  # other spellings of the same key
    examples: list[tuple[str, str]] = field(default_factory=list)  # (file, sentence)

    def row(self, place_id: str) -> dict[str, str]:
        """A gazetteer row with empty coordinates: the user must fill ``lat`` and ``lon``."""
        return {
            **dict.fromkeys(COLUMNS, ""),
            "id": place_id,
            "name": self.name,
            "aliases": "|".join(self.spellings),
            "kind": self.kind,
            "source": "missing",
        }


def guess_kind(text: str, start: int, end: int) -> str:
    """The kind the cue around ``text[start:end]`` implies ("town" when it says little,
    as "the countryside of X" or "X area" do)."""
    before = re.search(r"\b(\w+) of (?:the )?$", text[max(0, start - 40) : start])
    if before:
        return CUE_KINDS.get(before.group(1).lower(), "town")
    after = re.match(r"\s+(\w+)", text[end : end + 30])
    word = after.group(1).lower() if after else ""
    return "neighbourhood" if word == "suburb" else CUE_KINDS.get(word, "town")


def find_missing(
    paths: Iterable[str | Path], pipeline: Pipeline | None = None
) -> list[MissingPlace]:
    """Unresolved place candidates of the texts, grouped by transliteration key, most
    frequent first. Stop words are left out: they can never become a gazetteer name."""
    from geomap.store import iter_files

    pipe = pipeline or default_pipeline()
    groups: dict[str, list[tuple[str, str, str, str]]] = {}  # key -> (name, kind, file, sent)
    for path in iter_files(paths):
        text = read_text(path)
        for parsed in pipe.parse_articles(text):
            spans = parsed.article.spans()
            sents = [se for a, b in spans for se in sentences(text, a, b)]
            for offset, name in unresolved_candidates(text, parsed.mentions, spans):
                if phrase_key(name).strip() in pipe.gazetteer.stopwords:
                    continue
                end = offset + len(name)
                sent = next((text[s:e] for s, e in sents if s <= offset < e), name)
                groups.setdefault(name_key(name), []).append(
                    (name, guess_kind(text, offset, end), str(path), " ".join(sent.split()))
                )
    out = []
    for hits in groups.values():
        names = Counter(h[0] for h in hits)
        name = names.most_common(1)[0][0]
        spellings = {phrase_key(name): name}
        for n in names:
            spellings.setdefault(phrase_key(n), n)
        examples: list[tuple[str, str]] = []
        for _, _, path, sent in hits:
            if len(examples) < MAX_EXAMPLES and sent not in (s for _, s in examples):
                examples.append((path, sent))
        out.append(
            MissingPlace(
                name=name,
                count=len(hits),
                kind=Counter(h[1] for h in hits).most_common(1)[0][0],
                spellings=[n for n in spellings.values() if n != name],
                examples=examples,
            )
        )
    return sorted(out, key=lambda m: (-m.count, fold(m.name)))


def write_missing_csv(missing: Sequence[MissingPlace], out: TextIO) -> None:
    """The header and one row per missing place, ids ``missing.<name>`` (unique)."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    used: set[str] = set()
    for m in missing:
        base = "missing." + "_".join(fold(m.name).split())
        pid, n = base, 1
        while pid in used:
            n += 1
            pid = f"{base}_{n}"
        used.add(pid)
        writer.writerow(m.row(pid))
