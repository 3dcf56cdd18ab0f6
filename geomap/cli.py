"""The ``geomap`` command line: parse, ingest, serve, map and gazetteer tools.

Every sub-command is a thin shell over the library (the same core the HTTP
service uses), in the spirit of datasette's CLI.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from geomap.pipeline import default_pipeline, read_text


def _cmd_parse(args: argparse.Namespace) -> int:
    pipe = default_pipeline()
    for name in args.files:
        text = read_text(name)
        parsed = pipe.parse_articles(text)
        mentions = [m for pa in parsed for m in pa.mentions]
        actors = sorted({c for pa in parsed for c in pa.actors})
        if args.json:
            keep = None if args.explain else {"start", "end", "text", "place_id", "name", "kind",
                                             "country", "lat", "lon", "literal", "confidence",
                                             "geo_precision", "admin1"}
            rows = [{k: v for k, v in m.to_dict().items() if keep is None or k in keep}
                    for m in mentions]
            out = {"file": name, "articles": [pa.article.title for pa in parsed],
                   "mentions": rows, "actors": actors}
            print(json.dumps(out, ensure_ascii=False))
        else:
            print(f"== {name}: {len(parsed)} article(s), actors {', '.join(actors) or '-'}")
            for m in mentions:
                lit = "" if m.literal else " (metonymic)"
                why = f"  [{m.reason}, {m.confidence:.2f}]" if args.explain else ""
                print(f"{m.start:>6}-{m.end:<6} {m.text:<24} -> {m.name} ({m.kind}, "
                      f"{m.country or '-'}) {m.lat:.4f},{m.lon:.4f}{lit}{why}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="geomap", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="find and resolve place mentions in text files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="one JSON line per file")
    p.add_argument("--explain", action="store_true", help="show why each mention resolved")
    p.set_defaults(func=_cmd_parse)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``geomap`` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
