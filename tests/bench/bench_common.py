"""What every benchmark shares: figures, timers, settings, the shared pipeline."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parents[2]
BENCH_DIR = REPO_DIR / "data" / "bench"  # git-ignored (/data/): cached stores, profiles
PROFILE_DIR = BENCH_DIR / "profiles"
TMP_DIR = BENCH_DIR / "tmp"
CORES = os.cpu_count() or 1
LONG = os.environ.get("BENCH_LONG") == "1"  # full-length load run (60 s) and uncapped ingest
PYTHON = sys.executable


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


@dataclass
class Figure:
    """One measured figure with its target and what exactly was measured."""

    name: str
    value: float | None
    unit: str
    target: float | None = None
    better: str = "higher"  # "higher": met when value >= target; "lower": value <= target
    measured: str = ""  # corpus size, runs, cores ... in words
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        if self.value is None:
            return False
        return self.value >= self.target if self.better == "higher" else self.value <= self.target

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "-"
        return f"{'>=' if self.better == 'higher' else '<='} {self.target:g}"

    @property
    def miss(self) -> str:
        """How far from the target, in words ('' when met or without target)."""
        if self.target is None or self.met is True:
            return ""
        if self.value is None:
            return "not measured"
        if not self.target:
            return f"{self.value:g} over {self.target:g}"
        if not self.value:
            return "zero"
        ratio = self.target / self.value if self.better == "higher" else self.value / self.target
        digits = 2 if ratio < 1.1 else 1
        return f"{ratio:.{digits}f}x " + ("too slow" if self.better == "higher" else "over")

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": None if self.value is None else round(self.value, 4),
            "unit": self.unit,
            "target": self.target,
            "better": self.better if self.target is not None else None,
            "met": self.met,
            "measured": self.measured,
            **({"detail": self.detail} if self.detail else {}),
        }


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def percentile(xs: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, round(q / 100 * len(s) + 0.5) - 1))
    return s[k]


def timed_runs(fn: Callable[[], Any], runs: int) -> list[float]:
    """Wall-clock seconds of ``runs`` calls of ``fn``."""
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


@contextlib.contextmanager
def one_core() -> Iterator[int]:
    """Pin this process to one CPU for the duration (single-core figures)."""
    if not hasattr(os, "sched_setaffinity"):
        yield -1
        return
    before = os.sched_getaffinity(0)
    cpu = min(before)
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, before)


def log(msg: str) -> None:
    """Progress on standard error (the table and the JSON line go to standard output)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class LoopClient:
    """An in-process HTTP client for a benchmark: httpx over the app's ASGI interface, on
    one asyncio event loop in the calling thread, as a server runs an app (the app's own
    thread pool still renders what a route sends there). Starlette's ``TestClient`` hands
    each request to an event loop in another thread and back, about eight thread
    switches per request; on this 2-core machine those alone cost 2.5-4.6 ms per request
    (a bare FastAPI route), which the app does not spend under a server."""

    def __init__(self, app: Any) -> None:
        import httpx

        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )

    def get(self, url: str, **kwargs: Any) -> Any:
        """``GET url``: an ``httpx.Response``."""
        return self._loop.run_until_complete(self._client.get(url, **kwargs))

    def __enter__(self) -> LoopClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


_PIPELINE = None


def pipeline():
    """One Pipeline for every in-process benchmark (the gazetteer loads once)."""
    global _PIPELINE
    if _PIPELINE is None:
        from geomap.pipeline import Pipeline

        _PIPELINE = Pipeline()
    return _PIPELINE


def _frame_key(f, root: Path) -> tuple[str, str]:
    path = f.file_path or ""
    with contextlib.suppress(ValueError):
        path = str(Path(path).relative_to(root))
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    return (f"{f.function} ({path}:{f.line_no})" if path else f.function), path


def profile_summary(profiler, n: int = 8, root: Path = REPO_DIR) -> dict[str, Any]:
    """What dominates a pyinstrument session: the functions with the most self time, and
    the geomap functions with the most inclusive time, as shares of the whole."""
    frame = profiler.last_session.root_frame()
    own: dict[str, float] = {}
    incl: dict[str, float] = {}

    def walk(f, stack: frozenset[str]) -> None:
        if f is None or f.is_synthetic:
            return
        key, path = _frame_key(f, root)
        if f.total_self_time:
            own[key] = own.get(key, 0.0) + f.total_self_time
        if path.startswith("geomap/") and key not in stack:  # recursion counted once
            incl[key] = incl.get(key, 0.0) + f.time
        for c in f.children:
            walk(c, stack | {key})

    walk(frame, frozenset())
    total = frame.time if frame is not None and frame.time else 1.0

    def top(d: dict[str, float]) -> list[dict[str, Any]]:
        ranked = sorted(d.items(), key=lambda kv: -kv[1])[:n]
        return [{"function": k, "share": round(v / total, 3)} for k, v in ranked]

    return {"seconds": round(total, 3), "self": top(own), "inclusive_geomap": top(incl)}


def save_profile(profiler, name: str) -> Path:
    """Write the call tree (text) of a pyinstrument session under data/bench/profiles/."""
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    path = PROFILE_DIR / f"{name}.txt"
    path.write_text(profiler.output_text(unicode=False, color=False), encoding="utf-8")
    html = PROFILE_DIR / f"{name}.html"
    html.write_text(profiler.output_html(), encoding="utf-8")
    return path
