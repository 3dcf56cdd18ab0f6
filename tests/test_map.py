"""The map without a browser: its layers, the data it embeds, escaping, size, the
standalone file, the `geomap map` command and the /map/events endpoints.

Why: the browser test shows the map works for the seed corpus; these tests pin what
the page is made of for any input, hostile or large, in milliseconds.
"""

from __future__ import annotations

import html
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box, mapping

from geomap import cli
from geomap.api import create_app
from geomap.events import EVENT_TYPES
from geomap.ingest import ingest_text
from geomap.mapview import (
    MAX_ARTICLE_LAYERS,
    build_map,
    compact_events,
    event_details,
    event_styles,
    safe_url,
    standalone_html,
)
from geomap.store import open_store

ACTORS = ["RUS", "TUR", "IRN", "USA", "SYR-GOV", "SYR-OPP", "HTS", "SDF", "UN"]
SAMPLE = (
    "Russian jets struck Idlib on July 3, 2024. Turkish drones hit Qamishli on May 2, 2024. "
    "Protesters gathered in Daraa."
)
# script, markup, links, JavaScript strings and Jinja (branca renders templates twice)
PAYLOADS = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "\"</script><script>alert('break')</script>",
    "';alert('single');//",
    '";alert("double");//',
    "\\';alert('backslash');//",
    "`${alert('template')}`",
    "line\u2028separator\u2029paragraph",
    "{{ 7*7 }} {% if true %}jinja{% endif %} {# comment #}",
    "&lt;b&gt;entity&lt;/b&gt;",
]
BAD_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example.org/x",
]


def _feature(i: int, **props: Any) -> dict[str, Any]:
    """One event feature as geojson.event_feature makes it (one source unless given)."""
    rng = random.Random(i)
    lon, lat = round(35.7 + rng.random() * 6, 6), round(32.3 + rng.random() * 5, 6)
    place = props.pop("place_name", f"Place {i % 400}")
    sentence = props.pop(
        "sentence",
        f"Syrian government forces shelled {place} on Tuesday, killing at least {i % 40} "
        "people, the Syrian Observatory for Human Rights said, as Russian jets struck "
        "opposition positions near the town’s outskirts.",
    )
    article = props.pop("article_id", i // 10 + 1)
    sources = props.pop(
        "sources",
        [
            {
                "article_id": article,
                "article_title": f"Fighting escalates in northern Syria ({article})",
                "url": f"https://news.example.org/2024/{article}",
                "outlet": f"Outlet {article % 40}",
                "published": "2024-07-04",
            }
        ],
    )
    year = 2011 + i % 15
    properties = {
        "article_id": sources[0]["article_id"],
        "article_title": sources[0]["article_title"],
        "sentence": sentence,
        "mention": place,
        "place_id": f"p{i % 400}",
        "place_name": place,
        "place_kind": "town",
        "geo_precision": 1 + i % 4,
        "actors": sorted(rng.sample(ACTORS, i % 3)),
        "event_type": EVENT_TYPES[i % len(EVENT_TYPES)],
        "date": [None, str(year), f"{year}-03", f"{year}-03-08"][i % 4],
        "source_count": len(sources),
        "sources": sources,
        **props,
    }
    return {
        "type": "Feature",
        "id": i,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def _page(features: list[dict[str, Any]], pipeline) -> str:
    return build_map(features, pipeline.actors).get_root().render()


def _layer_names(page: str) -> list[str]:
    """The layer control's names as shown (JSON-decoded, then HTML-decoded)."""
    return [
        html.unescape(json.loads(k))
        for k in re.findall(r'("(?:[^"\\]|\\.)*")\s*:\s*feature_group_', page)
    ]


def _blob(page: str) -> dict[str, Any]:
    """The event data the page embeds, parsed back: it must be one JSON value."""
    m = re.search(r"= geomapEvents\(\w+, \w+, ", page)
    assert m, "no event data in the page"
    value, _ = json.JSONDecoder().raw_decode(page, m.end())
    return value


def test_every_event_type_has_a_label_and_an_icon():
    styles = event_styles()
    assert list(styles) == list(EVENT_TYPES)
    for style in styles.values():
        assert style.label and style.width > 0 and style.height > 0
        assert re.fullmatch(r"[0-9a-zA-Z .,+-]+", style.path), style.icon


def test_layers_by_article_actor_and_type_and_the_map_layers(pipeline):
    feats = [_feature(i) for i in range(40)]
    page = _page(feats, pipeline)
    names = _layer_names(page)
    titles = {s["article_title"] for f in feats for s in f["properties"]["sources"]}
    assert titles <= set(names)
    for code in {a for f in feats for a in f["properties"]["actors"]}:
        assert any(n.endswith(" " + pipeline.actors.actors[code].name) for n in names)
    assert any(n.endswith(" No actor named") for n in names)
    for style in event_styles().values():
        assert any(n.endswith(" " + style.label) for n in names)
    for group in ("Articles", "Actors", "Event types", "Map layers"):
        assert f'"{group}":{{' in page
    for layer in ("Event markers", "Heat map", "Places with events (sized by count)"):
        assert f'"{layer}":' in page
    # one FeatureGroupSubGroup per toggle, over one marker cluster, with one GeoJSON each
    subgroups = page.count("L.featureGroup.subGroup(")
    assert subgroups == len(names) - 1  # all but the places layer, a plain FeatureGroup
    assert page.count("L.geoJSON(") == subgroups
    assert page.count("L.markerClusterGroup(") == 1 and "L.heatLayer(" in page
    assert "geomapStatusControl(" in page  # the count and the time window
    # every feature once, not once per layer
    assert len(_blob(page)["events"]) == len(feats)
    assert "https://cdn" not in page and "cdnjs" not in page and "unpkg" not in page
    assert "/static/vendor/leaflet/dist/leaflet.js" in page
    assert "jquery" not in page.lower() and "bootstrap" not in page.lower()


def test_the_articles_with_most_events_get_a_layer_the_rest_share_one(pipeline):
    feats = [_feature(i, article_id=i) for i in range(MAX_ARTICLE_LAYERS + 30)]
    feats += [_feature(1000 + i, article_id=7) for i in range(3)]
    names = _layer_names(_page(feats, pipeline))
    assert "<i>30 other articles</i>" in names
    assert sum(n.startswith("Fighting escalates") for n in names) == MAX_ARTICLE_LAYERS
    assert any(n.endswith("(7)") for n in names)  # the article with most events


def test_twin_titles_each_get_a_layer(pipeline):
    twin = {"article_title": "Same headline", "url": None, "outlet": None, "published": None}
    feats = [_feature(i, sources=[{**twin, "article_id": i + 1}]) for i in range(2)]
    names = _layer_names(_page(feats, pipeline))
    assert "Same headline" in names and "Same headline <small>(article 2)</small>" in names


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://example.org/a?b=1", True),
        ("HTTP://EXAMPLE.ORG/", True),
        ('https://example.org/"><script>alert(1)</script>', True),  # set as a DOM property
        *((bad, False) for bad in BAD_URLS),
        ("", False),
        (None, False),
    ],
)
def test_only_http_links_are_kept(url, kept):
    assert safe_url(url) == (url if kept else None)


def test_hostile_text_reaches_the_page_as_data_never_as_markup(pipeline):
    feats = []
    for i, payload in enumerate(PAYLOADS):
        source = {
            "article_id": i + 1,
            "article_title": f"Title {payload}",
            "url": BAD_URLS[i % len(BAD_URLS)],
            "outlet": f"Outlet {payload}",
            "published": payload,
        }
        feats.append(
            _feature(
                i,
                sentence=f"Shelling hit Tafas {payload} today.",
                place_name=f"Tafas {payload}",
                sources=[source],
            )
        )
    for standalone in (False, True):
        page = (
            standalone_html(feats, pipeline.actors)
            if standalone
            else build_map(feats, pipeline.actors).get_root().render()
        )
        blob = _blob(page)
        # the data round-trips exactly: no string was broken out of, no template ran
        assert [a[1] for a in blob["articles"]] == [f"Title {p}" for p in PAYLOADS]
        assert [a[2] for a in blob["articles"]] == [f"Outlet {p}" for p in PAYLOADS]
        assert {p[1] for p in blob["places"]} == {f"Tafas {p}" for p in PAYLOADS}
        assert all(a[3] is None for a in blob["articles"])  # no link that is not http(s)
        if standalone:
            assert [d[0] for d in blob["details"]] == [
                f"Shelling hit Tafas {p} today." for p in PAYLOADS
            ]
        names = _layer_names(page)
        for p in PAYLOADS:
            assert f"Title {p}" in names  # escaped, then shown as text
        for raw in (
            "<script>alert",
            "<img src=x",
            'onerror="alert',
            "javascript:",
            "JaVaScRiPt:",
            "vbscript:",
            "data:text/html",
            "evil.example.org",
            "\u2028",
        ):
            assert raw not in page, raw
        assert "{{ 7*7 }}" in page  # verbatim: branca did not render it as a template
        assert page.lower().count("</script") == page.lower().count("<script")


def test_popup_details_mark_the_place_and_the_actors(pipeline):
    props = {
        "sentence": "Russian jets 🔥 struck Idlib while Turkish drones hit Idlib again.",
        "mention": "Idlib",
        "actors": ["RUS"],
    }
    sentence, marks = event_details(props, pipeline.actors)
    assert sentence == props["sentence"]
    js = sentence.encode("utf-16-le")  # JavaScript indexes UTF-16 code units

    def text(start: int, end: int) -> str:
        return js[2 * start : 2 * end].decode("utf-16-le")

    assert [(text(s, e), code) for s, e, code in marks] == [
        ("Russian jets", "RUS"),
        ("Idlib", None),
    ]  # Turkey is named but not an actor of this event: not marked


def test_a_map_of_10000_events_stays_under_3_mb(pipeline):
    feats = [_feature(i) for i in range(10_000)]
    page = _page(feats, pipeline)
    assert len(page.encode()) < 3_000_000
    blob = compact_events(feats, pipeline.actors)
    assert len(blob["events"]) == 10_000 and "details" not in blob


def test_standalone_file_needs_no_server(pipeline):
    page = standalone_html([_feature(i) for i in range(30)], pipeline.actors)
    links = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]*)"', page)
    assert links == [], f"files the standalone page would fetch: {links}"
    assert "L.map(" in page and "markerClusterGroup" in page and "geomapEvents" in page
    assert '"type":"Topology"' in page  # country outlines, for no internet
    assert "data:image/png;base64," in page  # Leaflet's control icons
    assert len(_blob(page)["details"]) == 30  # popups need no server


@pytest.fixture(scope="module")
def store(pipeline, tmp_path_factory):
    st = open_store(str(tmp_path_factory.mktemp("map") / "map.db"))
    ingest_text(st, pipeline, SAMPLE, title="Sample <b>news</b>", url="javascript:alert(1)")
    return st


def test_cli_map_writes_one_file_with_the_filtered_events(store, tmp_path, capsys):
    db = str(store.engine.url.database)
    out = tmp_path / "events.html"
    assert cli.main(["map", "--out", str(out), "--db", db]) == 0
    assert "(3 events," in capsys.readouterr().out
    assert len(_blob(out.read_text(encoding="utf-8"))["events"]) == 3
    assert cli.main(["map", "--out", str(out), "--db", db, "--actor", "TUR,RUS"]) == 0
    assert "(2 events," in capsys.readouterr().out
    args = ["--datetime", "2024-05", "--bbox", "35,32,43,38", "--max-geo-precision", "2"]
    assert cli.main(["map", "--out", str(out), "--db", db, *args]) == 0
    blob = _blob(out.read_text(encoding="utf-8"))
    assert [blob["places"][e[1]][1] for e in blob["events"]] == ["Qamishli"]
    assert cli.main(["map", "--out", str(out), "--db", db, "--bbox", "x"]) == 2
    assert "bbox must be four numbers" in capsys.readouterr().err


def test_cli_map_takes_the_spatial_filters_of_the_api(store, tmp_path, capsys):
    db = str(store.engine.url.database)
    out = tmp_path / "events.html"

    def places(*args: str) -> list[str]:
        assert cli.main(["map", "--out", str(out), "--db", db, *args]) == 0, capsys.readouterr()
        blob = _blob(out.read_text(encoding="utf-8"))
        return sorted(blob["places"][e[1]][1] for e in blob["events"])

    assert places() == ["Daraa", "Idlib", "Qamishli"]
    assert places("--near", "37.05,41.22", "--radius-km", "30") == ["Qamishli"]  # Qamishli
    polygon = tmp_path / "south.geojson"
    polygon.write_text(json.dumps(mapping(box(35.5, 32.0, 37.0, 33.5))), encoding="utf-8")
    assert places("--intersects", f"@{polygon}") == ["Daraa"]
    assert places("--intersects", box(36.0, 35.0, 37.5, 36.5).wkt) == ["Idlib"]
    assert cli.main(["map", "--out", str(out), "--db", db, "--near", "37,41"]) == 2
    assert "go together" in capsys.readouterr().err
    bowtie = "POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))"
    assert cli.main(["map", "--out", str(out), "--db", db, "--intersects", bowtie]) == 2
    assert "invalid polygon" in capsys.readouterr().err
    missing = ["--intersects", f"@{tmp_path / 'nope.wkt'}"]
    assert cli.main(["map", "--out", str(out), "--db", db, *missing]) == 2
    assert "nope.wkt" in capsys.readouterr().err


def test_map_events_endpoints(store, pipeline):
    client = TestClient(create_app(store, pipeline))
    data = client.get("/map/events").json()
    assert data["numberMatched"] == data["numberReturned"] == len(data["events"]) == 3
    (south, west), (north, east) = data["bounds"]
    assert 32 < south < north < 38 and 35 < west < east < 43
    assert [a[1:4] for a in data["articles"]] == [["Sample <b>news</b>", None, None]]
    some = client.get("/map/events", params={"type": "protest", "limit": 1}).json()
    assert some["numberMatched"] == some["numberReturned"] == 1
    assert client.get("/map/events", params={"bbox": "x"}).status_code == 400
    assert client.get("/map/events", params={"nope": "1"}).status_code == 400
    first = data["events"][0][0]
    sentence, marks = client.get(f"/map/events/{first}").json()
    assert sentence.startswith("Russian jets struck Idlib")
    assert [sentence[s:e] for s, e, _ in marks] == ["Russian jets", "Idlib"]
    assert client.get("/map/events/999999").status_code == 404
    page = client.get("/map", params={"actor": "TUR"}).text
    assert len(_blob(page)["events"]) == 1


def test_the_assets_a_map_links_are_where_the_inliner_looks():
    """The assets every map page links exist where the server and the inliner look."""
    from geomap.assets import MAP_CSS, MAP_JS, static_file

    for url in (*MAP_JS, *MAP_CSS):
        assert static_file(url).is_file(), url
    with pytest.raises(ValueError):
        static_file("/static/../pyproject.toml")
    assert Path(static_file("/static/index.html")).is_file()
