"""Gazetteer reload: load edited files, keep the old gazetteer when they are invalid, and
re-geocode the stored articles so the map follows the gazetteer."""

from __future__ import annotations

from dataclasses import dataclass

from geomap.actors import ActorIndex
from geomap.gazetteer import Gazetteer
from geomap.ingest import reanalyse_store
from geomap.pipeline import Pipeline
from geomap.store import Store


@dataclass
class Reloaded:
    """A new pipeline and what the re-geocoding did."""

    pipeline: Pipeline
    places: int
    articles: int
    events: int


def reload_gazetteer(store: Store, actors: ActorIndex | None = None) -> Reloaded:
    """Build a pipeline over the current gazetteer files and re-geocode ``store``.

    Raises :class:`geomap.gazetteer.GazetteerError` (every ``file:line: message``)
    before anything changes when a file is invalid: the caller keeps its old pipeline.
    """
    gazetteer = Gazetteer.load()  # validates; rebuilds the cache when a file changed
    pipeline = Pipeline(gazetteer, actors)
    n = reanalyse_store(store, pipeline)
    return Reloaded(pipeline, len(gazetteer), n, store.stats()["events"])
