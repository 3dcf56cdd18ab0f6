"""Concurrent load and crashes lose nothing and store nothing twice.

- 4 writers post 500 distinct articles to a real `geomap serve` while 20 readers query
  the items endpoint: afterwards every article is stored exactly once and no request
  failed.
- The same articles posted by several writers at once are stored once.
- `kill -9` of `geomap ingest` half way through a folder leaves an intact database with
  no orphan rows, and running the ingest again completes it without duplicates.

Synthetic articles are built from the seed corpus's sentences (so they hold real places,
actors and events), each with its own title and dispatch line (so each is distinct).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
from support import serve as live_server

from geomap.articles import sentences, split_articles
from geomap.pipeline import read_text

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
HOST = "127.0.0.1"
TOKEN = "concurrency-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
N_ARTICLES, N_WRITERS, N_READERS = 500, 4, 20
N_FILES = 300
READS = [  # what a map client asks for: a page of events, often filtered
    {"limit": 20},
    {"limit": 20, "offset": 20},
    {"bbox": "35.5,32.3,37.0,33.5", "limit": 20},
    {"actor": "RUS", "limit": 20},
    {"type": "airstrike_shelling", "limit": 10},
    {"place": "Damascus", "limit": 20},
    {"datetime": "2020/..", "limit": 20},
]
READER_PAUSE_S = 0.25  # between a reader's requests: clients, not a busy loop
GEOMAP = Path(sys.executable).parent / "geomap"


# -- helpers ---------------------------------------------------------------------------


def _seed_sentences() -> list[str]:
    """Whole sentences of the seed articles that are long enough to carry an event."""
    out: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = read_text(path)
        for art in split_articles(text):
            for s, e in sentences(text, art.start, art.end):
                sent = " ".join(text[s:e].split())
                if 60 <= len(sent) <= 320 and sent[-1] in '.!?"”' and sent not in out:
                    out.append(sent)
    assert len(out) >= 40, "the seed corpus has too few sentences to build articles from"
    return out


def synthetic_articles(n: int, tag: str) -> list[dict[str, str]]:
    """``n`` distinct articles: a title, four seed sentences and a unique dispatch line."""
    pool = _seed_sentences()
    arts = []
    for i in range(n):
        rng = random.Random(f"{tag}-{i}")
        picked = rng.sample(pool, 4)
        body = (
            f"{picked[0]} {picked[1]}\n\n{picked[2]}\n\n{picked[3]} "
            f"Dispatch {tag}-{i} was filed by correspondent number {i % 17}.\n"
        )
        arts.append({"title": f"Synthetic {tag} dispatch {i}", "text": body})
    return arts


def _env(db: Path) -> dict[str, str]:
    env = {**os.environ, "GEOMAP_DB": str(db), "GEOMAP_API_TOKEN": TOKEN}
    for name in ("GEOMAP_CORS_ORIGINS", "GEOMAP_MAX_BODY"):
        env.pop(name, None)
    return env


@contextmanager
def serve(db: Path, log_path: Path) -> Iterator[str]:
    """`geomap serve` on a free port over ``db``; yields its base URL once /health answers."""
    with live_server(_env(db), log_path) as url:
        yield url


def _query(db: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(db, timeout=30)) as con:
        return con.execute(sql).fetchall()


ORPHANS = {
    "reports without their article": "SELECT count(*) FROM reports r "
    "LEFT JOIN articles a ON a.id = r.article_id WHERE a.id IS NULL",
    "reports without their event": "SELECT count(*) FROM reports r "
    "LEFT JOIN events e ON e.id = r.event_id WHERE e.id IS NULL",
    "mentions without their article": "SELECT count(*) FROM mentions m "
    "LEFT JOIN articles a ON a.id = m.article_id WHERE a.id IS NULL",
    "events without their article": "SELECT count(*) FROM events e "
    "LEFT JOIN articles a ON a.id = e.article_id WHERE a.id IS NULL",
    "events without any report": "SELECT count(*) FROM events e "
    "WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.event_id = e.id)",
    "event actors without their event": "SELECT count(*) FROM event_actors x "
    "LEFT JOIN events e ON e.id = x.event_id WHERE e.id IS NULL",
    "spatial index rows without their event": "SELECT count(*) FROM events_rtree t "
    "LEFT JOIN events e ON e.id = t.id WHERE e.id IS NULL",
    "events missing from the spatial index": "SELECT count(*) FROM events e "
    "LEFT JOIN events_rtree t ON t.id = e.id WHERE t.id IS NULL",
}


def assert_consistent(db: Path) -> dict[str, int]:
    """Integrity check, foreign keys and no orphans; returns the row counts."""
    assert _query(db, "PRAGMA integrity_check") == [("ok",)]
    assert _query(db, "PRAGMA foreign_key_check") == []
    orphans = {name: _query(db, sql)[0][0] for name, sql in ORPHANS.items()}
    assert not any(orphans.values()), f"orphan rows: {orphans}"
    n, distinct = _query(db, "SELECT count(*), count(DISTINCT content_hash) FROM articles")[0]
    assert n == distinct, f"{n - distinct} article(s) stored twice"
    return {
        t: _query(db, f"SELECT count(*) FROM {t}")[0][0]
        for t in ("articles", "events", "reports", "mentions")
    }


# -- concurrent writers and readers ---------------------------------------------------------


def test_four_writers_and_twenty_readers_lose_nothing(tmp_path, capsys):
    db = tmp_path / "load.db"
    articles = synthetic_articles(N_ARTICLES, "load")
    chunks = [articles[k::N_WRITERS] for k in range(N_WRITERS)]
    writing = threading.Event()
    writing.set()

    def writer(chunk: list[dict[str, str]]) -> tuple[int, list[str]]:
        failed: list[str] = []
        with httpx.Client(base_url=url, trust_env=False, timeout=120, headers=AUTH) as http:
            for art in chunk:
                try:
                    resp = http.post("/api/articles", json=art)
                    if resp.status_code != 201:
                        failed.append(f"POST {art['title']}: {resp.status_code} {resp.text[:200]}")
                    elif [r["created"] for r in resp.json()] != [True]:
                        failed.append(
                            f"POST {art['title']}: not one new article: {resp.text[:200]}"
                        )
                except Exception as exc:  # a failed request, whatever broke
                    failed.append(f"POST {art['title']}: {exc!r}")
        return len(chunk), failed

    def reader(k: int) -> tuple[int, list[str]]:
        failed: list[str] = []
        n = 0
        with httpx.Client(base_url=url, trust_env=False, timeout=120) as http:
            while writing.is_set() and time.monotonic() < give_up:
                params = READS[(k + n) % len(READS)]
                n += 1
                try:
                    resp = http.get("/collections/events/items", params=params)
                    body = resp.json() if resp.status_code == 200 else None
                    if body is None:
                        failed.append(f"GET {params}: {resp.status_code} {resp.text[:200]}")
                    elif body["type"] != "FeatureCollection" or body["numberReturned"] != len(
                        body["features"]
                    ):
                        failed.append(f"GET {params}: not a page of features: {resp.text[:200]}")
                except Exception as exc:  # a failed request, whatever broke
                    failed.append(f"GET {params}: {exc!r}")
                time.sleep(READER_PAUSE_S)
        return n, failed

    started = time.monotonic()
    give_up = started + 600  # readers stop by themselves even if a writer hangs
    with serve(db, tmp_path / "serve.log") as url:
        with ThreadPoolExecutor(max_workers=N_WRITERS + N_READERS) as pool:
            readers = [pool.submit(reader, k) for k in range(N_READERS)]
            writers = [pool.submit(writer, chunk) for chunk in chunks]
            try:
                written = [w.result() for w in writers]
            finally:
                writing.clear()  # readers stop however the writers ended
            read = [r.result() for r in readers]
        with httpx.Client(base_url=url, trust_env=False, timeout=60) as http:
            listed = http.get("/api/articles").json()
    elapsed = time.monotonic() - started

    failures = [f for _, fs in written + read for f in fs]
    n_posts, n_reads = sum(n for n, _ in written), sum(n for n, _ in read)
    counts = assert_consistent(db)
    with capsys.disabled():
        print(
            f"\nconcurrency: {N_WRITERS} writers posted {n_posts} articles while {N_READERS} "
            f"readers made {n_reads} item queries in {elapsed:.1f}s; stored "
            f"{counts['articles']} articles ({counts['events']} events, {counts['reports']} "
            f"reports); {len(failures)} failed request(s)"
        )
    assert not failures, f"{len(failures)} failed request(s):\n" + "\n".join(failures[:20])
    assert n_posts == N_ARTICLES and n_reads >= N_READERS
    assert counts["articles"] == N_ARTICLES
    assert sorted(a["title"] for a in listed) == sorted(a["title"] for a in articles)


def test_the_same_article_posted_at_once_is_stored_once(tmp_path):
    db = tmp_path / "dupes.db"
    articles = synthetic_articles(12, "dupe")

    def writer(k: int) -> list[tuple[str, int, bool | None]]:
        order = articles[k:] + articles[:k]  # every writer posts every article
        out = []
        with httpx.Client(base_url=url, trust_env=False, timeout=120, headers=AUTH) as http:
            for art in order:
                resp = http.post("/api/articles", json=art)
                created = resp.json()[0]["created"] if resp.status_code == 201 else None
                out.append((art["title"], resp.status_code, created))
        return out

    with serve(db, tmp_path / "serve.log") as url, ThreadPoolExecutor(N_WRITERS) as pool:
        results = [r for rs in pool.map(writer, range(N_WRITERS)) for r in rs]
    bad = [r for r in results if r[1] != 201]
    assert not bad, f"{len(bad)} of {len(results)} posts failed: {bad[:5]}"
    for art in articles:
        created = [c for t, _, c in results if t == art["title"]]
        assert created.count(True) == 1, f"{art['title']}: created {created}"
    assert assert_consistent(db)["articles"] == len(articles)


# -- kill -9 in the middle of an ingest -------------------------------------------------


def _ingest(folder: Path, db: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(GEOMAP), "ingest", "--quiet", "-j", "2", str(folder)],
            cwd=REPO,
            env=_env(db),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _articles_so_far(db: Path) -> int:
    try:
        return _query(db, "SELECT count(*) FROM articles")[0][0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def _children(pid: int) -> list[int]:
    """The processes ``pid`` has started (Linux /proc)."""
    tasks = Path(f"/proc/{pid}/task")
    return [
        int(c)
        for t in tasks.iterdir()
        for c in (t / "children").read_text().split()
        if (t / "children").exists()
    ]


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_kill_9_half_way_through_an_ingest_loses_nothing(tmp_path, capsys):
    assert GEOMAP.exists(), f"{GEOMAP} is missing: pip install -e '.[dev]'"
    folder = tmp_path / "articles"
    folder.mkdir()
    for i, art in enumerate(synthetic_articles(N_FILES, "crash")):
        (folder / f"{i:04d}.txt").write_text(f"{art['title']}\n\n{art['text']}", encoding="utf-8")
    db, log = tmp_path / "crash.db", tmp_path / "ingest.log"

    proc = _ingest(folder, db, log)
    deadline = time.monotonic() + 240
    at_kill = 0
    while proc.poll() is None and time.monotonic() < deadline:
        at_kill = _articles_so_far(db)
        if at_kill >= N_FILES // 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"ingest ended before the kill:\n{log.read_text()[-2000:]}"
    workers = _children(proc.pid)
    assert workers, "geomap ingest parses in worker processes"
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    # the parsing workers end with their parent rather than wait on its queue for ever
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "orphaned ingest workers"
    after_kill = assert_consistent(db)
    assert 0 < after_kill["articles"] < N_FILES, after_kill

    rerun = _ingest(folder, db, log)
    assert rerun.wait(timeout=600) == 0, log.read_text()[-2000:]
    final = assert_consistent(db)
    assert final["articles"] == N_FILES, final
    assert "already stored" in log.read_text()
    with capsys.disabled():
        print(
            f"\ncrash: kill -9 after {after_kill['articles']} of {N_FILES} files; integrity ok, "
            f"0 orphans; re-run stored {final['articles']} articles, "
            f"{final['articles']} distinct hashes ({final['events']} events)"
        )
