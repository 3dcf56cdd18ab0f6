"""Articles from raw text: split a file into articles, find titles, drop boilerplate, sentences.

A scraped file may hold several articles, each opening with a header block (the
headline, captions, the headline again) and closing with site furniture
("Check Also", newsletter promotions, reaction buttons). Offsets always refer to
the text as given, so mentions found in an article point into the original file.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from geomap.dates import MONTH_ABBREVIATIONS

DATA_DIR = Path(__file__).resolve().parent / "data"
_LINE = re.compile(r"[^\n]*\n?")
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’)\]]*(?=\s+[A-Z0-9\"“‘'(\[])")
# a full stop that ends an abbreviation, not a sentence: "Oct. 22", "Gen. Mazloum Abdi"
_TITLES = ("Dr", "Mr", "Mrs", "Ms", "Gen", "Col", "Lt", "Maj", "Capt", "Sgt", "Brig", "Prof", "St")
_ABBREVIATION = re.compile(r"\b(?:" + "|".join((*MONTH_ABBREVIATIONS, *_TITLES)) + r")\.$")
HEADER_WINDOW = 15  # lines within which a repeated headline marks a new article's header
TITLE_MAX = 140


@dataclass
class Article:
    """One article inside a text: ``[start, end)`` is its body without trailing boilerplate."""

    title: str
    start: int
    end: int
    skipped: list[tuple[int, int]] = field(default_factory=list)  # dropped lines inside

    def spans(self) -> list[tuple[int, int]]:
        """The parts of ``[start, end)`` that are article text (dropped lines removed)."""
        out, pos = [], self.start
        for s, e in sorted(self.skipped):
            if s > pos:
                out.append((pos, s))
            pos = max(pos, e)
        if pos < self.end:
            out.append((pos, self.end))
        return out


@lru_cache(maxsize=1)
def _rules() -> dict[str, re.Pattern[str]]:
    """Per action of ``boilerplate.csv``, one pattern: the alternation of its rows (each
    compiled on its own first, so a bad row is named by its own error)."""
    rows: dict[str, list[str]] = {"drop": [], "cut": [], "teaser": [], "reaction": []}
    path = DATA_DIR / "boilerplate.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            if None in row:  # a pattern with an unquoted comma
                raise ValueError(f"{path}:{reader.line_num}: more fields than the header's")
            rows[row["action"]].append(re.compile(row["pattern"]).pattern)
    return {
        kind: re.compile("|".join(f"(?:{p})" for p in pats) or "(?!)", re.IGNORECASE)
        for kind, pats in rows.items()
    }


def _is(kind: str, line: str) -> bool:
    """Whether the whole line (stripped) is boilerplate of ``kind``: some row fullmatches."""
    s = line.strip()
    return bool(s) and _rules()[kind].fullmatch(s) is not None


def _lines(text: str) -> list[tuple[int, int, str]]:
    out = []
    for m in _LINE.finditer(text):
        if m.start() == len(text):
            break
        out.append((m.start(), m.end(), m.group().rstrip("\r\n")))
    return out


def _headline(line: str) -> bool:
    s = line.strip()
    return 15 <= len(s) <= 200 and not re.search(r"[.)]$|\.\s", s) and not _is("drop", s)


def _prose_after(block: list[tuple[int, int, str]], j: int) -> int:
    """Where the article goes on after a teaser block that line ``j`` opens ("Read more"
    and a few headlines, set in the middle of the text): the first paragraph of prose
    within :data:`TEASER_LINES`, not counting the lines dropped anyway (a widget's "list 1
    of 3"); 0 when none follows, and the block ends the article."""
    taken = 1  # the label
    for k in range(j + 1, len(block)):
        line = block[k][2].strip()
        if len(line) >= PROSE_MIN and line[-1] in _PROSE_ENDS:
            return k
        if not _is("drop", line):
            taken += 1
            if taken >= TEASER_LINES:
                break
    return 0


TEASER_LINES = 8  # lines a teaser block inside an article may take, its label included
PROSE_MIN = 80  # characters: a paragraph of the article, not a linked headline
_PROSE_ENDS = frozenset('.!?"\u201d\u2019')


def _title(lines: list[tuple[int, int, str]]) -> str:
    for _, _, line in lines:
        s = " ".join(line.split())
        if s and not any(_is(kind, s) for kind in ("drop", "cut", "teaser")):
            if len(s) <= TITLE_MAX:
                return s
            cut = s[:TITLE_MAX].rsplit(" ", 1)[0]
            return cut.rstrip(",;:") + "…"
    return "Untitled"


def split_articles(text: str) -> list[Article]:
    """Split ``text`` into articles (at least one when it has any content)."""
    lines = _lines(text)
    starts = [0]
    header_until = HEADER_WINDOW
    for i, (_, _, line) in enumerate(lines):
        if i <= header_until or not _headline(line):
            continue
        window = [x[2].strip() for x in lines[i + 1 : i + 1 + HEADER_WINDOW]]
        if line.strip() in window:
            starts.append(i)
            header_until = i + HEADER_WINDOW
    articles = []
    for n, first in enumerate(starts):
        last = starts[n + 1] if n + 1 < len(starts) else len(lines)
        block = lines[first:last]
        if not any(x[2].strip() for x in block):
            continue
        end = block[-1][1]
        skipped: list[tuple[int, int]] = []
        run = 0
        resume = 0  # the line after a teaser block inside the article
        for j, (s, e, line) in enumerate(block):
            if j < resume:
                continue
            if _is("reaction", line):
                run += 1
                if run >= 3:
                    end = block[j - run + 1][0]
                    break
                continue
            run = 0
            teaser = j > 2 and _is("teaser", line)
            if teaser and (resume := _prose_after(block, j)):
                skipped.append((s, block[resume - 1][1]))
                continue
            if teaser or (j > 2 and _is("cut", line)):
                end = s
                break
            if _is("drop", line):
                skipped.append((s, e))
        articles.append(Article(title=_title(block), start=block[0][0], end=end, skipped=skipped))
    return articles or [Article(title="Untitled", start=0, end=len(text))]


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans in ``text[start:end]``: a newline always ends one; inside a line
    ``. ! ? …`` end one before whitespace and a capital, digit or opening quote."""
    end = len(text) if end is None else end
    out = []
    for ls, _, line in _lines(text[start:end]):
        pos = 0
        cuts = [
            m.end()
            for m in _SENTENCE_END.finditer(line)
            if not _ABBREVIATION.search(line, max(0, m.start() - 5), m.start() + 1)
        ] + [len(line)]
        for c in cuts:
            seg = line[pos:c]
            lead = len(seg) - len(seg.lstrip())
            if seg.strip():
                out.append((start + ls + pos + lead, start + ls + len(seg.rstrip()) + pos))
            pos = c
    return out
