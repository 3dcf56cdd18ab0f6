"""geomap: map the events news articles report.

The library API (no server needed)::

    import geomap
    geomap.parse(text)            # -> list[Mention]
    geomap.extract_events(text)   # -> list[Event]
    geomap.Gazetteer.load()       # curated CSV files over the GeoNames world layer
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

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


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'geomap' has no attribute {name!r}")


def parse(text: str) -> list[Mention]:
    """Place mentions in ``text`` resolved with the default gazetteer."""
    from geomap.pipeline import default_pipeline

    return default_pipeline().parse(text)
