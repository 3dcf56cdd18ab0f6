"""Helpers the live-server tests share: a free port, `geomap serve` until /health answers,
and the skip-or-fail rule for tools a machine may lack."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
GEOMAP = Path(sys.executable).parent / "geomap"
# Debian chromium, headless, with the background networking this closed machine refuses off
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing(what: str) -> NoReturn:
    """Fail in CI (a missing tool must not pass silently), skip on a developer machine."""
    if os.environ.get("CI") == "true":
        pytest.fail(what)
    pytest.skip(what)


def free_port() -> int:
    """A TCP port on the loopback nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`geomap serve` on a free port; yields its base URL once /health answers."""
    assert GEOMAP.exists(), f"{GEOMAP} is missing: pip install -e '.[dev]'"
    port = free_port()
    url = f"http://{HOST}:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(GEOMAP), "serve", "--host", HOST, "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            with httpx.Client(trust_env=False, timeout=2) as http:
                while True:
                    assert proc.poll() is None, f"serve exited:\n{log_path.read_text()[-3000:]}"
                    try:
                        if http.get(f"{url}/health").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                    time.sleep(0.2)
            yield url
        finally:
            stop(proc)


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a server process: SIGTERM, then SIGKILL if it has not exited in ``timeout``."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
