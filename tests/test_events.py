"""Events: typing sentences, explicit dates, the merge rule and extraction from text."""

from __future__ import annotations

import datetime as dt

import pytest

from geomap.dates import dates_compatible, find_date
from geomap.events import EVENT_TYPES, event_type, extract_events, same_event

# -- event_type ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "etype"),
    [
        ("Russian airstrikes hit the town of Saraqib.", "airstrike_shelling"),
        ("Turkish, Syrian ministers discuss Israeli attacks in Ankara", "meeting_talks"),
        # words inside a phrase that cues nothing cue nothing: a line on the map, a
        # mountain's summit, a deal that was not made
        ("Tanks pulled back towards the ceasefire line near Jaba.", "military_presence"),
        ("Troops have held the summit of Mount Hermon since 2024.", "military_presence"),
        ("Officials held US-brokered talks in Paris, but no deal was announced.", "meeting_talks"),
        ("Israeli air strikes hit the airport.", "airstrike_shelling"),
        ("Heavy shelling continued overnight in Daraa.", "airstrike_shelling"),
        ("Government forces shelled the village.", "airstrike_shelling"),
        ("Assad met Lavrentiev in Damascus.", "meeting_talks"),
        ("The two delegations held talks in Astana.", "meeting_talks"),
        ("The envoy's visit to Damascus was kept secret.", "meeting_talks"),
        ("Government troops surrounded the town.", "military_presence"),
        ("Turkey will deploy more soldiers to Idlib.", "military_presence"),
        ("Residents protested in the main square of Sweida.", "protest"),
        ("Clashes erupted between the SDF and tribal fighters.", "battle"),
        # the weapon says what kind of attack it was
        ("Turkish drones carried out more than 40 attacks on Kobani.", "airstrike_shelling"),
        ("Gunmen attacked the village with explosive-laden drones.", "airstrike_shelling"),
        ("Russian military police were patrolling Manbij.", "military_presence"),
        ("Women held a vigil in Raqqa.", "protest"),
        ("Dozens settled their legal status in Jasim.", "agreement_ceasefire"),
        ("An explosive device went off near the mosque.", "airstrike_shelling"),
        ("Government units came under fire near Ariqa.", "battle"),
        ("The PKK is headquartered in the Qandil mountains.", "military_presence"),
        # visits are talks, whatever the visitor does there
        ("The defence minister inspected border units in Kilis.", "meeting_talks"),
        ("The chief of staff toured positions in the Golan Heights.", "meeting_talks"),
        ("Terrorists shell the de-escalation zone 11 times.", "airstrike_shelling"),
        ("Strikes knocked out power stations around Qamishli.", "airstrike_shelling"),
        # raids, in the plural, are air raids in this news; a raid is a ground one
        ("Russian raids on Jisr al-Shughur", "airstrike_shelling"),
        (
            "The military dispatched commando units to the border province of Kilis.",
            "military_presence",
        ),
        ("A rocket landed in an empty field in Karkamis.", "airstrike_shelling"),
        (
            "Since the regime's collapse, the IDF has maintained a presence on Mount Hermon.",
            "military_presence",
        ),
        ("Security forces arrested eight suspected members of IS in Sahnaya.", "other"),
        # a security operation is no deployment, whoever carries it out
        ("Coalition forces detained three suspects in a joint security operation.", "other"),
        ("Government units had come under fire near Ariqa.", "battle"),
        # a centre named for reconciliation hands out food: no deal
        ("The Reconciliation Center handed out food in Kafr Buhum.", "other"),
        ("The weather in Latakia was mild.", "other"),
        ("They also took up positions on the Syrian side of Mount Hermon.", "military_presence"),
        # drones in support of a ground raid do not make it an air strike
        ("Israeli troops backed by drones stormed the village of Beit Jinn.", "battle"),
        # crews battle fires, not foes
        ("Fire Crews Battle Blazes in Latakia Mountains", "other"),
        ("Israeli soldiers and bulldozers pushed into Beit Jinn before dawn.", "battle"),
        # the fall of a ruler names a time
        ("Russian hardware has stayed in Syria since the fall of Bashar al-Assad.", "other"),
        ("The city itself remains in the hands of local Druze factions.", "military_presence"),
        # weapons that are goods are not fired
        (
            "Security forces seized a shipment of Grad rockets and explosive-laden drones "
            "after a firefight with smugglers.",
            "battle",
        ),
        ("Troops clashed with militiamen who were smuggling rockets and drones.", "battle"),
        ("Militiamen fired rockets and drones at the base.", "airstrike_shelling"),
        # mines cleared are not fired; "not clear whether" is no clearance
        ("SANA: Army Engineers Clear Mines Around Kabana", "other"),
        ("Engineering units of the army removed 40 landmines near Masyaf.", "other"),
        ("It was not clear whether the shelling hit Masyaf.", "airstrike_shelling"),
        # the weather and the ground hit and strike too
        ("The snowstorm that hit camps around Atmeh damaged 2,000 tents.", "other"),
        ("An earthquake struck Jindires before dawn.", "other"),
        # people who cross a border do not deploy; forces that enter a place do
        ("The buses entered Iraq through the Rabia border crossing.", "other"),
        ("Another 1,120 people entered through the Bab al-Salama crossing.", "other"),
        ("Government forces entered the sprawling al-Hol camp.", "military_presence"),
        # air power backing a ground fight: the fight's type; artillery firing from afar
        # is a shelling of its own
        (
            "SDF fighters backed by U.S.-led coalition airstrikes captured the village.",
            "battle",
        ),
        (
            "Factions tried to cross, backed by Turkish artillery firing from across the border.",
            "airstrike_shelling",
        ),
        # a handover passes control of a place
        ("The handover at al-Tanf ends a decade of US presence.", "military_presence"),
        # a smuggling route is a thing, families on the move a happening
        ("Israel struck a Hezbollah smuggling crossing near Qusayr.", "airstrike_shelling"),
        ("Another 176 Iraqi families left al-Hol for a rehabilitation center.", "other"),
        ("Syrian troops, backed by Russian air strikes, retake Palmyra", "battle"),
        # a timeline's present tense captures too
        ("May 2015: ISIS fighters seize Palmyra from government forces", "battle"),
        ("Government forces take control of Raqqa from the SDF", "battle"),
        # "since the explosion" names a time
        (
            "Checkpoints in Ashrafieh have tightened searches since the explosion.",
            "military_presence",
        ),
        # gunmen who kill fight
        ("IS gunmen killed four soldiers at a checkpoint.", "battle"),
        # aid on the move is no deployment; a military convoy is
        (
            "A convoy of 32 trucks from the Syrian Arab Red Crescent entered Sweida city.",
            "other",
        ),
        ("A convoy of 18 trucks carrying food entered Syria through Bab al-Hawa.", "other"),
        ("A convoy of 30 armoured vehicles entered Sweida city.", "military_presence"),
        # hostages freed are a happening of their own, not the checkpoint they were freed at
        ("Four of the six were released Monday at a checkpoint near Busra al-Harir.", "other"),
        ("The army released a statement on the checkpoint near Nawa.", "military_presence"),
        # forces pulled out of a place: a presence that ends
        ("Moscow has pulled several air-defence batteries out of Syria.", "military_presence"),
    ],
)
def test_event_type_from_cues(sentence, etype):
    assert event_type(sentence) == etype


@pytest.mark.parametrize(
    "sentence",
    [
        "Regime helicopters dropped barrel bombs on Daraa.",
        "Barrel bombs fell on the eastern neighbourhoods.",
    ],
)
def test_barrel_bombs_are_airstrike_shelling(sentence):
    assert event_type(sentence) == "airstrike_shelling"


def test_barrel_bomb_singular_is_airstrike_shelling():
    assert event_type("A barrel bomb fell on the market.") == "airstrike_shelling"


@pytest.mark.parametrize(
    "sentence", ["", "Nothing happened.", "AIRSTRIKES HIT DARAA.", "Shelling!\nTalks."]
)
def test_event_type_is_always_a_known_type(sentence):
    assert event_type(sentence) in EVENT_TYPES


def test_event_type_ignores_case():
    assert event_type("SHELLING HIT DARAA.") == event_type("shelling hit Daraa.")


def test_event_type_needs_whole_words():
    """'met' inside 'helmet', 'base' inside 'baseless' are not cues."""
    assert event_type("Helmets and baseless rumours.") == "other"


# -- find_date ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Jets struck Idlib on July 3, 2024, residents said.", ("2024-07-03", "day")),
        ("Jets struck Idlib on July 3 2024.", ("2024-07-03", "day")),
        ("Jets struck Idlib on 3 July 2024.", ("2024-07-03", "day")),
        ("In March 2022, Türkiye hosted talks.", ("2022-03", "month")),
        ("The talks began in December, 2019 in Geneva.", ("2019-12", "month")),
        ("The base was built in 2018 near Tartus.", ("2018", "year")),
        ("Since 2011 the city has changed hands.", ("2011", "year")),
        ("The talks resumed in October.", (None, None)),
        ("Russian jets struck on Monday.", (None, None)),
        ("Some 2018 fighters left.", (None, None)),
        ("Israel captured the Golan in the 1967 war.", ("1967", "year")),
        ("Sweida stayed out of it since the 2011 uprising.", ("2011", "year")),
        ("He spoke to one of the 2000 fighters.", (None, None)),
        ("The 2,000 troops left in 20 trucks.", (None, None)),
        # wire style abbreviates the month before a day
        ("Soldiers patrol near al-Tanf, Oct. 22, 2018.", ("2018-10-22", "day")),
        ("The talks began in Sept. 2019.", ("2019-09", "month")),
    ],
)
def test_find_date(sentence, expected):
    assert find_date(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "It happened on July 3, 2024.",
        "It happened on 31 December 1999.",
        "In March 2022 it happened.",
        "in 2018 it happened.",
    ],
)
def test_found_dates_are_valid_iso_prefixes(sentence):
    date, precision = find_date(sentence)
    fmt = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}[precision]
    assert dt.datetime.strptime(date, fmt).strftime(fmt) == date


def test_impossible_day_is_not_a_date():
    date, precision = find_date("Jets struck on February 30, 2024.")
    assert precision != "day" or dt.date.fromisoformat(date)


def test_mid_year_is_a_year():
    assert find_date("The base was expanded in mid-2019.") == ("2019", "year")


# -- the merge rule -----------------------------------------------------------------

A = dict(
    place_a="sy.daraa",
    type_a="airstrike_shelling",
    actors_a=["RUS"],
    date_a="2024-07-03",
    sentence_a="Russian jets struck Daraa on July 3, 2024.",
)
B = dict(
    place_b="sy.daraa",
    type_b="airstrike_shelling",
    actors_b=["RUS"],
    date_b="2024-07",
    sentence_b="Residents reported raids by Russian aircraft over the city.",
)


def merge(**changes) -> bool:
    args = {**A, **B, **changes}
    return same_event(**args)


def test_same_place_type_and_actors_merge():
    assert merge() is True


def test_actor_order_does_not_matter():
    assert merge(actors_a=["RUS", "SYR-GOV"], actors_b=["SYR-GOV", "RUS"]) is True


def test_different_place_does_not_merge():
    assert merge(place_b="sy.tafas") is False


def test_different_type_does_not_merge():
    assert merge(type_b="protest") is False


@pytest.mark.parametrize(("date_a", "date_b"), [("2022", "2023"), ("2024-07-03", "2024-07-04")])
def test_incompatible_dates_do_not_merge(date_a, date_b):
    assert merge(date_a=date_a, date_b=date_b) is False


@pytest.mark.parametrize(
    ("date_a", "date_b"), [(None, "2023"), ("2024", "2024-07-03"), (None, None)]
)
def test_compatible_or_missing_dates_merge(date_a, date_b):
    assert merge(date_a=date_a, date_b=date_b) is True


def test_different_actors_and_wording_do_not_merge():
    assert merge(actors_b=["ISR"]) is False
    # sharing a party is not enough: each names one the other does not
    assert merge(actors_a=["RUS", "SYR-GOV"], actors_b=["RUS", "SYR-OPP"]) is False


def test_a_report_naming_fewer_of_the_parties_merges():
    assert merge(actors_a=["RUS", "SYR-GOV"], actors_b=["RUS"]) is True
    assert merge(actors_a=["RUS"], actors_b=["RUS", "SYR-GOV"]) is True
    # no party named and no day in the dates: the wording decides
    assert merge(actors_a=["RUS"], actors_b=[], date_b="2024") is False


@pytest.mark.parametrize(
    ("date_a", "date_b", "merged", "with_parties"),
    [
        ("2024-07-03", "2024-07", True, True),
        ("2024-07-03", "2024-07-03", True, True),
        ("2024-07", "2024-07", False, False),  # a month is too long to tell
        ("2024-07-03", "2024", False, False),
        # an undated report that names no one joins a dated one that names the parties
        # ("a car bomb in Ras al-Ain on January 20" / "the car bomb toll rises"); two
        # that name no one still need a day in both
        ("2024-07-03", None, False, True),
        (None, "2024-07-03", False, True),
        (None, None, False, False),
    ],
)
def test_a_report_naming_no_one_merges_on_the_same_day(date_a, date_b, merged, with_parties):
    assert merge(actors_b=[], date_a=date_a, date_b=date_b) is with_parties
    assert merge(actors_a=[], actors_b=[], date_a=date_a, date_b=date_b) is merged


def test_reports_of_an_area_and_a_place_in_it_need_dates_and_a_happening():
    """``area``: one place lies in the other's area ("Daraa province" and "Nawa"), which
    holds many happenings: the parties count only when both reports are dated, never for
    a lasting state, and two reports that name no one are one only by day or wording."""
    dated = dict(date_a="2024-07-03", date_b="2024-07-03", area=True)
    assert merge(**dated) is True
    assert merge(**{**dated, "date_b": None}) is False
    assert merge(**{**dated, "date_a": None, "date_b": None}) is False
    presence = dict(type_a="military_presence", type_b="military_presence")
    assert merge(**presence, **dated) is False
    assert merge(**presence, **{**dated, "area": False}) is True
    partyless = dict(type_a="other", type_b="other", actors_a=[], actors_b=[], area=True)
    assert merge(**partyless, date_a=None, date_b=None) is False
    assert merge(**partyless, date_a="2024-07-03", date_b="2024-07-03") is True
    # an undated report naming no one joins a dated one at its place, not in its area
    assert merge(actors_b=[], date_a="2024-07-03", date_b=None, area=True) is False


def test_reports_of_a_lasting_state_merge_when_one_names_no_one():
    presence = dict(type_a="military_presence", type_b="military_presence")
    assert merge(**presence, actors_a=["USA"], actors_b=[], date_a=None, date_b=None) is True
    # parties that differ are two presences at the place
    assert merge(**presence, actors_a=["USA"], actors_b=["IRN"], date_a=None) is False
    # a happening still needs a day, or the wording, when one names no one
    assert merge(actors_a=["RUS"], actors_b=[], date_a=None, date_b=None) is False


def test_partyless_reports_merge_when_neither_names_anyone():
    crossing = dict(type_a="other", type_b="other", date_a=None, date_b=None)
    # "Syrians crossed back through Masnaa" / "many went home through the Masnaa crossing"
    assert merge(**crossing, actors_a=[], actors_b=[]) is True
    # a party named on one side: the wording or a day decides, as for any happening
    assert merge(**crossing, actors_a=["UN"], actors_b=[]) is False
    assert (
        merge(**{**crossing, "date_a": "2024", "date_b": "2025"}, actors_a=[], actors_b=[]) is False
    )


def test_on_one_day_reports_that_share_a_party_merge():
    """Outlets name the parties they know: "Israeli jets hit Iranian positions near Kiswah"
    and "army air defences intercepted Israeli missiles near Kiswah" on the same day are
    one strike; on a month, or with no party shared, they stay apart."""
    day = dict(date_a="2024-09-10", date_b="2024-09-10")
    assert merge(**day, actors_a=["IRN", "ISR"], actors_b=["ISR", "SYR-GOV"]) is True
    assert merge(**day, actors_a=["IRN"], actors_b=["ISR", "SYR-GOV"]) is False
    month = dict(date_a="2024-09", date_b="2024-09")
    assert merge(**month, actors_a=["IRN", "ISR"], actors_b=["ISR", "SYR-GOV"]) is False
    assert (
        merge(
            date_a="2024-09-10", date_b=None, actors_a=["IRN", "ISR"], actors_b=["ISR", "SYR-GOV"]
        )
        is False
    )


def test_at_a_small_place_reports_naming_no_one_merge_by_type_and_a_day():
    """A village or a square holds few happenings: two reports there that name no one
    are one event without a shared day ("clashes around Walgha" and "fighting broke out in
    Walgha on February 11"); a city or an area holds too many."""
    partyless = dict(actors_a=[], actors_b=[], date_b=None)
    for kind in ("village", "neighbourhood", "landmark"):
        assert merge(**partyless, kind=kind) is True
        assert merge(**partyless, date_a=None, kind=kind) is True
        # dates that differ still tell two happenings apart
        assert merge(**{**partyless, "date_b": "2024-06-01"}, kind=kind) is False
    for kind in ("city", "town", "governorate", None):
        assert merge(**partyless, kind=kind) is False
        assert merge(**partyless, date_a=None, kind=kind) is False
    assert merge(**partyless, kind="village", area=True) is False


def test_no_actors_but_near_identical_wording_merges():
    same = "Shelling hit the eastern quarters of Daraa on Monday."
    assert merge(actors_a=[], actors_b=[], sentence_a=same, sentence_b=same + " ") is True


def test_no_actors_and_different_wording_do_not_merge():
    assert merge(actors_a=[], actors_b=[], date_b=None) is False


def test_wording_is_asked_of_every_sentence_given_and_of_none_when_none_is():
    same = "Shelling hit the eastern quarters of Daraa on Monday."
    other = "Residents fled the town."
    nobody = dict(actors_a=[], actors_b=[], date_b=None)  # only the wording can tell
    assert merge(**nobody, sentence_a=[other, same], sentence_b=same) is True
    assert merge(**nobody, sentence_a=[], sentence_b="") is False
    assert merge(**nobody, sentence_a=[other, same], sentence_b=other) is True
    assert merge(**nobody, sentence_a=["  "], sentence_b="  ") is False
    assert merge(sentence_a=[]) is True  # the actor half needs no wording


@pytest.mark.parametrize(
    ("a", "b", "ok"),
    [("2022", "2022-03", True), ("2022-03", "2022-04", False), ("2022-03-01", "2022", True)],
)
def test_dates_compatible(a, b, ok):
    assert dates_compatible(a, b) is ok
    assert dates_compatible(b, a) is ok


# -- extract_events -----------------------------------------------------------------------


def events_by_place(events):
    return {(ev.mention.text, ev.sentence) for ev in events}


def test_one_event_per_sentence_and_literal_place(pipeline):
    s1 = "Russian jets bombed Idlib on March 3, 2020."
    s2 = "Moscow said the raids would continue."
    s3 = "Clashes broke out in Daraa and Tafas."
    text = f"{s1} {s2}\n{s3}\n"
    events = extract_events(text, pipeline)
    assert events_by_place(events) == {("Idlib", s1), ("Daraa", s3), ("Tafas", s3)}
    for ev in events:
        m = ev.mention
        assert text[m.start : m.end] == m.text
        assert m.literal
        assert ev.event_type in EVENT_TYPES
        assert ev.reports and ev.reports[0].sentence == ev.sentence
    (idlib,) = [ev for ev in events if ev.mention.text == "Idlib"]
    assert idlib.event_type == "airstrike_shelling"
    assert "RUS" in idlib.actors
    assert (idlib.date, idlib.date_precision) == ("2020-03-03", "day")
    tafas = next(ev for ev in events if ev.mention.text == "Tafas")
    assert (tafas.date, tafas.date_precision) == (None, None)


def test_metonymic_mention_makes_no_event(pipeline):
    text = "Moscow insists that the ceasefire must hold."
    mentions = pipeline.parse(text)
    assert [m.literal for m in mentions if m.text == "Moscow"] == [False]
    assert extract_events(text, pipeline) == []


def test_repeated_sentence_folds_into_one_event(pipeline):
    text = "Clashes in Daraa left two dead.\nClashes in Daraa left two dead.\n"
    (event,) = extract_events(text, pipeline)
    assert event.mention.text == "Daraa"
    assert len(event.reports) == 2


def test_the_items_of_a_list_continue_its_lead_in(pipeline):
    text = (
        "Roughly 1,400 US troops remain in Syria. Most of them are now concentrated in "
        "three locations:\n"
        "\u2022 the Rmeilan airstrip in Hasakah province;\n"
        "\u2022 the Conoco field, east of Deir ez-Zor.\n"
        "Turkish drones struck Kobani.\n"
        "- Two people were wounded in Qamishli."
    )
    got = {ev.mention.name: (ev.event_type, ev.actors) for ev in extract_events(text, pipeline)}
    assert got["Rmelan"] == ("military_presence", ["USA"])
    assert got["Conoco gas field"] == ("military_presence", ["USA"])
    # a list after a line with no colon lends nothing
    assert got["Qamishli"] == ("other", [])


def test_the_attribution_after_a_quotation_is_the_speakers_statement(pipeline):
    text = (
        '"Turkish drones struck a car near Amuda," the Kurdish-led SDF said at a press '
        "conference in Qamishli on Thursday evening."
    )
    got = {e.mention.name: (e.event_type, e.actors) for e in extract_events(text, pipeline)}
    assert got == {
        "Amuda": ("airstrike_shelling", ["TUR"]),
        "Qamishli": ("statement", ["SDF"]),
    }


@pytest.mark.parametrize(
    ("text", "date"),
    [
        # "since" as the date's own preposition opens no stretch of another happening
        ("500,000 Syrians have returned since December 2024, many of them to Homs.", "2024-12"),
        # as a subordinator it does
        ("Families fled to Homs, since rebels captured Hama in March 2024.", None),
    ],
)
def test_a_date_in_another_stretch_of_the_clause(pipeline, text, date):
    (event,) = [ev for ev in extract_events(text, pipeline) if ev.mention.text == "Homs"]
    assert event.date == date


def test_each_conjunct_takes_its_own_date(pipeline):
    text = "Turkey seized Afrin in March 2018 and Serêkaniyê (Ras al-Ain) in October 2019."
    got = sorted((e.mention.name, e.date) for e in extract_events(text, pipeline))
    assert got == [("Afrin", "2018-03"), ("Ras al-Ain", "2019-10")]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        # a definite description of the happening, after or before the place; the date of
        # the later sentence is the claim's, not the attack's
        (
            "Drones struck Homs on May 3, 2024.\nNo group claimed the Homs attack on May 5, 2024.",
            "2024-05-03",
        ),
        (
            "Israeli warplanes launched raids on Khiam.\n"
            "A civilian was wounded in the raid on Khiam.",
            None,
        ),
    ],
)
def test_a_back_reference_to_a_happening_folds_into_it(pipeline, text, date):
    (event,) = extract_events(text, pipeline)
    assert len(event.reports) == 2
    assert (event.event_type, event.date) == ("airstrike_shelling", date)


@pytest.mark.parametrize(
    ("text", "types"),
    [
        # the happening a noun names right before a place is the place's own ...
        (
            "Syria and the United States agreed a roadmap for Sweida at talks in Amman.",
            {"Sweida": "agreement_ceasefire", "Amman": "meeting_talks"},
        ),
        # ... a violent backdrop to the clause's violence too ...
        (
            "In July 2025 Israel bombed the ministry in Damascus during fighting in Sweida.",
            {"Damascus": "airstrike_shelling", "Sweida": "battle"},
        ),
        # ... but of two violent readings the verb's says how it was done
        (
            "Turkish drones carried out more than 40 attacks on Kobani.",
            {"Kobani": "airstrike_shelling"},
        ),
        # and a presence noun names what was hit
        (
            "ISIS gunmen attacked an SDF checkpoint in Dhiban.",
            {"Dhiban": "battle"},
        ),
        # where a deal was signed, agreed or brokered, the parties met: talks ...
        (
            "A ceasefire signed in Jeddah under Saudi mediation has held in Sweida.",
            {"Jeddah": "meeting_talks", "Sweida": "agreement_ceasefire"},
        ),
        ("A ceasefire brokered in Amman took effect Sunday night.", {"Amman": "meeting_talks"}),
        (
            "The minister met his counterpart in Ankara, where the two signed a memorandum.",
            {"Ankara": "meeting_talks"},
        ),
        # ... but a truce's own place is the ground it covers, and a person reached
        # by phone makes no deal
        ("Tribal notables brokered a truce in Diban on Monday.", {"Diban": "agreement_ceasefire"}),
        (
            "A commander reached by phone in Aleppo said the truce held.",
            {"Aleppo": "agreement_ceasefire"},
        ),
    ],
)
def test_a_happening_noun_before_a_place_gives_its_type(pipeline, text, types):
    got = {ev.mention.text: ev.event_type for ev in extract_events(text, pipeline)}
    assert got == types


@pytest.mark.parametrize(
    "text",
    [
        # a question asks; it reports nothing
        "FACTBOX-What are Israel, Russia and Jordan doing in southern Syria?",
        "Will Russia keep its base at Hmeimim?",
        "“Whose land is this, in Quneitra?”",
        # where a place is, not what happened there
        "The Tishreen Dam lies on the Euphrates River about 25km southeast of Manbij.",
        # where a reporter is
        "Al Jazeera’s Mariam Haddad, reporting from Latakia, said it was calm.",
        # a line of names: where the report was filed
        "Deir ez-Zor, Riyadh - Asharq Al-Awsat\nThe officials said nothing.",
        # where a source is
        "Military sources in Damascus said the talks had stalled.",
        "Al Mayadeen's correspondent in Damascus reported that the talks had stalled.",
        # where a person comes from
        "“The cells test whoever replaces it,” said Rami al-Ahmad, a researcher from Mayadeen.",
        "Abdullah, a livestock trader in Raqqa, said sheep prices had fallen by a third.",
    ],
)
def test_a_question_a_description_or_a_reporter_s_place_is_no_event(pipeline, text):
    assert pipeline.parse(text), "precondition: the places are found"
    assert extract_events(text, pipeline) == []


@pytest.mark.parametrize(
    ("text", "places"),
    [
        # the area in brackets after a place
        ("- Al-Shaddadi base (southern Hasakah): vacated this week", ["Al-Shaddadi base"]),
        ("- Kharab al-Jir airstrip near Rmeilan (Hasakah): vacated", ["Kharab al-Jir airstrip"]),
        # a smaller place in brackets is where in the larger one, and carries the event
        ("Shelling hit Daraa governorate (Tafas) on Monday.", ["Tafas"]),
        # the ends of a road named after them
        (
            "Troops set up checkpoints on the Palmyra–Deir ez-Zor road and around al-Sukhna.",
            ["al-Sukhna"],
        ),
        ("Traffic resumed on the Aleppo-Latakia M4 highway near Saraqib.", ["Saraqib"]),
        # a dash between places that names no road joins two sides
        ("Turkish drones struck Qamishli-Amuda villages.", ["Qamishli", "Amuda"]),
        # a distance from a place names where it happened, near that place ...
        ("The ambush took place about 30 km (19 miles) east of al-Sukhnah.", ["al-Sukhnah"]),
        # ... unless it only locates the place named before it
        (
            "The ambush took place near al-Sukhnah, a town of some 10,000 people "
            "70 km northeast of Palmyra.",
            ["al-Sukhnah"],
        ),
        # a place across the border or a river from another
        (
            "SDF fighters captured the village of Baghouz, across the Euphrates from Albu Kamal.",
            ["Baghouz"],
        ),
        ("A drone hit Tower 22, a base just across the border from al-Tanf.", ["Tower 22"]),
        # what comes from across the border comes from there
        ("Missiles were trucked across the border from Lebanon.", ["Lebanon"]),
    ],
)
def test_a_place_that_locates_another_or_ends_a_road_carries_no_event(pipeline, text, places):
    assert [ev.mention.text for ev in extract_events(text, pipeline)] == places


def test_the_lead_under_a_headline_dates_its_event(pipeline):
    text = (
        "Four civilians wounded in explosion in Sheikh Maqsoud\n\n"
        "A bomb planted in a car exploded on Saturday evening, 18 July 2026, in the Sheikh "
        "Maqsoud neighborhood of Aleppo city, wounding four civilians.\n"
    )
    events = extract_events(text, pipeline)
    assert [(ev.mention.name, ev.date) for ev in events] == [("Sheikh Maqsoud", "2026-07-18")]


def test_who_acts_in_a_when_clause_is_a_party_to_what_it_caused(pipeline):
    text = (
        "Thousands of people were displaced from Tal Rifaat in December 2024, "
        "when Turkish forces attacked the region."
    )
    [event] = extract_events(text, pipeline)
    assert event.actors == ["TUR"]


def test_this_year_is_not_the_year_of_a_background_month(pipeline):
    text = (
        "Assad fell in December 2024.\n"
        "The United States cut its troops this year but keeps forces at al-Tanf.\n"
    )
    dates = {ev.mention.name: ev.date for ev in extract_events(text, pipeline)}
    assert dates["Al-Tanf garrison"] is None


def test_an_attribution_may_close_on_the_speaker_s_anonymity(pipeline):
    text = (
        "The buses waited in the border town of al-Qaim, an Iraqi security official "
        "said, speaking on condition of anonymity."
    )
    assert [ev.event_type for ev in extract_events(text, pipeline)] == ["other"]


def test_what_is_said_at_a_place_is_no_statement_there(pipeline):
    text = (
        "Turkish jets destroyed 22 PKK targets, including caves and shelters, in the "
        "Qandil region, the ministry said in a separate statement."
    )
    assert [ev.event_type for ev in extract_events(text, pipeline)] == ["airstrike_shelling"]


def test_what_a_source_in_a_place_tells_still_happens_where_it_says(pipeline):
    text = "Military sources in Damascus said the army reinforced positions around Hajin."
    assert [ev.mention.name for ev in extract_events(text, pipeline)] == ["Hajin"]


def test_a_definite_happening_at_a_new_place_is_an_event(pipeline):
    (event,) = extract_events("No group claimed the Homs attack.", pipeline)
    assert event.mention.name == "Homs"


def test_a_governorate_yields_to_a_town_inside_it(pipeline):
    text = "Shelling hit Saraqib in Idlib province."
    mentions = pipeline.parse(text)
    assert {m.kind for m in mentions} >= {"governorate"}, "precondition: the cue resolved"
    events = extract_events(text, pipeline)
    assert [ev.mention.text for ev in events] == ["Saraqib"]


def test_a_country_yields_to_a_place_inside_it(pipeline):
    events = extract_events("Shelling hit Idlib in Syria.", pipeline)
    assert [ev.mention.text for ev in events] == ["Idlib"]


@pytest.mark.parametrize(
    ("text", "places"),
    [
        # a country named for reference next to the finer place where it happened
        (
            "Russia and Turkey agreed a ceasefire for Idlib province on the border with Türkiye.",
            ["Idlib"],
        ),
        ("Putin met Assad at the Kremlin to discuss the challenges in Syria.", ["Kremlin"]),
        # a continent is no finer place: the country keeps its event
        ("Putin invaded Ukraine in 2022, Europe's largest conflict since 1945.", ["Ukraine"]),
        # another clause is another happening
        (
            "Israeli jets struck Damascus airport; in Lebanon, Hezbollah fired rockets.",
            ["Damascus", "Lebanon"],
        ),
    ],
)
def test_a_country_yields_to_a_finer_place_in_its_clause(pipeline, text, places):
    events = extract_events(text, pipeline)
    assert [ev.mention.text.split()[0] for ev in events] == places


def test_a_country_named_as_location_is_not_an_event_actor(pipeline):
    (event,) = extract_events("Shelling hit Idlib in Syria.", pipeline)
    assert event.actors == []


def test_a_metonymic_country_is_an_event_actor(pipeline):
    (event,) = extract_events("Israel struck Damascus airport, Syria said.", pipeline)
    assert "Damascus" in event.mention.text
    assert "ISR" in event.actors


def test_text_without_places_has_no_events(pipeline):
    assert extract_events("Nothing happened here today. Officials said so.", pipeline) == []


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        (
            "Russian warplanes struck rebel positions in Idlib.",
            {"RUS": "agent", "SYR-OPP": "target"},
        ),
        ("Erdogan met Assad in Riyadh.", {"TUR": "agent", "SYR-GOV": "participant"}),
        # the owner of the weapon acts, though named after the weapon's cue
        (
            "A drone belonging to the Turkish army struck SDF positions near Amuda.",
            {"TUR": "agent", "SDF": "target"},
        ),
        (
            "A drone launched by Hezbollah struck Israeli troops in Metula.",
            {"HEZ": "agent", "ISR": "target"},
        ),
    ],
)
def test_actor_roles_tell_who_acts_from_who_is_acted_on(pipeline, text, roles):
    from geomap.events import extract_events

    [event] = extract_events(text, pipeline)
    assert event.roles == roles
    assert sorted(event.actors) == sorted(roles)


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Militias struck US forces in Iraq between October 2023 and February 2024.", "2023-10"),
        ("Kurdish fighters held Kobani from September 2014 to January 2015.", "2014-09"),
        # the month that opens it takes the year its end gives
        ("Security forces detained 40 men in Talbiseh in March and April 2026.", "2026-03"),
    ],
)
def test_a_range_is_dated_by_its_start(pipeline, text, date):
    assert {ev.date for ev in extract_events(text, pipeline)} == {date}


@pytest.mark.parametrize(
    ("lead_in", "date"),
    [
        ("Violations recorded by our agency on Sunday, 19 July 2026:", "2026-07-19"),
        # a status as of a day dates no happening of its list
        ("According to the Syria Civil Defence, as of 25 July 2026:", None),
    ],
)
def test_an_item_of_a_list_happened_on_its_lead_in_s_day(pipeline, lead_in, date):
    text = f"{lead_in}\n- Gunmen kidnapped two young men in the village of Ahras.\n"
    [event] = extract_events(text, pipeline)
    assert event.date == date


def test_this_month_is_the_month_of_the_latest_date_the_story_gave(pipeline):
    text = (
        "US troops left al-Tanf on February 12, 2026, after a war that began in 2011.\n"
        "- Al-Shaddadi base: vacated earlier this month\n"
    )
    dates = {e.mention.name: e.date for e in extract_events(text, pipeline)}
    assert dates["Al-Shaddadi base"] == "2026-02"
    # a story that has given no month leaves it open
    [event] = extract_events("- Al-Shaddadi base: vacated earlier this month\n", pipeline)
    assert event.date is None


def test_an_archive_caption_is_an_event_of_its_own(pipeline):
    text = (
        "FILE - U.S. soldiers patrol near the al-Tanf garrison in southeastern Syria, "
        "Oct. 22, 2018.\n"
        "U.S. troops pulled out of the al-Tanf garrison and handed it to the Syrian army.\n"
    )
    events = extract_events(text, pipeline)
    assert [(e.mention.name, e.date) for e in events] == [
        ("Al-Tanf garrison", "2018-10-22"),
        ("Al-Tanf garrison", None),
    ]
    # without the archive mark, the second report continues the first
    assert len(extract_events(text.removeprefix("FILE - "), pipeline)) == 1


def test_that_year_takes_the_year_of_the_date_just_given(pipeline):
    from geomap.events import extract_events

    text = (
        "In March 2022, Turkish and Russian envoys met in Istanbul.\n"
        "Later that year, shelling hit Idlib.\n"
    )
    dates = {e.mention.name: (e.date, e.date_precision) for e in extract_events(text, pipeline)}
    assert dates["Istanbul"] == ("2022-03", "month")
    assert dates["Idlib"] == ("2022", "year")
    assert {e.date for e in extract_events("Later that year, shelling hit Idlib.", pipeline)} == {
        None
    }


@pytest.mark.parametrize(
    "clause",
    [
        "Israeli AIR  STRIKES hit a depot; clashes and shelling followed, then a clash.",
        "A cease-fire and a sit-in: de-escalation zone talks, counter-offensive bombings.",
        "Government-held areas saw a military build-up, bombardments and airstrikes.",
        "No cue at all here.",
    ],
)
def test_cue_hits_match_a_search_per_cue(clause):
    """The one-pass cue matcher finds what a search with every cue pattern would."""
    from geomap.events import _cue_hits

    expected = _searched_cues(clause)
    assert _cue_hits(clause) == expected
    assert expected or clause.startswith("No cue")


@pytest.mark.parametrize(
    ("sentence", "etype"),
    [
        ("Fighting raged near the town ahead of the elections.", "battle"),
        ("Shelling hit the district on the eve of the elections.", "airstrike_shelling"),
        ("The ceasefire held through the elections.", "agreement_ceasefire"),
    ],
)
def test_a_cue_word_counts_once(sentence, etype):
    # "elections" is both the cue "election" in the plural and the cue "elections": read
    # twice, it outweighed the fighting the sentence reports
    assert event_type(sentence) == etype


def test_an_untyped_country_after_a_topic_word_is_no_event(pipeline):
    text = (
        "Iran and Israel jostle over Lebanon\n"
        "In 2006, Israel and Hezbollah fought a war in Lebanon.\n"
        "Much of the debate focused on Lebanon.\n"
    )
    (event,) = [ev for ev in extract_events(text, pipeline) if ev.mention.text == "Lebanon"]
    # the headline and the aside are about Lebanon; only the war took place there, and
    # the headline's cast (Iran) is not a party to it
    assert [r.sentence for r in event.reports] == [
        "In 2006, Israel and Hezbollah fought a war in Lebanon."
    ]
    assert event.event_type == "battle"
    assert "IRN" not in event.actors


def test_a_typed_clause_after_a_topic_word_keeps_its_event(pipeline):
    text = "Delegations held talks on Lebanon in 2023.\n"
    (event,) = extract_events(text, pipeline)
    assert (event.mention.text, event.event_type) == ("Lebanon", "meeting_talks")


@pytest.mark.parametrize(
    ("text", "actors"),
    [
        ("Russian jets struck Idlib, according to UN monitors.", ["RUS"]),
        ("According to the Syrian government, rebels shelled Aleppo.", ["SYR-OPP"]),
        # nor is who names a time by what befell them
        ("Israel has carried out hundreds of strikes across Syria since Assad's fall.", ["ISR"]),
        ("Israeli jets have struck Syria since the fall of Bashar al-Assad.", ["ISR"]),
        (
            "Hours after the fall of former President Bashar al-Assad, Israeli troops moved "
            "into the Golan Heights.",
            ["ISR"],
        ),
        ("The U.S. had about 2,000 troops in Syria when Assad fell in December 2024.", ["USA"]),
    ],
)
def test_a_cited_source_is_not_a_party(pipeline, text, actors):
    (event,) = extract_events(text, pipeline)
    assert event.actors == actors


def test_a_place_labelling_its_line_is_not_a_party(pipeline):
    text = "Syria live: Turkish drone kills SDF fighters near Tishreen Dam\n"
    (event,) = extract_events(text, pipeline)
    assert (event.mention.text, event.actors) == ("Tishreen Dam", ["SDF", "TUR"])


@pytest.mark.parametrize(
    ("text", "actors"),
    [
        # who closes the sentence reporting a happening is its source, not a party
        ("Turkish forces shelled villages near Tal Tamr, the SDF added.", ["TUR"]),
        ("HTS militants shelled Jableh, a Russian officer said on Thursday.", ["HTS"]),
        ("Turkish drones struck Qamishli, Damascus said.", ["TUR"]),
        # a relative clause is no attribution: what it says stays
        (
            "Israeli jets hit positions near al-Kiswah, that officials said were used by Iran.",
            ["IRN", "ISR"],
        ),
        # who announces a deal or a meeting takes part in it
        ("Assad agreed to open the al-Rai crossing, the UN chief said.", ["SYR-GOV", "UN"]),
    ],
)
def test_a_closing_attribution_names_the_source_not_a_party(pipeline, text, actors):
    events = extract_events(text, pipeline)
    assert events[0].actors == actors


@pytest.mark.parametrize(
    ("text", "actors"),
    [
        # "<speaker> said [in a statement, on Thursday] that ...": the speaker is the source
        (
            "The Syrian Defence Ministry said in a statement on Thursday that the strikes hit"
            " a military site near al-Kiswah.",
            [],
        ),
        ("The SDF said that Turkish drones struck Qamishli.", ["TUR"]),
        # a headline's "X says" needs no "that"; nor does its speaker lend an agent
        ("Syrian state media says two people killed; strikes hit Katzrin", []),
        # unless what follows refers back to it
        ("The Turkish Defence Ministry said that its jets struck Qamishli.", ["TUR"]),
        ("IDF says it struck the T-4 airbase", ["ISR"]),
        # a pronoun further on stands for someone else ("many of them": the Syrians)
        (
            "The UN refugee agency UNHCR says more than 500,000 Syrians have returned since"
            " December 2024, many of them to Homs.",
            [],
        ),
    ],
)
def test_an_opening_attribution_names_the_source_not_a_party(pipeline, text, actors):
    (event,) = extract_events(text, pipeline)
    assert event.actors == actors


def test_a_closing_attribution_at_a_place_is_the_reporters_statement_there(pipeline):
    text = "Turkish drones struck Kobani, the SDF told reporters in Qamishli."
    strike, report = extract_events(text, pipeline)
    assert (strike.mention.text, strike.actors) == ("Kobani", ["TUR"])
    assert (report.mention.text, report.event_type, report.actors) == (
        "Qamishli",
        "statement",
        ["SDF"],
    )


@pytest.mark.parametrize(
    ("text", "actors"),
    [
        # the speaker is the party; what the statement is about is not
        ("Lavrentiev said in Beirut that Damascus and Ankara must reconcile.", ["RUS"]),
        # protesters are the party, what they protest against is not
        ("Hundreds protested in Idlib against the Syrian government.", []),
        # no speaker named before the cue: the one named after it speaks
        ("In a statement issued in Moscow, the Kremlin said talks must go on.", ["RUS"]),
    ],
)
def test_statements_and_protests_count_who_speaks_or_protests(pipeline, text, actors):
    (event,) = extract_events(text, pipeline)
    assert event.event_type in ("statement", "protest")
    assert event.actors == actors
    assert set(event.roles) == set(actors)


@pytest.mark.parametrize(
    ("second", "actors"),
    [
        ("They shelled Idlib the next day.", ["RUS"]),
        ("Idlib was shelled by the jets the next day.", ["RUS"]),
        # "they" after the cue stands for the rules, not for the warplanes' side
        ("The truce rules in Idlib stay in force as long as they are not breached.", []),
    ],
)
def test_an_anaphor_borrows_actors_only_when_it_acts(pipeline, second, actors):
    text = f"Russian warplanes bombed Daraa. {second}"
    (event,) = [ev for ev in extract_events(text, pipeline) if ev.mention.text == "Idlib"]
    assert event.actors == actors


@pytest.mark.parametrize(
    ("text", "place"),
    [
        # who acted, not everyone named ("the day Assad fled" names a time)
        (
            "Israeli forces moved into the buffer zone on December 8, 2024, the day Bashar "
            "al-Assad fled to Moscow. They also took up positions on Mount Hermon.",
            "Mount Hermon",
        ),
        # "Troops" opening a list item: the forces of the item before it
        (
            "* Israeli forces moved into the buffer zone on the Golan Heights in 2024.\n"
            "* Troops now man at least nine positions in Quneitra province.\n",
            "Quneitra",
        ),
        # ... who acted there, not everyone that item named
        (
            "* Israeli forces moved into the buffer zone on December 8, 2024, the day Bashar "
            "al-Assad fled to Moscow.\n"
            "* Troops now man at least nine positions in Quneitra province.\n",
            "Quneitra",
        ),
    ],
)
def test_an_anaphor_stands_for_who_acted_before_it(pipeline, text, place):
    (event,) = [ev for ev in extract_events(text, pipeline) if ev.mention.text == place]
    assert event.actors == ["ISR"]


@pytest.mark.parametrize(
    ("text", "actors"),
    [
        # no one strikes in the second sentence: whoever struck in the one before did
        ("Israeli jets struck Damascus. A separate strike hit a depot in Homs.", ["ISR"]),
        # the parties named as victims stay, the agent is added
        (
            "Turkish drones hit Qamishli.\n\nA drone killed two SDF fighters in Amuda.",
            ["SDF", "TUR"],
        ),
        # a state outside the actor codes acts itself
        ("Turkish drones hit Qamishli. Later, Azerbaijan routed Armenian forces in Karabakh.", []),
        # so does one named by its demonym alone
        ("Russian jets struck Idlib. Jordanian border guards shot dead a man in Ruwaished.", []),
        # a speaker does not act: nothing to borrow
        ("The SDF said on Monday it would respond. A strike hit a depot in Amuda.", []),
        # nor does a party that fights no one ("unarmed")
        ("UN aid convoys reached Tal Rifaat. Rockets hit a crowded market in Azaz.", []),
        # a happening with an agent of its own keeps it
        ("Israeli jets struck Damascus. Rebels shelled Homs.", ["SYR-OPP"]),
        # an agent in another clause of the same sentence is nearer than the sentence before
        (
            "Israeli jets struck Daraa. ISIS cells stepped up attacks on SDF positions, as "
            "SOHR documented nine attacks in Shuhail.",
            ["ISIS"],
        ),
        # the items of a list ("- A civilian was shot dead in ...") are stories of their own
        ("- Turkish drones hit Qamishli.\n- A gunman shot dead a man in Homs.", []),
        ("• Turkish drones hit Qamishli.\n• A mine exploded in Homs.", []),
        # what kills with no hand at the time borrows none
        ("Turkish drones struck Kobani. A war remnant exploded near Kafranbel.", []),
        # so is the section under a heading (a live page's "11:50 GMT – ...")
        (
            "Turkish drones struck Kobani.\n\n11:50 GMT – Unrest on the coast\n"
            "A separate blast hit a market in Jableh.",
            [],
        ),
    ],
)
def test_violence_with_no_agent_takes_the_agent_of_the_sentence_before(pipeline, text, actors):
    *_, event = extract_events(text, pipeline)
    assert event.actors == actors
    assert all(event.roles[code] == "agent" for code in set(actors) - {"SDF"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # what the main clause says after a relative stretch is no part of it
        (
            "Iran's foreign minister, who visited Damascus in October, has urged Turkey "
            "to spare the Islamic State's foes.",
            {"Damascus": ["IRN"]},
        ),
        # a ", where" stretch on a place inside the relative stretch belongs to it
        (
            "Guards shot dead five smugglers near Rukban, which lies near al-Tanf, "
            "where US forces are stationed.",
            {"Al-Tanf garrison": ["USA"]},
        ),
    ],
)
def test_a_place_in_a_relative_stretch_takes_its_parties_from_before_it(pipeline, text, expected):
    found = {ev.mention.name: ev.actors for ev in extract_events(text, pipeline)}
    assert {name: found.get(name) for name in expected} == expected


@pytest.mark.parametrize("joint", ["soon after", "after", "when", "shortly before"])
def test_a_subordinate_clause_after_a_comma_has_its_own_actors(pipeline, joint):
    text = f"Rebels shelled Daraa, {joint} Russian jets struck Idlib."
    actors = {ev.mention.text: ev.actors for ev in extract_events(text, pipeline)}
    assert actors == {"Daraa": ["SYR-OPP"], "Idlib": ["RUS"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "When the Assad government collapsed, Israeli troops moved into Quneitra.",
            {"Quneitra": ["ISR"]},
        ),
        (
            "After Russian jets struck Idlib, rebels shelled Hama.",
            {"Idlib": ["RUS"], "Hama": ["SYR-OPP"]},
        ),
        (
            "As rebel forces closed in on the capital, Iranian commanders withdrew from "
            "Deir ez-Zor.",
            {"Deir ez-Zor": ["IRN"]},
        ),
    ],
)
def test_a_subordinate_clause_opening_the_sentence_has_its_own_actors(pipeline, text, expected):
    assert {ev.mention.text: ev.actors for ev in extract_events(text, pipeline)} == expected


@pytest.mark.parametrize(
    ("text", "events"),
    [
        # other hands, another happening
        ("Government artillery shelled Ariha. Russian jets also struck Ariha.", 2),
        # the same hands, or a report that names none, continue it
        ("Russian jets struck Ariha. Russian warplanes struck Ariha again at dawn.", 1),
        ("Russian jets struck Ariha. Residents of Ariha said the strikes hit a market.", 1),
    ],
)
def test_reports_at_one_place_by_other_hands_are_other_events(pipeline, text, events):
    assert len(extract_events(text, pipeline)) == events


@pytest.mark.parametrize(
    ("text", "events"),
    [
        # a dated report in the past perfect, or from a "since" date, tells of an earlier
        # happening than the undated story's
        (
            "Iran-backed militias withdrew from Albu Kamal. "
            "The militias had maintained bases in Albu Kamal since 2017.",
            2,
        ),
        (
            "Iran-backed militias withdrew from Albu Kamal. "
            "The militias maintained bases in Albu Kamal since 2017.",
            2,
        ),
        (
            "Israeli drones struck a convoy near Ariqa. "
            "The drones had struck tanks near Ariqa in March 2024.",
            2,
        ),
        (
            "Israeli drones struck a convoy near Ariqa. "
            "Israeli drones had earlier struck tanks near Ariqa.",
            2,
        ),
        # undated, or in the simple past, it may retell the story's own happening
        (
            "Israeli drones struck a convoy near Ariqa. "
            "Israeli drones had struck tanks near Ariqa.",
            1,
        ),
        (
            "Iran-backed militias withdrew from Albu Kamal. "
            "The militias maintained bases in Albu Kamal in 2017.",
            1,
        ),
        # a dated story takes a report of its own time, whatever the tense
        (
            "Israeli drones struck a convoy near Ariqa in 2024. "
            "Israeli drones had struck tanks near Ariqa in March 2024.",
            1,
        ),
        # a year before the story's latest, further down, is an earlier happening ...
        (
            "Turkish drones struck the Tishrin Dam on 10 March 2026.\n\n"
            "14:40 GMT: Clashes near Kobani\nFighters exchanged fire near Kobani.\n\n"
            "The deal is fragile.\n\n"
            "Image caption, Weeks of fighting around Kobani left dozens dead in early 2025\n",
            3,
        ),
        # ... but right under a heading it dates the heading's happening
        (
            "Russia signed a deal with Turkey in 2024.\n\nRelations amid the war in Ukraine\n"
            "Ties grew after Russia invaded Ukraine in 2022.\n",
            1,
        ),
    ],
)
def test_an_earlier_happening_at_the_place_of_an_undated_event_is_another_event(
    pipeline, text, events
):
    assert len(extract_events(text, pipeline)) == events


@pytest.mark.parametrize(
    ("text", "events"),
    [
        ("Russian jets bombed Jableh. Hundreds of families fled Jableh.", 2),
        (
            "Russian troops deployed at Hmeimim. "
            "Russian officers in Hmeimim intervened to contain the tensions.",
            2,
        ),
        # ... unless it refers back to what happened there
        (
            "Russian troops deployed at Hmeimim. "
            "Russian officers in Hmeimim again intervened to contain the tensions.",
            1,
        ),
        # an untyped mention of the place folds as before
        ("Russian jets bombed Jableh. Residents of Jableh buried the dead.", 1),
        # nor does a typed report fold into a happening of another kind at a site
        (
            "Iraq repatriated 176 families from al-Hol camp. "
            "Government forces took control of al-Hol from the SDF in January.",
            2,
        ),
        # a country is the scene of many happenings at once: there they still fold
        (
            "Thousands of refugees fled to Lebanon. Israeli jets struck Lebanon again.",
            1,
        ),
    ],
)
def test_a_report_cued_as_another_kind_of_happening_is_another_event(pipeline, text, events):
    assert len(extract_events(text, pipeline)) == events


def test_a_village_in_the_countryside_of_a_town_carries_the_event(pipeline):
    text = "A Turkish drone targeted a car near the town of al-Qahtaniyah in Qamishli countryside."
    assert [ev.mention.text for ev in extract_events(text, pipeline)] == ["al-Qahtaniyah"]


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Russian jets struck the Idlib town of Saraqib.", "Saraqib"),
        ("Hezbollah held a rally in the Bekaa town of Brital.", "Brital"),
        ("Israeli troops entered the Golan Heights border town of Katzrin.", "Katzrin"),
    ],
)
def test_the_area_named_before_town_of_carries_no_event(pipeline, text, place):
    assert [ev.mention.text for ev in extract_events(text, pipeline)] == [place]


@pytest.mark.parametrize(
    ("text", "actors"),
    [
        (
            "Syrian rebels storm Aleppo as Russian jets strike Idleb",
            {"Aleppo": ["SYR-OPP"], "Idleb": ["RUS"]},
        ),
        (
            "Turkish drones struck Amuda, as Russian officers met SDF commanders in Qamishli.",
            {"Amuda": ["TUR"], "Qamishli": ["RUS", "SDF"]},
        ),
        # ... or before a quantifier and a capitalised subject
        (
            "Turkish drones struck Amuda as more Russian jets struck Idleb",
            {"Amuda": ["TUR"], "Idleb": ["RUS"]},
        ),
        # "as" in a phrase opens no clause
        (
            "Russian jets struck Saraqib and towns such as Ariha.",
            {"Saraqib": ["RUS"], "Ariha": ["RUS"]},
        ),
    ],
)
def test_as_before_a_capitalised_subject_opens_a_clause(pipeline, text, actors):
    found = {ev.mention.text: ev.actors for ev in extract_events(text, pipeline)}
    assert found == actors


def test_a_later_report_adds_actors_only_when_its_cue_is_at_the_place(pipeline):
    text = (
        "Russian jets bombed Aleppo in 2016. Residents of Aleppo, fearing more raids, "
        "watched as Iranian drones bombed targets in Iraq."
    )
    (aleppo,) = [ev for ev in extract_events(text, pipeline) if ev.mention.text == "Aleppo"]
    # the second sentence mentions Aleppo, but its bombing is elsewhere, by someone else
    assert len(aleppo.reports) == 2
    assert aleppo.actors == ["RUS"]


def test_a_later_reference_to_a_deal_inside_its_area_is_the_same_deal(pipeline):
    text = (
        "Russia and Turkey agreed a ceasefire in Idlib province. "
        "Fronts stayed calm in Saraqib under the ceasefire reached by Moscow and Ankara."
    )
    (event,) = extract_events(text, pipeline)
    assert (event.mention.kind, event.event_type) == ("governorate", "agreement_ceasefire")
    assert [r.mention.text for r in event.reports] == ["Idlib", "Saraqib"]


def test_strikes_inside_a_governorate_stay_separate_events(pipeline):
    text = "Russian jets bombed Idlib province. Russian jets bombed Saraqib too."
    assert sorted(ev.mention.text for ev in extract_events(text, pipeline)) == [
        "Idlib",
        "Saraqib",
    ]


@pytest.mark.parametrize(
    ("text", "place", "actors"),
    [
        ("Erdogan attended a summit in Kazan, Russia.", "Kazan", ["TUR"]),
        ("Shelling hit Idlib near the border with Turkey.", "Idlib", []),
        # as the event's own place, the state is the side the happening befalls
        ("In 2022, Putin invaded Ukraine.", "Ukraine", ["RUS", "UKR"]),
    ],
)
def test_a_state_named_as_another_places_territory_is_not_a_party(pipeline, text, place, actors):
    (event,) = [ev for ev in extract_events(text, pipeline) if ev.mention.text == place]
    assert event.actors == actors


@pytest.mark.parametrize(
    ("text", "actors"),
    [
        ("Officials held talks in Beirut about Iran's role.", []),
        ("Diplomats met in Geneva for talks on Syria's settlement.", []),
        # a possessor that acts is a party
        ("Iran's envoy held talks in Beirut.", ["IRN"]),
    ],
)
def test_the_possessor_of_a_topic_is_not_a_party(pipeline, text, actors):
    (event,) = extract_events(text, pipeline)
    assert event.actors == actors


def _searched_cues(clause: str) -> list[tuple[int, str, int]]:
    """Each cue's first match by its own pattern, skipping a title-case word that continues
    a name ("Syrian Democratic Forces") and a match that starts inside a phrase that cues
    nothing ("ceasefire line"), but for weapons not fired (``_fired``) and aid on the move
    (``_aid_cargo``), tested on their own: what ``_cue_hits`` must find in one pass."""
    from geomap.events import NO_CUE, _aid_cargo, _cues, _fired, _in_name

    def matches(pattern):
        return [
            m
            for m in pattern.finditer(clause)
            if not (clause[m.start() : m.start() + 2].istitle() and _in_name(clause, m.start()))
        ]

    masks = [m.span() for pattern, etype, _ in _cues() if etype == NO_CUE for m in matches(pattern)]
    out = []
    for pattern, etype, weight in _cues():
        if etype != NO_CUE:
            for m in matches(pattern):
                if not any(a <= m.start() < b for a, b in masks):
                    out.append((m.start(), etype, weight))
                    break
    return [
        (pos, "other" if etype == "military_presence" and _aid_cargo(clause, pos) else etype, w)
        for pos, etype, w in out
        if etype != "airstrike_shelling" or _fired(clause, pos)
    ]


def test_cue_leads_miss_no_match_of_any_cue():
    """The cue automaton proposes where cues may start and each cue's pattern confirms: on
    random clauses of cue words (plurals, prefixed words, any case, glued by punctuation)
    it finds what a search with every cue pattern would."""
    import csv
    import random

    from geomap.events import DATA_DIR, _cue_hits

    rng = random.Random(7)
    with (DATA_DIR / "event_cues.csv").open(encoding="utf-8", newline="") as fh:
        phrases = sorted({row["cue"].strip().rstrip("*") for row in csv.DictReader(fh)})
    vocab = [*phrases, "bombardments", "airstrikes", "redeployed", "x", "the", "2024", "é"]
    glue = [" ", "  ", ", ", "-", "; ", "'s ", " (", ") ", ".", "_"]
    found = 0
    for _ in range(400):
        words = [rng.choice(vocab) for _ in range(rng.randint(1, 12))]
        words = [
            w.upper() if rng.random() < 0.1 else w.title() if rng.random() < 0.1 else w
            for w in words
        ]
        clause = "".join(w + rng.choice(glue) for w in words)
        expected = _searched_cues(clause)
        assert _cue_hits(clause) == expected, clause
        found += len(expected)
    assert found > 400


@pytest.mark.parametrize(
    ("sentence", "etype"),
    [
        # "Forces" names the side; the strike is what happened
        (
            "Turkish drones struck a power station run by the Syrian Democratic Forces.",
            "airstrike_shelling",
        ),
        (
            "ISIS gunmen shot dead two members of the Local Defence Forces.",
            "violence_against_civilians",
        ),
        # a headline in title case keeps its cues
        ("Israeli Strikes Hit Suburb Of Capital", "airstrike_shelling"),
    ],
)
def test_a_cue_word_inside_a_name_is_no_cue(sentence, etype):
    assert event_type(sentence) == etype


@pytest.mark.parametrize(
    ("text", "place", "etype"),
    [
        # the apposition tells of the deployment; the place's own stretch of the shelling
        (
            "Turkish forces, deployed around Afrin since they seized it in 2018, also "
            "shelled villages near Tal Tamr.",
            "Tal Tamr",
            "airstrike_shelling",
        ),
        (
            "Turkish forces, deployed around Afrin since they seized it in 2018, also "
            "shelled villages near Tal Tamr.",
            "Afrin",
            "military_presence",
        ),
        # a relative clause on the place says what happened there
        (
            "Erdogan told reporters on his flight back from Kazan, Russia, where he "
            "attended the BRICS summit, that talks would go on.",
            "Kazan",
            "meeting_talks",
        ),
    ],
)
def test_a_place_takes_the_type_of_its_own_stretch(pipeline, text, place, etype):
    types = {e.mention.name: e.event_type for e in extract_events(text, pipeline)}
    assert types[place] == etype


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("Turkish-backed factions shelled Tal Rifaat, north of Aleppo.", {"Tal Rifaat"}),
        ("Jets struck Kiswah, about 15km (9 miles) south of Damascus.", {"Al-Kiswah"}),
        (
            "ISIS lost its last stronghold at Baghouz, near Abu Kamal, in 2019.",
            {"Baghouz"},
        ),
        ("A strike hit the Mezzeh district of Damascus.", {"Mezzeh"}),
        ("Fighters were smuggled out of al-Hol camp in al-Hasakah.", {"Al-Hol camp"}),
        # the locator may stand before the place's owner
        (
            "1,850 returnees came through the Cilvegozu border gate in Hatay’s Reyhanli district.",
            {"Bab al-Hawa"},
        ),
        # a dateline says where the report was filed, "-based" describes the monitor
        (
            "BEIRUT, May 28 (Reuters) - Shelling hit Idlib, the Britain-based monitor said.",
            {"Idlib"},
        ),
        ("ERBIL, Kurdistan Region - A drone strike hit Amuda.", {"Amuda"}),
        ("Damascus, SANA \u2013 Shelling hit Jobar.", {"Jobar"}),
        # two places of one size: "in" does not make the second a reference
        ("Aid convoys from Aleppo arrived in Homs.", {"Aleppo", "Homs"}),
        # a side set off by commas locates what comes before it, even a place the
        # gazetteer lacks
        ("The patrol set out from Zorbanqa, west of Saraqeb, on Monday.", set()),
        # the locator may end an apposition on the first place
        ("Jets struck Sarmada, a crowded town north of Idlib.", {"Sarmada"}),
        # a smaller place "near" a larger one locates the happening, not the other way
        ("Jets destroyed a bridge on the Orontes near Jisr al-Shughur.", {"Jisr al-Shughur"}),
    ],
)
def test_a_place_that_only_locates_another_carries_no_event(pipeline, text, places):
    assert {e.mention.name for e in extract_events(text, pipeline)} == places


def test_a_place_in_a_list_with_an_acting_state_acts_too(pipeline):
    text = "Even as they cooperated on Syria, Moscow and Ankara also vied for influence."
    assert [m.literal for m in pipeline.geoparser.parse(text) if m.text == "Moscow"] == [False]


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        # a date in a relative stretch dates that stretch's happening, not the place's
        (
            "HTS fighters fired rockets near Saraqeb, a town that government forces "
            "captured in early 2020.",
            {"Saraqib": None},
        ),
        # one date for each place: the nearest one
        (
            "Hezbollah took Yabroud in 2014, and in 2015 led the assault on Zabadani.",
            {"Yabroud": "2014", "Zabadani": "2015"},
        ),
        # another clause reporting a happening of its own keeps its date
        (
            "The SDF captured Baghouz in March 2019, but ISIS cells stepped up attacks "
            "near Palmyra.",
            {"Baghouz": "2019-03", "Palmyra": None},
        ),
        # a date that opens the sentence dates all of it; a subordinate clause takes the
        # main clause's date
        (
            "On Sunday, October 8, 2023, drones hit a station near Qamishli, while another "
            "strike hit Derik.",
            {"Qamishli": "2023-10-08", "Al-Malikiyah": "2023-10-08"},
        ),
        (
            "Soldiers were killed on January 4, 2024, when ISIS fighters ambushed a bus "
            "near Palmyra.",
            {"Palmyra": "2024-01-04"},
        ),
        # a month without a year leaves the date open, even beside a full date
        (
            "Araghchi visited Damascus in early October and Istanbul on October 18, 2024.",
            {"Damascus": None, "Istanbul": "2024-10-18"},
        ),
        # a month without a year, just after a date in that month: the same month
        (
            "Violence engulfed the coast in early March 2025. On March 8, gunmen attacked Baniyas.",
            {"Baniyas": "2025-03-08"},
        ),
        # "the following day", "two days later": from the day just given
        (
            "Jets struck Deir ez-Zor on January 4, 2024. The following day, drones hit "
            "Albu Kamal. Two days later, shelling hit Mayadin.",
            {"Abu Kamal": "2024-01-05", "Al-Mayadin": "2024-01-07"},
        ),
        # ... and back: "two days earlier", "the previous day"
        (
            "A car bomb hit Ras al-Ain on January 20, 2027. Two days earlier, a drone hit "
            "a truck near Ain Issa. The previous day, shelling hit Tal Tamr.",
            {"Ain Issa": "2027-01-18", "Tal Tamr": "2027-01-17"},
        ),
        # a sentence that opens soon after the date just given: its month, or its day
        # for hours; "two days before the vote" counts from the vote
        (
            "In October 2019, Turkey launched an offensive on Tal Abyad. Within a week, "
            "troops had captured Ras al-Ain. Fighting began on May 3, 2025 near Raqqa. "
            "Hours later, shelling hit Tabqa. Two days before the vote, drones hit Kobani.",
            {"Ras al-Ain": "2019-10", "Tabqa": "2025-05-03", "Kobani": None},
        ),
        # "on the same day", "late that night": the day just given; "twelve days later"
        (
            "Drones struck Amuda on September 9, 2024. On the same day, artillery shelled "
            "Tal Tamr. Late that night, jets struck Raqqa. Twelve days later, drones hit Kobani.",
            {"Tal Tamr": "2024-09-09", "Raqqa": "2024-09-09", "Kobani": "2024-09-21"},
        ),
        # a place of the sentence's "three days later" takes the day it counts to
        (
            "The offensive was launched from Idlib province on November 27, 2024, and "
            "rebels captured Aleppo three days later.",
            {"Aleppo": "2024-11-30", "Idlib Governorate": "2024-11-27"},
        ),
        # "three days later" after a date the sentence gives counts from that date, not
        # from the story's clock
        (
            "Jets struck Deir ez-Zor on April 17, 2026. US forces left Shaddadi on April 9 "
            "and the Conoco gas field three days later.",
            {"Al-Shaddadi": "2026-04-09"},
        ),
        # "On Monday" with no publication date moves the clock to a day the text does not
        # give: "a day later" is not counted from the date before it
        (
            "The crossing reopened on April 16, 2026. On Monday, a drone hit a car near "
            "Amuda. A day later, a drone strike on a house in Kobani killed two.",
            {"Kobani": None},
        ),
        # ... but the weekday of a day given with its weekday's name is that day; a day
        # given without it sets no such day ("6 February 2023" was a Monday too)
        (
            "Two civilians were killed on Tuesday, April 14, 2026, in Kobani. Turkish "
            "forces also shelled on Tuesday the village of Sarrin.",
            {"Sarrin": "2026-04-14"},
        ),
        (
            "The 6 February 2023 earthquake hit Harem. Families crossed at Bab al-Hawa on Monday.",
            {"Bab al-Hawa": None},
        ),
        # after a date in another month, its year stays open
        (
            "The PKK has fought since 1984. Drones struck Sulaymaniyah in April.",
            {"Sulaymaniyah": None},
        ),
        # "before dawn" is a time of day, not a clause of its own
        (
            "Russian jets struck before dawn on February 6, 2023, near Saraqeb.",
            {"Saraqib": "2023-02-06"},
        ),
        # "in June of that year": the month of the year just given
        (
            "Hezbollah deployed in 2013, when it recaptured al-Qusayr in June of that year.",
            {"Al-Qusayr": "2013-06"},
        ),
        # a clause opening the sentence dates the main clause too
        (
            "As rebels captured the capital in early December 2024, Iranian "
            "commanders withdrew from Deir ez-Zor.",
            {"Deir ez-Zor": "2024-12"},
        ),
    ],
)
def test_a_place_takes_the_date_of_its_own_happening(pipeline, text, dates):
    found = {e.mention.name: e.date for e in extract_events(text, pipeline)}
    assert {name: found.get(name, "no event") for name in dates} == dates


@pytest.mark.parametrize(
    ("text", "place", "etype"),
    [
        # the place is in what was said: what happened there gives the type
        (
            "The SDF accused Turkish forces of shelling the Tishreen Dam.",
            "Tishrin Dam",
            "airstrike_shelling",
        ),
        ("In a statement, the Kremlin said it had evacuated Tartus.", "Tartus", "other"),
        ("\u201cWe left Ariha with nothing,\u201d said a mother of five.", "Ariha", "other"),
        # the place is in a relative clause on the speaker: what the speaker did there
        (
            "Umm Ahmad, who came back last week to Kafr Takharim, said her family shares a room.",
            "Kafr Takharim",
            "other",
        ),
        (
            "ISIS gunmen shot dead two men near Muhasan, the Observatory said.",
            "Muhassan",
            "violence_against_civilians",
        ),
        # the statement was made there
        (
            "Zakharova told a briefing in Moscow that the strikes were illegal.",
            "Moscow",
            "statement",
        ),
        ("In Erbil, a government spokesman called on the PKK to leave.", "Erbil", "statement"),
        (
            "Speaking in Amman on Sunday, the minister said smuggling gangs must be stopped.",
            "Amman",
            "statement",
        ),
    ],
)
def test_a_statement_is_mapped_where_it_was_made(pipeline, text, place, etype):
    types = {e.mention.name: e.event_type for e in extract_events(text, pipeline)}
    assert types[place] == etype


@pytest.mark.parametrize(
    ("sentence", "etype"),
    [
        ("The ministry imposed a curfew in the city.", "military_presence"),
        ("Israel has dug in on the mountain.", "military_presence"),
        ("Security forces arrested five men during a dawn raid in the neighbourhood.", "battle"),
        ("The Israeli enemy launched an aerial aggression on a building.", "airstrike_shelling"),
        ("Government troops traded fire with gunmen for four days.", "battle"),
        ("Turkish air defences downed a drone over the town.", "battle"),
        ("A Turkish reconnaissance drone has been flying over the town.", "military_presence"),
        ("Turkey launched an offensive, seizing the border towns.", "battle"),
        ("Residents of Bab Amr held a rally in support of the campaign.", "protest"),
        ("Bulldozers have dug trenches and raised earth berms near the town.", "military_presence"),
        ("Tabqa and Raqqa have been under SDF control since 2017.", "military_presence"),
        ("Hundreds of families fled to the airbase, seeking protection.", "other"),
        # talks a state brokered, which ended without a deal
        (
            "It followed a round of US-brokered security talks in Baku, which ended "
            "without a deal.",
            "meeting_talks",
        ),
        # "occupation" naming the side (Hawar, SANA) is no presence
        ("Turkish occupation drone kills three civilians in the village.", "airstrike_shelling"),
        # a place among the "hardest hit" by a disaster or a crisis
        ("Jandaris was among the worst-hit places after the quake.", "other"),
        # a footprint, a berm, armoured vehicles: a presence
        ("Hezbollah's footprint in the town has grown.", "military_presence"),
        ("A new Israeli berm now separates farmers from their fields.", "military_presence"),
        ("Israeli armoured vehicles were parked in the main street.", "military_presence"),
        # a convoy is a deployment by what it carries
        ("A convoy carrying 160 families left the camp for Iraq.", "other"),
        ("A convoy carrying troops entered the town.", "military_presence"),
        # a camp that holds people is no force holding ground
        ("The camp, east of the city, still holds around 24,000 people.", "other"),
        ("Iranian-backed militias hold the town.", "military_presence"),
        # relief is not a deployment
        ("The first UN convoy crossed through the border gate on Thursday.", "other"),
        ("Turkish units in the region joined search and rescue efforts.", "other"),
        # a natural disaster strikes without anyone doing it
        ("The magnitude 7.8 quake struck before dawn near the town.", "other"),
        # "-held" describes the place, not what happened there
        ("In government-held Aleppo, at least 430 people were killed.", "other"),
    ],
)
def test_cues_for_curfews_raids_and_entrenchment(sentence, etype):
    assert event_type(sentence) == etype


def test_a_river_after_a_side_names_an_area_not_a_place(pipeline):
    text = "Russian troops run joint patrols east of the Euphrates near Kobani."
    assert {e.mention.name for e in extract_events(text, pipeline)} == {"Kobani"}


@pytest.mark.parametrize(
    ("text", "places"),
    [
        # a river or a mountain yields to a finer place in its clause
        ("Jets destroyed a bridge over the Orontes near Jisr al-Shughur.", {"Jisr al-Shughur"}),
        ("In Harem, a town on the Orontes River, rescuers recovered 30 bodies.", {"Harim"}),
        # with none, the happening is there; a finer place in another clause leaves it
        (
            "The SDF took Baghouz in 2019, but ISIS cells stepped up attacks across the Badia.",
            {"Baghouz", "Syrian Desert"},
        ),
    ],
)
def test_a_natural_feature_yields_to_a_finer_place_in_its_clause(pipeline, text, places):
    assert {e.mention.name for e in extract_events(text, pipeline)} == places


@pytest.mark.parametrize(
    ("text", "places"),
    [
        (
            "A second strike targeted a radar position on Tal al-Hara in the western "
            "countryside of Daraa.",
            {"Tal al-Harra"},
        ),
        ("Clashes broke out on Jabal al-Zawiya in Idlib province.", {"Jabal al-Zawiya"}),
        # a feature outside the province leaves it its event
        (
            "Jets struck the Euphrates valley and villages across Idlib province.",
            {"Euphrates", "Idlib Governorate"},
        ),
    ],
)
def test_a_province_yields_to_a_natural_feature_inside_it(pipeline, text, places):
    assert {e.mention.name for e in extract_events(text, pipeline)} == places


def test_a_clause_opened_by_a_time_span_and_a_subordinator_is_its_own(pipeline):
    text = "Israeli jets struck the T4 airbase, days after reports that Turkey was surveying it."
    (event,) = extract_events(text, pipeline)
    assert event.actors == ["ISR"]


def test_each_cue_is_listed_once():
    """A cue listed twice would be weighed by whichever row is heavier: the file would not
    say what the extractor does."""
    import csv
    from collections import Counter

    from geomap.events import DATA_DIR

    with (DATA_DIR / "event_cues.csv").open(encoding="utf-8", newline="") as fh:
        counts = Counter(row["cue"].strip().lower() for row in csv.DictReader(fh))
    assert [cue for cue, n in counts.items() if n > 1] == []


@pytest.mark.parametrize(
    ("text", "places"),
    [
        # a road's ends, a view, a facing site only locate what happens
        (
            "On the highway linking Beirut and Damascus, a drone hit a car near Masnaa.",
            ["Masnaa"],
        ),
        ("Israel reinforced its outposts on Mount Hermon, overlooking Damascus.", ["Mount Hermon"]),
        ("Troops deployed in Nusaybin, which faces Qamishli across the frontier.", ["Nusaybin"]),
        # the ends of a crossing or a road "between" two places
        (
            "The Faysh Khabur crossing, the main gateway between the Kurdistan Region and "
            "Syria, reopened on Thursday.",
            ["Faysh Khabur"],
        ),
        # a facility's head nouns before a side ("the ... centre south of Mosul")
        (
            "A convoy of families reached the Jeddah-1 rehabilitation centre south of Mosul.",
            ["Jeddah-1"],
        ),
        # a capital's possessive names the district the happening is in
        ("Al-Sharaa spoke at a mosque in Damascus's Mezzeh district.", ["Mezzeh"]),
        # a heading names the section's land; the happening is in the body
        ("Syria\nIsraeli jets struck Masyaf on Monday.\n", ["Masyaf"]),
        # a town yields to a neighbourhood of it in the same sentence
        (
            "In Raqqa, security forces arrested five men during a raid in the al-Mashlab"
            " neighbourhood.",
            ["al-Mashlab"],
        ),
        # a crossing by a town is a way out of it: the town keeps its event
        (
            "Militiamen withdrew from Albu Kamal and crossed into Iraq through the al-Qaim"
            " border crossing.",
            ["Albu Kamal", "al-Qaim border crossing"],
        ),
    ],
)
def test_places_that_only_locate_head_or_contain_carry_no_event(pipeline, text, places):
    assert [ev.mention.text for ev in extract_events(text, pipeline)] == places


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Barrot said in Paris that France was ready to help mediate with Ankara.", "Paris"),
        ("Kanani condemned the Israeli strike during a press conference in Tehran.", "Tehran"),
        ("Barrack welcomed the truce at a news conference in Amman.", "Amman"),
    ],
)
def test_the_venue_of_a_statement_is_where_the_statement_happens(pipeline, text, place):
    (event,) = [ev for ev in extract_events(text, pipeline) if ev.mention.text == place]
    assert event.event_type == "statement"


def test_what_someone_is_accused_of_somewhere_is_no_venue(pipeline):
    text = "The service said it had arrested dozens of people accused of abuses in Tartus."
    (event,) = extract_events(text, pipeline)
    assert event.event_type == "other"


def test_a_credit_line_carries_no_event(pipeline):
    text = (
        "Israeli jets struck Masyaf on Monday.\n"
        "(Reporting by Nadine Sabbagh in Beirut and Karim Odeh in Amman; Editing by Helen Marsh)\n"
    )
    assert [ev.mention.text for ev in extract_events(text, pipeline)] == ["Masyaf"]


def test_a_clause_that_tells_nothing_takes_the_type_of_its_when_clause(pipeline):
    text = "Residents of Jaba recall May 3, 2025, when an Israeli raid sparked a firefight."
    (event,) = extract_events(text, pipeline)
    assert (event.mention.text, event.event_type, event.date) == ("Jaba", "battle", "2025-05-03")


def test_a_though_clause_has_its_own_type(pipeline):
    text = (
        "The PKK's leadership is based in the Qandil mountains, though the group announced"
        " in May 2025 that it would dissolve itself."
    )
    (event,) = extract_events(text, pipeline)
    assert (event.mention.text, event.event_type) == ("Qandil mountains", "military_presence")


@pytest.mark.parametrize(
    ("text", "actors"),
    [
        # whom the subject backs is no party to what the subject does
        ("Russia, a key Assad ally, has kept its air base at Hmeimim.", ["RUS"]),
        ("Russia, Assad's main military backer alongside Iran, kept its base in Tartus.", ["RUS"]),
        # a backer of the subject still is one ("US-backed SDF")
        ("Hezbollah, Iran's main proxy, fired rockets at Kiryat Shmona.", ["HEZ", "IRN"]),
    ],
)
def test_an_apposition_naming_whom_the_subject_backs_names_no_party(pipeline, text, actors):
    (event,) = extract_events(text, pipeline)
    assert event.actors == actors


def test_troops_opening_a_clause_are_the_previous_sentences_forces(pipeline):
    text = (
        "Israeli forces have expanded their positions in the south. Troops are also"
        " deployed in the buffer zone in the Quneitra area."
    )
    (event,) = extract_events(text, pipeline)
    assert (event.mention.text, event.actors) == ("Quneitra", ["ISR"])


@pytest.mark.parametrize(
    ("text", "place", "etype"),
    [
        # "after"/"before" open a clause of their own even without a comma: the main
        # clause says what happened at the place
        ("Government forces entered Suwayda after deadly clashes.", "Suwayda", "military_presence"),
        (
            "SNA factions clashed with the SDF around the Tishrin Dam before the two sides"
            " agreed to a truce.",
            "Tishrin",
            "battle",
        ),
    ],
)
def test_an_after_or_before_clause_does_not_type_the_main_one(pipeline, text, place, etype):
    (event,) = [ev for ev in extract_events(text, pipeline) if ev.mention.text.startswith(place)]
    assert event.event_type == etype


@pytest.mark.parametrize(
    ("text", "place", "actors"),
    [
        # a state that opens the sentence owns the unmarked soldiers it keeps or moves
        ("Israel has kept soldiers at nine positions on Mount Hermon.", "Mount Hermon", ["ISR"]),
        (
            "The United States withdrew from Shaddadi, moving dozens of soldiers to Erbil.",
            "Shaddadi",
            ["USA"],
        ),
        # after violence they are its targets: the Syrian state's
        (
            "Israeli jets struck army depots near Kiswah, killing two soldiers.",
            "Kiswah",
            ["ISR", "SYR-GOV"],
        ),
        # with no other state before them they stay the Syrian state's
        ("Soldiers were deployed to Shaddadi on Monday.", "Shaddadi", ["SYR-GOV"]),
    ],
)
def test_unmarked_soldiers_belong_to_the_state_that_opens_the_sentence(
    pipeline, text, place, actors
):
    (event,) = [ev for ev in extract_events(text, pipeline) if ev.mention.text == place]
    assert event.actors == actors


def test_a_party_that_names_a_time_is_a_party_where_its_own_clause_is(pipeline):
    text = (
        "Israeli forces moved into the Golan Heights on December 8, 2024, the day "
        "Bashar al-Assad fled to Moscow."
    )
    actors = {ev.mention.text: ev.actors for ev in extract_events(text, pipeline)}
    assert actors == {"Golan Heights": ["ISR"], "Moscow": ["SYR-GOV"]}
