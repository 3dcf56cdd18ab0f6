"""Score geomap on annotated article sets, as the held-out check does (`make eval`).

Each set is a folder of ``*.txt`` articles with ``gold.json`` (toponyms, actors) and
``events.json`` (events), in the format of ``../shared/eval/``. The toponyms are scored on
``geomap parse --json``; the events on the GeoJSON that a real ``geomap serve`` returns
for a fresh SQLite store of the set (``geomap ingest``), with the evaluation kit's own
scorers (copied here, unchanged). Prints two lines per set; never fails on a score.

Sets: the kit's dev set (``../shared/eval/dev``, when present) and each folder of
``tests/eval/news/``: invented articles in the style of wire, local and analysis outlets,
annotated blind under the kit's rules (see ``tests/eval/README.md``). Pass folders to
score others.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent
DEFAULT_SETS = [ROOT.parent / "shared" / "eval" / "dev", *sorted((HERE / "news").iterdir())]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _last_line(cmd: list[str], **kw) -> str:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout
    return out.strip().splitlines()[-1]


def score_set(folder: Path) -> tuple[str, str]:
    """The toponym and the event summary lines of one annotated set."""
    texts = sorted(str(p) for p in folder.glob("*.txt"))
    with tempfile.TemporaryDirectory() as tmp:
        parsed = Path(tmp, "parsed.jsonl")
        parsed.write_text(
            subprocess.run(
                [BIN / "geomap", "parse", "--json", *texts],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        toponyms = _last_line([sys.executable, HERE / "score.py", folder / "gold.json", parsed])
        env = {"GEOMAP_DB": str(Path(tmp, "ev.db")), "PATH": str(BIN)}
        subprocess.run([BIN / "geomap", "ingest", folder], check=True, capture_output=True, env=env)
        port = _free_port()
        server = subprocess.Popen(
            [BIN / "geomap", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(120):
                try:
                    urllib.request.urlopen(f"{url}/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.25)
            items = urllib.request.urlopen(f"{url}/collections/events/items?limit=10000").read()
        finally:
            server.terminate()
            server.wait()
        geojson = Path(tmp, "events.geojson")
        geojson.write_bytes(items)
        events = _last_line(
            [sys.executable, HERE / "score_events.py", folder / "events.json", folder, geojson]
        )
    return toponyms, events


def main(argv: list[str]) -> int:
    sets = [Path(a) for a in argv] or [d for d in DEFAULT_SETS if d.is_dir()]
    for folder in sets:
        toponyms, events = score_set(folder)
        name = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
        print(f"{name}: {toponyms}\n{name}: {events}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
