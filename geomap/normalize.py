"""Name normalisation: the two keys every gazetteer look-up goes through.

* ``fold`` maps text character by character (same length, so offsets survive) to
  lower-case ASCII-ish letters and digits, everything else to a space. The
  multi-pattern matcher runs over folded text, so "Idlib", "IDLIB", "Īdlib" and
  "al-Bab"/"al Bab" meet the same key.
* ``name_key`` is a lossy transliteration skeleton (article dropped, doubled
  letters squeezed, vowels collapsed, -a/-ah/-eh endings merged, common
  consonant spellings unified) so that spellings no list enumerates
  ("Dayr az Zawr", "Deir Ezzor", "Deir ez-Zor") share one key.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

# Letters that NFKD does not decompose to an ASCII base.
_SPECIAL = {
    "ı": "i",
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ħ": "h",
    "ß": "s",
    "æ": "a",
    "œ": "o",
    "þ": "t",
    "ð": "d",
    "ŀ": "l",
    "ĸ": "k",
}


def _fold_char(ch: str) -> str:
    low = ch.lower()
    if low in _SPECIAL:
        return _SPECIAL[low]
    base = "".join(c for c in unicodedata.normalize("NFKD", low) if not unicodedata.combining(c))
    if base and base[0].isalnum() and unicodedata.category(base[0]) != "Lm":
        return base[0].lower()
    return " "


def _in_table(cp: int) -> bool:
    """Code points the fold table covers (beyond them only non-word characters change)."""
    return cp < 0x3000 or 0xFF00 <= cp < 0xFFFF


# Characters beyond the table (emoji, symbols) that are not letters or digits.
_BEYOND = re.compile(r"[^\x00-\u2fff\uff00-\uffff\w]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=16384)
def _fold_one(ch: str) -> str:
    """The folded form of one non-ASCII character (news text uses few distinct ones)."""
    return _BEYOND.sub(" ", _fold_char(ch) if _in_table(ord(ch)) else ch)


# ASCII bytes folded (A-Z lowered, punctuation to a space); bytes >= 0x80 unchanged, so
# the table leaves the UTF-8 bytes of non-ASCII characters alone.
_ASCII_TABLE = bytes(ord(_fold_char(chr(b))) if b < 0x80 else b for b in range(256))
_ASCII_MAP = {b: chr(c) for b, c in enumerate(_ASCII_TABLE[:0x80]) if b != c}
_FEW = 32  # distinct non-ASCII characters replaced one by one (more: a dict pass)


def fold(text: str) -> str:
    """Return ``text`` folded for matching; ``len(fold(t)) == len(t)`` always.

    A per-character ``str.translate`` with a dict runs at ~10 MB/s; instead each distinct
    non-ASCII character is replaced once, then one byte-table pass folds the ASCII."""
    if not text.isascii():
        distinct = set(_NON_ASCII.findall(text))
        if len(distinct) > _FEW:  # non-Latin text: one dict pass stays linear
            table = {ord(c): _fold_one(c) for c in distinct}
            return text.translate({**_ASCII_MAP, **table})
        for ch in distinct:
            text = text.replace(ch, _fold_one(ch))
    return text.encode().translate(_ASCII_TABLE).decode()


# The Arabic definite article in its written forms (assimilated to sun letters too).
ARTICLES = frozenset(
    {
        "al",
        "el",
        "ul",
        "il",
        "ar",
        "er",
        "as",
        "es",
        "ash",
        "esh",
        "ad",
        "ed",
        "adh",
        "az",
        "ez",
        "at",
        "et",
        "ath",
        "an",
        "en",
    }
)
_ASSIMILATED = re.compile(r"^[ae](sh|th|dh|[tdrzsnl])\1")
_CONSONANTS = [
    ("kh", "h"),
    ("gh", "g"),
    ("sh", "s"),
    ("ch", "s"),
    ("dj", "j"),
    ("th", "t"),
    ("dh", "d"),
    ("ph", "f"),
    ("q", "k"),
    ("c", "k"),
    ("x", "ks"),
    ("'", ""),
]
_VOWEL_RUN = re.compile(r"[aeiouyw]+")
_DOUBLE = re.compile(r"(.)\1+")


def _key_token(tok: str, first: bool) -> str:
    if not first:
        m = _ASSIMILATED.match(tok)
        if m and len(tok) > len(m.group(0)):
            tok = tok[1 + len(m.group(1)) :]
    for src, dst in _CONSONANTS:
        tok = tok.replace(src, dst)
    tok = _DOUBLE.sub(r"\1", tok)
    if len(tok) > 3 and tok.endswith("h") and tok[-2] in "aeiou":
        tok = tok[:-1]
    head, rest = tok[:1], tok[1:]
    rest = _VOWEL_RUN.sub("a", rest)
    if head in "aeiouy" and head:
        head = "a"
    return _DOUBLE.sub(r"\1", head + rest)


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """Transliteration skeleton of a place name (see module docstring)."""
    ascii_ = anyascii(name).lower()
    ascii_ = re.sub(r"[`ʿʾ’‘´]", "'", ascii_)
    ascii_ = re.sub(r"(?<=\w)'(?=\w)", "", ascii_)  # Ma'arrat -> maarrat
    tokens = [t for t in re.split(r"[^a-z0-9]+", ascii_) if t]
    kept = [t for t in tokens if t not in ARTICLES] or tokens
    return " ".join(_key_token(t, i == 0) for i, t in enumerate(kept))
