"""The optional online geocoder for places the gazetteer lacks (see :mod:`geomap.missing`).

:func:`geocode_missing` looks such names up with geopy's Nominatim client. It is off
unless ``GEOMAP_GEOCODER=nominatim``, sends at most one request a second (the OSM
usage policy), and writes every answer to a gazetteer file (``gazetteer/geocoded.csv``
by default). A name is therefore queried once, and afterwards it resolves offline like
any curated row. Nothing in the parsing pipeline calls the geocoder.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from geomap.gazetteer import (
    COLUMNS,
    GAZETTEER_DIR,
    Place,
    latin_name,
    load_stopwords,
    parse_number,
    read_places,
)
from geomap.matching import phrase_key

# -- the online fallback --------------------------------------------------------------

PROVIDERS = ("nominatim",)
SOURCE = "geocoder:nominatim"

#: (OSM class, OSM type) -> kind; a class alone matches every type of it.
OSM_KINDS = {
    ("place", "city"): "city",
    ("place", "town"): "town",
    ("place", "village"): "village",
    ("place", "hamlet"): "village",
    ("place", "isolated_dwelling"): "village",
    ("place", "suburb"): "neighbourhood",
    ("place", "quarter"): "neighbourhood",
    ("place", "neighbourhood"): "neighbourhood",
    ("aeroway", "aerodrome"): "airport",
    ("amenity", "refugee_site"): "camp",
    ("landuse", "military"): "military_base",
    ("military", None): "military_base",
    ("natural", None): "natural_feature",
    ("waterway", None): "natural_feature",
}
#: Nominatim ``addresstype`` of an administrative boundary -> kind.
ADMIN_KINDS = {
    "country": "country",
    "state": "governorate",
    "province": "governorate",
    "state_district": "district",
    "county": "district",
    "district": "district",
}


@dataclass(frozen=True)
class GeocoderConfig:
    """Where and how to geocode; ``provider`` None means off (the default)."""

    provider: str | None = None
    domain: str = "nominatim.openstreetmap.org"
    scheme: str = "https"
    countrycodes: tuple[str, ...] = ("sy",)
    cache: Path = GAZETTEER_DIR / "geocoded.csv"
    min_delay_seconds: float = 1.0
    timeout: float = 10.0

    @property
    def enabled(self) -> bool:
        return self.provider is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> GeocoderConfig:
        """Read ``GEOMAP_GEOCODER`` (``nominatim`` to enable), ``GEOMAP_GEOCODER_URL``,
        ``GEOMAP_GEOCODER_CACHE``, ``GEOMAP_GEOCODER_COUNTRYCODES`` (comma-separated,
        empty for no restriction) and ``GEOMAP_GEOCODER_DELAY`` (seconds between requests).
        """
        provider = environ.get("GEOMAP_GEOCODER", "").strip().lower()
        if provider in ("", "off", "none"):
            provider = None
        elif provider not in PROVIDERS:
            raise ValueError(
                f"GEOMAP_GEOCODER={provider!r}: supported values are {', '.join(PROVIDERS)}"
            )
        kw: dict = {"provider": provider}
        url = environ.get("GEOMAP_GEOCODER_URL", "").strip()
        if url:
            parts = urlsplit(url if "://" in url else f"https://{url}")
            kw["scheme"], kw["domain"] = parts.scheme, parts.netloc + parts.path.rstrip("/")
        if environ.get("GEOMAP_GEOCODER_CACHE"):
            kw["cache"] = Path(environ["GEOMAP_GEOCODER_CACHE"])
        if "GEOMAP_GEOCODER_COUNTRYCODES" in environ:
            codes = environ["GEOMAP_GEOCODER_COUNTRYCODES"].split(",")
            kw["countrycodes"] = tuple(c.strip().lower() for c in codes if c.strip())
        if environ.get("GEOMAP_GEOCODER_DELAY"):
            kw["min_delay_seconds"] = float(environ["GEOMAP_GEOCODER_DELAY"])
        return cls(**kw)


def _cached(cache: Path, stopwords: frozenset[str]) -> list[Place]:
    """The places of the cache file (strictly read: a broken file is reported, not extended)."""
    return read_places(cache, stopwords) if cache.exists() else []


def partition_cached(
    names: Iterable[str], config: GeocoderConfig | None = None
) -> tuple[dict[str, Place], list[str]]:
    """Split ``names`` into those the cache file answers (name -> place) and those still to
    query; duplicates and names that could never be a gazetteer name are dropped."""
    config = config or GeocoderConfig.from_env()
    stopwords = load_stopwords()
    by_key = {phrase_key(n): p for p in _cached(config.cache, stopwords) for n in p.names}
    cached: dict[str, Place] = {}
    todo: list[str] = []
    seen: set[str] = set()
    for name in names:
        key = phrase_key(name)
        if key in seen or len(key.replace(" ", "")) < 2 or key.strip() in stopwords:
            continue
        seen.add(key)
        if key in by_key:
            cached[name] = by_key[key]
        else:
            todo.append(name)
    return cached, todo


def _kind(raw: Mapping, hint: str | None) -> str:
    cls, typ = raw.get("class"), raw.get("type")
    if cls == "boundary" and typ == "administrative":
        return ADMIN_KINDS.get(raw.get("addresstype", ""), hint or "district")
    return OSM_KINDS.get((cls, typ)) or OSM_KINDS.get((cls, None)) or hint or "village"


def _place(name: str, raw: Mapping, hint: str | None, stopwords: frozenset[str]) -> Place | None:
    """A gazetteer place from one Nominatim result, named as the text spells it (that is
    the spelling that must match); Nominatim's own English name becomes an alias."""
    try:
        lat = parse_number(str(raw["lat"]), "lat", -90, 90)
        lon = parse_number(str(raw["lon"]), "lon", -180, 180)
    except (KeyError, ValueError):
        return None
    osm = (raw.get("osm_type"), raw.get("osm_id"))
    pid = f"osm:{osm[0]}/{osm[1]}" if all(osm) else f"nominatim:{raw.get('place_id')}"
    own = (raw.get("name") or str(raw.get("display_name", "")).split(",")[0]).strip()
    address = raw.get("address") or {}
    population = str((raw.get("extratags") or {}).get("population", ""))
    return Place(
        id=pid,
        name=name,
        lat=lat,
        lon=lon,
        kind=_kind(raw, hint),
        country=str(address.get("country_code", "")).upper() or None,
        admin1=address.get("state") or None,
        population=int(population) if population.isdigit() else 0,
        aliases=(own,)
        if phrase_key(own) != phrase_key(name) and latin_name(own, stopwords)
        else (),
        source=SOURCE,
    )


def _merge(places: list[Place], new: Place) -> None:
    """Add ``new``, or its name as an alias when another name found the same object."""
    for i, p in enumerate(places):
        if p.id == new.id:
            extra = tuple(n for n in new.names if phrase_key(n) not in map(phrase_key, p.names))
            places[i] = replace(p, aliases=(*p.aliases, *extra))
            return
    places.append(new)


def _write(cache: Path, places: Sequence[Place]) -> None:
    """Rewrite the cache file atomically (a crash never leaves half a file)."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        for p in places:
            writer.writerow(
                [
                    p.id,
                    p.name,
                    "|".join(p.aliases),
                    repr(p.lat),
                    repr(p.lon),
                    p.kind,
                    p.country or "",
                    p.admin1 or "",
                    p.population or "",
                    p.geonameid or "",
                    p.source,
                ]
            )
    os.replace(tmp, cache)


def geocode_missing(
    names: list[str],
    *,
    config: GeocoderConfig | None = None,
    kinds: Mapping[str, str] | None = None,
) -> list[Place]:
    """Places for ``names``: from the cache file, else (only when the geocoder is enabled)
    from Nominatim, rate-limited, each answer added to the cache file. ``kinds`` gives a
    fallback kind per name (the cue's guess) for results whose OSM tags say nothing.
    Names with no answer are left out; they are asked again on the next run."""
    config = config or GeocoderConfig.from_env()
    cached, todo = partition_cached(names, config)
    found: dict[str, Place] = dict(cached)
    if todo and config.enabled:
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        stopwords = load_stopwords()
        client = Nominatim(
            domain=config.domain,
            scheme=config.scheme,
            timeout=config.timeout,
            user_agent=f"geomap/{metadata.version('geomap')}",
        )
        geocode = RateLimiter(
            client.geocode, min_delay_seconds=config.min_delay_seconds, swallow_exceptions=False
        )
        places = _cached(config.cache, stopwords)
        try:
            for name in todo:
                answered = [
                    p for p in found.values() if phrase_key(name) in map(phrase_key, p.names)
                ]
                if answered:  # an earlier answer of this run gave this name as an alias
                    found[name] = answered[0]
                    continue
                loc = geocode(
                    name,
                    exactly_one=True,
                    language="en",
                    addressdetails=True,
                    extratags=True,
                    country_codes=list(config.countrycodes) or None,
                )
                place = loc and _place(name, loc.raw, (kinds or {}).get(name), stopwords)
                if place:
                    found[name] = place
                    _merge(places, place)
        finally:  # keep what was found before a server error
            if len(found) > len(cached):
                _write(config.cache, places)
    return [found[n] for n in dict.fromkeys(names) if n in found]
