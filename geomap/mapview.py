"""The map: stored events -> a Folium map layered by article, by actor and by event type.

Why this shape: one Folium object per marker, or one GeoJSON layer per group carrying
its features again, made 10,000 events weigh tens of megabytes. The page carries the
events once, as a compact blob of short arrays (:func:`compact_events`);
``static/js/geomap-events.js`` makes one marker per event, shared by every layer that
lists it, and builds each popup in the browser, from DOM text nodes, when it opens.

Escaping happens at the two places text meets markup: the blob is JSON whose ``<``,
``>`` and ``&`` are ``\\u`` escapes, so nothing in it can end the script it sits in;
layer names, which Leaflet's layer control inserts as HTML, are HTML-escaped here.
Only http(s) URLs are kept as links. No text from an article passes through Jinja,
which branca would otherwise run on it (see :class:`_RawScript`).
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit
from xml.etree import ElementTree

import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import FeatureGroupSubGroup, GroupedLayerControl, HeatMap, MarkerCluster
from folium.template import Template

from geomap.actors import ActorIndex
from geomap.assets import (
    MAP_CSS,
    MAP_JS,
    WORLD_TOPOJSON,
    inline_assets,
    use_local_assets,
    vendor_file,
)
from geomap.spatial import POINT_PRECISION, area_feature, region_features, region_outline

DATA_DIR = Path(__file__).resolve().parent / "data"
ICON_DIR = "@fortawesome/fontawesome-free/svgs/solid/"
NEUTRAL = "#555555"
CENTER = (35.0, 38.5)  # Syria, when there is nothing to fit
DETAILS_URL = "/map/events/"  # + event id: the popup sentence of a served map
MAX_ARTICLE_LAYERS = 50  # the articles with most events get a layer; the rest share one
LAYER_GROUP = "Map layers"
AREA_GROUP = "Areas of activity"
GOVERNORATE = "governorate"  # the place kind whose events are drawn as an outline
OUTLINE_TOLERANCE_DEG = 0.01  # governorate outlines on a map page, simplified (~1 km)
CHOROPLETH = ("#fee8c8", "#fdbb84", "#fc8d59", "#e34a33", "#b30000")  # few -> many events
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class EventStyle:
    """How an event type looks: its label and a Font Awesome icon (SVG path data)."""

    event_type: str
    label: str
    icon: str
    width: int
    height: int
    path: str


def _icon(name: str) -> tuple[int, int, str]:
    """Width, height and path of a Font Awesome icon from npm (no glyph if not installed)."""
    file = vendor_file(f"{ICON_DIR}{name}.svg")
    if not file.is_file():
        return 0, 0, ""
    svg = ElementTree.parse(file).getroot()
    _, _, width, height = (int(float(v)) for v in (svg.get("viewBox") or "0 0 0 0").split())
    path = svg.find("{http://www.w3.org/2000/svg}path")
    return width, height, path.get("d", "") if path is not None else ""


@cache
def event_styles() -> dict[str, EventStyle]:
    """Event type -> style, from ``data/event_styles.csv`` (edit it to change an icon)."""
    with (DATA_DIR / "event_styles.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {
        r["event_type"]: EventStyle(r["event_type"], r["label"], r["icon"], *_icon(r["icon"]))
        for r in rows
    }


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are kept (no ``javascript:``, ``data:``, ``vbscript:``...)."""
    if url and urlsplit(url).scheme.lower() in ("http", "https"):
        return url
    return None


def actor_name(code: str, actors: ActorIndex) -> str:
    """The display name of an actor code (the code itself when unknown)."""
    actor = actors.actors.get(code)
    return actor.name if actor else code


def _js_offset(text: str, i: int) -> int:
    """A code-point offset as a JavaScript (UTF-16) one: astral characters count twice."""
    return i + len(_ASTRAL.findall(text, 0, i))


def event_details(props: dict[str, Any], actors: ActorIndex) -> list[Any]:
    """``[sentence, highlights]`` of one event, for its popup: the place and the event's
    actors as ``[start, end, actor code or None]``, in JavaScript string offsets."""
    sentence = props.get("sentence") or ""
    mention = props.get("mention") or ""
    codes = set(props.get("actors") or [])
    spans = []
    at = sentence.find(mention) if mention else -1
    if at >= 0:
        spans.append((at, at + len(mention), None))
    spans += [(h.start, h.end, h.code) for h in actors.find(sentence) if h.code in codes]
    marks, end = [], 0
    for start, stop, code in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start >= end:  # overlapping marks: the first, longest one wins
            marks.append([_js_offset(sentence, start), _js_offset(sentence, stop), code])
            end = stop
    return [sentence, marks]


class _Table:
    """Rows keyed by identity, each made once, referred to by position."""

    def __init__(self) -> None:
        self.rows: list[list[Any]] = []
        self.index: dict[Any, int] = {}

    def add(self, key: Any, make: Callable[..., list[Any]], *args: Any) -> int:
        at = self.index.get(key)
        if at is None:
            at = self.index[key] = len(self.rows)
            self.rows.append(make(*args))
        return at


def _place_row(p: dict[str, Any], lon: float, lat: float, outline: int | None) -> list[Any]:
    return [p["place_id"], p["place_name"], p["place_kind"], round(lon, 5), round(lat, 5), outline]


def _outline(p: dict[str, Any], outlines: _Table) -> int | None:
    """The outline row of a governorate-level event's governorate (None for the rest, and
    when no boundary data is installed)."""
    if p.get("place_kind") != GOVERNORATE or not p.get("region"):
        return None
    geometry = region_outline(p["region"], OUTLINE_TOLERANCE_DEG)
    return outlines.add(p["region"], lambda: geometry) if geometry else None


def _actor_row(code: str, actors: ActorIndex) -> list[Any]:
    return [code, actor_name(code, actors), actors.colour(code)]


def _article_row(s: dict[str, Any]) -> list[Any]:
    title = s.get("article_title") or "Untitled"
    return [s["article_id"], title, s.get("outlet"), safe_url(s.get("url")), s.get("published")]


def compact_events(
    features: list[dict[str, Any]], actors: ActorIndex, *, details: bool = False
) -> dict[str, Any]:
    """Event features as the blob ``static/js/geomap-events.js`` reads (its header gives
    the layout): tables of event types, actors, articles and places, and one short array
    per event. With ``details`` every popup sentence comes too (a file has no server)."""
    styles = event_styles()
    types = {t: i for i, t in enumerate(styles)}
    places, actor_table, articles, outlines = _Table(), _Table(), _Table(), _Table()
    events, sentences = [], []
    for f in features:
        p = f["properties"]
        lon, lat = f["geometry"]["coordinates"]
        outline = _outline(p, outlines)
        place = places.add((p["place_id"], lon, lat), _place_row, p, lon, lat, outline)
        acts = [actor_table.add(c, _actor_row, c, actors) for c in p.get("actors") or []]
        sources = p.get("sources") or [
            {"article_id": p.get("article_id"), "article_title": p.get("article_title")}
        ]
        arts = list(dict.fromkeys(articles.add(s["article_id"], _article_row, s) for s in sources))
        etype = types.get(p.get("event_type") or "other", types["other"])
        events.append(
            [f["id"], place, etype, p.get("geo_precision") or 1, p.get("date"), acts, arts]
        )
        if details:
            sentences.append(event_details(p, actors))
    blob = {
        "types": [[s.event_type, s.label, s.width, s.height, s.path] for s in styles.values()],
        "actors": actor_table.rows,
        "articles": articles.rows,
        "places": places.rows,
        "events": events,
        "outlines": outlines.rows,
    }
    if details:
        blob["details"] = sentences
    return blob


def event_bounds(features: list[dict[str, Any]]) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of the finest events: country-level points
    (centroids) would zoom the map out to the world."""
    for level in (2, 3, 4):  # district or finer, else governorate, else countries too
        fine = [f for f in features if (f["properties"].get("geo_precision") or 1) <= level]
        if fine:
            lons = [f["geometry"]["coordinates"][0] for f in fine]
            lats = [f["geometry"]["coordinates"][1] for f in fine]
            return [[min(lats), min(lons)], [max(lats), max(lons)]]
    return None


def _js_json(value: Any) -> str:
    """Compact JSON that can sit inside a ``<script>``: no ``<``, ``>`` or ``&`` is left to
    end it or open a comment, and the line separators JavaScript once refused are escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for ch, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _swatch(colour: str) -> str:
    return f'<span class="gm-swatch" style="color:{html.escape(colour)}">&#9679;</span>'


def _type_icon(style: list[Any]) -> str:
    _, _, width, height, path = style
    return (
        f'<svg class="gm-legend-icon" viewBox="0 0 {int(width)} {int(height)}" width="13" '
        f'height="13" aria-hidden="true"><path d="{html.escape(path)}"/></svg>'
    )


def _layers(blob: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, list[int]]]]]:
    """(group, event column, [(layer name as HTML, values)]) for the layer control."""
    events, articles = blob["events"], blob["articles"]
    per_article = Counter(a for e in events for a in e[6])
    top = sorted(per_article, key=lambda a: (-per_article[a], articles[a][0]))[:MAX_ARTICLE_LAYERS]
    titles: Counter[str] = Counter()
    by_article = []
    for a in sorted(top, key=lambda a: articles[a][0]):
        article_id, title = articles[a][:2]
        titles[title] += 1  # the control keys layers by name: twin titles need telling apart
        suffix = f" <small>(article {article_id})</small>" if titles[title] > 1 else ""
        by_article.append((html.escape(title) + suffix, [a]))
    rest = sorted(set(per_article) - set(top))
    if rest:
        by_article.append((f"<i>{len(rest)} other articles</i>", rest))
    by_actor = [
        (f"{_swatch(colour)} {html.escape(name)}", [i])
        for i, (_, name, colour) in sorted(enumerate(blob["actors"]), key=lambda r: r[1][1])
    ]
    if any(not e[5] for e in events):
        by_actor.append((f"{_swatch(NEUTRAL)} No actor named", [-1]))
    used = {e[2] for e in events}
    by_type = [
        (f"{_type_icon(t)} {html.escape(t[1])}", [i])
        for i, t in enumerate(blob["types"])
        if i in used
    ]
    return [
        ("Articles", "article", by_article),
        ("Actors", "actor", by_actor),
        ("Event types", "type", by_type),
    ]


def _choropleth(features: list[dict[str, Any]]) -> folium.GeoJson | None:
    """Governorates shaded by how many of the map's events lie in each (the map's
    filters are the request's), None without boundary data."""
    counts = Counter(f["properties"].get("region") for f in features)
    regions = region_features(counts, OUTLINE_TOLERANCE_DEG)
    if not regions:
        return None
    most = max(r["properties"]["events"] for r in regions) or 1

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        n = feature["properties"]["events"]
        colour = CHOROPLETH[min(len(CHOROPLETH) - 1, (len(CHOROPLETH) * n) // (most + 1))]
        opacity = 0.6 if n else 0.0
        return {"color": "#7f2704", "weight": 1, "fillColor": colour, "fillOpacity": opacity}

    return folium.GeoJson(
        {"type": "FeatureCollection", "features": regions},
        name="Events per governorate",
        show=False,
        style_function=style,
        tooltip=folium.GeoJsonTooltip(["name", "events"], aliases=["Governorate", "Events"]),
    )


def _areas(features: list[dict[str, Any]], actors: ActorIndex) -> list[folium.GeoJson]:
    """One toggleable layer per actor: the hull of its point events on this map."""
    points: dict[str, set[tuple[float, float]]] = {}
    for f in features:
        if (f["properties"].get("geo_precision") or 1) <= POINT_PRECISION:
            for code in f["properties"].get("actors") or []:
                points.setdefault(code, set()).add(tuple(f["geometry"]["coordinates"]))
    layers = []
    for code in sorted(points, key=lambda c: actor_name(c, actors)):
        name, colour = actor_name(code, actors), actors.colour(code)
        feature = area_feature(code, name, colour, points[code])
        if feature is None:
            continue
        style = {"color": colour, "weight": 2, "fillColor": colour, "fillOpacity": 0.15}
        layers.append(
            folium.GeoJson(
                feature,
                name=f"{_swatch(colour)} {html.escape(name)}",
                show=False,
                style_function=lambda _, style=style: style,
                tooltip=folium.GeoJsonTooltip(["name", "places"], aliases=["Area of", "Places"]),
            )
        )
    return layers


class _RawScript(Element):
    """Script text that reaches the page as is. branca turns a MacroElement's output into a
    Jinja template and renders it again, so an article titled ``{{ ... }}`` would run as
    template code on the server; the event data and layers therefore bypass Jinja."""

    def __init__(self, code: str):
        super().__init__()
        self.code = code

    def render(self, **kwargs: Any) -> str:
        return self.code


class _EventLayers(JSCSSMixin, MacroElement):
    """The event blob, its markers, heat map and places, and one FeatureGroupSubGroup per
    layer of the control, as one script (see static/js/geomap-events.js). The layers are
    folium objects for the layer control only: this element writes their JavaScript."""

    default_js: ClassVar = [(f"geomap_js_{i}", url) for i, url in enumerate(MAP_JS)]
    default_css: ClassVar = [(f"geomap_css_{i}", url) for i, url in enumerate(MAP_CSS)]

    def __init__(self, fmap, cluster, heat, places, blob: dict[str, Any], details_url: str | None):
        super().__init__()
        self._name = "EventLayers"
        self.map, self.cluster, self.heat, self.places = fmap, cluster, heat, places
        self.blob = blob
        self.options = {"detailsUrl": details_url}
        self.groups: dict[str, list[FeatureGroupSubGroup]] = {}
        self.members: dict[str, tuple[str, str, list[int]]] = {}  # layer -> facet, kind, values
        self.default_js = [*FeatureGroupSubGroup.default_js, *self.default_js]
        for group, kind, layers in _layers(blob):
            for name, values in layers:
                sub = FeatureGroupSubGroup(self, name=name)
                self.groups.setdefault(group, []).append(sub)
                self.members[sub.get_name()] = (f"{self.get_name()}_{kind}", kind, values)

    def render(self, **kwargs: Any) -> None:
        ev, fmap = self.get_name(), self.map.get_name()
        lines = [
            f"var {ev} = geomapEvents({fmap}, {self.cluster.get_name()}, "
            f"{_js_json(self.blob)}, {_js_json(self.options)});",
            f"{ev}.bindHeat({self.heat.get_name()});",
            f"{ev}.bindPlaces({self.places.get_name()});",
        ]
        for facet in dict.fromkeys(f for f, _, _ in self.members.values()):
            lines.append(f"var {facet} = {ev}.facet();")
        for sub, (facet, kind, values) in self.members.items():
            lines += [
                f"var {sub} = L.featureGroup.subGroup({facet});",
                f"{sub}.addLayer(L.geoJSON({ev}.members({_js_json(kind)}, {_js_json(values)}), "
                f"{ev}.geoJsonOptions()));",
                f"{sub}.addTo({fmap});",
            ]
        self.get_root().script.add_child(_RawScript("\n".join(lines)), name=ev)
        super().render(**kwargs)  # the asset links


class _GroupedLayers(GroupedLayerControl):
    """folium's grouped layer control, written without Jinja (its layer names are article
    titles: see _RawScript) and kept in a variable for the controls added after it."""

    _template = Template("")

    def render(self, **kwargs: Any) -> None:
        groups = ",".join(
            f"{_js_json(group)}:{{"
            + ",".join(f"{_js_json(name)}:{var}" for name, var in layers.items())
            + "}"
            for group, layers in self.grouped_overlays.items()
        )
        lines = [
            f"var {self.get_name()} = L.control.groupedLayers(null, {{{groups}}}, "
            f"{_js_json(self.options)}).addTo({self._parent.get_name()});",
            *(f"{var}.remove();" for var in sorted(self.layers_untoggle)),
        ]
        self.get_root().script.add_child(_RawScript("\n".join(lines)), name=self.get_name())
        super().render(**kwargs)  # the asset links


class _Controls(MacroElement):
    """Offline outlines under the tiles, the count and time window, synced group boxes."""

    def __init__(self, fmap, events: _EventLayers, control: _GroupedLayers, topology: Any):
        super().__init__()
        self.map, self.events, self.control, self.topology = fmap, events, control, topology

    def render(self, **kwargs: Any) -> None:
        fmap, control = self.map.get_name(), self.control.get_name()
        code = f"""(function () {{
    var outlines = geomapFallbackBasemap({fmap}, {_js_json(self.topology)});
    geomapAddFallbackToControl({control}, outlines, "Offline outlines", {_js_json(LAYER_GROUP)});
    geomapStatusControl({self.events.get_name()}).addTo({fmap});
    geomapSyncGroupCheckboxes({control}, {fmap});
}})();"""
        self.get_root().script.add_child(_RawScript(code), name=self.get_name())
        super().render(**kwargs)


def build_map(
    features: list[dict[str, Any]], actors: ActorIndex, *, standalone: bool = False
) -> folium.Map:
    """A Folium map of event features: clustered markers in layers by article, actor and
    event type (any layer within a group, every group), a heat map, the places with
    events, and a time window when events carry dates. ``standalone`` embeds what a
    served map fetches (popup sentences, country outlines) for a file with no server."""
    use_local_assets()
    blob = compact_events(features, actors, details=standalone)
    fmap = folium.Map(location=CENTER, zoom_start=6, tiles=None, control_scale=True)
    # Leaflet only: nothing on this map uses folium's jQuery, Bootstrap or Font Awesome
    fmap.default_js = [(n, u) for n, u in fmap.default_js if n == "leaflet"]
    fmap.default_css = [(n, u) for n, u in fmap.default_css if n == "leaflet_css"]
    tiles = folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online tiles)").add_to(fmap)
    cluster = MarkerCluster(
        name="Event markers",
        options={
            "chunkedLoading": True,
            "showCoverageOnHover": False,
            "maxClusterRadius": 50,
            "attribution": "Icons: Font Awesome (CC BY 4.0)",
        },
    ).add_to(fmap)
    heat = HeatMap([], name="Heat map", show=False, radius=22, blur=18, max_zoom=7).add_to(fmap)
    places = folium.FeatureGroup(name="Places with events (sized by count)", show=False)
    places.add_to(fmap)
    events = _EventLayers(fmap, cluster, heat, places, blob, None if standalone else DETAILS_URL)
    events.add_to(fmap)
    choropleth = _choropleth(features)
    areas = _areas(features, actors)
    for layer in [choropleth, *areas]:
        if layer is not None:
            layer.add_to(fmap)
    overlays = [cluster, heat, places, *([choropleth] if choropleth else []), tiles]
    groups = {**events.groups, LAYER_GROUP: overlays, **({AREA_GROUP: areas} if areas else {})}
    control = _GroupedLayers(
        groups, exclusive_groups=False, collapsed=False, groupCheckboxes=True
    ).add_to(fmap)
    topology = (
        json.loads(vendor_file(WORLD_TOPOJSON).read_text(encoding="utf-8")) if standalone else None
    )
    _Controls(fmap, events, control, topology).add_to(fmap)
    bounds = event_bounds(features)
    if bounds:
        fmap.fit_bounds(bounds, max_zoom=9)
    return fmap


def standalone_html(features: list[dict[str, Any]], actors: ActorIndex) -> str:
    """The map as one HTML file that opens from disk with no server and no internet."""
    return inline_assets(build_map(features, actors, standalone=True).get_root().render())
