"""Name normalisation: ``fold`` (offset-preserving) and ``name_key`` (transliteration skeleton)."""

from __future__ import annotations

import itertools
import unicodedata

import pytest

from geomap.normalize import fold, name_key

# ``hypothesis`` is not a dependency, so the "any text" property runs over a wide list.
FOLD_SAMPLES = [
    "",
    " ",
    "Idlib",
    "IDLIB",
    "Īdlib",
    "al-Bab",
    "Deir ez-Zor",
    "Ma‘arrat an-Nu‘mān",
    "Ḩasakah",
    "İstanbul",  # Turkish dotted capital I: lower() grows to two code points
    "ıspanak Iğdır",  # Turkish dotless i
    "Straße ẞ",  # sharp s, capital sharp s
    "Çavuşoğlu Şanlıurfa",
    "e\u0301 a\u0308 o\u0302\u0323",  # combining accents (NFD)
    unicodedata.normalize("NFD", "Ḩasakah Īdlib Çorum"),
    "دمشق حلب إدلب",  # Arabic
    "ٱلرَّقَّة",  # Arabic with harakat (combining marks)
    "Москва Санкт-Петербург",
    "Αθήνα",
    "תל אביב",
    "北京市 東京",
    "ﬁ ﬂ Ｉｄｌｉｂ ①②",  # ligatures, fullwidth, enclosed digits
    "🔥💥🇸🇾 👨‍👩‍👧",  # emoji, a flag (regional indicators), a ZWJ sequence
    "Idlib🔥Daraa",
    "tab\tnew\nline\r\n\u00a0nbsp\u200bzwsp",
    "’‘“”«»—–…",
    "\ud800 lone surrogate",
    "ǅ ǈ ǋ",  # title-case digraphs
    "ŉ ʼn ſ K Å",  # compatibility letters
    "x" * 1000,
]


@pytest.mark.parametrize("text", FOLD_SAMPLES)
def test_fold_keeps_length(text):
    assert len(fold(text)) == len(text)


@pytest.mark.parametrize("text", FOLD_SAMPLES)
def test_fold_is_idempotent(text):
    once = fold(text)
    assert fold(once) == once


@pytest.mark.parametrize(
    "variants",
    [
        ["Idlib", "IDLIB", "Īdlib", "idlib", "Ｉｄｌｉｂ"],
        ["İstanbul", "Istanbul", "ISTANBUL", "ıstanbul"],
        ["al-Bab", "al Bab", "Al-Bāb", "AL BAB"],
        ["Şanlıurfa", "Sanliurfa"],
    ],
)
def test_fold_unifies_case_and_diacritics(variants):
    assert len({fold(v) for v in variants}) == 1


@pytest.mark.parametrize("ch", list("-–—'’.,;:()[]/\\\"“”!?&*#@\t\n\u00a0"))
def test_fold_maps_punctuation_and_space_to_space(ch):
    assert fold(f"a{ch}b") == "a b"


@pytest.mark.parametrize("symbol", ["🔥", "🇸🇾"])
def test_fold_maps_emoji_to_space(symbol):
    folded = fold(f"Idlib{symbol}")
    assert folded == "idlib" + " " * len(symbol)


# -- name_key ----------------------------------------------------------------

SAME_PLACE = [
    ["Deir ez-Zor", "Deir Ezzor", "Dayr az Zawr", "Deir al-Zour"],
    ["Maarrat al-Nu'man", "Maarat al-Numan"],
    ["Jisr al-Shughur", "Jesr al-Shougor"],
    ["Hmeimim", "Khmeimim"],
    ["Idlib", "Idleb"],
    ["Suwayda", "Sweida", "Suwaydaa", "As-Suwayda"],
    ["Hasakah", "Hassakeh", "al-Hasakeh"],
    ["Raqqa", "al-Raqqa", "Ar Raqqah"],
]


@pytest.mark.parametrize("spellings", SAME_PLACE, ids=lambda g: g[0])
def test_name_key_unifies_transliterations(spellings):
    keys = {s: name_key(s) for s in spellings}
    assert len(set(keys.values())) == 1, keys
    assert next(iter(keys.values())), "the key must not be empty"


DISTINCT = [
    ("Damascus", "Daraa"),
    ("Homs", "Hama"),
    ("Aleppo", "Idlib"),
    ("Raqqa", "Daraa"),
    ("Tartus", "Tadmur"),
]


@pytest.mark.parametrize(("a", "b"), DISTINCT)
def test_name_key_keeps_distinct_places_apart(a, b):
    assert name_key(a) != name_key(b)


def test_name_key_separates_every_group():
    """No two groups of spellings (different places) share a key."""
    keys = [{name_key(s) for s in group} for group in SAME_PLACE]
    for ka, kb in itertools.combinations(keys, 2):
        assert not ka & kb


@pytest.mark.xfail(
    reason="name_key treats 'w' as a vowel and collapses every vowel run to 'a', so Sweida "
    "(Syria), Saida (Sidon, Lebanon) and Saudi (Arabia) all share the key 'sada'",
    strict=True,
)
@pytest.mark.parametrize(("a", "b"), [("Sweida", "Saida"), ("Sweida", "Saudi")])
def test_name_key_sweida_is_not_saida_or_saudi(a, b):
    assert name_key(a) != name_key(b)


@pytest.mark.parametrize(
    "name", ["Idlib", "Deir ez-Zor", "al-Bab", "Ḩasakah", "Ma‘arrat an-Nu‘mān"]
)
def test_name_key_ignores_case_and_diacritics(name):
    assert name_key(name) == name_key(name.upper()) == name_key(name.lower())


def test_name_key_drops_the_article_but_not_a_bare_article():
    assert name_key("al-Bab") == name_key("Bab")
    assert name_key("Al") != "", "a name made only of an article must keep a key"


def test_fold_is_the_same_one_character_at_a_time_on_both_paths():
    """fold replaces a few distinct non-ASCII characters one by one and falls back to one
    dict pass for text with many; both must give the per-character result everywhere."""
    sample = [chr(c) for c in range(0, 0x110000, 7) if not 0xD800 <= c <= 0xDFFF]
    many = "".join(sample)  # thousands of distinct characters: the dict pass
    one_by_one = "".join(fold("Ab" + c + "Z")[2] for c in sample)  # the few-characters path
    assert fold(many) == one_by_one
    assert len(fold(many)) == len(many)
    assert fold("Ḩasakah’s ÉTAT, Şam—") == "hasakah s etat  sam "
