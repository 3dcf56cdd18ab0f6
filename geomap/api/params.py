"""Query parameters shared by the items endpoint, the map and exports, parsed once.

Every bad value is a 400 with a message naming the parameter, never a 500.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request

from geomap.api.deps import Svc
from geomap.events import EVENT_TYPES
from geomap.store import EventFilter

FILTER_PARAMS = frozenset(
    {"bbox", "datetime", "article", "actor", "type", "place", "max_geo_precision"}
)
PAGING_PARAMS = frozenset({"limit", "offset", "f"})
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


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


def event_filter(
    request: Request,
    svc: Svc,
    bbox: Annotated[
        str | None,
        Query(description="minLon,minLat,maxLon,maxLat (WGS84)", examples=["35.5,32.3,37.0,33.5"]),
    ] = None,
    datetime_: Annotated[
        str | None,
        Query(
            alias="datetime",
            description="a date (2022, 2022-03, 2022-03-01) or an interval "
            "start/end with '..' for an open end; undated events are excluded",
            examples=["2022-01-01/2022-12-31"],
        ),
    ] = None,
    article: Annotated[
        str | None, Query(description="article id(s), comma-separated", examples=["1"])
    ] = None,
    actor: Annotated[
        str | None, Query(description="actor code(s), comma-separated (any)", examples=["TUR"])
    ] = None,
    type_: Annotated[
        str | None,
        Query(
            alias="type", description="event type(s), comma-separated", examples=["meeting_talks"]
        ),
    ] = None,
    place: Annotated[
        str | None,
        Query(description="place id(s) or name(s), comma-separated", examples=["Damascus"]),
    ] = None,
    max_geo_precision: Annotated[
        int | None,
        Query(
            ge=1,
            le=4,
            description="keep events at least this precise: 1 settlement, "
            "2 district, 3 governorate/region, 4 country",
            examples=[3],
        ),
    ] = None,
) -> EventFilter:
    """The event filter of a request (a FastAPI dependency); unknown parameters are a 400."""
    unknown = sorted(set(request.query_params) - FILTER_PARAMS - PAGING_PARAMS)
    if unknown:
        known = ", ".join(sorted(FILTER_PARAMS | PAGING_PARAMS))
        raise bad(f"unknown parameter(s): {', '.join(unknown)}; known: {known}")
    articles = []
    for a in split_csv(article):
        if not a.isdigit():
            raise bad(f"article must be article ids (integers), got {a!r}")
        articles.append(int(a))
    actors = split_csv(actor)
    unknown_actors = [a for a in actors if a not in svc.pipeline.actors.actors]
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
    )


Filter = Annotated[EventFilter, Depends(event_filter)]
