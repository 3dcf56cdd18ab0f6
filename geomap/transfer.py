"""Moving a whole store between backends: every row of every table, as JSON lines.

``geomap db export`` writes a store (SQLite or PostGIS) to one file, ``geomap db import``
loads it into an empty store of either kind with the same ids, so a move loses nothing:
the spatial index is derived data and is rebuilt by the target backend.
"""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from geomap import backends, migrations
from geomap.store import Store, metadata

FORMAT = "geomap-store"
BATCH = 5000


@contextmanager
def _open(path: Path, mode: str) -> Iterator[IO[str]]:
    """The file, gzip-compressed when its name ends in ``.gz``."""
    if path.suffix == ".gz":
        with gzip.open(path, mode + "t", encoding="utf-8") as fh:
            yield fh
    else:
        with path.open(mode, encoding="utf-8") as fh:
            yield fh


def export_store(store: Store, path: Path) -> dict[str, int]:
    """Write every row of ``store`` to ``path`` (parents before children, in key order);
    returns the row count of each table."""
    counts: dict[str, int] = {}
    with _open(path, "w") as out, store.engine.connect() as conn:
        header = {"format": FORMAT, "revision": migrations.head()}
        out.write(json.dumps(header) + "\n")
        for table in metadata.sorted_tables:
            q = sa.select(table).order_by(*table.primary_key.columns)
            n = 0
            for row in conn.execution_options(yield_per=BATCH).execute(q):
                out.write(json.dumps({"t": table.name, "r": dict(row._mapping)}) + "\n")
                n += 1
            counts[table.name] = n
    return counts


def import_store(store: Store, path: Path) -> dict[str, int]:
    """Load an export into ``store``, which must be empty, in one transaction; returns the
    row count of each table. Raises ValueError on a file that is not an export or a store
    that already holds articles."""
    if store.stats()["articles"]:
        raise ValueError("the target store is not empty: import into a new store")
    tables = {t.name: t for t in metadata.sorted_tables}
    counts = dict.fromkeys(tables, 0)
    with _open(path, "r") as src, store.engine.begin() as conn:
        try:
            header = json.loads(src.readline() or "{}")
        except json.JSONDecodeError:
            header = {}
        if header.get("format") != FORMAT:
            raise ValueError(f"{path} is not a geomap store export")
        if header.get("revision") != migrations.head():
            raise ValueError(
                f"{path} was exported at schema revision {header.get('revision')}, "
                f"this geomap is at {migrations.head()}: import it with that version"
            )
        records = (json.loads(line) for line in src)
        for name, group in itertools.groupby(records, key=lambda rec: rec["t"]):
            if name not in tables:
                raise ValueError(f"{path}: unknown table {name!r}")
            rows = (rec["r"] for rec in group)
            while batch := list(itertools.islice(rows, BATCH)):
                conn.execute(tables[name].insert(), batch)
                counts[name] += len(batch)
        backends.after_bulk_load(conn, list(tables.values()))
    backends.settle_after_bulk_load(store.engine)
    return counts
