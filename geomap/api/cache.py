"""Answers rendered once per store version: a small LRU of finished bodies per process.

A map client asks for the same views again and again (the landing view, a region, the
permalink someone shared); rendering a page of 100 events costs ~20 ms of CPU, serving the
bytes kept from last time well under one. An entry is keyed on the request (path and query)
and the gazetteer/actor pipeline it was made with, and holds for one version of the store
(:meth:`geomap.store.Store.data_version`, which changes on any commit by any process or
server: SQLite's ``PRAGMA data_version``, PostgreSQL's WAL position), so an ingest, a delete
or a re-geocoding is seen by the next request. A store with no version (in-memory SQLite)
is never cached.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from geomap.api.deps import Services
from geomap.pipeline import Pipeline

T = TypeVar("T")
DEFAULT_ENTRIES = 128  # ~15 MB at most: a page of 100 events is ~120 kB, a /map ~1 MB


def cache_entries(value: str | None = None) -> int:
    """``GEOMAP_RESPONSE_CACHE``: how many answers each process keeps (0 turns it off)."""
    value = os.environ.get("GEOMAP_RESPONSE_CACHE", "") if value is None else value
    if not value.strip():
        return DEFAULT_ENTRIES
    if not value.strip().isdigit():
        raise ValueError(f"GEOMAP_RESPONSE_CACHE={value!r} is not a number of entries (e.g. 128)")
    return int(value)


class ResponseCache:
    """The LRU described in the module docstring; thread-safe (FastAPI runs sync routes in
    a thread pool). Requests that miss the same key at once wait for one of them to render
    it: ten clients opening the same /map cost one render, not ten at once."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._items: OrderedDict[Hashable, tuple[int, object]] = OrderedDict()
        self._lock = threading.Lock()
        self._rendering: dict[Hashable, threading.Lock] = {}

    def get(self, request: Request, svc: Services, make: Callable[[], T]) -> T:
        """The answer cached for ``request`` at the store's current version, or ``make()``'s
        (kept for later). The version is read before rendering, so an answer is never kept
        under a version older than the data it shows."""
        version = svc.store.data_version() if self.entries else None
        if version is None:
            return make()
        key = _key(request, svc.pipeline)
        while True:
            with self._lock:
                hit = self._hit(key, version)
                if hit is not None:
                    return hit  # type: ignore[return-value]
                busy = self._rendering.get(key)
                if busy is None:
                    busy = self._rendering[key] = threading.Lock()
                    busy.acquire()
                    break
            with busy:  # another request renders it: wait, then look again
                pass
            version = svc.store.data_version()
        try:
            value = make()
            with self._lock:
                self._items[key] = (version, value)
                self._items.move_to_end(key)
                while len(self._items) > self.entries:
                    self._items.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._rendering[key]
            busy.release()

    def peek(self, request: Request, svc: Services) -> object | None:
        """The answer cached for ``request`` at the store's current version, or None; never
        waits for a render, a store or a gazetteer to open (for the event loop). SQLite only:
        its version is a local ``PRAGMA``, PostgreSQL's a round trip to the server."""
        ready = svc.ready() if self.entries else None
        version = ready[0].data_version() if ready and ready[0].sqlite else None
        if version is None:
            return None
        with self._lock:
            return self._hit(_key(request, ready[1]), version)

    def _hit(self, key: Hashable, version: int) -> object | None:
        """The answer kept under ``key`` for ``version`` (marked as just used), or None; the
        caller holds the lock."""
        hit = self._items.get(key)
        if hit is None or hit[0] != version:
            return None
        self._items.move_to_end(key)
        return hit[1]


def _key(request: Request, pipeline: Pipeline) -> Hashable:
    """What an answer is kept under: the request, and the gazetteer/actors that made it."""
    return request.url.path, request.url.query, id(pipeline)


async def cached(request: Request, svc: Services, make: Callable[[], T]) -> T:
    """:meth:`ResponseCache.get` for an async route: a hit is answered in the event loop,
    without the two thread switches of a sync route (most of a hit's cost under load); a
    miss renders in the thread pool."""
    cache = response_cache(request)
    hit = cache.peek(request, svc)
    if hit is not None:
        return hit  # type: ignore[return-value]
    return await run_in_threadpool(cache.get, request, svc, make)


def response_cache(request: Request) -> ResponseCache:
    """The app's cache (made on first use, sized by ``GEOMAP_RESPONSE_CACHE``)."""
    state = request.app.state
    if getattr(state, "response_cache", None) is None:
        state.response_cache = ResponseCache(cache_entries())
    return state.response_cache
