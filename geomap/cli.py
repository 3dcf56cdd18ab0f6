"""The ``geomap`` command line: parse, ingest, serve, map and gazetteer tools.

Every sub-command is a thin shell over the library (the same core the HTTP
service uses), in the spirit of datasette's CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from geomap.pipeline import default_pipeline, read_text

DEFAULT_WORKERS = min(2, os.cpu_count() or 1)


def _cmd_parse(args: argparse.Namespace) -> int:
    pipe = default_pipeline()
    for name in args.files:
        text = read_text(name)
        parsed = pipe.parse_articles(text)
        mentions = [m for pa in parsed for m in pa.mentions]
        actors = sorted({c for pa in parsed for c in pa.actors})
        if args.json:
            rows = [m.to_dict(explain=args.explain) for m in mentions]
            out = {
                "file": name,
                "articles": [pa.article.title for pa in parsed],
                "mentions": rows,
                "actors": actors,
            }
            print(json.dumps(out, ensure_ascii=False))
        else:
            print(f"== {name}: {len(parsed)} article(s), actors {', '.join(actors) or '-'}")
            for m in mentions:
                lit = "" if m.literal else " (metonymic)"
                why = f"  [{m.reason}, {m.confidence:.2f}]" if args.explain else ""
                print(
                    f"{m.start:>6}-{m.end:<6} {m.text:<24} -> {m.name} ({m.kind}, "
                    f"{m.country or '-'}) {m.lat:.4f},{m.lon:.4f}{lit}{why}"
                )
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from geomap.ingest import ingest_many
    from geomap.store import iter_files, open_store

    files = iter_files(args.paths)
    missing = [f for f in files if not f.exists()]
    if missing:
        print(f"geomap ingest: no such file: {missing[0]}", file=sys.stderr)
        return 2
    store, pipe = open_store(args.db), default_pipeline()
    new = old = n_events = n_unresolved = 0
    bar = tqdm(total=len(files), unit="file", disable=args.quiet or not sys.stderr.isatty())
    items = ((read_text(path), str(path)) for path in files)
    workers = 1 if len(files) < 2 else args.workers  # one file: no pool to start
    for results in ingest_many(store, pipe, items, workers=workers):
        for res in results:
            new += res.created
            old += not res.created
            n_events += res.events if res.created else 0
            n_unresolved += res.unresolved
        bar.update()
    bar.close()
    stats = store.stats()
    print(
        f"ingested {len(files)} file(s): {new} new article(s), {old} already stored, "
        f"{n_events} event(s) found; store holds {stats['articles']} articles and "
        f"{stats['events']} events; {n_unresolved} unresolved place candidate(s)"
    )
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from geomap.api import create_app
    from geomap.store import open_store

    store = open_store(args.db)  # creates the store (once, before any worker starts)
    print(
        f"geomap serving on http://{args.host}:{args.port}/ ({args.workers} worker(s))", flush=True
    )
    if args.workers == 1:
        default_pipeline()  # load the gazetteer before the first request
        uvicorn.run(create_app(store), host=args.host, port=args.port, log_level="warning")
        return 0
    store.engine.dispose()
    if args.db:  # each worker opens the store itself, from the environment
        os.environ["GEOMAP_DB"] = args.db
    uvicorn.run(
        "geomap.api.app:serve_app",
        factory=True,
        workers=args.workers,
        host=args.host,
        port=args.port,
        log_level="warning",
    )
    return 0


def _workers(value: str) -> int:
    """``--workers``: a whole number of processes, at least 1."""
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes (1 or more)")
    return int(value)


def _cmd_map(args: argparse.Namespace) -> int:
    from fastapi import HTTPException

    from geomap.actors import ActorIndex
    from geomap.api.params import (
        parse_bbox,
        parse_datetime,
        parse_intersects,
        parse_near,
        split_csv,
    )
    from geomap.geojson import event_feature
    from geomap.mapview import standalone_html
    from geomap.store import EventFilter, open_store

    try:  # the items endpoint's parsers, so a filter means the same everywhere
        shape = args.intersects
        if shape is not None and shape.startswith("@"):  # as curl reads a file
            shape = Path(shape[1:]).read_text(encoding="utf-8")
        flt = EventFilter(
            bbox=parse_bbox(args.bbox),
            datetime=parse_datetime(args.datetime),
            article=args.article or [],
            actor=split_csv(",".join(args.actor or [])),
            type=split_csv(",".join(args.type or [])),
            place=split_csv(",".join(args.place or [])),
            max_geo_precision=args.max_geo_precision,
            near=parse_near(args.near, args.radius_km),
            intersects=parse_intersects(shape),
        )
    except HTTPException as exc:
        print(f"geomap map: {exc.detail}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"geomap map: --intersects: {exc}", file=sys.stderr)
        return 2
    rows = open_store(args.db).query_events(flt, limit=args.limit)
    page = standalone_html([event_feature(r) for r in rows], ActorIndex.load())
    Path(args.out).write_text(page, encoding="utf-8")
    print(f"wrote {args.out} ({len(rows)} events, {len(page.encode()) / 1e6:.1f} MB)")
    return 0


def _cmd_gazetteer_check(args: argparse.Namespace) -> int:
    from geomap.gazetteer import check, default_paths

    paths = args.files or default_paths()
    errors = check(paths)
    for line in errors:
        print(line, file=sys.stderr)
    if not errors:
        print(f"{len(paths)} gazetteer file(s) OK")
    return 1 if errors else 0


def _missing(paths: list[str]) -> list:
    """The missing-place candidates of ``paths`` (a missing file is reported, not skipped)."""
    from geomap.missing import find_missing
    from geomap.store import iter_files

    absent = [f for f in iter_files(paths) if not f.exists()]
    if absent:
        raise FileNotFoundError(absent[0])
    return find_missing(paths)


def _cmd_gazetteer_reload(args: argparse.Namespace) -> int:
    """Reload a running server (``--url``) or re-geocode the local store."""
    if args.url:
        import urllib.error
        import urllib.request

        token = os.environ.get("GEOMAP_API_TOKEN", "")
        req = urllib.request.Request(
            args.url.rstrip("/") + "/api/gazetteer/reload",
            method="POST",
            headers={"Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(req, timeout=600) as resp:
                print(resp.read().decode())
            return 0
        except urllib.error.HTTPError as exc:
            print(f"geomap gazetteer reload: {exc.code} {exc.read().decode()}", file=sys.stderr)
            return 1
    from geomap.gazetteer import GazetteerError
    from geomap.reload import reload_gazetteer
    from geomap.store import open_store

    try:
        done = reload_gazetteer(open_store(args.db))
    except GazetteerError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        print("the gazetteer files are invalid; nothing was changed", file=sys.stderr)
        return 1
    print(
        f"gazetteer reloaded: {done.places} places; re-geocoded {done.articles} article(s), "
        f"{done.events} event(s) now stored"
    )
    return 0


def _cmd_gazetteer_missing(args: argparse.Namespace) -> int:
    from geomap.missing import write_missing_csv

    try:
        missing = _missing(args.paths)
    except FileNotFoundError as exc:
        print(f"geomap gazetteer missing: no such file: {exc}", file=sys.stderr)
        return 2
    if args.csv:
        # on stderr, so that `> new.csv` gives a clean CSV file
        print(
            "# Places the gazetteer lacks, as gazetteer rows. lat and lon are empty on purpose:\n"
            "# `geomap gazetteer check` rejects a row until you fill in its coordinates\n"
            "# (and check the guessed kind and add country and admin1).",
            file=sys.stderr,
        )
        write_missing_csv(missing, sys.stdout)
        return 0
    if not missing:
        print("no unresolved place candidates")
        return 0
    print(f"{'count':>5}  {'name':<28} {'kind (guess)':<14} other spellings")
    for m in missing:
        print(f"{m.count:>5}  {m.name:<28} {m.kind:<14} {', '.join(m.spellings) or '-'}")
        for path, sentence in m.examples:
            short = sentence if len(sentence) <= 160 else sentence[:159] + "…"
            print(f"{'':>7}{short}  [{path}]")
    print(f"{len(missing)} name(s); `--csv` prints them as gazetteer rows to fill in")
    return 0


def _known_geonameids(exclude: Path | None) -> set[int]:
    """GeoNames ids the gazetteer files already hold (tolerant read: only two columns)."""
    import csv

    from geomap.gazetteer import default_paths

    known: set[int] = set()
    for path in default_paths():
        if not path.exists() or (exclude and path.resolve() == exclude.resolve()):
            continue
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                pid = row.get("id") or ""
                for value in (row.get("geonameid") or "", pid[3:] if pid.startswith("gn:") else ""):
                    if value.strip().isdigit():
                        known.add(int(value))
    return known


def _letters(value: str) -> list[str]:
    return [v.strip().upper() for v in value.split(",") if v.strip()]


def _cmd_gazetteer_import_geonames(args: argparse.Namespace) -> int:
    import os
    import tempfile

    from geomap.geonames_import import FEATURE_CLASSES, import_geonames

    classes = _letters(args.feature_class)
    bad = [c for c in classes if c not in FEATURE_CLASSES]
    if bad:
        print(
            f"geomap gazetteer import-geonames: unknown feature class {bad[0]!r} "
            f"(use {','.join(sorted(FEATURE_CLASSES))})",
            file=sys.stderr,
        )
        return 2
    src = Path(args.file)
    if not src.is_file():
        print(f"geomap gazetteer import-geonames: no such file: {src}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else None
    options = {
        "countries": _letters(args.country),
        "feature_classes": classes,
        "min_population": args.min_population,
        "known_geonameids": set() if args.include_known else _known_geonameids(out),
        "progress": sys.stderr.isatty(),
    }
    if out is None:
        stats = import_geonames(src, sys.stdout, **options)
    else:
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                stats = import_geonames(src, fh, **options)
            os.replace(tmp, out)
        finally:
            Path(tmp).unlink(missing_ok=True)
    print(
        f"{stats.lines} line(s) read, {stats.written} place(s) written"
        f"{f' to {out}' if out else ''}, {stats.known} already in the gazetteer, "
        f"{stats.warnings} line(s) skipped with a warning",
        file=sys.stderr,
    )
    return 0


def _cmd_gazetteer_geocode(args: argparse.Namespace) -> int:
    import logging

    from geopy.exc import GeopyError

    from geomap.gazetteer import GazetteerError, default_paths
    from geomap.geocoder import GeocoderConfig, geocode_missing, partition_cached

    try:
        config = GeocoderConfig.from_env()
        missing = _missing(args.paths)
        cached, todo = partition_cached([m.name for m in missing], config)
    except (ValueError, FileNotFoundError) as exc:
        print(f"geomap gazetteer geocode: {exc}", file=sys.stderr)
        return 2
    if args.dry_run or not todo:
        for name, place in cached.items():
            print(f"cached   {name} -> {place.id} {place.lat:.5f},{place.lon:.5f}")
        for name in todo:
            print(f"to query {name}")
        state = "on" if config.enabled else "off (set GEOMAP_GEOCODER=nominatim to enable)"
        print(f"{len(todo)} name(s) to query, {len(cached)} cached; geocoder {state}")
        return 0
    if not config.enabled:
        print(
            f"geomap gazetteer geocode: the geocoder is off, nothing was queried "
            f"({len(todo)} name(s) to query). Set GEOMAP_GEOCODER=nominatim to enable it, "
            f"and GEOMAP_GEOCODER_URL to use your own Nominatim server.",
            file=sys.stderr,
        )
        return 2
    # geopy logs each retry with a traceback; the final error is reported below instead
    logging.getLogger("geopy").addHandler(logging.NullHandler())
    try:
        places = geocode_missing(todo, config=config, kinds={m.name: m.kind for m in missing})
    except (GeopyError, GazetteerError) as exc:
        print(f"geomap gazetteer geocode: {exc}", file=sys.stderr)
        return 1
    found = {p.name for p in places}
    for place in places:
        print(
            f"found     {place.name} -> {place.id} ({place.kind}) {place.lat:.5f},{place.lon:.5f}"
        )
    for name in todo:
        if name not in found:
            print(f"not found {name}")
    print(f"{len(places)} of {len(todo)} name(s) found, saved to {config.cache}")
    loaded = {p.resolve() for p in default_paths()}
    if places and config.cache.resolve() not in loaded:
        print(f"add {config.cache} to GEOMAP_GAZETTEER to use these places", file=sys.stderr)
    return 0


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    from geomap import migrations
    from geomap.backends import create_engine
    from geomap.store import db_url

    engine = create_engine(db_url(args.db))
    before = migrations.current(engine)
    after = migrations.upgrade(engine)
    print(f"store at schema revision {after}" + (f" (was {before})" if before != after else ""))
    return 0


def _cmd_db_export(args: argparse.Namespace) -> int:
    from geomap.store import open_store
    from geomap.transfer import export_store

    counts = export_store(open_store(args.db), Path(args.file))
    print(f"exported to {args.file}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    return 0


def _cmd_db_import(args: argparse.Namespace) -> int:
    from geomap.store import open_store
    from geomap.transfer import import_store

    if not Path(args.file).is_file():
        print(f"geomap db import: no such file: {args.file}", file=sys.stderr)
        return 2
    try:
        counts = import_store(open_store(args.db), Path(args.file))
    except ValueError as exc:
        print(f"geomap db import: {exc}", file=sys.stderr)
        return 2
    print(f"imported {args.file}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    return 0


def _db_option(p: argparse.ArgumentParser) -> None:
    """``--db``: every command that opens a store takes it the same way."""
    p.add_argument("--db", help="store URL or SQLite path (default: $GEOMAP_DB)")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="geomap", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="find and resolve place mentions in text files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="one JSON line per file")
    p.add_argument("--explain", action="store_true", help="show why each mention resolved")
    p.set_defaults(func=_cmd_parse)

    p = sub.add_parser("ingest", help="parse files or folders and store their events")
    p.add_argument("paths", nargs="+", metavar="PATH")
    _db_option(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "-j",
        "--workers",
        type=int,
        help="processes that parse in parallel (default: the usable cores; 1: no pool)",
    )
    p.set_defaults(func=_cmd_ingest)

    p = sub.add_parser("serve", help="serve the map and the API over HTTP")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    _db_option(p)
    p.add_argument(
        "--workers",
        type=_workers,
        default=DEFAULT_WORKERS,
        help="server processes, each with its own gazetteer (~200 MB) and store connections; "
        f"default {DEFAULT_WORKERS}: one per core up to two (reads are CPU-bound; a third "
        "process on two cores only adds memory). A gazetteer reload (API or CLI) reaches "
        "every worker at its next request",
    )
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser(
        "map",
        help="write the map of stored events to one HTML file that opens with no server",
        description="Filters are those of the items endpoint; list options take "
        "comma-separated values or repeat.",
    )
    p.add_argument("--out", required=True, metavar="FILE.html")
    _db_option(p)
    p.add_argument("--actor", action="append", help="actor code(s), e.g. TUR,RUS")
    p.add_argument("--type", action="append", help="event type(s), e.g. battle")
    p.add_argument("--place", action="append", help="place id(s) or name(s)")
    p.add_argument("--article", action="append", type=int, help="article id (repeatable)")
    p.add_argument("--bbox", metavar="MINLON,MINLAT,MAXLON,MAXLAT", help="WGS84 box")
    p.add_argument("--datetime", metavar="START/END", help="2022, 2022-03, 2022-01-01/..")
    p.add_argument("--near", metavar="LAT,LON", help="with --radius-km: events around a point")
    p.add_argument("--radius-km", type=float, metavar="KM", help="geodesic radius for --near")
    p.add_argument(
        "--intersects",
        metavar="WKT|GEOJSON|@FILE",
        help="events inside a polygon: WKT or GeoJSON text, or @file to read it from",
    )
    p.add_argument(
        "--max-geo-precision",
        type=int,
        choices=range(1, 5),
        help="1 settlements only, 2 districts, 3 governorates, 4 countries too",
    )
    p.add_argument("--limit", type=int, default=100_000)
    p.set_defaults(func=_cmd_map)

    g = sub.add_parser("gazetteer", help="gazetteer tools").add_subparsers(
        dest="gazetteer_command", required=True
    )
    p = g.add_parser("check", help="validate gazetteer files (errors as file:line: message)")
    p.add_argument("files", nargs="*", metavar="FILE")
    p.set_defaults(func=_cmd_gazetteer_check)

    p = g.add_parser("reload", help="pick up edited gazetteer files and re-geocode the store")
    p.add_argument("--url", help="reload a running server instead (needs GEOMAP_API_TOKEN)")
    _db_option(p)
    p.set_defaults(func=_cmd_gazetteer_reload)

    p = g.add_parser("missing", help="list place names the gazetteer lacks in texts")
    p.add_argument("paths", nargs="*", default=["seeds/"], metavar="PATH")
    p.add_argument("--csv", action="store_true", help="print gazetteer rows to fill in")
    p.set_defaults(func=_cmd_gazetteer_missing)

    p = g.add_parser("import-geonames", help="convert a GeoNames dump into a gazetteer CSV")
    p.add_argument("file", metavar="FILE", help="allCountries.txt, SY.txt, … (unzipped)")
    p.add_argument("--country", default="", help="ISO codes, comma-separated (default: all)")
    p.add_argument(
        "--feature-class",
        default="P,A,S",
        help="GeoNames feature classes among P,A,S,T,L,H (default: P,A,S)",
    )
    p.add_argument("--min-population", type=int, default=0, help="for populated places (class P)")
    p.add_argument("--out", metavar="FILE.csv", help="default: standard output")
    p.add_argument(
        "--include-known",
        action="store_true",
        help="keep places whose geonameid a gazetteer file already has",
    )
    p.set_defaults(func=_cmd_gazetteer_import_geonames)

    p = g.add_parser("geocode", help="geocode the missing names online (off by default)")
    p.add_argument("paths", nargs="*", default=["seeds/"], metavar="PATH")
    p.add_argument("--dry-run", action="store_true", help="list the names, query nothing")
    p.set_defaults(func=_cmd_gazetteer_geocode)

    g = sub.add_parser("db", help="store maintenance").add_subparsers(
        dest="db_command", required=True
    )
    p = g.add_parser("upgrade", help="bring the store's schema to this version (keeps data)")
    _db_option(p)
    p.set_defaults(func=_cmd_db_upgrade)
    p = g.add_parser("export", help="write every stored row to a file (.jsonl, .jsonl.gz)")
    p.add_argument("file", metavar="FILE")
    _db_option(p)
    p.set_defaults(func=_cmd_db_export)
    p = g.add_parser("import", help="load an export into an empty store (SQLite or PostGIS)")
    p.add_argument("file", metavar="FILE")
    _db_option(p)
    p.set_defaults(func=_cmd_db_import)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``geomap`` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
