"""The HTTP service: OGC API – Features layout for events and places, the map, ingest.

Reads are open; writes (``POST /api/articles``) need ``Authorization: Bearer
$GEOMAP_API_TOKEN`` and are disabled (403, saying how to enable them) when no
token is configured. Bad parameters answer 400 with a message, never 500.
"""

from __future__ import annotations

import hmac
import os
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Body, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from geomap.assets import STATIC_DIR, VENDOR_DIR
from geomap.events import EVENT_TYPES
from geomap.geojson import event_feature, feature_collection
from geomap.ingest import ingest_text
from geomap.mapview import build_map
from geomap.pipeline import Pipeline, default_pipeline
from geomap.store import EventFilter, Store, open_store

GEOJSON = "application/geo+json"
MAX_LIMIT = 10_000
FILTER_PARAMS = {
    "bbox",
    "datetime",
    "limit",
    "offset",
    "article",
    "actor",
    "type",
    "place",
    "max_geo_precision",
    "f",
}
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class ArticleIn(BaseModel):
    """An article to ingest: plain text (several articles may share one text)."""

    text: str = Field(min_length=1, examples=["Russian jets struck Idlib on July 3, 2024."])
    title: str | None = Field(default=None, examples=["Strikes on Idlib"])
    url: str | None = Field(default=None, examples=["https://example.org/news/1"])
    outlet: str | None = Field(default=None, examples=["Example News"])
    published: str | None = Field(default=None, examples=["2024-07-04"])


class ParseIn(BaseModel):
    """Text to geoparse without storing it."""

    text: str = Field(min_length=1, examples=["Talks in Astana; shelling in Daraa."])


def _bad(msg: str) -> HTTPException:
    return HTTPException(status_code=400, detail=msg)


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    try:
        parts = [float(v) for v in value.split(",")]
    except ValueError:
        raise _bad("bbox must be four numbers: minLon,minLat,maxLon,maxLat") from None
    if len(parts) != 4:
        raise _bad("bbox must be four numbers: minLon,minLat,maxLon,maxLat")
    minx, miny, maxx, maxy = parts
    if not all(-180 <= x <= 180 for x in (minx, maxx)) or not all(
        -90 <= y <= 90 for y in (miny, maxy)
    ):
        raise _bad("bbox is out of range: longitudes in [-180, 180], latitudes in [-90, 90]")
    if miny > maxy:
        raise _bad("bbox minLat is greater than maxLat")
    return minx, miny, maxx, maxy


def _datetime(value: str | None) -> tuple[str | None, str | None] | None:
    """``2022``, ``2022-03``, ``2022-03-01``, RFC 3339 instants, or intervals with ``..``."""
    if value is None:
        return None
    ends = value.split("/")
    if len(ends) > 2:
        raise _bad("datetime is one date or an interval start/end ('..' for open)")
    out: list[str | None] = []
    for end in ends:
        end = end.strip()
        if end in ("", ".."):
            out.append(None)
            continue
        day = end[:10] if "T" in end else end
        if not _DATE.match(day):
            raise _bad(f"datetime {end!r} is not a date (YYYY, YYYY-MM, YYYY-MM-DD or RFC 3339)")
        out.append(day)
    if len(out) == 1:
        return out[0], out[0]
    if out[0] and out[1] and out[0] > out[1]:
        raise _bad("datetime interval ends before it starts")
    return out[0], out[1]


# Query parameters shared by the items endpoint and the map (documented in /docs).
Bbox = Annotated[
    str | None,
    Query(description="minLon,minLat,maxLon,maxLat (WGS84)", examples=["35.5,32.3,37.0,33.5"]),
]
Datetime = Annotated[
    str | None,
    Query(
        alias="datetime",
        description="a date (2022, 2022-03, 2022-03-01) or an interval "
        "start/end with '..' for an open end; undated events are excluded",
        examples=["2022-01-01/2022-12-31"],
    ),
]
Article = Annotated[str | None, Query(description="article id(s), comma-separated", examples=["1"])]
Actor = Annotated[
    str | None, Query(description="actor code(s), comma-separated (any)", examples=["TUR"])
]
Type = Annotated[
    str | None,
    Query(alias="type", description="event type(s), comma-separated", examples=["meeting_talks"]),
]
Place = Annotated[
    str | None, Query(description="place id(s) or name(s), comma-separated", examples=["Damascus"])
]
MaxPrecision = Annotated[
    int | None,
    Query(
        ge=1,
        le=4,
        description="keep events at least this precise: 1 settlement, "
        "2 district, 3 governorate/region, 4 country",
        examples=[3],
    ),
]


def create_app(store: Store | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    """The FastAPI application over a store (default: ``GEOMAP_DB``)."""
    app = FastAPI(
        title="geomap",
        version="0.1.0",
        description="Events reported in news articles, geoparsed with a local gazetteer, "
        "served as OGC API – Features (GeoJSON) and as a Folium map.",
    )
    state: dict[str, Any] = {"store": store, "pipeline": pipeline}

    def get_store() -> Store:
        if state["store"] is None:
            state["store"] = open_store()
        return state["store"]

    def get_pipeline() -> Pipeline:
        if state["pipeline"] is None:
            state["pipeline"] = default_pipeline()
        return state["pipeline"]

    if VENDOR_DIR.exists():
        app.mount("/static/vendor", StaticFiles(directory=VENDOR_DIR), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    def event_filter(
        request: Request, bbox, datetime_, article, actor, type_, place, max_geo_precision
    ) -> EventFilter:
        unknown = sorted(set(request.query_params) - FILTER_PARAMS)
        if unknown:
            raise _bad(
                f"unknown parameter(s): {', '.join(unknown)}; "
                f"known: {', '.join(sorted(FILTER_PARAMS))}"
            )
        articles = []
        for a in _csv(article):
            if not a.isdigit():
                raise _bad(f"article must be article ids (integers), got {a!r}")
            articles.append(int(a))
        known_actors = get_pipeline().actors.actors
        actors = _csv(actor)
        bad = [a for a in actors if a not in known_actors]
        if bad:
            raise _bad(f"unknown actor code(s) {', '.join(bad)}; see /api/actors")
        types = _csv(type_)
        bad = [t for t in types if t not in EVENT_TYPES]
        if bad:
            raise _bad(f"unknown event type(s) {', '.join(bad)}; one of {', '.join(EVENT_TYPES)}")
        return EventFilter(
            bbox=_bbox(bbox),
            datetime=_datetime(datetime_),
            article=articles,
            actor=actors,
            type=types,
            place=_csv(place),
            max_geo_precision=max_geo_precision,
        )

    @app.get("/", include_in_schema=True, summary="Landing page (HTML) or OGC landing (f=json)")
    def landing(request: Request, f: Annotated[str | None, Query(examples=["json"])] = None):
        wants_json = f == "json" or (
            f is None
            and "application/json" in request.headers.get("accept", "")
            and "text/html" not in request.headers.get("accept", "")
        )
        if f not in (None, "json", "html"):
            raise _bad("f must be json or html")
        if not wants_json:
            return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
        base = str(request.base_url).rstrip("/")
        return {
            "title": "geomap",
            "description": app.description,
            "links": [
                {
                    "href": f"{base}/?f=json",
                    "rel": "self",
                    "type": "application/json",
                    "title": "This document",
                },
                {
                    "href": f"{base}/openapi.json",
                    "rel": "service-desc",
                    "type": "application/vnd.oai.openapi+json;version=3.0",
                    "title": "OpenAPI",
                },
                {
                    "href": f"{base}/docs",
                    "rel": "service-doc",
                    "type": "text/html",
                    "title": "API documentation",
                },
                {
                    "href": f"{base}/conformance",
                    "rel": "conformance",
                    "type": "application/json",
                    "title": "Conformance",
                },
                {
                    "href": f"{base}/collections",
                    "rel": "data",
                    "type": "application/json",
                    "title": "Collections",
                },
                {"href": f"{base}/map", "rel": "alternate", "type": "text/html", "title": "Map"},
            ],
        }

    @app.get("/conformance", summary="OGC API conformance classes")
    def conformance() -> dict:
        return {"conformsTo": CONFORMANCE}

    def collection(base: str, cid: str) -> dict:
        titles = {"events": "Events reported in the news", "places": "Gazetteer places"}
        return {
            "id": cid,
            "title": titles[cid],
            "itemType": "feature",
            "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
            "links": [
                {"href": f"{base}/collections/{cid}", "rel": "self", "type": "application/json"},
                {"href": f"{base}/collections/{cid}/items", "rel": "items", "type": GEOJSON},
            ],
        }

    @app.get("/collections", summary="The feature collections")
    def collections(request: Request) -> dict:
        base = str(request.base_url).rstrip("/")
        return {
            "collections": [collection(base, c) for c in ("events", "places")],
            "links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
        }

    @app.get("/collections/{cid}", summary="One collection")
    def one_collection(request: Request, cid: str) -> dict:
        if cid not in ("events", "places"):
            raise HTTPException(404, f"no collection {cid!r}; see /collections")
        return collection(str(request.base_url).rstrip("/"), cid)

    @app.get("/collections/events/items", summary="Events as GeoJSON", response_class=JSONResponse)
    def event_items(
        request: Request,
        bbox: Bbox = None,
        datetime_: Datetime = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, examples=[100])] = 100,
        offset: Annotated[int, Query(ge=0, examples=[0])] = 0,
        article: Article = None,
        actor: Actor = None,
        type_: Type = None,
        place: Place = None,
        max_geo_precision: MaxPrecision = None,
        f: Annotated[str | None, Query(examples=["geojson"])] = None,
    ):
        if f not in (None, "geojson", "json"):
            raise _bad("f must be geojson")
        flt = event_filter(
            request, bbox, datetime_, article, actor, type_, place, max_geo_precision
        )
        st = get_store()
        matched = st.count_events(flt)
        rows = st.query_events(flt, limit=limit, offset=offset)
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

    @app.get("/collections/events/items/{event_id}", summary="One event")
    def event_item(event_id: int):
        row = get_store().get_event(event_id)
        if row is None:
            raise HTTPException(404, f"no event {event_id}")
        return JSONResponse(event_feature(row), media_type=GEOJSON)

    @app.get("/collections/places/items", summary="Gazetteer places (search with q)")
    def place_items(
        q: Annotated[
            str | None,
            Query(description="a name in any spelling the gazetteer knows", examples=["Hmeimim"]),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000, examples=[10])] = 10,
    ):
        gaz = get_pipeline().gazetteer
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

    @app.get(
        "/map",
        summary="The Folium map (same filters as the items endpoint)",
        response_class=HTMLResponse,
    )
    def map_page(
        request: Request,
        bbox: Bbox = None,
        datetime_: Datetime = None,
        limit: Annotated[int, Query(ge=1, le=100_000, examples=[10000])] = 10_000,
        offset: Annotated[int, Query(ge=0, examples=[0])] = 0,
        article: Article = None,
        actor: Actor = None,
        type_: Type = None,
        place: Place = None,
        max_geo_precision: MaxPrecision = None,
    ):
        flt = event_filter(
            request, bbox, datetime_, article, actor, type_, place, max_geo_precision
        )
        rows = get_store().query_events(flt, limit=limit, offset=offset)
        fmap = build_map([event_feature(r) for r in rows], get_pipeline().actors)
        return HTMLResponse(fmap.get_root().render())

    @app.get("/api/articles", summary="Stored articles")
    def list_articles() -> list[dict]:
        return get_store().list_articles()

    @app.get(
        "/api/articles/{article_id}/mentions",
        summary="Every place mention of an article, mapped or not",
    )
    def article_mentions(article_id: int) -> list[dict]:
        return get_store().article_mentions(article_id)

    @app.post("/api/articles", status_code=201, summary="Ingest an article (token required)")
    def post_article(
        article: Annotated[ArticleIn, Body()],
        authorization: Annotated[str | None, Header()] = None,
    ) -> list[dict]:
        token = os.environ.get("GEOMAP_API_TOKEN")
        if not token:
            raise HTTPException(
                403,
                "writes are disabled: set GEOMAP_API_TOKEN on the server "
                "and send 'Authorization: Bearer <token>'",
            )
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not authorization or not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(
                401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
        if not article.text.strip():
            raise _bad("text is empty")
        try:
            results = ingest_text(
                get_store(),
                get_pipeline(),
                article.text,
                title=article.title,
                url=article.url,
                outlet=article.outlet,
                published=article.published,
                source="api",
            )
        except ValueError as exc:  # unparseable published date, HTML without article text
            raise _bad(str(exc)) from None
        return [r.__dict__ for r in results]

    @app.get("/api/actors", summary="Actor codes, names and map colours")
    def list_actors(
        used: Annotated[
            bool, Query(description="only actors that take part in stored events", examples=[True])
        ] = False,
    ) -> list[dict]:
        counts = get_store().actors_used()
        out = [
            {
                "code": a.code,
                "name": a.name,
                "colour": a.colour,
                "country": a.country,
                "description": a.description,
                "events": counts.get(a.code, 0),
            }
            for a in get_pipeline().actors.actors.values()
        ]
        return [a for a in out if a["events"]] if used else out

    @app.post("/api/parse", summary="Geoparse text without storing it")
    def parse(body: ParseIn) -> dict:
        pipe = get_pipeline()
        parsed = pipe.parse_articles(body.text)
        return {
            "articles": [pa.article.title for pa in parsed],
            "mentions": [m.to_dict() for pa in parsed for m in pa.mentions],
            "actors": sorted({c for pa in parsed for c in pa.actors}),
        }

    @app.get("/health", summary="Liveness and store counts")
    def health() -> dict:
        return {"status": "ok", **get_store().stats()}

    return app
