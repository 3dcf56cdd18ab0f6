"""geomap: map the events news articles report.

The library API (no server needed)::

    import geomap
    geomap.parse(text)            # -> list[Mention]
    geomap.extract_events(text)   # -> list[Event]
    geomap.Gazetteer.load()       # curated CSV files over the GeoNames world layer
"""

from __future__ import annotations

from geomap.events import Event, extract_events
from geomap.gazetteer import Gazetteer, GazetteerError, Place
from geomap.geoparse import Mention
from geomap.pipeline import Pipeline, default_pipeline

__all__ = [
    "Event",
    "Gazetteer",
    "GazetteerError",
    "Mention",
    "Pipeline",
    "Place",
    "extract_events",
    "parse",
]
__version__ = "0.1.0"


def parse(text: str) -> list[Mention]:
    """Place mentions in ``text`` resolved with the default gazetteer."""
    return default_pipeline().parse(text)
