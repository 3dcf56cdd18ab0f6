"""Gazetteer reload: load edited files, keep the old gazetteer when they are invalid, and
re-geocode the stored articles so the map follows the gazetteer.

A reload also touches a marker file in the gazetteer cache folder: every other process
on the machine (the other ``geomap serve`` workers, a server after ``geomap gazetteer
reload`` on the command line) sees its generation change and loads the new gazetteer on
its next request (:func:`generation`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from geomap.actors import ActorIndex
from geomap.gazetteer import Gazetteer, cache_dir
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
    _announce()
    return Reloaded(pipeline, len(gazetteer), n, store.stats()["events"])


def _marker() -> Path:
    return cache_dir() / "gazetteer-generation"


def generation() -> int:
    """Which reload the gazetteer files are at, for processes that hold a gazetteer: the
    marker's modification time (ns), 0 before the first reload. One ``stat`` call."""
    try:
        return _marker().stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _announce() -> None:
    """Tell the other processes that the gazetteer changed (see :func:`generation`)."""
    marker = _marker()
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    os.utime(marker)  # a new mtime even when the file already existed
