"""What every route needs: the store, the pipeline, and the guard on writes."""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from geomap.pipeline import Pipeline, default_pipeline
from geomap.store import Store, open_store


@dataclass
class Services:
    """The store and the pipeline of one app, opened on first use."""

    store_: Store | None = None
    pipeline_: Pipeline | None = None

    @property
    def store(self) -> Store:
        if self.store_ is None:
            self.store_ = open_store()
        return self.store_

    @property
    def pipeline(self) -> Pipeline:
        if self.pipeline_ is None:
            self.pipeline_ = default_pipeline()
        return self.pipeline_


def services(request: Request) -> Services:
    """The app's :class:`Services` (a FastAPI dependency)."""
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
