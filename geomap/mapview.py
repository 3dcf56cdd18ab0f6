"""The map: stored events -> a Folium map layered by article and by actor.

Each layer is one ``folium.GeoJson`` (not one object per marker), so the page
stays small as events grow. Every piece of text that reaches the page is
HTML-escaped here, in Python, before it is embedded: popups and tooltips carry
pre-escaped HTML and layer names are escaped because Leaflet's layer control
inserts them as HTML.
"""

from __future__ import annotations

import html
from collections import defaultdict
from typing import Any
from urllib.parse import urlparse

import folium
from branca.element import MacroElement
from jinja2 import Template

from geomap.actors import ActorIndex
from geomap.assets import MAP_LOCAL_SCRIPTS, MAP_SCRIPTS, VENDOR_URL, use_local_assets

NEUTRAL = "#555555"
CENTER = (35.0, 38.5)  # Syria, when there is nothing to fit


class _OfflineBasemap(MacroElement):
    """Adds the offline country outlines (static/js/fallback-basemap.js) under the tiles."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var outlines = geomapFallbackBasemap({{ this.map_name }});
            geomapAddFallbackToControl({{ this.control_name }}, outlines);
        })();
        {% endmacro %}
    """)

    def __init__(self, map_name: str, control_name: str):
        super().__init__()
        self.map_name = map_name
        self.control_name = control_name


def _safe_url(url: str | None) -> str | None:
    """Only http(s) links become hrefs (no ``javascript:``)."""
    if url and urlparse(url).scheme in ("http", "https"):
        return url
    return None


def _highlight(sentence: str, mention: str) -> str:
    i = sentence.find(mention) if mention else -1
    if i < 0:
        return html.escape(sentence)
    j = i + len(mention)
    return (
        html.escape(sentence[:i])
        + "<mark>"
        + html.escape(mention)
        + "</mark>"
        + html.escape(sentence[j:])
    )


def popup_html(props: dict[str, Any], actors: ActorIndex) -> str:
    """The popup of one event: what, where, when, who, the sentence and every source."""
    e = html.escape
    etype = (props.get("event_type") or "other").replace("_", " ")
    when = e(props["date"]) if props.get("date") else "date not given"
    chips = "".join(
        f'<span class="gm-actor" style="border-color:{e(actors.colour(a))}">'
        f'<span style="color:{e(actors.colour(a))}">&#9679;</span> {e(actor_name(a, actors))}'
        f"</span> "
        for a in props.get("actors") or []
    )
    parts = [
        f'<div class="gm-popup"><div><b>{e(etype)}</b> &middot; {e(props["place_name"])} '
        f"<small>({e(props['place_kind'])})</small> &middot; {when}</div>",
        f"<div>{chips or '<i>no actor named</i>'}</div>",
        f"<blockquote>{_highlight(props.get('sentence') or '', props.get('mention') or '')}"
        "</blockquote>",
        f"<div><b>Sources ({len(props.get('sources') or [])})</b><ol>",
    ]
    for src in props.get("sources") or []:
        title = e(src.get("article_title") or "Untitled")
        url = _safe_url(src.get("url"))
        link = f'<a href="{e(url)}" target="_blank" rel="noopener">{title}</a>' if url else title
        outlet = f" &mdash; {e(src['outlet'])}" if src.get("outlet") else ""
        parts.append(f"<li>{link}{outlet}</li>")
    parts.append("</ol></div></div>")
    return "".join(parts)


def actor_name(code: str, actors: ActorIndex) -> str:
    actor = actors.actors.get(code)
    return actor.name if actor else code


def _map_feature(f: dict[str, Any], actors: ActorIndex, colour: str) -> dict[str, Any]:
    p = f["properties"]
    tooltip = f"{p['place_name']}: {(p.get('event_type') or 'other').replace('_', ' ')}"
    return {
        "type": "Feature",
        "id": f["id"],  # folium keys its per-feature styles on this (not on the popup text)
        "geometry": f["geometry"],
        "properties": {
            "popup": popup_html(p, actors),
            "tooltip": html.escape(tooltip),
            "colour": colour,
            "hollow": (p.get("geo_precision") or 1) >= 3,
        },
    }


def _layer(name: str, feats: list[dict[str, Any]], show: bool) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=name, show=show)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": feats},
        marker=folium.CircleMarker(radius=7, fill=True),
        style_function=lambda f: {
            "color": f["properties"]["colour"],
            "weight": 2,
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.0 if f["properties"]["hollow"] else 0.75,
        },
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=420),
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
    ).add_to(group)
    return group


def build_map(features: list[dict[str, Any]], actors: ActorIndex) -> folium.Map:
    """A Folium map of event features: one layer per article, one per actor."""
    use_local_assets()
    fmap = folium.Map(location=CENTER, zoom_start=6, tiles=None, control_scale=True)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online tiles)").add_to(fmap)
    for url in [VENDOR_URL + s for s in MAP_SCRIPTS] + list(MAP_LOCAL_SCRIPTS):
        fmap.get_root().header.add_child(folium.JavascriptLink(url))

    by_article: dict[int, list[dict[str, Any]]] = defaultdict(list)
    titles: dict[int, str] = {}
    by_actor: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in features:
        p = f["properties"]
        codes = p.get("actors") or []
        colour = actors.colour(codes[0]) if codes else NEUTRAL
        for src in p.get("sources") or []:
            if f not in by_article[src["article_id"]]:
                by_article[src["article_id"]].append(_map_feature(f, actors, colour))
                titles[src["article_id"]] = src.get("article_title") or "Untitled"
        for code in codes:
            by_actor[code].append(_map_feature(f, actors, actors.colour(code)))
    for aid in sorted(by_article):
        _layer(html.escape(titles[aid]), by_article[aid], show=True).add_to(fmap)
    for code in sorted(by_actor, key=lambda c: actor_name(c, actors)):
        colour = html.escape(actors.colour(code))
        name = (
            f'<span style="color:{colour}">&#9679;</span> {html.escape(actor_name(code, actors))}'
        )
        _layer(name, by_actor[code], show=False).add_to(fmap)
    control = folium.LayerControl(collapsed=False)
    control.add_to(fmap)
    _OfflineBasemap(fmap.get_name(), control.get_name()).add_to(fmap)
    # fit the finer events: country-level points (centroids) would zoom out to the world
    fine = next(
        (
            sel
            for sel in (
                [f for f in features if (f["properties"].get("geo_precision") or 1) <= level]
                for level in (2, 3)
            )
            if sel
        ),
        features,
    )
    if fine:
        lats = [f["geometry"]["coordinates"][1] for f in fine]
        lons = [f["geometry"]["coordinates"][0] for f in fine]
        fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], max_zoom=9)
    css = (
        "<style>.gm-popup blockquote{margin:.4em 0;padding-left:.6em;border-left:3px solid "
        "#ccc}.gm-popup mark{background:#ffe58a}.gm-actor{border:1px solid;border-radius:8px;"
        "padding:0 4px;margin-right:2px;font-size:11px;white-space:nowrap}"
        ".leaflet-control-layers-expanded{max-height:70vh;max-width:360px;overflow-y:auto;"
        "font-size:12px}.leaflet-control-layers label{white-space:normal}</style>"
    )
    fmap.get_root().header.add_child(folium.Element(css))
    return fmap
