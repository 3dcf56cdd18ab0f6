"""The FastAPI application: services, static files, and the routers."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from geomap.api import manage, ogc, pages
from geomap.api.deps import Services
from geomap.assets import STATIC_DIR, VENDOR_DIR
from geomap.pipeline import Pipeline
from geomap.store import Store


def create_app(store: Store | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    """The service over a store (default: ``GEOMAP_DB``) and a pipeline (default gazetteer)."""
    app = FastAPI(
        title="geomap",
        version="0.1.0",
        description="Events reported in news articles, geoparsed with a local gazetteer, "
        "served as OGC API – Features (GeoJSON) and as a Folium map.",
    )
    app.state.services = Services(store, pipeline)
    if VENDOR_DIR.exists():  # npm assets; mounted before /static, which would shadow them
        app.mount("/static/vendor", StaticFiles(directory=VENDOR_DIR), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (ogc, pages, manage):
        app.include_router(module.router)
    return app
