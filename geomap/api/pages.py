"""The map page: a Folium map of the events a filter selects (a URL is a permalink)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from geomap.api.deps import Svc
from geomap.api.params import Filter
from geomap.geojson import event_feature
from geomap.mapview import build_map

router = APIRouter()


@router.get(
    "/map",
    summary="The Folium map (same filters as the items endpoint)",
    response_class=HTMLResponse,
)
def map_page(
    svc: Svc,
    flt: Filter,
    limit: Annotated[int, Query(ge=1, le=100_000, examples=[10000])] = 10_000,
    offset: Annotated[int, Query(ge=0, examples=[0])] = 0,
):
    rows = svc.store.query_events(flt, limit=limit, offset=offset)
    fmap = build_map([event_feature(r) for r in rows], svc.pipeline.actors)
    return HTMLResponse(fmap.get_root().render())
