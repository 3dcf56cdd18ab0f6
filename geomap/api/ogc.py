"""OGC API – Features: landing, conformance, collections and their items."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse

from geomap.api.deps import Svc
from geomap.api.params import Filter, bad
from geomap.assets import STATIC_DIR
from geomap.geojson import event_feature, feature_collection

GEOJSON = "application/geo+json"
MAX_LIMIT = 10_000
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
COLLECTIONS = {"events": "Events reported in the news", "places": "Gazetteer places"}

router = APIRouter()


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/", summary="Landing page (HTML) or OGC landing document (f=json)")
def landing(request: Request, f: Annotated[str | None, Query(examples=["json"])] = None):
    if f not in (None, "json", "html"):
        raise bad("f must be json or html")
    accept = request.headers.get("accept", "")
    wants_json = f == "json" or (
        f is None and "application/json" in accept and "text/html" not in accept
    )
    if not wants_json:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
    base = _base(request)
    links = [
        ("/?f=json", "self", "application/json", "This document"),
        (
            "/openapi.json",
            "service-desc",
            "application/vnd.oai.openapi+json;version=3.0",
            "OpenAPI",
        ),
        ("/docs", "service-doc", "text/html", "API documentation"),
        ("/conformance", "conformance", "application/json", "Conformance"),
        ("/collections", "data", "application/json", "Collections"),
        ("/map", "alternate", "text/html", "Map"),
    ]
    return {
        "title": "geomap",
        "description": request.app.description,
        "links": [
            {"href": base + href, "rel": rel, "type": typ, "title": title}
            for href, rel, typ, title in links
        ],
    }


@router.get("/conformance", summary="OGC API conformance classes")
def conformance() -> dict:
    return {"conformsTo": CONFORMANCE}


def _collection(base: str, cid: str) -> dict:
    return {
        "id": cid,
        "title": COLLECTIONS[cid],
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "links": [
            {"href": f"{base}/collections/{cid}", "rel": "self", "type": "application/json"},
            {"href": f"{base}/collections/{cid}/items", "rel": "items", "type": GEOJSON},
        ],
    }


@router.get("/collections", summary="The feature collections")
def collections(request: Request) -> dict:
    base = _base(request)
    return {
        "collections": [_collection(base, c) for c in COLLECTIONS],
        "links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
    }


@router.get("/collections/{cid}", summary="One collection")
def one_collection(request: Request, cid: str) -> dict:
    if cid not in COLLECTIONS:
        raise HTTPException(404, f"no collection {cid!r}; see /collections")
    return _collection(_base(request), cid)


@router.get("/collections/events/items", summary="Events as GeoJSON", response_class=JSONResponse)
def event_items(
    request: Request,
    svc: Svc,
    flt: Filter,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, examples=[100])] = 100,
    offset: Annotated[int, Query(ge=0, examples=[0])] = 0,
    f: Annotated[str | None, Query(examples=["geojson"])] = None,
):
    if f not in (None, "geojson", "json"):
        raise bad("f must be geojson")
    matched = svc.store.count_events(flt)
    rows = svc.store.query_events(flt, limit=limit, offset=offset)
    links = [{"href": str(request.url), "rel": "self", "type": GEOJSON}]
    if offset + len(rows) < matched:
        links.append(
            {
                "href": str(request.url.include_query_params(offset=offset + limit)),
                "rel": "next",
                "type": GEOJSON,
            }
        )
    if offset > 0:
        links.append(
            {
                "href": str(request.url.include_query_params(offset=max(0, offset - limit))),
                "rel": "prev",
                "type": GEOJSON,
            }
        )
    body = feature_collection(
        [event_feature(r) for r in rows],
        numberMatched=matched,
        numberReturned=len(rows),
        timeStamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        links=links,
    )
    return JSONResponse(body, media_type=GEOJSON)


@router.get("/collections/events/items/{event_id}", summary="One event")
def event_item(event_id: int, svc: Svc):
    row = svc.store.get_event(event_id)
    if row is None:
        raise HTTPException(404, f"no event {event_id}")
    return JSONResponse(event_feature(row), media_type=GEOJSON)


@router.get("/collections/places/items", summary="Gazetteer places (search with q)")
def place_items(
    svc: Svc,
    q: Annotated[
        str | None,
        Query(description="a name in any spelling the gazetteer knows", examples=["Hmeimim"]),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, examples=[10])] = 10,
):
    gaz = svc.pipeline.gazetteer
    places = gaz.lookup(q) if q else [p for p in gaz.places if p.layer == "curated"]
    feats = [
        {
            "type": "Feature",
            "id": p.id,
            "geometry": {"type": "Point", "coordinates": [round(p.lon, 6), round(p.lat, 6)]},
            "properties": {
                "name": p.name,
                "aliases": list(p.aliases),
                "kind": p.kind,
                "country": p.country,
                "admin1": p.admin1,
                "population": p.population,
                "geo_precision": p.geo_precision,
                "layer": p.layer,
            },
        }
        for p in places[:limit]
    ]
    return JSONResponse(
        feature_collection(feats, numberMatched=len(places), numberReturned=len(feats)),
        media_type=GEOJSON,
    )
