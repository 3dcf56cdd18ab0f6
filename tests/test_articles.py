"""Articles: splitting a scraped file, titles, boilerplate, and sentence spans."""

from __future__ import annotations

import itertools

import pytest

from geomap import articles
from geomap.articles import Article, sentences, split_articles
from geomap.pipeline import read_text


def _kept(text: str) -> str:
    """The text of the one article ``text`` holds, its dropped lines left out."""
    (art,) = split_articles(text)
    return "".join(text[a:b] for a, b in art.spans())


def body(text: str, article: Article) -> str:
    """The article's text with dropped lines removed."""
    return "".join(text[a:b] for a, b in article.spans())


def check_spans(text: str, articles: list[Article]) -> None:
    for art in articles:
        assert 0 <= art.start <= art.end <= len(text)
        for a, b in art.spans():
            assert art.start <= a < b <= art.end
    for prev, nxt in itertools.pairwise(articles):
        assert prev.end <= nxt.start, "articles overlap"


# -- the seed corpus -----------------------------------------------------------------


def test_seed_000_holds_two_articles_titled_by_their_headlines(seeds_dir):
    text = read_text(seeds_dir / "000_12b8b79cbf2504a8.txt")
    first_headline = text.splitlines()[0].strip()
    second_headline = (
        "Türkiye and Russia Engage in Delicate Maneuvers over Syria after Assad’s Downfall"
    )
    assert second_headline in text
    articles = split_articles(text)
    check_spans(text, articles)
    assert [a.title for a in articles] == [first_headline, second_headline]
    # each body holds its own story and not the other's
    second_at = text.index(second_headline)
    assert articles[0].start == 0
    assert articles[0].end <= second_at <= articles[1].start + len(second_headline)
    assert "Lavrentiev" in body(text, articles[0])
    assert second_headline not in body(text, articles[0])
    assert "Erdogan" in body(text, articles[1])


def test_seed_002_drops_the_skip_link_and_stops_before_the_promotion(seeds_dir):
    text = read_text(seeds_dir / "002_a154c5bd8303c04c.txt")
    assert text.startswith("Skip to main content")
    (article,) = split_articles(text)
    check_spans(text, [article])
    kept = body(text, article)
    assert "Skip to main content" not in kept
    assert article.title == "Syria's Assad hosts Russian envoy, discusses rapprochement with Turkey"
    promo = text.index("Join hundreds of Middle East professionals")
    assert article.end <= promo
    # the last paragraph of the story is kept
    last = "Turkey is home to around 3.6 million Syrian refugees."
    assert text.index(last) + len(last) <= article.end
    assert "Already a Member" not in kept
    assert "Premium Membership" not in kept


def test_seed_003_stops_before_the_reaction_buttons(seeds_dir):
    text = read_text(seeds_dir / "003_9bedf3f61f44b92b.txt")
    articles = split_articles(text)
    check_spans(text, articles)
    buttons = text.index("\nLike\nDislike\n") + 1
    assert all(a.end <= buttons for a in articles)
    story_end = text.rstrip().find("volatile region.")  # last sentence of the story
    assert story_end != -1 and story_end < buttons
    assert any(a.start <= story_end < a.end for a in articles)
    kept = "".join(body(text, a) for a in articles)
    assert "We Value Your Privacy" not in kept
    assert "Comments 0" not in kept


@pytest.mark.parametrize(
    "name",
    [
        "000_12b8b79cbf2504a8.txt",
        "001_d7416dada62bf403.txt",
        "002_a154c5bd8303c04c.txt",
        "003_9bedf3f61f44b92b.txt",
        "004_e5cf73b19b22fc82.txt",
    ],
)
def test_every_seed_splits_into_well_formed_articles(seeds_dir, name):
    text = read_text(seeds_dir / name)
    articles = split_articles(text)
    assert articles
    check_spans(text, articles)
    for art in articles:
        assert art.title.strip() and art.title != "Untitled"
        assert len(art.title) <= 141
        assert "\n" not in art.title


# -- synthetic texts ------------------------------------------------------------------


def test_empty_text_is_one_untitled_article():
    (art,) = split_articles("")
    assert (art.start, art.end) == (0, 0)


def test_reaction_buttons_end_the_article():
    text = (
        "A headline about Daraa\n\nFighting in Daraa continued.\nLike\nDislike\nLove\nMore text\n"
    )
    (art,) = split_articles(text)
    assert text[art.start : art.end].rstrip().endswith("Fighting in Daraa continued.")


def test_two_reaction_words_are_not_enough_to_end_the_article():
    text = "A headline about Daraa\n\nLike\nSad\nThe fighting in Daraa went on for days.\n"
    (art,) = split_articles(text)
    assert "went on for days" in text[art.start : art.end]


@pytest.mark.parametrize("label", ["Check Also", "Read more:", "Related Topics"])
def test_a_teaser_label_cuts_the_teaser_block(label):
    text = (
        "Russia sends a convoy to Qamishli\n\nThe convoy reached Qamishli.\nMore words here.\n"
        f"{label}\nAn unrelated story about Tartus\n"
    )
    (art,) = split_articles(text)
    assert "Tartus" not in text[art.start : art.end]
    assert "The convoy reached Qamishli." in text[art.start : art.end]


def test_a_teaser_block_inside_the_article_is_dropped_and_the_story_goes_on():
    text = (
        "Gulf money returns to Aleppo\n\nStonemasons are restoring the souq in Aleppo.\n\n"
        "Read more\nSyria courts Gulf investors at Riyadh conference\n"
        "Palmyra's museum reopens to visitors\n\n"
        "Since June, lorries carrying Emirati aid have been entering Syria from Iraq through "
        "the Al Bukamal crossing, which reopened this year.\n"
    )
    kept = _kept(text)
    assert "Riyadh" not in kept and "Palmyra" not in kept
    assert "through the Al Bukamal crossing" in kept


def test_a_list_widgets_screen_reader_lines_do_not_count_toward_a_teaser_block():
    """Al Jazeera's "Recommended Stories" carries a screen reader's "list 1 of 3" lines:
    three headlines take seven lines, and the story goes on after them."""
    items = "".join(f"list {n} of 3\nAnother story about Raqqa number {n}\n" for n in (1, 2, 3))
    text = (
        "Drone attack near Tishreen Dam kills three soldiers\n\n"
        "Three soldiers were killed in a drone attack near the Tishreen Dam on Saturday.\n\n"
        f"Recommended Stories\nlist of 3 items\n{items}end of list\n\n"
        "The ministry said the drone hit an army post shortly before dawn, in the deadliest "
        "attack since the ceasefire along the front line near Deir Hafer.\n"
    )
    kept = _kept(text)
    assert "Raqqa" not in kept and "list 1 of 3" not in kept
    assert "near Deir Hafer." in kept


@pytest.mark.parametrize(
    ("line", "dropped"),
    [
        ("By Leen Hamdan and Hussam al-Omari", True),
        ("By BASSEM MROUE and SUZAN FRASER", True),
        # a byline that says where it was filed keeps its place; prose is no byline
        ("By John Smith in Beirut", False),
        ("By the end of the year, troops had left Quneitra.", False),
    ],
)
def test_a_byline_of_names_only_is_dropped(line, dropped):
    text = f"Quneitra villagers wait\n\n{line}\n\nAbu Khaled heard the engines first.\n"
    kept = _kept(text)
    assert (line not in kept) == dropped
    assert "Abu Khaled heard the engines first." in kept


@pytest.mark.parametrize(
    "line",
    [
        "Read also: Turkish-backed factions and SDF trade shelling near Tishreen Dam",
        "Related: Jordan army kills smugglers in clash on Syria border",
    ],
)
def test_a_teaser_line_inside_the_article_is_dropped(line):
    text = (
        f"Returns rise at Bab al-Hawa\n\nFamilies crossed at Bab al-Hawa.\n{line}\n"
        "More came on Monday.\n"
    )
    kept = _kept(text)
    assert line not in kept
    assert "More came on Monday." in kept


def test_a_boilerplate_row_with_an_unquoted_comma_names_its_line(tmp_path, monkeypatch):
    rows = (articles.DATA_DIR / "boilerplate.csv").read_text(encoding="utf-8")
    (tmp_path / "boilerplate.csv").write_text(rows + "cut,(more){0,3},a note\n", encoding="utf-8")
    monkeypatch.setattr(articles, "DATA_DIR", tmp_path)
    articles._rules.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"boilerplate\.csv:\d+: more fields"):
            articles._rules()
    finally:
        articles._rules.cache_clear()


# -- sentences -------------------------------------------------------------------------


def texts(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[s:e] for s, e in spans]


def test_a_newline_ends_a_sentence():
    text = "Shelling hit Idlib\nResidents fled to Afrin"
    assert texts(text, sentences(text)) == ["Shelling hit Idlib", "Residents fled to Afrin"]


def test_full_stop_then_capital_ends_a_sentence():
    text = "Shelling hit Idlib. Residents fled to Afrin."
    assert texts(text, sentences(text)) == ["Shelling hit Idlib.", "Residents fled to Afrin."]


@pytest.mark.parametrize(
    "text",
    [
        "Turkey hosts 3.6 million Syrian refugees.",
        "The convoy covered 12.5 km before dawn.",
        "It happened at 3.15 p.m. on the road.",
    ],
)
def test_decimal_numbers_do_not_end_a_sentence(text):
    assert texts(text, sentences(text)) == [text]


def test_full_stop_before_lowercase_does_not_end_a_sentence():
    text = "He met Gen. smith and left."
    assert len(sentences(text)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "Soldiers patrol near al-Tanf, Oct. 22, 2018.",
        "The SDF withdrew on Jan. 21 from the camp.",
        "Gen. Mazloum Abdi met Dr. Ahmed in Hasakah.",
    ],
)
def test_an_abbreviation_does_not_end_a_sentence(text):
    assert texts(text, sentences(text)) == [text]


def test_question_and_exclamation_marks_end_sentences():
    text = "Why did Moscow stay silent? Nobody knows! The talks went on."
    assert len(sentences(text)) == 3


def test_sentence_spans_respect_start_and_end_and_skip_blank_lines():
    text = "Ignore me. Shelling hit Idlib.\n\n  Residents fled.  \nIgnore me too."
    start = text.index("Shelling")
    end = text.index("Ignore me too")
    spans = sentences(text, start, end)
    assert texts(text, spans) == ["Shelling hit Idlib.", "Residents fled."]
    assert all(start <= s < e <= end for s, e in spans)
