"""What every route needs: the store, the pipeline, and the guard on writes."""

from __future__ import annotations

import hmac
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from geomap import reload
from geomap.gazetteer import Gazetteer, GazetteerError
from geomap.pipeline import Pipeline, default_pipeline
from geomap.store import Store, open_store

log = logging.getLogger(__name__)


@dataclass
class Services:
    """The store and the pipeline of one app, opened on first use.

    The pipeline follows gazetteer reloads made by other processes (the other workers of
    ``geomap serve``, the CLI): when the reload generation changes it is rebuilt from the
    gazetteer cache, and an invalid gazetteer leaves the current one in use."""

    store_: Store | None = None
    pipeline_: Pipeline | None = None
    generation: int = field(default_factory=reload.generation)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def store(self) -> Store:
        if self.store_ is None:
            self.store_ = open_store()
        return self.store_

    @property
    def pipeline(self) -> Pipeline:
        if self.pipeline_ is None:
            self.pipeline_ = default_pipeline()
        if reload.generation() != self.generation:
            self._follow_reload()
        return self.pipeline_

    def ready(self) -> tuple[Store, Pipeline] | None:
        """The store and the pipeline when both are open and the pipeline follows the
        latest reload, else None: what an async route may use without blocking."""
        if self.store_ is None or self.pipeline_ is None or reload.generation() != self.generation:
            return None
        return self.store_, self.pipeline_

    def use(self, pipeline: Pipeline) -> None:
        """Serve ``pipeline`` from now on (this process has just reloaded the gazetteer)."""
        self.pipeline_, self.generation = pipeline, reload.generation()

    def _follow_reload(self) -> None:
        with self._lock:
            gen = reload.generation()
            if gen == self.generation:
                return  # another request of this process got there first
            try:
                self.pipeline_ = Pipeline(Gazetteer.load(), self.pipeline_.actors)
            except GazetteerError as exc:
                log.error("gazetteer reload ignored, the previous one stays in use: %s", exc)
            self.generation = gen


async def services(request: Request) -> Services:
    """The app's :class:`Services` (a FastAPI dependency; async, as it never blocks, so
    FastAPI calls it in the event loop rather than in its thread pool)."""
    return request.app.state.services


def require_writer(authorization: Annotated[str | None, Header()] = None) -> None:
    """Writes need ``Authorization: Bearer $GEOMAP_API_TOKEN`` (constant-time compare);
    with no token configured they are disabled and say how to enable them."""
    token = os.environ.get("GEOMAP_API_TOKEN")
    if not token:
        raise HTTPException(
            403,
            "writes are disabled: set GEOMAP_API_TOKEN on the server "
            "and send 'Authorization: Bearer <token>'",
        )
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        raise HTTPException(
            401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
        )


Svc = Annotated[Services, Depends(services)]
Writer = Depends(require_writer)
