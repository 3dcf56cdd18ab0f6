"""The ``geomap`` command line: parse, ingest, serve, map and gazetteer tools.

Every sub-command is a thin shell over the library (the same core the HTTP
service uses), in the spirit of datasette's CLI.
"""

from __future__ import annotations

import argparse
import json
import sys

from geomap.pipeline import default_pipeline, read_text


def _cmd_parse(args: argparse.Namespace) -> int:
    pipe = default_pipeline()
    for name in args.files:
        text = read_text(name)
        parsed = pipe.parse_articles(text)
        mentions = [m for pa in parsed for m in pa.mentions]
        actors = sorted({c for pa in parsed for c in pa.actors})
        if args.json:
            keep = (
                None
                if args.explain
                else {
                    "start",
                    "end",
                    "text",
                    "place_id",
                    "name",
                    "kind",
                    "country",
                    "lat",
                    "lon",
                    "literal",
                    "confidence",
                    "geo_precision",
                    "admin1",
                }
            )
            rows = [
                {k: v for k, v in m.to_dict().items() if keep is None or k in keep}
                for m in mentions
            ]
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

    from geomap.geoparse import unresolved_candidates
    from geomap.ingest import ingest_text
    from geomap.store import iter_files, open_store

    files = iter_files(args.paths)
    missing = [f for f in files if not f.exists()]
    if missing:
        print(f"geomap ingest: no such file: {missing[0]}", file=sys.stderr)
        return 2
    store, pipe = open_store(args.db), default_pipeline()
    new = old = n_events = n_unresolved = 0
    for path in tqdm(files, unit="file", disable=args.quiet or not sys.stderr.isatty()):
        text = read_text(path)
        for res in ingest_text(store, pipe, text, source=str(path)):
            new += res.created
            old += not res.created
            n_events += res.events if res.created else 0
        mentions = pipe.parse(text)
        n_unresolved += len(unresolved_candidates(text, mentions))
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

    store = open_store(args.db)
    default_pipeline()  # load the gazetteer before the first request
    print(f"geomap serving on http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(create_app(store), host=args.host, port=args.port, log_level="warning")
    return 0


def _cmd_map(args: argparse.Namespace) -> int:
    from geomap.geojson import event_feature
    from geomap.mapview import build_map
    from geomap.store import EventFilter, open_store

    flt = EventFilter(
        actor=args.actor or [],
        type=args.type or [],
        place=args.place or [],
        article=args.article or [],
    )
    rows = open_store(args.db).query_events(flt, limit=args.limit)
    fmap = build_map([event_feature(r) for r in rows], default_pipeline().actors)
    fmap.save(args.out)
    print(f"wrote {args.out} ({len(rows)} events)")
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
    p.add_argument("--db", help="store URL or SQLite path (default: $GEOMAP_DB)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_ingest)

    p = sub.add_parser("serve", help="serve the map and the API over HTTP")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--db", help="store URL or SQLite path (default: $GEOMAP_DB)")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("map", help="write the map of stored events to an HTML file")
    p.add_argument("--out", required=True, metavar="FILE.html")
    p.add_argument("--db", help="store URL or SQLite path (default: $GEOMAP_DB)")
    p.add_argument("--actor", action="append", help="actor code (repeatable)")
    p.add_argument("--type", action="append", help="event type (repeatable)")
    p.add_argument("--place", action="append", help="place id or name (repeatable)")
    p.add_argument("--article", action="append", type=int, help="article id (repeatable)")
    p.add_argument("--limit", type=int, default=100_000)
    p.set_defaults(func=_cmd_map)

    g = sub.add_parser("gazetteer", help="gazetteer tools").add_subparsers(
        dest="gazetteer_command", required=True
    )
    p = g.add_parser("check", help="validate gazetteer files (errors as file:line: message)")
    p.add_argument("files", nargs="*", metavar="FILE")
    p.set_defaults(func=_cmd_gazetteer_check)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``geomap`` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
