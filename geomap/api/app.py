"""The FastAPI application: services, static files, the routers, and the edge guards.

The guards every request passes: a request body limit (``GEOMAP_MAX_BODY``, 413 with a
message), CORS only when ``GEOMAP_CORS_ORIGINS`` names origins, and bodies that are not
UTF-8 or not JSON answered as 400/422 with a message instead of a generic error.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from isal import isal_zlib
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware, GZipResponder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geomap.api import manage, ogc, pages
from geomap.api.deps import Services
from geomap.assets import STATIC_DIR, VENDOR_DIR
from geomap.pipeline import Pipeline
from geomap.store import Store

GZIP_LEVEL = 2  # ISA-L's levels go from 0 to 3
DEFAULT_MAX_BODY = 10 * 1024 * 1024  # 10 MiB: far above any article, far below a flood
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_FASTAPI_BODY_ERROR = "There was an error parsing the body"  # FastAPI's generic 400
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def max_body_size(value: str | None = None) -> int:
    """``GEOMAP_MAX_BODY`` in bytes: a number with an optional K/M/G suffix (binary)."""
    value = os.environ.get("GEOMAP_MAX_BODY", "") if value is None else value
    if not value.strip():
        return DEFAULT_MAX_BODY
    match = _SIZE.match(value)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(
            f"GEOMAP_MAX_BODY={value!r} is not a positive size in bytes (e.g. 10485760 or 10M)"
        )
    unit = (match.group(2) or "").lower()[:1]
    return int(match.group(1)) * _UNITS[unit]


def cors_origins(value: str | None = None) -> list[str]:
    """``GEOMAP_CORS_ORIGINS``: comma-separated origins (``*`` for any); empty means off."""
    value = os.environ.get("GEOMAP_CORS_ORIGINS", "") if value is None else value
    return [o.strip().rstrip("/") for o in value.split(",") if o.strip()]


def _too_large(limit: int) -> str:
    return f"request body is larger than {limit} bytes; the server's GEOMAP_MAX_BODY sets the limit"


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` when a body grows past the limit (FastAPI re-raises it)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large(limit))


class BodyLimitMiddleware:
    """Answer 413 with a message to bodies over ``limit`` bytes: at once when
    ``Content-Length`` says so, or as soon as a streamed body passes the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse({"detail": _too_large(self.limit)}, status_code=413)
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers") or ():
            if name == b"content-length" and value.strip().isdigit():
                if int(value) > self.limit:
                    await self._reject(scope, receive, send)
                    return
                break
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await self._reject(scope, receive, send)


class _IsalGZipResponder(GZipResponder):
    """Starlette's gzip responder deflating with ISA-L: the same gzip stream format."""

    @property
    def compressor(self) -> Any:
        if self._compressor is None:
            self._compressor = isal_zlib.compressobj(
                self.compresslevel, isal_zlib.DEFLATED, 16 + isal_zlib.MAX_WBITS
            )
        return self._compressor


class IsalGZipMiddleware(GZipMiddleware):
    """Starlette's :class:`GZipMiddleware` with ISA-L's deflate (``isal``) in place of zlib:
    a page of 100 events (119 kB) is compressed in 0.13 ms at level 2 against 1.8 ms for
    zlib at level 5, for a body 14 % larger (18.2 kB against 16.0)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "gzip" not in Headers(scope=scope).get("Accept-Encoding", ""):
            await super().__call__(scope, receive, send)
            return
        responder = _IsalGZipResponder(
            self.app,
            self.minimum_size,
            compresslevel=self.compresslevel,
            thread_minimum_size=self.thread_minimum_size,
            exclude_content_types=self.exclude_content_types,
        )
        await responder(scope, receive, send)


def _printable(value: Any) -> Any:
    """``value`` made safe to send as JSON: lone surrogates become U+FFFD and NaN or
    infinities become strings (a 422 echoes the input, which may hold either)."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    return value


def _install_error_handlers(app: FastAPI, limit: int) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 413:
            return JSONResponse({"detail": _too_large(limit)}, status_code=413)
        cause = exc.__cause__
        if exc.detail == _FASTAPI_BODY_ERROR and isinstance(cause, UnicodeDecodeError):
            return JSONResponse(
                {
                    "detail": f"request body is not valid UTF-8 (byte "
                    f"{cause.object[cause.start]:#04x} at offset {cause.start}); "
                    "send JSON encoded as UTF-8"
                },
                status_code=400,
            )
        if exc.detail == _FASTAPI_BODY_ERROR and cause is not None:
            return JSONResponse(
                {"detail": f"request body could not be read as JSON: {cause}"}, status_code=400
            )
        exc.detail = _printable(exc.detail)  # a detail may quote the request's bad bytes
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        broken = next((e for e in errors if e.get("type") == "json_invalid"), None)
        if broken is not None:
            where = broken.get("loc", ("body", "?"))[-1]
            why = (broken.get("ctx") or {}).get("error", "JSON decode error")
            return JSONResponse(
                {"detail": f"request body is not valid JSON: {why} at character {where}"},
                status_code=422,
            )
        return JSONResponse({"detail": _printable(jsonable_encoder(errors))}, status_code=422)


def create_app(store: Store | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    """The service over a store (default: ``GEOMAP_DB``) and a pipeline (default gazetteer).

    ``GEOMAP_MAX_BODY`` and ``GEOMAP_CORS_ORIGINS`` are read here, once per app.
    """
    limit = max_body_size()
    app = FastAPI(
        title="geomap",
        version="0.1.0",
        description="Events reported in news articles, geoparsed with a local gazetteer, "
        "served as OGC API – Features (GeoJSON) and as a Folium map.",
    )
    app.state.services = Services(store, pipeline)
    _install_error_handlers(app, limit)
    app.add_middleware(BodyLimitMiddleware, limit=limit)
    # GeoJSON shrinks ~6x at ISA-L's level 2
    app.add_middleware(IsalGZipMiddleware, minimum_size=1000, compresslevel=GZIP_LEVEL)
    origins = cors_origins()
    if origins:  # off by default: pages on other origins can neither read nor write
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    if VENDOR_DIR.exists():  # npm assets; mounted before /static, which would shadow them
        app.mount("/static/vendor", StaticFiles(directory=VENDOR_DIR), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (ogc, pages, manage):
        app.include_router(module.router)
    return app


def serve_app() -> FastAPI:
    """The app each ``geomap serve`` worker process runs (uvicorn's factory): the store of
    ``GEOMAP_DB``, and the gazetteer loaded before the first request, in the worker itself."""
    from geomap.pipeline import default_pipeline

    return create_app(pipeline=default_pipeline())
