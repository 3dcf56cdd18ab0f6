"""Actors: alias phrases found in text and mapped to CAMEO-style codes."""

from __future__ import annotations

import itertools

import pytest

from geomap.actors import NO_ONE, ActorIndex


@pytest.fixture(scope="module")
def actors() -> ActorIndex:
    return ActorIndex.load(extra=[])


def found(index: ActorIndex, text: str) -> list[tuple[str, str]]:
    """``(surface, code)`` for every hit, checking that offsets point into the text."""
    out = []
    for h in index.find(text):
        assert 0 <= h.start < h.end <= len(text)
        out.append((text[h.start : h.end], h.code))
    return out


def codes(index: ActorIndex, text: str) -> set[str]:
    return {code for _, code in found(index, text)}


@pytest.mark.parametrize(
    ("text", "code", "surface"),
    [
        ("Lavrentiev arrived in Damascus on Monday.", "RUS", "Lavrentiev"),
        ("A statement from the Kremlin followed.", "RUS", "Kremlin"),
        ("Erdogan said the operation would go on.", "TUR", "Erdogan"),
        ("Erdoğan said the operation would go on.", "TUR", "Erdoğan"),
        ("Assad received the delegation.", "SYR-GOV", "Assad"),
        ("Shelling by the regime continued.", "SYR-GOV", "regime"),
        ("Pedersen briefed the Security Council.", "UN", "Pedersen"),
        # the Interior Ministry's force since 2025, and the Kurdish Asayish by that name
        ("Internal security forces deployed in Jaramana.", "SYR-GOV", "Internal security forces"),
        (
            "Two members of the Asayish internal security forces were killed.",
            "SDF",
            "Asayish internal security forces",
        ),
        (
            "A drone hit a post of the Kurdish internal security forces in Amuda.",
            "SDF",
            "Kurdish internal security forces",
        ),
        # the factions Turkey backs, by other names
        (
            "Turkish troops and allied Syrian factions captured Tal Abyad.",
            "SNA",
            "allied Syrian factions",
        ),
        (
            "The Turkish occupation army and its mercenaries shelled Tal Rifaat.",
            "SNA",
            "its mercenaries",
        ),
        ("Turkey and its Syrian proxies seized Afrin in 2018.", "SNA", "Syrian proxies"),
        # Turkey's disaster agency; a ceasefire's broker
        ("AFAD said 140 trucks had crossed.", "TUR", "AFAD"),
        ("A Russian-brokered ceasefire halted the offensive.", "RUS", "Russian-brokered"),
        # North Press's name for the SNA
        (
            "Turkish forces and their affiliated armed opposition factions shelled the village.",
            "SNA",
            "affiliated armed opposition factions",
        ),
    ],
)
def test_people_and_organs_map_to_their_actor(actors, text, code, surface):
    hits = found(actors, text)
    assert code in {c for _, c in hits}, hits
    assert any(surface in s and c == code for s, c in hits), hits


def test_internal_security_forces_in_title_case_name_no_one(actors):
    """In title case the name is as often the Kurdish Asayish's ("In al-Hol camp, the
    Internal Security Forces arrested ...") as the Interior Ministry's: no code."""
    assert "SYR-GOV" not in codes(actors, "In al-Hol, the Internal Security Forces arrested two.")
    assert "SYR-GOV" in codes(actors, "The internal security forces arrested two in Jableh.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # unmarked security forces in this news are the Syrian state's ...
        ("Security forces arrested 17 suspects in Daliyah.", {"SYR-GOV"}),
        # ... but an owner's possessive or a demonym names whose they are
        ("The SDF's internal security forces arrested five men in Raqqa.", {"SDF"}),
        ("Turkey\u2019s security forces detained three in Kilis.", {"TUR"}),
        ("Turkish security forces detained three in Kilis.", {"TUR"}),
        # soldiers and ministries too, owned by a name, an actor or a pronoun before them
        ("ISIS gunmen killed four soldiers at a checkpoint.", {"ISIS", "SYR-GOV"}),
        ("Three soldiers were wounded near Palmyra.", {"SYR-GOV"}),
        ("A convoy came under fire, killing 18 soldiers.", {"SYR-GOV"}),
        ("The Interior Ministry said the road reopened.", {"SYR-GOV"}),
        ("FILE - U.S. soldiers patrol near the al-Tanf garrison.", {"USA"}),
        ("US Army soldiers patrol near al-Tanf.", {"USA"}),
        ("IDF soldiers operate in southern Syria.", {"ISR"}),
        ("The Israeli army said two of its soldiers were lightly wounded.", {"ISR"}),
        ("Turkey\u2019s Defense Ministry said its forces hit 30 targets.", {"TUR"}),
        ("Israeli jets struck army depots near Kiswah.", {"ISR", "SYR-GOV"}),
        ("Hezbollah fired rockets at Israeli army positions.", {"HEZ", "ISR"}),
        ("Lebanese army units deployed along the border.", set()),
        # an owner with no code of its own names no one
        ("Lebanese soldiers closed the Qusayr crossing.", set()),
        ("Iraqi security forces deployed along the border.", set()),
        # a non-state group keeps its possessive's owner, and a state keeps its own
        ("Iran's Hezbollah fired rockets.", {"IRN", "HEZ"}),
        ("Turkey's Erdogan spoke.", {"TUR"}),
    ],
)
def test_unmarked_forces_are_the_state_s_unless_another_owns_them(actors, text, expected):
    assert codes(actors, text) == expected


def test_each_actor_in_a_longer_sentence(actors):
    text = (
        "After Lavrentiev left, Erdogan called Pedersen, while the regime and Assad's "
        "allies in the Kremlin kept quiet."
    )
    assert codes(actors, text) >= {"RUS", "TUR", "UN", "SYR-GOV"}


@pytest.mark.parametrize("text", ["Let us know what you think.", "It is up to us.", "Join us."])
def test_lowercase_us_is_not_the_united_states(actors, text):
    assert "USA" not in codes(actors, text)


@pytest.mark.parametrize("text", ["The US said it would respond.", "US forces left the base."])
def test_uppercase_us_is_the_united_states(actors, text):
    assert ("US", "USA") in found(actors, text)


def test_longest_match_wins(actors):
    text = "Fighters of the Syrian National Army advanced on Manbij."
    hits = actors.find(text)
    s = text.index("Syrian National Army")
    e = s + len("Syrian National Army")
    covering = [h for h in hits if h.start < e and s < h.end]
    assert covering, hits
    assert {(h.start, h.end, h.code) for h in covering} == {(s, e, "SNA")}


def test_hits_do_not_overlap(actors):
    text = "The Syrian National Army and Turkish-backed factions clashed with the SDF."
    hits = sorted(actors.find(text), key=lambda h: h.start)
    spans = sorted({(h.start, h.end) for h in hits})
    for (_, e1), (s2, _) in itertools.pairwise(spans):
        assert e1 <= s2


def test_one_phrase_gives_one_hit_per_code(actors):
    text = "Erdogan spoke."
    hits = [(h.start, h.end, h.code) for h in actors.find(text)]
    assert len(hits) == len(set(hits)), hits


def test_extra_alias_file_is_layered_on_top(tmp_path):
    extra = tmp_path / "mine.csv"
    extra.write_text(
        "alias,code,case_sensitive,note\nZorblax Brigade,SNA,0,test\nNoSuchCode Men,XXX,0,\n",
        encoding="utf-8",
    )
    index = ActorIndex.load(extra=[extra])
    assert codes(index, "The Zorblax Brigade shelled the village.") == {"SNA"}
    assert codes(index, "NoSuchCode Men arrived.") == set(), "unknown codes are dropped"


def test_every_alias_names_a_known_code_or_no_one(actors):
    assert actors.aliases
    assert {code for _, code, _ in actors.aliases} <= set(actors.actors) | {NO_ONE}


@pytest.mark.parametrize(
    "code",
    [
        "RUS",
        "TUR",
        "IRN",
        "USA",
        "ISR",
        "FRA",
        "CHN",
        "UKR",
        "UN",
        "SYR-GOV",
        "SYR-OPP",
        "HTS",
        "SNA",
        "SDF",
        "ISIS",
        "HEZ",
        "PKK",
    ],
)
def test_design_codes_exist_with_a_colour(actors, code):
    assert code in actors.actors
    colour = actors.colour(code)
    assert colour.startswith("#") and len(colour) in (4, 7)


def test_unknown_code_has_a_fallback_colour(actors):
    assert actors.colour("NOPE").startswith("#")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Moscow insists that the talks continue.", "RUS"),
        ("Ankara warned the Kurdish fighters.", "TUR"),
        ("Iran sent advisers to the front.", "IRN"),
    ],
)
def test_metonymic_capitals_and_countries_count_as_actors(pipeline, text, code):
    (parsed,) = pipeline.parse_articles(text)
    assert code in parsed.actors


def test_a_literal_foreign_city_is_not_an_actor(pipeline):
    (parsed,) = pipeline.parse_articles("The delegation flew to Kazan on Monday.")
    assert [m.country for m in parsed.mentions] == ["RU"]
    assert "RUS" not in parsed.actors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Turkish-backed factions shelled the village.", {"SNA"}),
        ("Rebels backed by Turkey entered the town.", {"SNA", "TUR"}),
        ("Russia-backed forces advanced.", {"RUS"}),
    ],
)
def test_hyphenated_backer_names_the_proxy(actors, text, expected):
    assert codes(actors, text) >= expected


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("Russia and Türkiye backed opposing sides in the war.", "SNA"),
        ("Turkey backed the deal while Iran objected.", "SNA"),
    ],
)
def test_backed_as_a_verb_names_the_state_not_its_proxies(actors, text, absent):
    found_codes = codes(actors, text)
    assert absent not in found_codes
    assert "TUR" in found_codes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Resistance targeted Metula.", {"HEZ"}),
        ("The Islamic Resistance in Lebanon shelled Metula.", {"HEZ"}),
        # the longer names of Iran's allies win over the short one
        ("The Islamic Resistance in Iraq claimed the attack.", {"IRN"}),
        ("Leaders of the Axis of Resistance met.", {"IRN"}),
        # only with its capital: the common noun names no one
        ("Residents showed resistance to the plan.", set()),
    ],
)
def test_the_resistance_is_hezbollah_unless_a_longer_name_says_otherwise(actors, text, expected):
    assert set(codes(actors, text)) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("A Russian warplane crashed near the coast.", "RUS"),
        ("A Turkish soldier was wounded at the post.", "TUR"),
        ("A Russian airstrike hit the market.", "RUS"),
    ],
)
def test_the_singular_of_a_plural_alias_names_the_actor(actors, text, code):
    assert code in codes(actors, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The town is held by rebel factions backed by Ankara.", {"SNA", "TUR"}),
        ("Rebels backed by Turkey entered the town.", {"SNA", "TUR"}),
        # a comma makes the backer an aside: the rebels stay rebels
        ("Rebels, backed by Turkey, entered the town.", {"SNA", "TUR", "SYR-OPP"}),
    ],
)
def test_a_group_qualified_by_its_backer_is_the_proxy(actors, text, expected):
    assert codes(actors, text) == expected


def test_a_demonym_with_a_force_noun_names_the_state():
    """actor_forms.json pairs every state's demonym with the same nouns: no pairing is
    listed for one state and forgotten for another."""
    from geomap.actors import ActorIndex

    index = ActorIndex.load()
    text = (
        "Russian positions near Palmyra, Israeli bulldozers in Quneitra, a French drone, "
        "Syrian shells, Israeli aggression on Kiswah, Turkish occupation forces at Afrin."
    )
    found = {text[h.start : h.end]: h.code for h in index.find(text)}
    assert found == {
        "Russian positions": "RUS",
        "Israeli bulldozers": "ISR",
        "French drone": "FRA",
        "Syrian shells": "SYR-GOV",
        "Israeli aggression": "ISR",
        "Turkish occupation forces": "TUR",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Syrian and Russian warplanes bombed Idlib.",
            {"Syrian": "SYR-GOV", "Russian warplanes": "RUS"},
        ),
        (
            "Russian, Iranian and Turkish officials met.",
            {"Russian": "RUS", "Iranian": "IRN", "Turkish officials": "TUR"},
        ),
        # a qualified noun: security, intelligence, military officials and organs
        (
            "Senior Syrian and Turkish security officials met in Baghdad.",
            {"Syrian": "SYR-GOV", "Turkish security officials": "TUR"},
        ),
        # a coordinated word that makes no alias with the noun names no one
        ("Local and Russian troops deployed.", {"Russian troops": "RUS"}),
        # headlines coordinate with a comma; a singular alias names its plural too
        (
            "Turkish, Syrian foreign ministers meet in Ankara",
            {"Turkish": "TUR", "Syrian foreign ministers": "SYR-GOV"},
        ),
        ("In Damascus, Russian officials met.", {"Russian officials": "RUS"}),
    ],
)
def test_demonyms_coordinated_before_a_force_noun_each_name_their_state(actors, text, expected):
    assert {text[h.start : h.end]: h.code for h in actors.find(text)} == expected


def test_the_host_countrys_bases_are_where_not_whose(actors):
    """Russia's "two Syrian bases" are bases in Syria; "Syrian positions" are the army's."""
    text = "Russia clings to two Syrian bases; Syrian positions were shelled."
    assert {text[h.start : h.end]: h.code for h in actors.find(text)} == {
        "Russia": "RUS",
        "Syrian positions": "SYR-GOV",
    }
