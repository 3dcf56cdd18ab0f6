"""OGC API – Features (Part 1, with Part 3 queryables and sorting): landing, conformance,
collections (events, places, articles, actors), their items, and exports of events.

Every JSON read carries a weak ``ETag`` (a hash of the body without ``timeStamp``) and
``Cache-Control: no-cache``, so clients revalidate after an ingest and get a 304 otherwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from geomap.api import exports
from geomap.api.cache import cached
from geomap.api.deps import Services, Svc
from geomap.api.params import (
    MAX_INT,
    BBox,
    Filter,
    Known,
    Offset,
    SortBy,
    param,
    parse_bbox,
    parse_sortby,
)
from geomap.assets import STATIC_DIR
from geomap.events import EVENT_TYPES
from geomap.gazetteer import Place
from geomap.geojson import (
    ActorCollection,
    ActorFeature,
    ArticleCollection,
    ArticleFeature,
    Doc,
    EventCollection,
    EventFeature,
    Link,
    OGCFeatureCollection,
    PlaceCollection,
    PlaceFeature,
    RegionCollection,
    RegionFeature,
    event_feature,
)
from geomap.spatial import region_features, regions, regions_bounds
from geomap.store import SORTABLE, EventFilter, Sort

GEOJSON = "application/geo+json"
JSON = "application/json"
CACHE_CONTROL = "public, no-cache"  # an ingest changes any answer: always revalidate
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
]
COLLECTIONS = {
    "events": "Events reported in the news",
    "places": "Gazetteer places",
    "articles": "Articles, at the centroid of the events they report",
    "actors": "Actors (attributes only)",
    "regions": "Syrian governorates with event counts (filters as for events)",
}
PLACE_SORTABLE = ("id", "name", "kind", "country", "admin1", "population", "geo_precision")
ARTICLE_SORTABLE = ("id", "title", "outlet", "published", "events", "mentions")
ACTOR_SORTABLE = ("id", "code", "name", "country", "events")
REGION_SORTABLE = ("id", "name", "events")

router = APIRouter()


class Error(BaseModel):
    """What a 4xx answer says."""

    detail: Any


class SpatialExtent(Doc):
    """Where a collection's features lie (WGS84 longitude/latitude)."""

    bbox: list[tuple[float, float, float, float]]
    crs: str = CRS84


class TemporalExtent(Doc):
    """When a collection's features happen: first and last instant (RFC 3339)."""

    interval: list[tuple[str | None, str | None]]
    trs: str = GREGORIAN


class Extent(Doc):
    """What QGIS zooms to and what a time filter can expect."""

    spatial: SpatialExtent | None = None
    temporal: TemporalExtent | None = None


class Collection(Doc):
    """An OGC API collection: what it holds, where and when, and links to its items."""

    id: str
    title: str
    itemType: str = "feature"
    crs: list[str] = Field(default_factory=lambda: [CRS84])
    extent: Extent | None = None
    links: list[Link]


class Collections(Doc):
    """Every collection this service offers."""

    collections: list[Collection]
    links: list[Link]


class Landing(Doc):
    """The OGC landing document: where a client finds everything else."""

    title: str
    description: str
    links: list[Link]


class Conformance(Doc):
    """The OGC conformance classes this service implements."""

    conformsTo: list[str]


class Queryables(Doc):
    """A JSON Schema of the properties a collection's items can be filtered on (Part 3)."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    schema_: str = Field("https://json-schema.org/draft/2020-12/schema", alias="$schema")
    id_: str = Field(alias="$id")
    type: str = "object"
    title: str
    properties: dict[str, dict[str, Any]]
    additionalProperties: bool = False


class GeoJSONResponse(JSONResponse):
    """Declares ``application/geo+json`` as the items' media type in the OpenAPI document."""

    media_type = GEOJSON


def _error(description: str) -> dict[str, Any]:
    """An error answer in the OpenAPI document (always JSON, whatever the route serves)."""
    return {
        "description": description,
        "content": {JSON: {"schema": Error.model_json_schema()}},
    }


ERRORS: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the ETag in If-None-Match still holds"},
    400: _error("A bad or unknown query parameter"),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _error("No such item")}
CollectionId = Annotated[
    str, param("a collection id: " + ", ".join(COLLECTIONS), "events", where=Path)
]
Format = Annotated[Literal["geojson", "json"] | None, param("geojson (the default)", "geojson")]
JsonFormat = Annotated[Literal["json"] | None, param("json (the default and only format)", "json")]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _etag_matches(header: str | None, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2) against an If-None-Match list or ``*``."""
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def _render(doc: BaseModel) -> tuple[bytes, str]:
    """``doc`` as JSON without ``timeStamp``, and its weak ETag (a hash of those bytes)."""
    return _tagged(doc.model_dump_json(exclude={"timeStamp"}).encode())


def _tagged(body: bytes) -> tuple[bytes, str]:
    """``body`` and its weak ETag."""
    return body, 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _send(request: Request, rendered: tuple[bytes, str], media_type: str, stamp: bool) -> Response:
    """A rendered body with its ETag (a 304 when If-None-Match holds it) and, with ``stamp``,
    the ``timeStamp`` of this answer appended as the object's last member."""
    body, etag = rendered
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if stamp:
        body = body[:-1] + b',"timeStamp":"' + _now().encode() + b'"}'
    return Response(body, media_type=media_type, headers=headers)


def _reply(request: Request, doc: BaseModel, media_type: str = JSON) -> Response:
    """``doc`` as JSON with an ETag (a 304 when If-None-Match holds it); ``timeStamp``, when
    the document has one, is left out of the hash and set on the way out."""
    return _send(request, _render(doc), media_type, isinstance(doc, OGCFeatureCollection))


def _page_links(request: Request, offset: int, limit: int, more: bool) -> list[Link]:
    """``self``, and ``next`` when ``more`` features follow, and ``prev`` after the first."""
    url = request.url
    links = [Link(href=str(url), rel="self", type=GEOJSON)]
    if more:
        links.append(
            Link(
                href=str(url.include_query_params(offset=offset + limit)), rel="next", type=GEOJSON
            )
        )
    if offset > 0:
        prev = url.include_query_params(offset=max(0, offset - limit))
        links.append(Link(href=str(prev), rel="prev", type=GEOJSON))
    return links


def _interval(start: str | None, end: str | None) -> TemporalExtent | None:
    """Two ISO days as an RFC 3339 interval covering both whole days."""
    if not start:
        return None
    return TemporalExtent(interval=[(f"{start}T00:00:00Z", f"{end}T23:59:59Z")])


def _bbox_of(points: list[tuple[float, float]]) -> SpatialExtent | None:
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return SpatialExtent(bbox=[(min(lons), min(lats), max(lons), max(lats))])


def _curated(svc: Svc) -> list[Place]:
    return [p for p in svc.pipeline.gazetteer.places if p.layer == "curated"]


def _extent(svc: Svc, cid: str) -> Extent | None:
    """The extent of a collection, from the stored data (None for actors, which have none)."""
    if cid == "events":
        ext = svc.store.event_extent()
        spatial = SpatialExtent(bbox=[ext.bbox]) if ext.bbox else None
        return Extent(spatial=spatial, temporal=_interval(ext.start, ext.end))
    if cid == "places":
        return Extent(spatial=_bbox_of([(p.lon, p.lat) for p in _curated(svc)]))
    if cid == "articles":
        boxes = svc.store.article_extents().values()
        corners = [(b["minx"], b["miny"]) for b in boxes] + [(b["maxx"], b["maxy"]) for b in boxes]
        days = sorted(a["published"] for a in svc.store.list_articles() if a["published"])
        temporal = _interval(days[0], days[-1]) if days else None
        return Extent(spatial=_bbox_of(corners), temporal=temporal)
    if cid == "regions" and regions():
        return Extent(spatial=SpatialExtent(bbox=[regions_bounds()]))
    return None


def _collection(request: Request, svc: Svc, cid: str) -> Collection:
    base = f"{_base(request)}/collections/{cid}"
    links = [
        Link(href=base, rel="self", type=JSON, title="This collection"),
        Link(href=f"{base}/items", rel="items", type=GEOJSON, title="Items as GeoJSON"),
        Link(
            href=f"{base}/queryables",
            rel="http://www.opengis.net/def/rel/ogc/1.0/queryables",
            type="application/schema+json",
            title="Queryable properties",
        ),
    ]
    if cid == "events":
        links += [
            Link(href=f"{base}/items?f={fmt}", rel="items", type=media, title=f"Items as {fmt}")
            for fmt, media in exports.MEDIA_TYPES.items()
        ]
    return Collection(id=cid, title=COLLECTIONS[cid], extent=_extent(svc, cid), links=links)


def _check_collection(cid: str) -> None:
    if cid not in COLLECTIONS:
        raise HTTPException(404, f"no collection {cid!r}; one of {', '.join(COLLECTIONS)}")


def _within(feats: list[dict], bbox: tuple[float, float, float, float] | None) -> list[dict]:
    """Features whose point lies in ``bbox`` (crossing the antimeridian when minLon > maxLon);
    features without geometry never do."""
    if bbox is None:
        return feats
    minx, miny, maxx, maxy = bbox

    def inside(f: dict) -> bool:
        if not f["geometry"]:
            return False
        lon, lat = f["geometry"]["coordinates"]
        in_lon = minx <= lon <= maxx if minx <= maxx else (lon >= minx or lon <= maxx)
        return in_lon and miny <= lat <= maxy

    return [f for f in feats if inside(f)]


def _sorted(feats: list[dict], sort: list[tuple[str, bool]]) -> list[dict]:
    """Features ordered by ``sort`` (property names, or ``id``), nulls last either way."""

    def key(name: str) -> Callable[[dict], Any]:
        return (lambda f: f["id"]) if name == "id" else (lambda f: f["properties"][name])

    for name, desc in reversed(sort):  # stable sorts, least significant key first
        get = key(name)
        present = [f for f in feats if get(f) is not None]
        feats = sorted(present, key=get, reverse=desc) + [f for f in feats if get(f) is None]
    return feats


def _one(
    request: Request, model: type[BaseModel], feats: list[dict], fid: Any, missing: str
) -> Response:
    """The feature of ``feats`` whose id is ``fid`` as a GeoJSON reply, or a 404 saying
    ``missing``: the single-item route of the collections served from memory."""
    feat = next((f for f in feats if f["id"] == fid), None)
    if feat is None:
        raise HTTPException(404, missing)
    return _reply(request, model.model_validate(feat), GEOJSON)


def _listing(
    request: Request,
    model: type[OGCFeatureCollection],
    feats: list[dict],
    sort: list[tuple[str, bool]],
    limit: int,
    offset: int,
) -> Response:
    """A page of a collection held in memory (places, articles, actors)."""
    feats = _sorted(feats, sort)
    page = feats[offset : offset + limit]
    doc = model(
        type="FeatureCollection",
        features=page,
        numberMatched=len(feats),
        numberReturned=len(page),
        links=_page_links(request, offset, limit, offset + len(page) < len(feats)),
    )
    return _reply(request, doc, GEOJSON)


# -- landing, conformance, collections ---------------------------------------------------


@router.get(
    "/",
    summary="Landing page (HTML) or OGC landing document (f=json)",
    response_model=Landing,
    responses={200: {"content": {"text/html": {}}}},
)
def landing(
    request: Request,
    f: Annotated[
        Literal["json", "html"] | None,
        param(
            "json for the OGC landing document; html (or an HTML Accept header) for the map page",
            "json",
        ),
    ] = None,
):
    accept = request.headers.get("accept", "")
    wants_json = f == "json" or (
        f is None and "application/json" in accept and "text/html" not in accept
    )
    if not wants_json:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
    base = _base(request)
    links = [
        ("/?f=json", "self", JSON, "This document"),
        (
            "/openapi.json",
            "service-desc",
            "application/vnd.oai.openapi+json;version=3.0",
            "OpenAPI",
        ),
        ("/docs", "service-doc", "text/html", "API documentation"),
        ("/conformance", "conformance", JSON, "Conformance"),
        ("/collections", "data", JSON, "Collections"),
        ("/map", "alternate", "text/html", "Map"),
    ]
    doc = Landing(
        title="geomap",
        description=request.app.description,
        links=[Link(href=base + h, rel=r, type=t, title=ti) for h, r, t, ti in links],
    )
    return _reply(request, doc)


@router.get(
    "/conformance",
    summary="OGC API conformance classes",
    response_model=Conformance,
    dependencies=[Known],
    responses=ERRORS,
)
def conformance(request: Request, f: JsonFormat = None):
    return _reply(request, Conformance(conformsTo=CONFORMANCE))


@router.get(
    "/collections",
    summary="The feature collections, with their extents",
    response_model=Collections,
    dependencies=[Known],
    responses=ERRORS,
)
def collections(request: Request, svc: Svc, f: JsonFormat = None):
    doc = Collections(
        collections=[_collection(request, svc, c) for c in COLLECTIONS],
        links=[Link(href=f"{_base(request)}/collections", rel="self", type=JSON)],
    )
    return _reply(request, doc)


@router.get(
    "/collections/{cid}",
    summary="One collection, with its spatial and temporal extent",
    response_model=Collection,
    dependencies=[Known],
    responses={**ERRORS, **NOT_FOUND},
)
def one_collection(request: Request, svc: Svc, cid: CollectionId, f: JsonFormat = None):
    _check_collection(cid)
    return _reply(request, _collection(request, svc, cid))


def _queryables(svc: Svc, cid: str) -> dict[str, dict[str, Any]]:
    """The filterable properties of a collection, each naming the parameter that filters it."""
    geometry = {"format": "geometry-point", "description": "filter with bbox="}
    if cid == "events":
        return {
            "geometry": {
                **geometry,
                "description": "filter with bbox=, intersects= (a polygon) or near= and radius_km=",
            },
            "date": {"type": "string", "description": "ISO date or prefix; filter with datetime="},
            "event_type": {
                "type": "string",
                "enum": list(EVENT_TYPES),
                "description": "filter with type=",
            },
            "actors": {
                "type": "array",
                "items": {"type": "string", "enum": list(svc.pipeline.actors.actors)},
                "description": "filter with actor= (any of)",
            },
            "place_id": {"type": "string", "description": "filter with place="},
            "place_name": {"type": "string", "description": "filter with place="},
            "article_id": {"type": "integer", "description": "filter with article="},
            "geo_precision": {
                "type": "integer",
                "minimum": 1,
                "maximum": 4,
                "description": "filter with max_geo_precision=",
            },
        }
    if cid == "places":
        return {
            "geometry": geometry,
            "name": {"type": "string", "description": "any spelling; filter with q="},
        }
    if cid == "articles":
        return {"geometry": geometry}
    if cid == "regions":
        return {
            "geometry": {"format": "geometry-polygon"},
            "events": {"type": "integer", "description": "counted under the event filters"},
        }
    return {}


@router.get(
    "/collections/{cid}/queryables",
    summary="The properties a collection can be filtered on (JSON Schema)",
    dependencies=[Known],
    response_model=Queryables,
    responses={**ERRORS, **NOT_FOUND, 200: {"content": {"application/schema+json": {}}}},
)
def queryables(request: Request, svc: Svc, cid: CollectionId, f: JsonFormat = None):
    _check_collection(cid)
    doc = Queryables(
        id_=f"{_base(request)}/collections/{cid}/queryables",
        title=COLLECTIONS[cid],
        properties=_queryables(svc, cid),
    )
    return _reply(request, doc, "application/schema+json")


# -- events ------------------------------------------------------------------------------


@router.get(
    "/collections/events/items",
    summary="Events as GeoJSON (paged), or an export of the whole selection",
    response_model=EventCollection,
    response_class=GeoJSONResponse,
    dependencies=[Known],
    responses={
        **ERRORS,
        200: {
            "description": "GeoJSON by default; f=csv, f=kml or f=geojsonseq stream an export",
            "content": {media: {} for media in exports.MEDIA_TYPES.values()},
        },
    },
)
async def event_items(
    request: Request,
    svc: Svc,
    flt: Filter,
    sortby: SortBy = None,
    limit: Annotated[
        int | None,
        param(
            f"page size (default {DEFAULT_LIMIT}); exports (csv, kml, geojsonseq) stream the "
            "whole selection unless a limit is given",
            100,
            ge=1,
            le=MAX_LIMIT,
        ),
    ] = None,
    offset: Offset = 0,
    f: Annotated[
        Literal["geojson", "json", "csv", "kml", "geojsonseq"] | None,
        param(
            "geojson (the default, paged), or an export: csv (one row per event), kml "
            "(styled by actor), geojsonseq (RFC 8142, one Feature per line)",
            "csv",
        ),
    ] = None,
):
    # async: a cached page is answered in the event loop; whatever may block (opening the
    # store or a gazetteer, queries) runs in the thread pool
    sort = parse_sortby(sortby, SORTABLE)
    if f in exports.MEDIA_TYPES:
        return await run_in_threadpool(_export, svc, flt, f, sort, limit, offset)
    limit = limit or DEFAULT_LIMIT

    def render() -> tuple[bytes, str]:
        page = svc.store.items_page(flt, limit=limit, offset=offset, sort=sort)
        # plain dicts and orjson: validating 100 features through EventCollection costs
        # more than the query, for the same bytes (tests/test_ogc.py compares the two)
        doc = {
            "type": "FeatureCollection",
            "features": [event_feature(r) for r in page.rows],
            "links": [link.model_dump() for link in _page_links(request, offset, limit, page.more)],
        }
        if page.matched is not None:  # left out when counting would read too many rows
            doc["numberMatched"] = page.matched
        doc["numberReturned"] = len(page.rows)
        return _tagged(orjson.dumps(doc))

    return _send(request, await cached(request, svc, render), GEOJSON, True)


def _export(
    svc: Services, flt: EventFilter, fmt: str, sort: Sort, limit: int | None, offset: int
) -> Response:
    """The streamed export of ``f=csv|kml|geojsonseq``."""
    rows = svc.store.iter_events(flt, sort=sort, limit=limit, offset=offset)
    response = exports.export(fmt, rows, svc.pipeline.actors)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@router.get(
    "/collections/events/items/{event_id}",
    summary="One event",
    response_model=EventFeature,
    response_class=GeoJSONResponse,
    dependencies=[Known],
    responses={**ERRORS, **NOT_FOUND},
)
def event_item(
    request: Request,
    svc: Svc,
    event_id: Annotated[int, param("an event id", 1, where=Path, ge=1, le=MAX_INT)],
    f: Format = None,
):
    row = svc.store.get_event(event_id)
    if row is None:
        raise HTTPException(404, f"no event {event_id}")
    return _reply(request, EventFeature.model_validate(event_feature(row)), GEOJSON)


# -- places ------------------------------------------------------------------------------


def _place_feature(p: Place) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": p.id,
        "geometry": {"type": "Point", "coordinates": (p.lon, p.lat)},
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


@router.get(
    "/collections/places/items",
    summary="Gazetteer places: the curated ones, or a search of every layer with q",
    response_model=PlaceCollection,
    response_class=GeoJSONResponse,
    dependencies=[Known],
    responses=ERRORS,
)
def place_items(
    request: Request,
    svc: Svc,
    q: Annotated[
        str | None,
        param("a name in any spelling the gazetteer knows (searches every layer)", "Hmeimim"),
    ] = None,
    bbox: BBox = None,
    sortby: SortBy = None,
    limit: Annotated[int, param("page size", 10, ge=1, le=MAX_LIMIT)] = 10,
    offset: Offset = 0,
    f: Format = None,
):
    sort = parse_sortby(sortby, PLACE_SORTABLE)
    places = svc.pipeline.gazetteer.lookup(q) if q else _curated(svc)
    feats = _within([_place_feature(p) for p in places], parse_bbox(bbox))
    return _listing(request, PlaceCollection, feats, sort, limit, offset)


@router.get(
    "/collections/places/items/{place_id}",
    summary="One gazetteer place",
    response_model=PlaceFeature,
    response_class=GeoJSONResponse,
    dependencies=[Known],
    responses={**ERRORS, **NOT_FOUND},
)
def place_item(
    request: Request,
    svc: Svc,
    place_id: Annotated[str, param("a place id", "sy.tafas", where=Path)],
    f: Format = None,
):
    place = svc.pipeline.gazetteer.get(place_id)
    if place is None:
        raise HTTPException(404, f"no place {place_id!r}")
    return _reply(request, PlaceFeature.model_validate(_place_feature(place)), GEOJSON)


# -- articles ----------------------------------------------------------------------------


def _article_features(svc: Svc) -> list[dict[str, Any]]:
    extents = svc.store.article_extents()
    feats = []
    for a in svc.store.list_articles():
        ext = extents.get(a["id"])
        feats.append(
            {
                "type": "Feature",
                "id": a["id"],
                "geometry": ext and {"type": "Point", "coordinates": (ext["lon"], ext["lat"])},
                "bbox": ext and tuple(round(ext[k], 6) for k in ("minx", "miny", "maxx", "maxy")),
                "properties": {
                    k: a[k] for k in ("title", "url", "outlet", "published", "events", "mentions")
                },
            }
        )
    return feats


@router.get(
    "/collections/articles/items",
    summary="Articles: one feature per article, at the centroid of its events",
    response_model=ArticleCollection,
    response_class=GeoJSONResponse,
    dependencies=[Known],
    responses=ERRORS,
)
def article_items(
    request: Request,
    svc: Svc,
    bbox: BBox = None,
    sortby: SortBy = None,
    limit: Annotated[int, param("page size", DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Offset = 0,
    f: Format = None,
):
    sort = parse_sortby(sortby, ARTICLE_SORTABLE)
    feats = _within(_article_features(svc), parse_bbox(bbox))
    return _listing(request, ArticleCollection, feats, sort, limit, offset)


@router.get(
    "/collections/articles/items/{article_id}",
    summary="One article",
    response_model=ArticleFeature,
    response_class=GeoJSONResponse,
    dependencies=[Known],
    responses={**ERRORS, **NOT_FOUND},
)
def article_item(
    request: Request,
    svc: Svc,
    article_id: Annotated[int, param("an article id", 1, where=Path, ge=1, le=MAX_INT)],
    f: Format = None,
):
    feats = _article_features(svc)
    return _one(request, ArticleFeature, feats, article_id, f"no article {article_id}")


# -- actors ------------------------------------------------------------------------------


def actor_properties(svc: Svc) -> list[dict[str, Any]]:
    """Every actor code with its name, colour, state and number of stored events."""
    counts = svc.store.actors_used()
    return [
        {
            "code": a.code,
            "name": a.name,
            "colour": a.colour,
            "country": a.country,
            "description": a.description,
            "events": counts.get(a.code, 0),
        }
        for a in svc.pipeline.actors.actors.values()
    ]


def _actor_features(svc: Svc) -> list[dict[str, Any]]:
    return [
        {"type": "Feature", "id": p["code"], "geometry": None, "properties": p}
        for p in actor_properties(svc)
    ]


@router.get(
    "/collections/actors/items",
    summary="Actors: one feature (without geometry) per actor code",
    response_model=ActorCollection,
    response_class=GeoJSONResponse,
    dependencies=[Known],
    responses=ERRORS,
)
def actor_items(
    request: Request,
    svc: Svc,
    bbox: BBox = None,
    sortby: SortBy = None,
    limit: Annotated[int, param("page size", DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Offset = 0,
    f: Format = None,
):
    sort = parse_sortby(sortby, ACTOR_SORTABLE)
    feats = _within(_actor_features(svc), parse_bbox(bbox))
    return _listing(request, ActorCollection, feats, sort, limit, offset)


@router.get(
    "/collections/actors/items/{code}",
    summary="One actor",
    response_model=ActorFeature,
    response_class=GeoJSONResponse,
    dependencies=[Known],
    responses={**ERRORS, **NOT_FOUND},
)
def actor_item(
    request: Request,
    svc: Svc,
    code: Annotated[str, param("an actor code", "TUR", where=Path)],
    f: Format = None,
):
    missing = f"no actor {code!r}; see /collections/actors/items"
    return _one(request, ActorFeature, _actor_features(svc), code, missing)


# -- regions -----------------------------------------------------------------------------


@router.get(
    "/collections/regions/items",
    summary="Governorates (polygons) with how many events the event filters select in each",
    response_model=RegionCollection,
    response_class=GeoJSONResponse,
    dependencies=[Known],
    responses=ERRORS,
)
def region_items(
    request: Request,
    svc: Svc,
    flt: Filter,
    sortby: SortBy = None,
    limit: Annotated[int, param("page size", DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Offset = 0,
    f: Format = None,
):
    sort = parse_sortby(sortby, REGION_SORTABLE)
    feats = region_features(svc.store.region_counts(flt))
    return _listing(request, RegionCollection, feats, sort, limit, offset)


@router.get(
    "/collections/regions/items/{region_id}",
    summary="One governorate with how many events the event filters select in it",
    response_model=RegionFeature,
    response_class=GeoJSONResponse,
    dependencies=[Known],
    responses={**ERRORS, **NOT_FOUND},
)
def region_item(
    request: Request,
    svc: Svc,
    flt: Filter,
    region_id: Annotated[str, param("an ISO 3166-2 code", "SY-DR", where=Path)],
    f: Format = None,
):
    feats = region_features(svc.store.region_counts(flt))
    missing = f"no region {region_id!r}; see /collections/regions/items"
    return _one(request, RegionFeature, feats, region_id, missing)
