"""GeoJSON: stored events -> RFC 7946 features (``[lon, lat]``, WGS84, 6 decimals), and the
typed response models of the OGC API (``geojson-pydantic`` extended with OGC members).

The models validate what the API sends (longitudes and latitudes in range, coordinates
rounded to 6 decimals, about 11 cm) and give ``/docs`` its schemas.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Generic

from geojson_pydantic import Feature, FeatureCollection, MultiPolygon, Point, Polygon
from geojson_pydantic.features import Feat
from pydantic import AfterValidator, BaseModel, Field, model_serializer


def _round6(x: float) -> float:
    return round(x, 6)


Lon = Annotated[float, Field(ge=-180, le=180), AfterValidator(_round6)]
Lat = Annotated[float, Field(ge=-90, le=90), AfterValidator(_round6)]


class Doc(BaseModel):
    """An OGC API JSON member: optional members left unset are omitted, not written as null."""

    @model_serializer(mode="wrap")
    def _drop_none(self, handler):  # untyped on purpose: a return type would replace the schema
        return {k: v for k, v in handler(self).items() if v is not None}


class Link(Doc):
    """A web link (RFC 8288) as OGC API documents carry them."""

    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class WGS84Point(Point):
    """A Point at ``[lon, lat]``, range-checked and rounded to 6 decimals."""

    coordinates: tuple[Lon, Lat]


class Source(BaseModel):
    """One article that reports an event, with the sentence that says so."""

    article_id: int
    article_title: str
    url: str | None
    outlet: str | None
    published: str | None
    sentence: str
    date: str | None


class EventProperties(BaseModel):
    """The properties of an event feature (see DESIGN.md)."""

    article_id: int = Field(description="the first article that reported the event")
    article_title: str
    sentence: str
    mention: str = Field(description="the place name as written")
    place_id: str
    place_name: str
    place_kind: str
    country: str | None = Field(description="ISO 3166-1 alpha-2")
    admin1: str | None
    region: str | None = Field(
        default=None,
        description="the governorate whose polygon holds the event (see "
        "/collections/regions/items); null outside Syria and for country-level events",
    )
    geo_precision: int = Field(
        ge=1, le=4, description="1 settlement or base, 2 district, 3 governorate/region, 4 country"
    )
    actors: list[str] = Field(description="actor codes, see /collections/actors/items")
    actor_roles: dict[str, str] = Field(
        default_factory=dict,
        description="actor code -> agent (who acts), target (who is acted on in violence) or "
        "participant (the other parties of talks, deals and statements)",
    )
    event_type: str
    date: str | None = Field(description="ISO date or prefix (2022, 2022-03), null if undated")
    date_precision: str | None
    confidence: float
    source_count: int = Field(description="articles reporting the same event")
    sources: list[Source]


PROPERTIES = tuple(EventProperties.model_fields)


class EventFeature(Feature[WGS84Point, EventProperties]):
    """An event: where it happened, what, who, when and who reported it."""

    id: int


class PlaceProperties(BaseModel):
    """A gazetteer place."""

    name: str
    aliases: list[str]
    kind: str
    country: str | None
    admin1: str | None
    population: int
    geo_precision: int
    layer: str = Field(description="curated (the gazetteer files) or geonames (world layer)")


class PlaceFeature(Feature[WGS84Point, PlaceProperties]):
    """A gazetteer place as a point."""

    id: str


class ArticleProperties(BaseModel):
    """A stored article with its counts."""

    title: str
    url: str | None
    outlet: str | None
    published: str | None
    events: int
    mentions: int


class ArticleFeature(Feature[WGS84Point, ArticleProperties]):
    """An article at the centroid of its events (``bbox``: their extent); no events, no
    geometry."""

    id: int


class ActorProperties(BaseModel):
    """An actor code with its map colour and the number of events it takes part in."""

    code: str
    name: str
    colour: str
    country: str | None
    description: str
    events: int


class ActorFeature(Feature[None, ActorProperties]):
    """An actor: attributes only, no geometry."""

    id: str


class RegionProperties(BaseModel):
    """A governorate and how many events the request's filters select in it."""

    name: str = Field(description="the gazetteer's admin1 spelling")
    codes: list[str] = Field(description="ISO 3166-2 codes of the boundary polygons")
    events: int


class RegionFeature(Feature[Polygon | MultiPolygon, RegionProperties]):
    """A governorate outline (Natural Earth admin-1) with its event count; its id is its
    first ISO 3166-2 code."""

    id: str


class AreaProperties(BaseModel):
    """Whose area of activity a hull is, and how many distinct places it spans."""

    code: str
    name: str
    colour: str
    places: int = Field(description="distinct event points the hull is built from")


class AreaFeature(Feature[Polygon, AreaProperties]):
    """An actor's area of activity: the convex hull of its point events."""

    id: str


class OGCFeatureCollection(FeatureCollection[Feat], Generic[Feat]):
    """A FeatureCollection with the OGC API – Features members (which the base drops)."""

    links: list[Link] = Field(default_factory=list)
    numberMatched: int | None = None
    numberReturned: int | None = None
    timeStamp: str | None = None

    __geojson_exclude_if_none__: ClassVar[set[str]] = {
        "bbox",
        "numberMatched",
        "numberReturned",
        "timeStamp",
    }


class EventCollection(OGCFeatureCollection[EventFeature]):
    """A page of events."""


class PlaceCollection(OGCFeatureCollection[PlaceFeature]):
    """A page of gazetteer places."""


class ArticleCollection(OGCFeatureCollection[ArticleFeature]):
    """A page of articles."""


class ActorCollection(OGCFeatureCollection[ActorFeature]):
    """A page of actors."""


class RegionCollection(OGCFeatureCollection[RegionFeature]):
    """Governorates with their event counts."""


class AreaCollection(FeatureCollection[AreaFeature]):
    """An actor's area of activity (no feature when it has no point event)."""


def event_feature(row: dict[str, Any]) -> dict[str, Any]:
    """One stored event (with ``sources``) as a GeoJSON Feature, its members in the order
    :class:`EventFeature` writes them, so that a page written from these dicts is byte for
    byte the page the model writes."""
    props = {k: row.get(k) for k in PROPERTIES}
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(row["lon"], 6), round(row["lat"], 6)]},
        "properties": props,
        "id": row["id"],
    }
