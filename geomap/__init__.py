"""geomap: map the events news articles report.

The library API (no server needed)::

    import geomap
    geomap.parse(text)            # -> list[Mention]
    geomap.extract_events(text)   # -> list[Event]
    geomap.Gazetteer.load()       # curated CSV files over the GeoNames world layer
    geomap.query(near=(32.74, 35.97), radius_km=20)  # stored events as GeoJSON features
"""

from __future__ import annotations

import importlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geomap.events import Event, extract_events
    from geomap.gazetteer import Gazetteer, GazetteerError, Place
    from geomap.geoparse import Mention
    from geomap.pipeline import Pipeline

# The names above are imported when first used (PEP 562), so that a process that needs
# one module (``geomap.gazetteer`` at start-up) does not import the whole pipeline.
_LAZY = {
    "Event": "geomap.events",
    "extract_events": "geomap.events",
    "Gazetteer": "geomap.gazetteer",
    "GazetteerError": "geomap.gazetteer",
    "Place": "geomap.gazetteer",
    "Mention": "geomap.geoparse",
    "Pipeline": "geomap.pipeline",
    "default_pipeline": "geomap.pipeline",
}

if TYPE_CHECKING:  # the store and shapely load on the first query, not on `import geomap`
    from shapely.geometry.base import BaseGeometry

    from geomap.store import Store

__all__ = [
    "Event",
    "Gazetteer",
    "GazetteerError",
    "Mention",
    "Pipeline",
    "Place",
    "extract_events",
    "parse",
    "query",
]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'geomap' has no attribute {name!r}")


def parse(text: str) -> list[Mention]:
    """Place mentions in ``text`` resolved with the default gazetteer."""
    from geomap.pipeline import default_pipeline

    return default_pipeline().parse(text)


def query(
    db: str | Store | None = None,
    *,
    near: tuple[float, float] | None = None,
    radius_km: float | None = None,
    intersects: str | dict[str, Any] | BaseGeometry | None = None,
    limit: int = 100,
    offset: int = 0,
    **filters: Any,
) -> list[dict[str, Any]]:
    """Stored events as GeoJSON features, filtered as the API filters them, for notebooks.

    ``db`` is a store, a path or URL (default ``GEOMAP_DB``); ``near=(lat, lon)`` with
    ``radius_km`` keeps events within that geodesic distance; ``intersects`` (WKT, a GeoJSON
    mapping or a shapely geometry) keeps those inside a valid polygon; ``filters`` are the
    other fields of :class:`geomap.store.EventFilter` (``bbox``, ``datetime``, ``actor``...).
    A bad shape or radius is a ``ValueError`` that says why.
    """
    from geomap.geojson import event_feature
    from geomap.spatial import Near, parse_geometry
    from geomap.store import EventFilter, Store, open_store

    store = db if isinstance(db, Store) else open_store(db)
    if (near is None) != (radius_km is None):
        raise ValueError("near=(lat, lon) and radius_km go together")
    if isinstance(intersects, dict):
        intersects = json.dumps(intersects)
    elif intersects is not None and not isinstance(intersects, str):  # a shapely geometry
        intersects = intersects.wkt
    flt = EventFilter(
        near=Near(near[0], near[1], radius_km) if near is not None else None,
        intersects=parse_geometry(intersects) if intersects is not None else None,
        **filters,
    )
    return [event_feature(r) for r in store.query_events(flt, limit=limit, offset=offset)]
