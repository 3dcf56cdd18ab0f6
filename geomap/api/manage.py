"""Articles, actors, parsing, health, and the token-guarded writes."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, Query
from pydantic import BaseModel, Field

from geomap.api.deps import Svc, Writer
from geomap.api.ogc import ERRORS, NOT_FOUND, GeoJSONResponse, actor_properties
from geomap.api.params import MAX_INT, Filter, bad, param
from geomap.gazetteer import GazetteerError
from geomap.geojson import AreaCollection
from geomap.ingest import ingest_text
from geomap.reload import reload_gazetteer
from geomap.spatial import POINT_PRECISION, area_feature

router = APIRouter()


class ArticleIn(BaseModel):
    """An article to ingest: plain text or an HTML page (several articles may share one
    text), with optional metadata that wins over what the page says."""

    text: str = Field(min_length=1, examples=["Russian jets struck Idlib on July 3, 2024."])
    title: str | None = Field(default=None, examples=["Strikes on Idlib"])
    url: str | None = Field(default=None, examples=["https://example.org/news/1"])
    outlet: str | None = Field(default=None, examples=["Example News"])
    published: str | None = Field(default=None, examples=["2024-07-04"])


class ParseIn(BaseModel):
    """Text to geoparse without storing it."""

    text: str = Field(min_length=1, examples=["Talks in Astana; shelling in Daraa."])


@router.get("/api/articles", summary="Stored articles")
def list_articles(svc: Svc) -> list[dict]:
    return svc.store.list_articles()


@router.get(
    "/api/articles/{article_id}/mentions",
    summary="Every place mention of an article, mapped or not",
)
def article_mentions(
    article_id: Annotated[int, param("an article id", 1, where=Path, ge=1, le=MAX_INT)], svc: Svc
) -> list[dict]:
    return svc.store.article_mentions(article_id)


@router.post(
    "/api/articles",
    status_code=201,
    dependencies=[Writer],
    summary="Ingest an article (needs Authorization: Bearer $GEOMAP_API_TOKEN)",
)
def post_article(article: Annotated[ArticleIn, Body()], svc: Svc) -> list[dict]:
    if not article.text.strip():
        raise bad("text is empty")
    try:
        results = ingest_text(
            svc.store,
            svc.pipeline,
            article.text,
            title=article.title,
            url=article.url,
            outlet=article.outlet,
            published=article.published,
            source="api",
        )
    except ValueError as exc:  # unparseable published date, HTML without article text
        raise bad(str(exc)) from None
    return [asdict(r) for r in results]


@router.post(
    "/api/gazetteer/reload",
    dependencies=[Writer],
    summary="Reload the gazetteer files and re-geocode stored articles (token required)",
)
def reload(svc: Svc) -> dict:
    try:
        done = reload_gazetteer(svc.store, svc.pipeline.actors)
    except GazetteerError as exc:
        raise HTTPException(
            422,
            {
                "message": "the gazetteer files are invalid; the previous gazetteer stays in use",
                "errors": exc.errors,
            },
        ) from None
    svc.use(done.pipeline)  # requests already running finish with the old one
    return {"places": done.places, "articles": done.articles, "events": done.events}


@router.get("/api/actors", summary="Actor codes, names and map colours")
def list_actors(
    svc: Svc,
    used: Annotated[
        bool, Query(description="only actors that take part in stored events", examples=[True])
    ] = False,
) -> list[dict]:
    out = actor_properties(svc)
    return [a for a in out if a["events"]] if used else out


@router.get(
    "/api/actors/{code}/area",
    summary="An actor's area of activity: the convex hull of its point events under the "
    "event filters (actor= is the path's code), buffered when they do not span a polygon; "
    "no feature when it has no point event",
    response_model=AreaCollection,
    response_class=GeoJSONResponse,
    responses={**ERRORS, **NOT_FOUND},
)
def actor_area(
    code: Annotated[str, param("an actor code", "TUR", where=Path)], svc: Svc, flt: Filter
) -> dict:
    actor = svc.pipeline.actors.actors.get(code)
    if actor is None:
        raise HTTPException(404, f"no actor {code!r}; see /api/actors")
    finest = min(flt.max_geo_precision or POINT_PRECISION, POINT_PRECISION)
    points = svc.store.event_points(replace(flt, actor=[code], max_geo_precision=finest))
    feature = area_feature(actor.code, actor.name, actor.colour, points)
    return {"type": "FeatureCollection", "features": [feature] if feature else []}


@router.post("/api/parse", summary="Geoparse text without storing it")
def parse(body: ParseIn, svc: Svc) -> dict:
    parsed = svc.pipeline.parse_articles(body.text)
    return {
        "articles": [pa.article.title for pa in parsed],
        "mentions": [m.to_dict() for pa in parsed for m in pa.mentions],
        "actors": sorted({c for pa in parsed for c in pa.actors}),
    }


@router.get("/health", summary="Liveness and store counts")
def health(svc: Svc) -> dict:
    return {"status": "ok", **svc.store.stats()}
