"""Query parameters shared by the items endpoints, the map and exports, parsed once.

Every bad value is a 400 with a message naming the parameter, never a 500; so is a
parameter the route does not declare (OGC API – Features /req/core/query-param-unknown).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.dependencies.models import Dependant
from starlette.concurrency import run_in_threadpool

from geomap import spatial
from geomap.api.deps import Svc
from geomap.events import EVENT_TYPES
from geomap.store import EventFilter

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_SORT_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_INT = 2**31 - 1  # ids and offsets beyond a 32-bit INTEGER column would fail in the database


def param(description: str, example: Any, where: Any = Query, **constraints: Any) -> Any:
    """A documented query (or, with ``where=Path``, path) parameter: ``/docs`` shows and
    pre-fills ``example``."""
    return where(
        description=description,
        examples=[example],
        openapi_examples={"example": {"summary": str(example), "value": example}},
        **constraints,
    )


def _declared(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _declared(sub)
    return names


async def reject_unknown(request: Request) -> None:
    """A 400 for query parameters the route does not declare (a FastAPI dependency), so a
    typo (``acter=TUR``) is an error rather than a silently unfiltered answer. Async, as it
    never blocks: a sync dependency costs a hop to FastAPI's thread pool per request."""
    known = _declared(request.scope["route"].dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise bad(f"unknown parameter(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")


Known = Depends(reject_unknown)


def bad(msg: str) -> HTTPException:
    """A 400 with ``msg`` as its detail."""
    return HTTPException(status_code=400, detail=msg)


def split_csv(value: str | None) -> list[str]:
    """Comma-separated values, blanks dropped."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``minLon,minLat,maxLon,maxLat`` in range (minLon > maxLon crosses the antimeridian)."""
    if value is None:
        return None
    try:
        parts = [float(v) for v in value.split(",")]
    except ValueError:
        raise bad("bbox must be four numbers: minLon,minLat,maxLon,maxLat") from None
    if len(parts) != 4:
        raise bad("bbox must be four numbers: minLon,minLat,maxLon,maxLat")
    minx, miny, maxx, maxy = parts
    if not all(-180 <= x <= 180 for x in (minx, maxx)) or not all(
        -90 <= y <= 90 for y in (miny, maxy)
    ):
        raise bad("bbox is out of range: longitudes in [-180, 180], latitudes in [-90, 90]")
    if miny > maxy:
        raise bad("bbox minLat is greater than maxLat")
    return minx, miny, maxx, maxy


def parse_datetime(value: str | None) -> tuple[str | None, str | None] | None:
    """``2022``, ``2022-03``, ``2022-03-01``, RFC 3339 instants, or intervals with ``..``."""
    if value is None:
        return None
    ends = value.split("/")
    if len(ends) > 2:
        raise bad("datetime is one date or an interval start/end ('..' for open)")
    out: list[str | None] = []
    for end in ends:
        end = end.strip()
        if end in ("", ".."):
            out.append(None)
            continue
        day = end[:10] if "T" in end else end
        if not _DATE.match(day):
            raise bad(f"datetime {end!r} is not a date (YYYY, YYYY-MM, YYYY-MM-DD or RFC 3339)")
        out.append(day)
    if len(out) == 1:
        return out[0], out[0]
    if out[0] and out[1] and out[0] > out[1]:
        raise bad("datetime interval ends before it starts")
    return out[0], out[1]


def parse_sortby(value: str | None, allowed: Collection[str]) -> list[tuple[str, bool]]:
    """``-date,place_name`` -> ``[("date", True), ("place_name", False)]`` (``+``/``-`` prefix;
    a ``+`` that arrives as a space is read as ``+``); fields outside ``allowed`` are a 400."""
    out = []
    for item in split_csv(value):
        desc = item.startswith("-")
        name = item.lstrip("+-").strip()
        if not _SORT_KEY.match(name) or name not in allowed:
            raise bad(f"sortby: cannot sort by {name!r}; one of {', '.join(allowed)}")
        out.append((name, desc))
    return out


def parse_near(near: str | None, radius_km: float | None) -> spatial.Near | None:
    """``near=lat,lon`` with ``radius_km`` (both or neither) as a geodesic circle."""
    if near is None and radius_km is None:
        return None
    if near is None or radius_km is None:
        raise bad("near=lat,lon and radius_km go together")
    try:
        lat, lon = (float(v) for v in near.split(","))
    except ValueError:
        raise bad("near must be two numbers: lat,lon") from None
    try:
        return spatial.Near(lat, lon, radius_km)
    except spatial.GeometryError as exc:
        raise bad(str(exc)) from None


def parse_intersects(value: str | None) -> spatial.Area | None:
    """``intersects=`` as a valid polygon; what is wrong with it is the 400's message."""
    if value is None:
        return None
    try:
        return spatial.parse_geometry(value)
    except spatial.GeometryError as exc:
        raise bad(f"intersects: {exc}") from None


BBox = Annotated[
    str | None,
    param(
        "minLon,minLat,maxLon,maxLat (WGS84); features whose geometry lies outside are left "
        "out, and so are features without geometry",
        "35.5,32.3,37.0,33.5",
    ),
]
SortBy = Annotated[
    str | None,
    param(
        "properties to order by, comma-separated, '-' for descending (nulls last); "
        "see the collection's queryables for the names",
        "-date,place_name",
    ),
]
Offset = Annotated[int, param("how many matching features to skip (paging)", 0, ge=0, le=MAX_INT)]


async def event_filter(
    svc: Svc,
    bbox: BBox = None,
    datetime_: Annotated[
        str | None,
        param(
            "a date (2022, 2022-03, 2022-03-01) or an interval start/end with '..' for an "
            "open end; undated events are excluded",
            "2022-01-01/2022-12-31",
            alias="datetime",
        ),
    ] = None,
    article: Annotated[str | None, param("article id(s), comma-separated", "1")] = None,
    actor: Annotated[str | None, param("actor code(s), comma-separated (any)", "TUR")] = None,
    type_: Annotated[
        str | None,
        param(
            f"event type(s), comma-separated: {', '.join(EVENT_TYPES)}",
            "meeting_talks",
            alias="type",
        ),
    ] = None,
    place: Annotated[
        str | None, param("place id(s) or name(s), comma-separated", "Damascus")
    ] = None,
    max_geo_precision: Annotated[
        int | None,
        param(
            "keep events at least this precise: 1 settlement, 2 district, "
            "3 governorate/region, 4 country",
            3,
            ge=1,
            le=4,
        ),
    ] = None,
    near: Annotated[
        str | None,
        param("lat,lon of a point; with radius_km, events within that distance", "32.74,35.97"),
    ] = None,
    radius_km: Annotated[
        float | None,
        param(
            f"geodesic radius around near= in km (more than 0, at most {spatial.MAX_RADIUS_KM:g})",
            20,
        ),
    ] = None,
    intersects: Annotated[
        str | None,
        param(
            "a Polygon or MultiPolygon as WKT or GeoJSON (lon lat, WGS84): events inside it "
            "or on its edge; an invalid shape is a 400 saying why",
            "POLYGON((35.9 32.6, 36.3 32.6, 36.3 32.9, 35.9 32.9, 35.9 32.6))",
        ),
    ] = None,
    _known: Annotated[None, Known] = None,
) -> EventFilter:
    """The event filter of a request (a FastAPI dependency); unknown parameters are a 400.
    Async, to spare a hop to the thread pool per request: only the actor codes need the
    pipeline, which may reload the gazetteer (blocking), so they are checked in a thread."""
    articles = []
    for a in split_csv(article):
        if not (a.isascii() and a.isdigit()) or int(a) > MAX_INT:  # '²'.isdigit() is True
            raise bad(f"article must be article ids (integers up to {MAX_INT}), got {a!r}")
        articles.append(int(a))
    actors = split_csv(actor)
    known = await run_in_threadpool(lambda: svc.pipeline.actors.actors) if actors else {}
    unknown_actors = [a for a in actors if a not in known]
    if unknown_actors:
        raise bad(f"unknown actor code(s) {', '.join(unknown_actors)}; see /api/actors")
    types = split_csv(type_)
    unknown_types = [t for t in types if t not in EVENT_TYPES]
    if unknown_types:
        raise bad(
            f"unknown event type(s) {', '.join(unknown_types)}; one of {', '.join(EVENT_TYPES)}"
        )
    return EventFilter(
        bbox=parse_bbox(bbox),
        datetime=parse_datetime(datetime_),
        article=articles,
        actor=actors,
        type=types,
        place=split_csv(place),
        max_geo_precision=max_geo_precision,
        near=parse_near(near, radius_km),
        intersects=parse_intersects(intersects),
    )


Filter = Annotated[EventFilter, Depends(event_filter)]
