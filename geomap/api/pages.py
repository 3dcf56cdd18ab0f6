"""The map pages: the Folium map of the events a filter selects (a URL is a permalink),
and the compact event data the landing page's map draws (see geomap/mapview.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse

from geomap.api.cache import cached
from geomap.api.deps import Svc
from geomap.api.params import MAX_INT, Filter, Offset, param
from geomap.geojson import event_feature
from geomap.mapview import build_map, compact_events, event_bounds, event_details

router = APIRouter()
MAX_MAP_EVENTS = 100_000


@router.get(
    "/map",
    summary="The Folium map (same filters as the items endpoint)",
    response_class=HTMLResponse,
)
async def map_page(
    request: Request,
    svc: Svc,
    flt: Filter,
    limit: Annotated[
        int, param("how many events the map holds at most", 10_000, ge=1, le=MAX_MAP_EVENTS)
    ] = 10_000,
    offset: Offset = 0,
):
    def render() -> str:
        rows = svc.store.query_events(flt, limit=limit, offset=offset)
        fmap = build_map([event_feature(r) for r in rows], svc.pipeline.actors)
        return fmap.get_root().render()

    return HTMLResponse(await cached(request, svc, render))  # a hit in the event loop


@router.get(
    "/map/events",
    summary="Events in the compact form the map pages draw (same filters as the items "
    "endpoint); numberMatched counts every match, bounds frame the finest events",
)
def map_events(
    svc: Svc,
    flt: Filter,
    limit: Annotated[
        int, param("how many events to send at most", 5_000, ge=1, le=MAX_MAP_EVENTS)
    ] = 5_000,
    offset: Offset = 0,
) -> dict:
    matched, rows = svc.store.page_events(flt, limit=limit, offset=offset)
    feats = [event_feature(r) for r in rows]
    return {
        **compact_events(feats, svc.pipeline.actors),
        "numberMatched": matched,
        "numberReturned": len(feats),
        "bounds": event_bounds(feats),
    }


@router.get(
    "/map/events/{event_id}",
    summary="The popup text of one event: [sentence, [[start, end, actor code or null]]], "
    "the place and actors marked in JavaScript string offsets",
)
def map_event_details(
    event_id: Annotated[int, param("an event id", 1, where=Path, ge=1, le=MAX_INT)], svc: Svc
) -> list:
    row = svc.store.get_event(event_id)
    if row is None:
        raise HTTPException(404, f"no event {event_id}")
    return event_details(event_feature(row)["properties"], svc.pipeline.actors)
