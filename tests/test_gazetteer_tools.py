"""Gazetteer tools: the missing-place report, the GeoNames import and the geocoder fallback.

The geocoder talks to a stub Nominatim server on 127.0.0.1 started here, never to the
internet.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from geomap.cli import main
from geomap.gazetteer import COLUMNS, GAZETTEER_DIR, Gazetteer, check, default_paths, read_places
from geomap.geocoder import GeocoderConfig, geocode_missing, partition_cached
from geomap.geonames_import import FIELDS
from geomap.missing import find_missing
from geomap.pipeline import Pipeline

# -- missing ----------------------------------------------------------------------

ARTICLE_A = (
    "Shelling hit the village of Zubayrat al-Wusta overnight, residents said.\n"
    "Later, drones struck Zubayrat al-Wusta village again, and families fled the town of "
    "Khirbat Nawfaliya.\n"
    "Fighting continued in the Shaykh Duwayhi neighbourhood, while aid reached the Umm "
    "Zaytuna camp near the city of Tafas.\n"
    "Troops then left the district of March.\n"
)
ARTICLE_B = (
    "Residents of Zubairat al-Wusta village said the shelling resumed.\n"
    "A medic said the village of Zubayrat al-Wusta had no power.\n"
)
INVENTED = {"Zubayrat al-Wusta", "Khirbat Nawfaliya", "Shaykh Duwayhi", "Umm Zaytuna"}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE_A, encoding="utf-8")
    (folder / "b.txt").write_text(ARTICLE_B, encoding="utf-8")
    return folder


def test_missing_groups_candidates_with_counts_kinds_and_examples(corpus, pipeline):
    missing = find_missing([corpus], pipeline)
    by_name = {m.name: m for m in missing}
    assert set(by_name) == INVENTED  # Tafas is known; "March" is a stop word
    counts = [m.count for m in missing]
    assert counts == sorted(counts, reverse=True)
    zub = by_name["Zubayrat al-Wusta"]
    assert zub.count == 4  # three spellings of one key, in two files
    assert zub.spellings == ["Zubairat al-Wusta"]
    assert 1 <= len(zub.examples) <= 2
    for path, sentence in zub.examples:
        assert Path(path).parent == corpus
        assert "al-Wusta" in sentence and "\n" not in sentence
    assert {m.name: m.kind for m in missing} == {
        "Zubayrat al-Wusta": "village",
        "Khirbat Nawfaliya": "town",
        "Shaykh Duwayhi": "neighbourhood",
        "Umm Zaytuna": "camp",
    }


def test_missing_table_is_sorted_by_count(corpus, pipeline, capsys):
    assert main(["gazetteer", "missing", str(corpus)]) == 0
    out = capsys.readouterr().out
    first = out.index("Zubayrat al-Wusta")
    assert all(first < out.index(n) for n in INVENTED - {"Zubayrat al-Wusta"})
    assert "village of Zubayrat al-Wusta" in out  # an example sentence


def test_missing_csv_rows_need_coordinates_then_resolve(corpus, pipeline, capsys, tmp_path):
    assert main(["gazetteer", "missing", "--csv", str(corpus / "a.txt")]) == 0
    captured = capsys.readouterr()
    assert "lat and lon are empty on purpose" in captured.err
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert tuple(rows[0]) == COLUMNS
    assert {r["name"] for r in rows} == INVENTED
    assert all(r["lat"] == r["lon"] == "" and r["source"] == "missing" for r in rows)

    pasted = tmp_path / "mine.csv"
    pasted.write_text(captured.out, encoding="utf-8")
    errors = check([pasted])
    assert len(errors) == len(rows)  # every row is invalid until coordinates are filled
    assert all(f"{pasted}:" in e and "lat" in e for e in errors)

    for i, r in enumerate(rows):
        r["lat"], r["lon"], r["country"] = f"{35 + i / 10}", "37.5", "SY"
    with pasted.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    assert check([pasted]) == []
    extended = Pipeline(Gazetteer.load([*default_paths(), pasted], world=False))
    assert find_missing([corpus / "a.txt"], extended) == []
    found = {m.text for m in extended.parse(ARTICLE_A)}
    assert found >= INVENTED


def test_missing_reports_an_absent_file(tmp_path, pipeline, capsys):
    assert main(["gazetteer", "missing", str(tmp_path / "nope.txt")]) == 2
    assert "nope.txt" in capsys.readouterr().err


# -- import-geonames ----------------------------------------------------------------


def geonames_line(gid, name, lat, lon, fclass, fcode, cc="SY", pop=0, alts="", admin1="09"):
    """One line of the dump format: 19 tab-separated columns."""
    values = dict.fromkeys(FIELDS, "")
    values.update(
        {
            "geonameid": str(gid),
            "name": name,
            "asciiname": name,
            "alternatenames": alts,
            "latitude": lat,
            "longitude": lon,
            "feature class": fclass,
            "feature code": fcode,
            "country code": cc,
            "admin1 code": admin1,
            "population": str(pop),
            "timezone": "Asia/Damascus",
            "modification date": "2024-01-01",
        }
    )
    return "\t".join(values[f] for f in FIELDS)


def known_geonameid() -> tuple[int, str]:
    """A geonameid the curated Syrian file already holds, and its name."""
    with (GAZETTEER_DIR / "syria.csv").open(encoding="utf-8", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["geonameid"])
    return int(row["geonameid"]), row["name"]


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    gid, name = known_geonameid()
    lines = [
        geonames_line(
            990001,
            "Tall Zuhur",
            "36.10512",
            "37.20431",
            "P",
            "PPL",
            pop=500,
            alts="Tell Zuhour,Tal Zuhur,تل الزهور,March,TZ,tall zuhur,Тал Зухур",
        ),
        geonames_line(990002, "Madinat Nur", "35.5", "38.0", "P", "PPLA", pop=250_000),
        geonames_line(990003, "Suq Nur", "35.51", "38.01", "P", "PPL", pop=20_000),
        geonames_line(990004, "Hayy Nur", "35.52", "38.02", "P", "PPLX"),
        geonames_line(990005, "Bad Place", "abc", "38.0", "P", "PPL", pop=100),
        geonames_line(990006, "Mintaqat Nur", "35.4", "38.3", "A", "ADM2"),
        geonames_line(990007, "Matar Nur", "35.6", "38.2", "S", "AIRB"),
        geonames_line(990008, "Funduq Nur", "35.6", "38.2", "S", "HTL"),
        geonames_line(990009, "Jabal Nur", "35.7", "38.4", "T", "MT"),
        geonames_line(990010, "Lebanese Village", "33.9", "35.6", "P", "PPL", cc="LB", pop=800),
        geonames_line(990011, "Tariq Nur", "35.6", "38.2", "R", "RD"),
        geonames_line(990012, "Far North", "36.0", "191.0", "P", "PPL"),
        geonames_line(gid, name, "35.0", "37.0", "P", "PPL", pop=5000),
        "990013\ttoo\tfew\tcolumns",
        geonames_line(990014, "Muhafazat Nur", "35.6", "38.1", "A", "ADM1", alts="Nur Governorate"),
    ]
    path = tmp_path / "SY.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_import(dump: Path, out: Path, *options: str) -> dict[str, dict[str, str]]:
    assert main(["gazetteer", "import-geonames", str(dump), "--out", str(out), *options]) == 0
    with out.open(encoding="utf-8", newline="") as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


def test_import_geonames_writes_a_valid_gazetteer(dump, tmp_path, capsys):
    out = tmp_path / "geonames_sy.csv"
    rows = run_import(dump, out)
    err = capsys.readouterr().err
    assert check([out]) == []
    assert main(["gazetteer", "check", str(out)]) == 0

    kinds = {pid: r["kind"] for pid, r in rows.items()}
    assert kinds == {
        "gn:990001": "village",
        "gn:990002": "city",
        "gn:990003": "town",
        "gn:990004": "neighbourhood",
        "gn:990006": "district",
        "gn:990007": "military_base",
        "gn:990010": "village",
        "gn:990014": "governorate",
    }  # hotel, road and mountain (T is opt-in) left out
    zuhur = rows["gn:990001"]
    # Latin spellings only: no Arabic or Cyrillic, no stop word, no code, no case variant
    assert zuhur["aliases"].split("|") == ["Tell Zuhour", "Tal Zuhur"]
    assert (zuhur["lat"], zuhur["lon"]) == ("36.10512", "37.20431")
    assert zuhur["geonameid"] == "990001" and zuhur["country"] == "SY"
    # admin1 is the name of the ADM1 row, although it comes last in the dump
    assert {r["admin1"] for r in rows.values() if r["country"] == "SY"} == {"Muhafazat Nur"}
    assert rows["gn:990010"]["admin1"] == ""

    for line_no, word in ((5, "latitude"), (12, "longitude"), (14, "fields")):
        assert any(f"{dump}:{line_no}: skipped:" in w and word in w for w in err.splitlines())
    assert "1 already in the gazetteer" in err

    gaz = Gazetteer.load([out], world=False)
    assert [p.id for p in gaz.lookup("Tell Zuhour")] == ["gn:990001"]
    assert gaz.lookup("March") == []


def test_import_geonames_filters(dump, tmp_path):
    gid, _ = known_geonameid()
    rows = run_import(dump, tmp_path / "a.csv", "--country", "lb")
    assert set(rows) == {"gn:990010"}
    rows = run_import(dump, tmp_path / "b.csv", "--min-population", "10000")
    assert {"gn:990002", "gn:990003", "gn:990014", "gn:990007"} <= set(rows)
    assert not {"gn:990001", "gn:990004", "gn:990010"} & set(rows)
    rows = run_import(dump, tmp_path / "c.csv", "--feature-class", "T,H")
    assert {pid: r["kind"] for pid, r in rows.items()} == {"gn:990009": "natural_feature"}
    rows = run_import(dump, tmp_path / "d.csv", "--include-known")
    assert f"gn:{gid}" in rows
    assert check([tmp_path / f"{n}.csv" for n in "abcd"]) == []


def test_import_geonames_rejects_bad_options(dump, tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert main(["gazetteer", "import-geonames", str(dump), "--feature-class", "P,Z"]) == 2
    assert "'Z'" in capsys.readouterr().err
    assert main(["gazetteer", "import-geonames", str(tmp_path / "none.txt")]) == 2
    assert not out.exists()


# -- geocoder -----------------------------------------------------------------------

#: What the stub Nominatim knows: folded query -> one result in /search?format=json form.
STUB_PLACES = {
    "khirbat nawfaliya": {
        "place_id": 4242,
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
        "osm_type": "node",
        "osm_id": 777001,
        "lat": "36.4321",
        "lon": "40.1234",
        "class": "place",
        "type": "village",
        "addresstype": "village",
        "name": "Khirbet Nawfaliyah",
        "display_name": "Khirbet Nawfaliyah, Al-Hasakah Governorate, Syria",
        "importance": 0.3,
        "address": {
            "village": "Khirbet Nawfaliyah",
            "state": "Al-Hasakah Governorate",
            "country": "Syria",
            "country_code": "sy",
        },
        "extratags": {"population": "1200"},
        "boundingbox": ["36.41", "36.45", "40.10", "40.14"],
    },
}
STUB_PLACES["khirbet nawfaliyah"] = STUB_PLACES["kherbet nofaliya"] = STUB_PLACES[
    "khirbat nawfaliya"
]


class StubNominatim:
    """A local HTTP server answering Nominatim's /search; it records every request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, list[str]]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                stub.requests.append(query)
                result = STUB_PLACES.get(" ".join(query.get("q", [""])[0].lower().split()))
                codes = ",".join(query.get("countrycodes", [])).split(",")
                if url.path != "/search" or query.get("format") != ["json"]:
                    self.send_error(400)
                    return
                answer = (
                    [result]
                    if result and (codes == [""] or result["address"]["country_code"] in codes)
                    else []
                )
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # port 0: a free port
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def queried(self) -> list[str]:
        return [q.get("q", [""])[0] for q in self.requests]


@pytest.fixture
def nominatim() -> Iterator[StubNominatim]:
    stub = StubNominatim()
    thread = threading.Thread(target=stub.server.serve_forever, daemon=True)
    thread.start()
    yield stub
    stub.server.shutdown()
    stub.server.server_close()


@pytest.fixture
def geocoder_env(monkeypatch, nominatim, tmp_path) -> Path:
    """The geocoder enabled against the stub, caching into a temporary file."""
    cache = tmp_path / "gaz" / "geocoded.csv"
    monkeypatch.setenv("GEOMAP_GEOCODER", "nominatim")
    monkeypatch.setenv("GEOMAP_GEOCODER_URL", nominatim.url)
    monkeypatch.setenv("GEOMAP_GEOCODER_CACHE", str(cache))
    monkeypatch.setenv("GEOMAP_GEOCODER_DELAY", "0")
    return cache


def test_config_is_off_by_default_and_reads_the_environment(monkeypatch, tmp_path):
    for var in ("GEOMAP_GEOCODER", "GEOMAP_GEOCODER_URL", "GEOMAP_GEOCODER_COUNTRYCODES"):
        monkeypatch.delenv(var, raising=False)
    off = GeocoderConfig.from_env()
    assert not off.enabled and off.countrycodes == ("sy",) and off.min_delay_seconds == 1.0
    monkeypatch.setenv("GEOMAP_GEOCODER", "nominatim")
    monkeypatch.setenv("GEOMAP_GEOCODER_URL", "http://127.0.0.1:9/nominatim/")
    monkeypatch.setenv("GEOMAP_GEOCODER_COUNTRYCODES", "SY, LB")
    on = GeocoderConfig.from_env()
    assert on.enabled and (on.scheme, on.domain) == ("http", "127.0.0.1:9/nominatim")
    assert on.countrycodes == ("sy", "lb")
    monkeypatch.setenv("GEOMAP_GEOCODER", "google")
    with pytest.raises(ValueError, match="nominatim"):
        GeocoderConfig.from_env()


def test_geocode_caches_valid_rows_and_does_not_ask_twice(geocoder_env, nominatim):
    places = geocode_missing(["Khirbat Nawfaliya", "Nowhere Atall", "March"])
    assert nominatim.queried() == ["Khirbat Nawfaliya", "Nowhere Atall"]  # never a stop word
    assert all(q["countrycodes"] == ["sy"] for q in nominatim.requests)
    [place] = places
    stub = STUB_PLACES["khirbat nawfaliya"]
    assert (place.lat, place.lon) == (float(stub["lat"]), float(stub["lon"]))
    assert place.name == "Khirbat Nawfaliya" and "Khirbet Nawfaliyah" in place.aliases
    assert place.source == "geocoder:nominatim" and place.country == "SY"

    assert check([geocoder_env]) == []
    assert [p.id for p in read_places(geocoder_env)] == [place.id]
    gaz = Gazetteer.load([geocoder_env], world=False)
    assert [p.id for p in gaz.lookup("Khirbet Nawfaliyah")] == [place.id]

    before = len(nominatim.requests)
    again = geocode_missing(["Khirbat Nawfaliya"])
    assert again == [place] and len(nominatim.requests) == before


def test_names_of_one_place_share_one_row(geocoder_env, nominatim):
    # the second name is the first answer's own name: no second request
    places = geocode_missing(["Khirbat Nawfaliya", "Khirbet Nawfaliyah"])
    assert nominatim.queried() == ["Khirbat Nawfaliya"]
    # a third spelling the server maps to the same OSM object joins that row as an alias
    places += geocode_missing(["Kherbet Nofaliya"])
    assert nominatim.queried() == ["Khirbat Nawfaliya", "Kherbet Nofaliya"]
    assert len(places) == 3 and len({p.id for p in places}) == 1
    assert check([geocoder_env]) == []
    [row] = read_places(geocoder_env)
    assert {"Khirbat Nawfaliya", "Khirbet Nawfaliyah", "Kherbet Nofaliya"} == set(row.names)


def test_geocode_restricts_countries(geocoder_env, nominatim, monkeypatch):
    monkeypatch.setenv("GEOMAP_GEOCODER_COUNTRYCODES", "lb")
    assert geocode_missing(["Khirbat Nawfaliya"]) == []
    assert [q["countrycodes"] for q in nominatim.requests] == [["lb"]]
    assert not geocoder_env.exists()


def test_disabled_geocoder_queries_nothing(geocoder_env, nominatim, monkeypatch, corpus, pipeline):
    monkeypatch.delenv("GEOMAP_GEOCODER")
    assert geocode_missing(["Khirbat Nawfaliya"]) == []
    assert main(["gazetteer", "geocode", str(corpus)]) == 2
    assert main(["gazetteer", "geocode", "--dry-run", str(corpus)]) == 0
    assert nominatim.requests == []
    assert not geocoder_env.exists()


def test_geocode_command_geocodes_the_missing_names(
    geocoder_env, nominatim, corpus, pipeline, capsys
):
    missing = {m.name for m in find_missing([corpus], pipeline)}
    assert main(["gazetteer", "geocode", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert sorted(nominatim.queried()) == sorted(missing)
    assert "found     Khirbat Nawfaliya" in out
    assert check([geocoder_env]) == []
    cached, todo = partition_cached(missing)
    assert set(cached) == {"Khirbat Nawfaliya"} and set(todo) == missing - set(cached)

    before = len(nominatim.requests)
    assert main(["gazetteer", "geocode", "--dry-run", str(corpus)]) == 0
    assert "cached   Khirbat Nawfaliya" in capsys.readouterr().out
    assert len(nominatim.requests) == before
