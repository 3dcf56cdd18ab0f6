"""``make bench``: build the corpora, run every benchmark, print one table and one JSON line.

Usage: ``python tests/bench/run.py [NAME...]`` with names from ``BENCHES`` (default: all).
Progress goes to standard error; standard output gets the table and, last, one JSON line
with every figure. Figures never fail the run: the exit status is 1 only when a
benchmark crashed. Settings (environment):

- ``BENCH_LONG=1``: the load run lasts 60 s (default 30 s) and the ingest of 10,000
  articles runs to the end (default: capped at ``BENCH_INGEST_SECONDS``, 90).
- ``BENCH_RUNS`` (geoparse repeats, >= 5), ``BENCH_GEOPARSE_BYTES`` (5,000,000),
  ``BENCH_EVENTS`` (store size, 1,000,000), ``BENCH_INGEST_ARTICLES`` (10,000),
  ``BENCH_INGEST_RUNS`` (3; the figure is their median),
  ``BENCH_REQUESTS`` and ``BENCH_ITEMS_SECONDS`` (in-process items requests: 1,000, capped
  at 45 s), ``BENCH_ITEMS_LOAD_SECONDS`` (20), ``BENCH_LOAD_SECONDS`` (30, or 60 with
  ``BENCH_LONG=1``), ``BENCH_EVAL_DIR`` (the eval kit, default ../shared/eval).

The machine's load average is recorded before and after each benchmark: other work on
the same two cores slows every figure down. So does a virtual machine's host: the share of
CPU time it took from this machine during each benchmark (Linux's "steal") is recorded too.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import BENCH_DIR, CORES, LONG, Figure, log

# name -> module with run() -> list[Figure]; in this order
BENCHES = {
    "geoparse": "bench_geoparse",
    "gazetteer": "bench_gazetteer",
    "ingest": "bench_ingest",
    "api": "bench_api",
    "spatial": "bench_spatial",
    "postgis": "bench_postgis",
    "load": "bench_load",
}


def table(figs: list[Figure]) -> str:
    rows = [("figure", "value", "unit", "target", "met", "miss", "measured")]
    for f in figs:
        value = (
            "-" if f.value is None else f"{f.value:,.3f}" if f.value < 100 else f"{f.value:,.0f}"
        )
        met = "-" if f.met is None else "yes" if f.met else "NO"
        rows.append((f.name, value, f.unit, f.target_text, met, f.miss, f.measured))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    out = []
    for n, r in enumerate(rows):
        cells = [r[0].ljust(widths[0]), r[1].rjust(widths[1])]
        cells += [r[i].ljust(widths[i]) for i in range(2, 6)]
        out.append("  ".join(cells) + "  " + r[6])
        if n == 0:
            out.append("-" * (sum(widths) + 2 * 6 + 8))
    return "\n".join(out)


def _in_own_process(name: str) -> list[Figure]:
    """Run one benchmark in a new interpreter: what an earlier one left in memory (an
    ingest's corpus and pipeline) must not slow the next one down, as it would not slow
    a real server."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        done = subprocess.run([sys.executable, __file__, "--one", name, str(out)], check=False)
        if done.returncode or not out.exists():
            crash = out.with_suffix(".crash")
            why = crash.read_text() if crash.exists() else f"exit status {done.returncode}"
            raise RuntimeError(why)
        return [
            Figure(
                f["name"],
                f["value"],
                f["unit"],
                f["target"],
                f["better"] or "higher",
                f["measured"],
                f.get("detail", {}),
            )
            for f in json.loads(out.read_text())
        ]


def _one(name: str, out: Path) -> int:
    """``--one NAME OUT``: run one benchmark, write its figures to OUT as JSON."""
    try:
        figs = importlib.import_module(BENCHES[name]).run()
    except Exception as exc:
        traceback.print_exc()
        out.with_suffix(".crash").write_text(f"{type(exc).__name__}: {exc}")
        return 1
    out.write_text(json.dumps([f.as_json() for f in figs]))
    return 0


def _cpu_times() -> list[int] | None:
    """The machine's CPU time counters (``/proc/stat``: user, nice, system, idle, iowait,
    irq, softirq, steal), or None where there is no such file."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            return [int(x) for x in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None


def _stolen(before: list[int] | None, after: list[int] | None) -> float | None:
    """The share of the machine's CPU time between two readings that its host took."""
    if not before or not after or len(before) < 8 or len(after) < 8:
        return None
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return round(spent[7] / sum(spent), 3) if sum(spent) else None


def main(argv: list[str]) -> int:
    names = argv or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; one of {', '.join(BENCHES)}")
        return 2
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    figs: list[Figure] = []
    crashed: dict[str, str] = {}
    seconds: dict[str, float] = {}
    load: dict[str, list[float]] = {}  # 1-minute load average before and after
    steal: dict[str, float | None] = {}
    t_all = time.perf_counter()
    for name in names:
        log(f"== {name}")
        load[name] = [round(os.getloadavg()[0], 2)]
        t0, cpu0 = time.perf_counter(), _cpu_times()
        try:
            figs += _in_own_process(name)
        except RuntimeError as exc:  # report it, run the rest, exit 1 at the end
            crashed[name] = str(exc)
        seconds[name] = round(time.perf_counter() - t0, 1)
        load[name].append(round(os.getloadavg()[0], 2))
        steal[name] = _stolen(cpu0, _cpu_times())
        log(f"== {name} done in {seconds[name]} s")
    print()
    print(table(figs))
    missed = [f for f in figs if f.met is False]
    print()
    print(
        f"{sum(f.met is True for f in figs)} target(s) met, {len(missed)} missed"
        + (f": {'; '.join(f'{f.name} ({f.miss})' for f in missed)}" if missed else "")
    )
    print(
        "load average (1 min) before/after each benchmark, on "
        f"{CORES} cores: " + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in load.items())
    )
    if any(v is not None for v in steal.values()):
        print(
            "CPU time taken by the virtual machine's host (steal) during each benchmark: "
            + ", ".join(f"{k} {v:.0%}" for k, v in steal.items() if v is not None)
        )
    for name, err in crashed.items():
        print(f"benchmark {name} crashed: {err}")
    result = {
        "bench": "geomap",
        "machine": {
            "cores": CORES,
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "long": LONG,
        "seconds": {**seconds, "total": round(time.perf_counter() - t_all, 1)},
        "loadavg_before_after": load,
        "steal_share": steal,
        "crashed": crashed,
        "figures": [f.as_json() for f in figs],
    }
    line = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
    (BENCH_DIR / "results.json").write_text(line + "\n", encoding="utf-8")
    print(line)
    return 1 if crashed else 0


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parents[2])
    if sys.argv[1:2] == ["--one"]:
        sys.exit(_one(sys.argv[2], Path(sys.argv[3])))
    sys.exit(main(sys.argv[1:]))
