"""Exports of a selection of events: CSV, KML and GeoJSON text sequences, streamed.

Each format is written a page of events at a time (the rows come lazily from
:meth:`geomap.store.Store.iter_events`), so an export of any size holds one page in memory.
Article text is untrusted: CSV cells that a spreadsheet would run as a formula are
neutralised, and KML is escaped for XML and, in descriptions (HTML by the KML spec), for HTML.
"""

from __future__ import annotations

import csv
import html
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.responses import StreamingResponse

from geomap.actors import ActorIndex
from geomap.geojson import PROPERTIES, EventFeature, event_feature

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "kml": "application/vnd.google-earth.kml+xml",
    "geojsonseq": "application/geo+json-seq",
}
FILENAMES = {"csv": "geomap-events.csv", "kml": "geomap-events.kml"}
CSV_COLUMNS = (
    "id",
    "lon",
    "lat",
    *(p for p in PROPERTIES if p != "sources"),
    "source_titles",
    "source_outlets",
    "source_urls",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 200  # rows per write to the response
_HEX_COLOUR = re.compile(r"^#([0-9a-fA-F]{6})$")
RS = "\x1e"  # RFC 8142 record separator


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula: text starting with ``= + - @`` (or a
    tab or carriage return) gets a leading apostrophe; numbers are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv_row(row: dict[str, Any]) -> list[Any]:
    sources = list({s["article_id"]: s for s in reversed(row["sources"])}.values())[::-1]
    joined = {
        "lon": round(row["lon"], 6),
        "lat": round(row["lat"], 6),
        "actors": ";".join(row["actors"]),
        "source_titles": " | ".join(s["article_title"] or "" for s in sources),
        "source_outlets": " | ".join(s["outlet"] or "" for s in sources),
        "source_urls": " | ".join(s["url"] or "" for s in sources),
    }
    return [csv_cell(joined.get(c, row.get(c))) for c in CSV_COLUMNS]


def csv_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A header, then one CSV row per event (RFC 4180), a chunk of rows at a time."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for i, row in enumerate(rows, 1):
        writer.writerow(_csv_row(row))
        if i % CHUNK == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def kml_colour(colour: str) -> str:
    """``#rrggbb`` as KML's opaque ``ffbbggrr`` (grey if the colour is not ``#rrggbb``)."""
    m = _HEX_COLOUR.match(colour)
    rgb = m.group(1).lower() if m else "777777"
    return f"ff{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}"


def _style(style_id: str, colour: str) -> str:
    style = ET.Element("Style", id=style_id)
    icon = ET.SubElement(style, "IconStyle")
    ET.SubElement(icon, "color").text = kml_colour(colour)
    return ET.tostring(style, encoding="unicode")


def _description(row: dict[str, Any]) -> str:
    """The balloon HTML: every piece of article text escaped, links only to http(s)."""
    e = html.escape
    facts = " · ".join(x for x in (row["event_type"], row["date"], ", ".join(row["actors"])) if x)
    items = []
    for s in row["sources"]:
        title = e(s["article_title"] or "")
        url = s["url"] or ""
        if url.startswith(("http://", "https://")):
            title = f'<a href="{e(url)}">{title}</a>'
        outlet = f" ({e(s['outlet'])})" if s["outlet"] else ""
        items.append(f"<li>{title}{outlet}</li>")
    return f"<p>{e(row['sentence'])}</p><p>{e(facts)}</p><ul>{''.join(items)}</ul>"


def _placemark(row: dict[str, Any], actors: ActorIndex) -> str:
    pm = ET.Element("Placemark", id=f"event-{row['id']}")
    ET.SubElement(pm, "name").text = f"{row['place_name']}: {row['event_type']}"
    ET.SubElement(pm, "description").text = _description(row)
    known = [a for a in row["actors"] if a in actors.actors]
    ET.SubElement(pm, "styleUrl").text = f"#actor-{known[0]}" if known else "#actor-none"
    if row["date"]:
        ET.SubElement(ET.SubElement(pm, "TimeStamp"), "when").text = row["date"]
    data = ET.SubElement(pm, "ExtendedData")
    for name in ("event_type", "actors", "place_name", "place_id", "date", "source_count"):
        value = row[name]
        text = ";".join(value) if isinstance(value, list) else value
        field = ET.SubElement(data, "Data", name=name)
        ET.SubElement(field, "value").text = "" if text is None else str(text)
    point = ET.SubElement(pm, "Point")
    ET.SubElement(point, "coordinates").text = f"{round(row['lon'], 6)},{round(row['lat'], 6)}"
    return ET.tostring(pm, encoding="unicode")


def kml_chunks(rows: Iterable[dict[str, Any]], actors: ActorIndex) -> Iterator[str]:
    """A KML document: one style per actor (its map colour), one Placemark per event,
    styled by its first actor."""
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>geomap events</name>',
        _style("actor-none", "#777777"),
        *(_style(f"actor-{a.code}", a.colour) for a in actors.actors.values()),
    ]
    yield "".join(head)
    chunk = []
    for row in rows:
        chunk.append(_placemark(row, actors))
        if len(chunk) == CHUNK:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk) + "</Document></kml>\n"


def geojsonseq_records(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """RFC 8142: each event a record separator, a GeoJSON Feature and a line feed."""
    for row in rows:
        yield RS + EventFeature.model_validate(event_feature(row)).model_dump_json() + "\n"


def export(fmt: str, rows: Iterable[dict[str, Any]], actors: ActorIndex) -> StreamingResponse:
    """The streamed response of ``f=csv|kml|geojsonseq`` (CSV and KML as attachments)."""
    if fmt == "csv":
        body = csv_chunks(rows)
    elif fmt == "kml":
        body = kml_chunks(rows, actors)
    else:
        body = geojsonseq_records(rows)
    headers = {"Cache-Control": "no-cache"}
    if fmt in FILENAMES:
        headers["Content-Disposition"] = f'attachment; filename="{FILENAMES[fmt]}"'
    return StreamingResponse(body, media_type=MEDIA_TYPES[fmt], headers=headers)
