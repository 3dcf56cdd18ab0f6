"""The HTTP service (FastAPI): OGC API – Features for events and places, the map, writes.

Routers by concern: :mod:`.ogc` (landing, collections, items), :mod:`.pages` (the
map), :mod:`.manage` (articles, actors, parse, health, writes); :mod:`.params` parses
the shared filters and :mod:`.deps` holds the store, the pipeline and the write guard.
"""

from geomap.api.app import create_app

__all__ = ["create_app"]
