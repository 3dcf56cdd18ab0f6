"""Convert a GeoNames dump (``allCountries.txt``, ``SY.txt``, …) into a gazetteer CSV.

The bundled world layer stops at places of 1,000 people. The GeoNames country dumps
add villages, neighbourhoods, bases and natural features, so importing one is the
quickest way to cover the places news names. A dump can be 1.5 GB, so it is read line
by line and never held in memory. Rows are filtered, their kind is mapped from the
GeoNames feature class and code, and the output passes ``geomap gazetteer check``.
"""

from __future__ import annotations

import csv
import sys
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from geomap.gazetteer import COLUMNS, latin_name, load_stopwords, parse_number
from geomap.matching import phrase_key

#: The dump's tab-separated columns (readme.txt of download.geonames.org/export/dump).
FIELDS = (
    "geonameid",
    "name",
    "asciiname",
    "alternatenames",
    "latitude",
    "longitude",
    "feature class",
    "feature code",
    "country code",
    "cc2",
    "admin1 code",
    "admin2 code",
    "admin3 code",
    "admin4 code",
    "population",
    "elevation",
    "dem",
    "timezone",
    "modification date",
)
_COL = {name: i for i, name in enumerate(FIELDS)}
FEATURE_CLASSES = frozenset("PASTLH")
#: Settlements, administrative areas and bases. T, L and H (terrain, areas, water) add
#: many hills and wadis that share names with villages, so they are opt-in.
DEFAULT_CLASSES = frozenset("PAS")
#: Feature codes that map to one kind whatever the population.
CODE_KINDS = {
    "PPLX": "neighbourhood",
    "ADM1": "governorate",
    "ADM2": "district",
    "PCLI": "country",
    "AIRB": "military_base",
    "MILB": "military_base",
    "INSM": "military_base",
    "AIRF": "airport",
    "AIRP": "airport",
    "CMPRF": "camp",
    "PSTB": "border_crossing",
}
CLASS_KINDS = {"T": "natural_feature", "H": "natural_feature", "L": "region"}
#: Populated-place codes that name no present-day place (historical sites).
_HISTORICAL = frozenset({"PPLH", "PPLCH"})


@dataclass
class ImportStats:
    """What an import did, for the summary line."""

    lines: int = 0
    written: int = 0
    known: int = 0
    warnings: int = 0


def kind_for(feature_class: str, feature_code: str, population: int) -> str | None:
    """The geomap kind of a GeoNames feature, or None when the gazetteer has no use for it."""
    if feature_code in CODE_KINDS:
        return CODE_KINDS[feature_code]
    if feature_class == "P":
        if feature_code in _HISTORICAL or not feature_code.startswith(("PPL", "STLMT")):
            return None
        return "city" if population >= 100_000 else "town" if population >= 10_000 else "village"
    return CLASS_KINDS.get(feature_class)


def latin_aliases(
    name: str, asciiname: str, alternatenames: str, stopwords: frozenset[str]
) -> list[str]:
    """Usable Latin spellings besides ``name``, one per folded key (matching is folded, so
    "Idlib" and "IDLIB" would add nothing), filtered like the world layer's names."""
    seen = {phrase_key(name)}
    out = []
    for alt in (asciiname, *alternatenames.split(",")):
        alt = alt.strip()
        key = phrase_key(alt)
        if key not in seen and "|" not in alt and latin_name(alt, stopwords):
            seen.add(key)
            out.append(alt)
    return out


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def import_geonames(
    source: str | Path,
    out: TextIO,
    *,
    countries: Collection[str] = (),
    feature_classes: Collection[str] = DEFAULT_CLASSES,
    min_population: int = 0,
    known_geonameids: Collection[int] = frozenset(),
    warn: Callable[[str], None] = _stderr,
    progress: bool = False,
) -> ImportStats:
    """Stream the dump at ``source`` and write gazetteer rows (with the header) to ``out``.

    ``countries`` and ``feature_classes`` filter rows (empty ``countries``: all);
    ``min_population`` applies to populated places only, since GeoNames gives areas,
    bases and features no population. Rows whose geonameid is in ``known_geonameids``
    (already curated) are left out so the import does not duplicate them. A malformed
    line is skipped with a ``file:line: message`` warning.

    ``admin1`` holds the name of the row's ADM1 area, which may come anywhere in the
    dump; rows go to a temporary file first and the names are filled in on the way out.
    """
    from tqdm import tqdm

    path = Path(source)
    wanted = {c.upper() for c in countries}
    classes = {c.upper() for c in feature_classes}
    stopwords = load_stopwords()
    admin1_names: dict[str, str] = {}
    stats = ImportStats()

    def skip(line_no: int, message: str) -> None:
        stats.warnings += 1
        warn(f"{path}:{line_no}: skipped: {message}")

    with (
        path.open("rb") as fh,
        tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as tmp,
        tqdm(total=path.stat().st_size, unit="B", unit_scale=True, disable=not progress) as bar,
    ):
        writer = csv.writer(tmp, lineterminator="\n")
        for line_no, raw in enumerate(fh, 1):
            bar.update(len(raw))
            stats.lines = line_no
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                skip(line_no, f"not valid UTF-8 ({exc.reason})")
                continue
            if not line.strip():
                continue
            cols = line.split("\t")
            if len(cols) != len(FIELDS):
                skip(line_no, f"{len(cols)} fields, the GeoNames format has {len(FIELDS)}")
                continue
            fclass, fcode = cols[_COL["feature class"]], cols[_COL["feature code"]]
            country = cols[_COL["country code"]].upper()
            admin1 = f"{country}.{cols[_COL['admin1 code']]}"
            if fcode == "ADM1":
                admin1_names[admin1] = cols[_COL["name"]].strip()
            if fclass not in classes or (wanted and country not in wanted):
                continue
            try:
                gid = int(cols[_COL["geonameid"]])
                population = int(cols[_COL["population"]] or 0)
                parse_number(cols[_COL["latitude"]].strip(), "latitude", -90, 90)
                parse_number(cols[_COL["longitude"]].strip(), "longitude", -180, 180)
            except ValueError as exc:
                skip(line_no, str(exc))
                continue
            kind = kind_for(fclass, fcode, population)
            if kind is None or (fclass == "P" and population < min_population):
                continue
            if gid in known_geonameids:
                stats.known += 1
                continue
            name = cols[_COL["name"]].strip()
            key = phrase_key(name).strip()
            if len(key.replace(" ", "")) < 2 or key in stopwords:
                skip(line_no, f"name {name!r} is too short or a stop word")
                continue
            aliases = latin_aliases(
                name, cols[_COL["asciiname"]], cols[_COL["alternatenames"]], stopwords
            )
            writer.writerow(
                [
                    f"gn:{gid}",
                    name,
                    "|".join(aliases),
                    cols[_COL["latitude"]].strip(),  # as GeoNames wrote it: no rounding
                    cols[_COL["longitude"]].strip(),
                    kind,
                    country,
                    admin1,
                    population or "",
                    gid,
                    "geonames",
                ]
            )
            stats.written += 1
        tmp.seek(0)
        final = csv.writer(out, lineterminator="\n")
        final.writerow(COLUMNS)
        admin1_col = COLUMNS.index("admin1")
        for row in csv.reader(tmp):
            row[admin1_col] = admin1_names.get(row[admin1_col], "")
            final.writerow(row)
    return stats
