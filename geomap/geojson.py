"""GeoJSON: stored events -> RFC 7946 features (``[lon, lat]``, WGS84, 6 decimals)."""

from __future__ import annotations

from typing import Any

PROPERTIES = (
    "article_id",
    "article_title",
    "sentence",
    "mention",
    "place_id",
    "place_name",
    "place_kind",
    "country",
    "admin1",
    "geo_precision",
    "actors",
    "event_type",
    "date",
    "date_precision",
    "confidence",
    "source_count",
    "sources",
)


def event_feature(row: dict[str, Any]) -> dict[str, Any]:
    """One stored event (with ``sources``) as a GeoJSON Feature."""
    props = {k: row.get(k) for k in PROPERTIES}
    return {
        "type": "Feature",
        "id": row["id"],
        "geometry": {"type": "Point", "coordinates": [round(row["lon"], 6), round(row["lat"], 6)]},
        "properties": props,
    }


def feature_collection(features: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A FeatureCollection with OGC API members (``numberMatched``, ``links``...) added."""
    return {"type": "FeatureCollection", "features": features, **extra}
