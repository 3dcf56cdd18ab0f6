"""Figures 6 and 8, and the load run of issue 7: a real ``geomap serve`` under load.

The server runs the 1,000,000-event store of :mod:`bench_store` on a free loopback
port, as ``geomap serve`` (its default number of uvicorn workers). The load comes from a
second process on loopback: ``wrk`` (Debian package; ``make bench`` installs it when missing
and run as root), or, without it, the Python load generator below (threads with
keep-alive ``http.client`` connections; the figure says which ran).

1. items: 50 connections for 20 s on ``/collections/events/items?bbox=...&limit=100``,
   the bounding boxes of :mod:`bench_api` in turn: requests/s, latency, errors.
2. reference: 50 connections for 10 s on ``/conformance`` (no store): what the HTTP stack
   alone serves on this machine.
3. load run (issue 7): 50 clients at once, 40 on the items URLs and 10 on ``/map``,
   for ``BENCH_LOAD_SECONDS`` (30 s by default, 60 s with ``BENCH_LONG=1``): error
   count and p99 of each.
4. memory: the RSS high-water mark (``VmHWM`` in ``/proc/PID/status``) of each server
   process (uvicorn's supervisor and workers) after each phase, so the last one is the
   peak over the whole test: the largest process, and the sum.

An error is a non-2xx answer, a socket error, a request with no answer within the
client timeout (10 s; wrk's ``--timeout``; when nothing at all came back in a run longer
than that, every request still waiting counts), or an exception the server logged (a 500
its client may no longer be waiting for). A 500 that comes after the client gave up is also
one of its timeouts, so the error figure is the larger of the two counts, not their sum.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench_common import (
    CORES,
    LONG,
    PYTHON,
    REPO_DIR,
    TMP_DIR,
    Figure,
    env_int,
    log,
    percentile,
    pipeline,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the server helpers

from support import free_port, stop

TIMEOUT_S = 10


def _vm(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of one process, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, kb = line.split(":")[0], int(line.split()[1])
            out[key] = kb / 1024
    return out


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's worker processes)."""
    parent: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        parent.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += parent.get(p, [])
    return out


def vm(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of the server, in MB: the largest process (``VmRSS``, ``VmHWM``),
    and the sums over the supervisor and its workers (``totalRSS``, ``totalHWM``, the latter
    an upper bound of the peak of the whole, as processes peak at different times)."""
    per = [_vm(p) for p in _tree(pid)]
    return {
        "VmRSS": max(v["VmRSS"] for v in per),
        "VmHWM": max(v["VmHWM"] for v in per),
        "totalRSS": sum(v["VmRSS"] for v in per),
        "totalHWM": sum(v["VmHWM"] for v in per),
        "processes": len(per),
    }


# -- wrk ------------------------------------------------------------------------------
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def wrk(base: str, paths: list[str], connections: int, seconds: int) -> dict:
    """Run wrk over ``paths`` in turn; requests/s, p50/p99 (ms) and error counts."""
    TMP_DIR.mkdir(parents=True, exist_ok=True)
    script = TMP_DIR / f"paths-{os.getpid()}-{abs(hash(tuple(paths)))}.lua"
    script.write_text(
        "local paths = {" + ", ".join(json.dumps(p) for p in paths) + "}\n"
        "local threads = {}\n"
        "function setup(thread) table.insert(threads, thread) end\n"
        "function init(args) sent = 0 end\n"
        "function request()\n"
        "  sent = sent + 1\n"
        '  return wrk.format("GET", paths[(sent % #paths) + 1])\n'
        "end\n"
        "function done(summary, latency, requests)\n"
        "  local n = 0\n"
        '  for _, t in ipairs(threads) do n = n + t:get("sent") end\n'
        '  io.write(string.format("BENCH sent %d\\n", n))\n'
        "end\n"
    )
    threads = max(1, min(CORES, connections))
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    cmd += [f"--timeout={TIMEOUT_S}s", "-s", str(script), base]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    script.unlink(missing_ok=True)
    res: dict = {"tool": "wrk", "connections": connections, "seconds": seconds}
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else 0.0
    for q in ("50", "99"):
        m = re.search(rf"^\s+{q}%\s+(\S+)", out, re.MULTILINE)
        res[f"p{q}_ms"] = round(_ms(m.group(1)), 1) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = [int(x) for x in m.groups()] if m else [0, 0, 0, 0]
    res["socket_errors"] = sum(socket_errors[:3])
    res["timeouts"] = socket_errors[3]
    res["errors"] = res["non_2xx"] + sum(socket_errors)
    # wrk counts an answer that comes after --timeout as a request *and* a timeout, and
    # keeps its latency out of the percentiles: those are over the in-time answers only
    res["ok"] = res["requests"] - res["timeouts"] - res["non_2xx"]
    res["ok_rps"] = round(res["ok"] / seconds, 2)
    if res["requests"] == res["timeouts"]:
        res["p50_ms"] = res["p99_ms"] = None
    m = re.search(r"BENCH sent (\d+)", out)
    if m:  # requests wrk sent that had no answer at all when the run ended
        res["unanswered_at_end"] = int(m.group(1)) - res["requests"] - res["socket_errors"]
        if res["requests"] == 0 and seconds > TIMEOUT_S:
            # nothing came back all run: every request waited longer than the timeout
            res["timeouts"] += res["unanswered_at_end"]
            res["errors"] += res["unanswered_at_end"]
    return res


# -- the Python load generator (when wrk is missing) ------------------------------------
def loadgen(base: str, paths: list[str], connections: int, seconds: int) -> dict:
    """The same measurement as :func:`wrk`, from a child process with one thread per
    connection (keep-alive), so the load still comes from a second process."""
    cmd = [PYTHON, __file__, "loadgen", base, str(connections), str(seconds), *paths]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _loadgen_main(base: str, connections: int, seconds: int, paths: list[str]) -> None:
    host, port = base.removeprefix("http://").split(":")
    lat: list[float] = []
    errors = {"non_2xx": 0, "socket_errors": 0, "timeouts": 0}
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(k: int) -> None:
        conn = None
        i = k
        while time.perf_counter() < stop:
            i += 1
            path = paths[i % len(paths)]
            t = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT_S)
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                ok = 200 <= resp.status < 400
                with lock:
                    lat.append(time.perf_counter() - t)
                    errors["non_2xx"] += not ok
            except TimeoutError:
                with lock:
                    errors["timeouts"] += 1
                conn = None
            except OSError:
                with lock:
                    errors["socket_errors"] += 1
                conn = None

    threads = [threading.Thread(target=client, args=(k,)) for k in range(connections)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    took = time.perf_counter() - t0
    res = {
        "tool": "python",
        "connections": connections,
        "seconds": seconds,
        "requests": len(lat),
        "rps": round(len(lat) / took, 1),
        "p50_ms": round(percentile(lat, 50) * 1e3, 1) if lat else None,
        "p99_ms": round(percentile(lat, 99) * 1e3, 1) if lat else None,
        **errors,
        "errors": sum(errors.values()),
        "unanswered_at_end": 0,  # every client waits for its answer (or the timeout)
        "ok": len(lat) - errors["non_2xx"],
        "ok_rps": round((len(lat) - errors["non_2xx"]) / took, 2),
    }
    print(json.dumps(res))


def load(base: str, paths: list[str], connections: int, seconds: int) -> dict:
    return (wrk if shutil.which("wrk") else loadgen)(base, paths, connections, seconds)


def drain(base: str, limit_s: float = 120) -> float:
    """Wait until the server answers a cheap request at once again (the requests a load
    phase left queued are done), so one phase's backlog does not land on the next."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(base + "/conformance", timeout=limit_s) as r:
                r.read()
        except OSError:
            pass
        if time.perf_counter() - t < 0.2:
            break
    return time.perf_counter() - t0


def _late(r: dict) -> bool:
    """More than 1 % of the answers came after the client timeout (so did the p99)."""
    return r["timeouts"] > 0.01 * max(r["requests"], 1)


def p99_text(r: dict) -> str:
    """The p99 in words: a lower bound when more than 1 % of the answers timed out."""
    if r["requests"] == 0:
        return f"no answer at all within the {r['seconds']} s run"
    if _late(r):
        return f"p99 > {TIMEOUT_S * 1000:,} ms (the client timeout)"
    return f"p99 {r['p99_ms']} ms"


def server_errors(log_path: Path) -> dict[str, dict[str, int]]:
    """Unhandled exceptions the server logged (each one a 500 to its client, if it still
    waits), by endpoint function and by exception."""
    text = log_path.read_text(encoding="utf-8", errors="replace")
    out: dict[str, dict[str, int]] = {}
    for block in text.split("Exception in ASGI application")[1:]:
        where = re.findall(r"geomap/api/\w+\.py\", line \d+, in (\w+)", block)
        what = re.findall(r"^([\w.]+(?:Error|Exception|Exit)\b[^\n]{0,60})", block, re.M)
        d = out.setdefault(where[-1] if where else "other", {})
        key = what[-1] if what else "unknown"
        d[key] = d.get(key, 0) + 1
    return out


def count_errors(errs: dict[str, dict[str, int]], endpoint: str | None = None) -> int:
    return sum(sum(d.values()) for k, d in errs.items() if endpoint in (None, k))


def _minus(a: dict[str, dict[str, int]], b: dict[str, dict[str, int]]) -> dict:
    out: dict[str, dict[str, int]] = {}
    for k, d in a.items():
        for e, n in d.items():
            left = n - b.get(k, {}).get(e, 0)
            if left:
                out.setdefault(k, {})[e] = left
    return out


# -- the benchmark ------------------------------------------------------------------------
@contextmanager
def served(db: str, log_name: str = "serve.log") -> Iterator[tuple[subprocess.Popen, str, Path]]:
    """A real ``geomap serve`` of store ``db`` on a free loopback port, once it answers:
    ``(process, base URL, its log)``; stopped at the end."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    TMP_DIR.mkdir(parents=True, exist_ok=True)
    log_path = TMP_DIR / log_name
    geomap = str(Path(PYTHON).with_name("geomap"))
    cmd = [geomap, "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db]
    log(f"load: {' '.join(cmd)}")
    with log_path.open("w") as logfile:
        server = subprocess.Popen(cmd, cwd=REPO_DIR, stdout=logfile, stderr=subprocess.STDOUT)
        try:
            t0 = time.perf_counter()
            while not _answers(base):
                if server.poll() is not None:
                    raise RuntimeError(f"geomap serve exited with {server.returncode}: {log_path}")
                if time.perf_counter() - t0 > 180:
                    raise RuntimeError("geomap serve did not answer within 180 s")
                time.sleep(0.25)
            log(f"load: serving after {time.perf_counter() - t0:.1f} s")
            yield server, base, log_path
        finally:
            stop(server, timeout=20)


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/conformance", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def items_under_load(base: str, item_paths: list[str], log_path: Path, secs: int) -> dict:
    """50 connections on the items URLs for ``secs``: the load figures, with the server's
    logged exceptions counted among the errors."""
    items = load(base, item_paths, 50, secs)
    items["drain_s"] = round(drain(base), 1)
    errs = server_errors(log_path)
    items["server_exceptions"] = errs
    items["errors"] = max(items["errors"], count_errors(errs))
    return items


def run() -> list[Figure]:
    import bench_store
    from bench_api import BBOXES, items_url

    path, build_fig = bench_store.ensure(pipeline().gazetteer)
    with served(str(path)) as (server, base, log_path):
        return _measure(server, base, [items_url(b) for _, b in BBOXES], build_fig, log_path)


def _measure(
    server: subprocess.Popen, base: str, item_paths: list[str], build_fig, log_path: Path
) -> list[Figure]:
    idle = vm(server.pid)
    tool = "wrk" if shutil.which("wrk") else "python load generator"

    secs = env_int("BENCH_ITEMS_LOAD_SECONDS", 20)
    log(f"load: items, 50 connections, {secs} s ({tool})")
    items = items_under_load(base, item_paths, log_path, secs)
    errs_items = items["server_exceptions"]
    after_items = vm(server.pid)

    log(f"load: reference, /conformance, 50 connections, 10 s ({tool})")
    floor = load(base, ["/conformance"], 50, 10)  # the framework alone: no store, 338 bytes
    drain(base)

    long_s = env_int("BENCH_LOAD_SECONDS", 60 if LONG else 30)
    log(f"load: mixed run, 40 clients on items + 10 on /map, {long_s} s ({tool})")
    mixed: dict[str, dict] = {}

    def side(name: str, paths: list[str], conns: int) -> None:
        mixed[name] = load(base, paths, conns, long_s)

    th_items = threading.Thread(target=side, args=("items", item_paths, 40))
    th_map = threading.Thread(target=side, args=("map", ["/map"], 10))
    th_items.start()
    th_map.start()
    th_items.join()
    th_map.join()
    drained = round(drain(base), 1)
    for r in mixed.values():
        r["drain_s"] = drained
    errs_mixed = _minus(server_errors(log_path), errs_items)
    for name, endpoint in (("items", "event_items"), ("map", "map_page")):
        mixed[name]["server_exceptions"] = {endpoint: errs_mixed.get(endpoint, {})}
        mixed[name]["errors"] = max(mixed[name]["errors"], count_errors(errs_mixed, endpoint))
    peak = vm(server.pid)
    alive = server.poll() is None

    what = (
        f"real `geomap serve` ({peak['processes']} processes: uvicorn's default workers) on "
        f"loopback, {tool} in a second process"
    )
    figs = [] if build_fig is None else [build_fig]
    figs += [
        Figure(
            "items under load: throughput",
            items["ok_rps"],
            "requests/s",
            1000,
            measured=f"{what}, 50 connections, {secs} s, 8 bboxes in turn, limit=100, "
            f"1,000,000 events, {CORES} cores; successful answers within {TIMEOUT_S} s: "
            f"{items['ok']}, p50 {items['p50_ms']} ms, {p99_text(items)}",
            detail=items,
        ),
        Figure(
            "items under load: errors",
            items["errors"],
            "errors",
            0,
            better="lower",
            measured=f"seen by the client: non-2xx {items['non_2xx']}, socket errors "
            f"{items['socket_errors']}, timeouts (> {TIMEOUT_S} s) {items['timeouts']}, "
            f"no answer yet when the run ended {items.get('unanswered_at_end', 0)}; "
            f"server-side exceptions (500) logged {count_errors(errs_items)}, backlog "
            f"drained {items['drain_s']} s after the client stopped",
        ),
    ]
    figs.append(
        Figure(
            "reference: /conformance under load",
            floor["ok_rps"],
            "requests/s",
            measured=f"{what}, 50 connections, 10 s: the smallest route (no store), the "
            f"ceiling of the HTTP stack on this machine; errors {floor['errors']}, p50 "
            f"{floor['p50_ms']} ms, {p99_text(floor)}",
            detail=floor,
        )
    )
    for name, label in (("items", "items"), ("map", "/map (10,000 events)")):
        r = mixed[name]
        figs.append(
            Figure(
                f"load run: {label} p99",
                None if _late(r) else r["p99_ms"],
                "ms",
                measured=f"{what}, {r['connections']} of 50 clients, {long_s} s"
                f"{'' if LONG else ' (BENCH_LONG=1: 60 s)'}; {p99_text(r)}; "
                + (
                    f"{r['ok']} successful answers within {TIMEOUT_S} s ({r['ok_rps']}/s), "
                    f"p50 {r['p50_ms']} ms"
                    if r["ok"]
                    else f"no successful answer within {TIMEOUT_S} s"
                ),
                detail=r,
            )
        )
        figs.append(
            Figure(
                f"load run: {label} errors",
                r["errors"],
                "errors",
                0,
                better="lower",
                measured=f"seen by the client: non-2xx {r['non_2xx']}, socket errors "
                f"{r['socket_errors']}, timeouts (> {TIMEOUT_S} s) {r['timeouts']}, "
                f"no answer yet when the run ended {r.get('unanswered_at_end', 0)}"
                + f"; server-side exceptions (500) logged {count_errors(r['server_exceptions'])}",
            )
        )
    figs.append(
        Figure(
            "geomap serve peak memory (VmHWM), per process",
            peak["VmHWM"],
            "MB",
            500,
            better="lower",
            measured=f"RSS high-water mark of the largest server process over the whole test, "
            f"1,000,000 events stored; {peak['processes']} processes, together "
            f"<= {peak['totalHWM']:.0f} MB (sum of their peaks); idle after start "
            f"{idle['VmRSS']:.0f} MB ({idle['totalRSS']:.0f} MB together), after the items "
            f"load {after_items['VmHWM']:.0f} MB; server alive at the end: {alive}",
            detail={
                "processes": peak["processes"],
                "idle_rss_mb": round(idle["VmRSS"], 1),
                "idle_total_rss_mb": round(idle["totalRSS"], 1),
                "hwm_after_items_mb": round(after_items["VmHWM"], 1),
                "hwm_peak_mb": round(peak["VmHWM"], 1),
                "hwm_total_mb": round(peak["totalHWM"], 1),
            },
        )
    )
    return figs


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "loadgen":
    _loadgen_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
