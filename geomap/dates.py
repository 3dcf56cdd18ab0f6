"""Dates: when a sentence says something happened, from the text alone.

Explicit dates ("on July 3, 2024", "in March 2022", "in 2018") are read as ISO
prefixes with their precision; relative ones ("on Thursday", "last week") only
against a known publication date; and within a story, dates that lean on the one
just given ("the following day", "later that year", "on March 8" after "early
March 2025") through :class:`StoryDates`. A date is never invented.
"""

from __future__ import annotations

import datetime as dt
import re

_MONTH_NAMES = (
    "January February March April May June July August September October November December"
)
# wire style abbreviates a month before its day ("Oct. 22, 2018", "on Jan. 21")
MONTH_ABBREVIATIONS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
)
_ABBREVIATED = " ".join(f"{a}." for a in MONTH_ABBREVIATIONS)
MONTHS = {m.lower(): i for i, m in enumerate(_MONTH_NAMES.split(), start=1)}
_BY_PREFIX = {name[:3]: number for name, number in MONTHS.items()}
MONTHS |= {a.lower(): _BY_PREFIX[a[:3].lower()] for a in _ABBREVIATED.split()}
_MONTH = "(" + "|".join([*_MONTH_NAMES.split(), *map(re.escape, _ABBREVIATED.split())]) + ")"
_DATES = [
    (re.compile(_MONTH + r"\s+(\d{1,2}),?\s+((?:19|20)\d\d)\b"), "mdy"),
    (re.compile(r"\b(\d{1,2})\s+" + _MONTH + r",?\s+((?:19|20)\d\d)\b"), "dmy"),
    (re.compile(_MONTH + r",?\s+((?:19|20)\d\d)\b"), "my"),
    (
        re.compile(
            r"\b(?:(?:[Ii]n|[Ss]ince|[Dd]uring|[Bb]y|[Oo]f|[Ff]rom|[Uu]ntil|[Ee]arly|[Ll]ate)\s+"
            r"|[Mm]id-\s*)((?:19|20)\d\d)\b(?![-/]\d)"
        ),
        "y",
    ),
    # a year naming a happening: "in the 1967 war", "since the 2011 uprising"
    (re.compile(r"\b(?:[Ii]n|[Dd]uring|[Ss]ince)\s+the\s+((?:19|20)\d\d)\s+(?=[A-Za-z])"), "y"),
]
_YEAR = re.compile(r"(?:19|20)\d\d")


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RELATIVE = re.compile(
    r"\b(?:((?i:yesterday|today))|[Oo]n\s+(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
    r"|(?i:(last|this|earlier this|late last|early last)\s+(week|month|year))"
    r"|(?:[Ii]n|[Ll]ast|[Tt]his)\s+" + _MONTH + r"(?!,?\s+(?:\d{1,2}\b|(?:19|20)\d\d)))"
)


def relative_date(sentence: str, published: dt.date) -> tuple[str | None, str | None]:
    """A relative date ("yesterday", "on Thursday", "last week", "in March") resolved against
    the article's publication date, as (ISO prefix, precision)."""
    m = _RELATIVE.search(sentence)
    if not m:
        return None, None
    word, weekday, which, unit, month = m.groups()
    if word:
        return (published - dt.timedelta(days=word.lower() == "yesterday")).isoformat(), "day"
    if weekday:  # news "on Thursday" is the latest Thursday up to publication
        back = (published.weekday() - WEEKDAYS.index(weekday.lower())) % 7
        return (published - dt.timedelta(days=back)).isoformat(), "day"
    if unit:
        last = "last" in which.lower()
        if unit == "year":
            return str(published.year - last), "year"
        if unit == "week":
            when = published - dt.timedelta(days=7 * last)
        else:
            when = published.replace(day=1) - dt.timedelta(days=1) if last else published
        return f"{when.year}-{when.month:02d}", "month"
    mon = MONTHS[month.lower()]
    year = published.year if mon <= published.month else published.year - 1
    return f"{year}-{mon:02d}", "month"


def find_date(sentence: str, published: dt.date | None = None) -> tuple[str | None, str | None]:
    """The date a sentence gives, as (ISO prefix, precision): an explicit date, or a
    relative one when the publication date is known; else (None, None) - never invented."""
    explicit = _explicit_date(sentence)
    if explicit[0] or published is None:
        return explicit
    return relative_date(sentence, published)


def _explicit_date(sentence: str) -> tuple[str | None, str | None]:
    if not _YEAR.search(sentence):  # every form has a year; most sentences have none
        return None, None
    for pattern, form in _DATES:
        m = pattern.search(sentence)
        if not m:
            continue
        if form in ("mdy", "dmy"):
            mon_s, day_s = (m.group(1), m.group(2)) if form == "mdy" else (m.group(2), m.group(1))
            try:  # "February 30" is no date: never invent one
                day = dt.date(int(m.group(3)), MONTHS[mon_s.lower()], int(day_s))
            except ValueError:
                continue
            return day.isoformat(), "day"
        if form == "my":
            return f"{m.group(2)}-{MONTHS[m.group(1).lower()]:02d}", "month"
        return m.group(1), "year"
    return None, None


_YEARLESS = re.compile(  # "in early October", "on June 3": a date the text leaves open
    r"\b(?:[Ii]n|[Oo]n|[Ee]arly|[Ll]ate|[Mm]id-?)\s+(?:early\s+|late\s+|mid-?)?"
    + _MONTH
    + r"(?!\w)(?:\s+(\d{1,2})\b)?(?!,?\s+(?:\d{1,2},?\s+)?(?:19|20)\d\d)"
)


def _in_month(month: re.Match[str], anchor: str) -> tuple[str | None, str | None]:
    """A :data:`_YEARLESS` date ("on March 8") when the ``anchor`` date just given is in
    the same month: in its year, with the day when one is given. In another month the
    year stays open ("in April", after "since 1984")."""
    mon = MONTHS[month[1].lower()]
    if anchor[5:7] != f"{mon:02d}":
        return None, None
    if not month[2]:
        return anchor[:7], "month"
    try:
        return dt.date(int(anchor[:4]), mon, int(month[2])).isoformat(), "day"
    except ValueError:
        return None, None


_OF_THAT_YEAR = re.compile(_MONTH + r"\s+of\s+(?:that|the\s+same)\s+year\b")

Found = tuple[str | None, str | None]  # (ISO prefix, precision)
Phrase = tuple[int, int, str | None, str | None]  # (start, end, ISO prefix, precision)


class StoryDates:
    """The dates of one article's sentences, read in order: a sentence without a date
    of its own may lean on the last explicit one ("two days later", "that year")."""

    def __init__(self, published: dt.date | None = None) -> None:
        self.published = published
        self.anchor: Found = (None, None)  # the last explicit date, the story's clock
        self.named_day: str | None = None  # the last day given with its weekday's name
        self.latest = ""  # the latest day given so far: the story's own time

    def read(self, sent: str) -> tuple[str | None, str | None, list[Phrase]]:
        """A sentence's date and precision, and its date phrases when it has a date of
        its own (for :func:`geomap.events` to pick the one nearest each place)."""
        anchor = self.anchor
        date, precision = find_date(sent, self.published)
        phrases = date_phrases(sent, anchor[0]) if date else []
        if date is None and anchor[0] and (same := _SAME_PERIOD.search(sent)):
            # "later that year": the year (or month) of the date just given
            date, precision = _truncate(anchor[0], same[1].lower())
        elif (
            date is None
            and anchor[1] == "day"
            and (later := _DAYS_LATER.search(sent))
            and not _YEARLESS.search(sent, 0, later.start())
        ):
            # "the following day", "two days later": counted from the date just given (not
            # from the story's clock when the sentence gives one: "on April 9 and ...
            # three days later")
            date, precision = self.anchor = (_days_after(anchor[0], later), "day")  # it moves
        elif date is None and anchor[0] and (soon := _SOON_AFTER.match(sent)):
            # "Within a week, ..." after "In October 2019": soon after the date just given,
            # told no finer than its day ("hours later") or its month
            date, precision = _truncate(anchor[0], "day" if soon[1] else "month")
            if date is None:
                date, precision = anchor
        elif date is None and anchor[0] and (month := _YEARLESS.search(sent)):
            # "on March 8" after "early March 2025": the month the text is in
            date, precision = _in_month(month, anchor[0])
        elif (
            date is None
            and self.published is None
            and self.latest
            and (this := _THIS_PERIOD.search(sent))
        ):
            # "vacated earlier this month" in a story of February 12, 2026: its month
            date, precision = _truncate(self.latest, this[1])
        elif date:
            self.anchor = (date, precision)
            if precision == "day":  # a month or a year is as often the background's
                self.latest = max(self.latest, date)
            if precision == "day" and _weekday(date) in sent.lower():
                self.named_day = date  # "on Tuesday, April 14, 2026": the story's day
        elif (
            self.named_day
            and "day" in sent
            and (rel := _RELATIVE.search(sent))
            and (rel[2] or "").lower() == _weekday(self.named_day)
        ):
            # "also shelled on Tuesday" after "on Tuesday, April 14, 2026": that day
            date, precision = self.named_day, "day"
        elif (
            self.anchor[1] == "day"
            and "day" in sent  # the cheap test first: each weekday, "yesterday", "today"
            and (rel := _RELATIVE.search(sent))
            and (rel[1] or rel[2])
        ):
            # "On Monday" with no publication date: the clock moved to a day the text does
            # not give, so "a day later" cannot be counted from the last one it gave
            self.anchor = (self.anchor[0][:7], "month")
        return date, precision, phrases


def _weekday(iso_day: str) -> str:
    """The weekday of an ISO day, in lower case ("2026-04-14" -> "tuesday")."""
    return WEEKDAYS[dt.date.fromisoformat(iso_day).weekday()]


def date_phrases(sent: str, anchor: str | None) -> list[Phrase]:
    """Every date phrase of a sentence as (start, end, ISO prefix, precision), in text order:
    explicit dates, "in June of that year" (the year of the date before it, or of
    ``anchor``), months without a year (no date: the text leaves the year open), and
    "three days later" after a day the sentence gives (that day, counted on)."""
    found: list[Phrase] = []
    for pattern, _ in _DATES:
        for d in pattern.finditer(sent):
            if not any(a < d.end() and d.start() < b for a, b, _, _ in found):
                iso, precision = _explicit_date(d[0])
                if iso:
                    found.append((d.start(), d.end(), iso, precision))
    for d in _OF_THAT_YEAR.finditer(sent):
        year = max(((a, iso) for a, _, iso, _ in found if a < d.start()), default=(0, anchor))[1]
        if year:
            found.append((d.start(), d.end(), f"{year[:4]}-{MONTHS[d[1].lower()]:02d}", "month"))
    for d in _YEARLESS.finditer(sent):
        if not any(a < d.end() and d.start() < b for a, b, _, _ in found):
            found.append((d.start(), d.end(), None, None))
    found = _ranges_start(sent, sorted(found))
    for d in _DAYS_LATER.finditer(sent):  # "on November 27, 2024, and ... three days later"
        day = max(
            ((a, iso) for a, _, iso, p in found if a < d.start() and p == "day"), default=None
        )
        if day:
            found.append((d.start(), d.end(), _days_after(day[1], d), "day"))
    return sorted(found)


def _ranges_start(sent: str, found: list[Phrase]) -> list[Phrase]:
    """``found`` (in text order) with the end of a range dated as its start: what went on
    "between October 2023 and February 2024" or "from September 2014 to January 2015"
    began then."""
    out = list(found)
    for i in range(1, len(out)):
        (a, b, iso, precision), (c, d, later, _) = out[i - 1], out[i]
        month = _MONTH_ONLY.search(sent, a, b)
        if iso is None and later and month and _RANGE_JOINS.fullmatch(sent, b, c):
            # "in March and April 2026": the month that opens it takes the year of its end
            iso, precision = f"{later[:4]}-{MONTHS[month[1].lower()]:02d}", "month"
            out[i - 1] = (a, b, iso, precision)
        if (
            iso
            and _RANGE_OPENS.search(sent, max(0, a - _RANGE_REACH), a)
            and _RANGE_JOINS.fullmatch(sent, b, c)
        ):
            out[i] = (c, d, iso, precision)
    return out


_RANGE_REACH = 14  # characters: "between early "
_MONTH_ONLY = re.compile(_MONTH + r"$")  # a yearless phrase that names no day
_RANGE_OPENS = re.compile(r"\b(?:[Bb]etween|[Ff]rom)\s+(?:(?:early|late|mid-?)\s*)?$")
_RANGE_JOINS = re.compile(r",?\s+(?:and|to|until|through)\s+(?:(?:early|late|mid-?)\s*)?")


def _days_after(day: str, later: re.Match[str]) -> str:
    """The ISO day a :data:`_DAYS_LATER` phrase names, counted from ``day``."""
    days = int(_NUMBERS.get(later[2].lower(), later[2])) if later[2] else 1
    if later[1] or later[3] or later[4]:
        days = -days
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


_NUMBERS = {
    **{"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7},
    **{"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15},
}
_DAYS_LATER = re.compile(
    r"\b(?:[Tt]he\s+(?:following|next|(previous))\s+(?:day|morning|evening|night)"
    r"|(\d\d?|(?i:a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen))"
    r"\s+days?\s+(?:later|(earlier))|(?i:a|one)\s+(?:day|night)\s+(earlier))\b"
)
"""A day counted from the one just given: "the following day", "two days later", and
back, "the previous day", "two days earlier" (not "two days before", which mostly counts
from what follows: "two days before the vote")."""
_SOON_AFTER = re.compile(
    r"\W*(?i:(hours\s+later|within\s+hours)|within\s+(?:days|a\s+week|weeks)"
    r"|(?:days|a\s+week|weeks)\s+later)\b"
)
"""A sentence that opens soon after the date just given ("Within a week, ...", "Hours
later, ..."): only at its start, where it dates what the sentence tells."""
_THIS_PERIOD = re.compile(r"\b(?:[Ee]arlier\s+)?this\s+(month|year)\b")
_SAME_PERIOD = re.compile(
    r"\b(?:[Tt]hat|[Tt]he same) (year|month|day|night|morning|afternoon|evening)\b"
)


def _truncate(date: str, unit: str) -> tuple[str | None, str | None]:
    """An ISO date cut to a year or a month, or kept to its day for any shorter ``unit``
    ("that night"); None when it is coarser than that."""
    if unit == "year":
        return date[:4], "year"
    if unit == "month":
        return (date[:7], "month") if len(date) >= 7 else (None, None)
    return (date, "day") if len(date) == 10 else (None, None)


def dates_compatible(a: str | None, b: str | None) -> bool:
    """Whether two ISO prefixes (year, month or day) can name the same time."""
    return a is None or b is None or a.startswith(b) or b.startswith(a)
