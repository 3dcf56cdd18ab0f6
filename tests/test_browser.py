"""Real-browser test: the map renders in Debian's Chromium with no internet.

Why: the API tests see HTML, not a map. Only a browser shows that Leaflet and its
plugins load from /static/vendor/ (npm, not a CDN), that markers appear, and that
the layer control names every article and actor. Every request that leaves
127.0.0.1 is aborted, as on an analyst's offline laptop.

Runs `geomap ingest seeds/` and `geomap serve` as subprocesses on a free port with a
throw-away database, so it tests what a user runs. Needs `/usr/bin/chromium`
(`make browser`); Playwright drives it and downloads no browser of its own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Frame, Page, Request, Route

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "tests" / "output"
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
ALLOWED_HOST = "127.0.0.1"
# Offline, only map tiles may try to leave the machine; a blocked script, stylesheet
# or font means a CDN link survived the vendor.json rewrite.
ALLOWED_BLOCKED_TYPES = {"image"}
MARKERS = ".leaflet-marker-icon, path.leaflet-interactive"
SERVER_START_S = 30.0
BROWSER_WAIT_MS = 30_000


def _missing(what: str) -> NoReturn:
    """Fail in CI (a missing tool must not pass silently), skip on a developer machine."""
    if os.environ.get("CI") == "true":
        pytest.fail(what)
    pytest.skip(what)


def _free_port() -> int:
    """A port the OS says is free now (the tiny race with another process is acceptable)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((ALLOWED_HOST, 0))
        return int(sock.getsockname()[1])


# Local requests must never go through a proxy, whatever the environment says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    """GET without proxies; returns (status, body), HTTP errors included."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _get_json(url: str) -> Any:
    status, body = _get(url)
    assert status == 200, f"GET {url} -> {status}: {body[:300]!r}"
    return json.loads(body)


def _norm(text: str) -> str:
    """Collapse whitespace: the control's HTML wraps and indents labels."""
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Server:
    """A running `geomap serve`: its base URL, process and log."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@dataclass
class Blocked:
    """Requests aborted because they left 127.0.0.1: (resource type, URL)."""

    requests: list[tuple[str, str]] = field(default_factory=list)

    def route(self, route: Route) -> None:
        request: Request = route.request
        if urlsplit(request.url).hostname == ALLOWED_HOST:
            route.continue_()
        else:
            self.requests.append((request.resource_type, request.url))
            route.abort()

    def assert_only_tiles(self) -> None:
        bad = [(kind, url) for kind, url in self.requests if kind not in ALLOWED_BLOCKED_TYPES]
        assert not bad, f"the page needs the internet for more than tiles: {bad}"


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's chromium, checked before any server is started."""
    if not CHROMIUM.exists():
        _missing("install Debian chromium: sudo apt-get install chromium")
    return CHROMIUM


@pytest.fixture(scope="module")
def geomap_cli() -> Path:
    """The `geomap` console script of the interpreter running the tests."""
    script = Path(sys.executable).parent / "geomap"
    if not script.exists():
        pytest.fail(f"{script} is missing: install the package (make test does `pip install -e`)")
    return script


@pytest.fixture(scope="module")
def server(
    chromium: Path, geomap_cli: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """Ingest the seed articles into a fresh database and serve it on a free port."""
    tmp = tmp_path_factory.mktemp("geomap_browser")
    env = {**os.environ, "GEOMAP_DB": str(tmp / "t.db")}
    env.pop("GEOMAP_API_TOKEN", None)  # the map is read-only; nothing here needs the token
    ingest = subprocess.run(
        [str(geomap_cli), "ingest", str(REPO / "seeds")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert ingest.returncode == 0, f"geomap ingest failed:\n{ingest.stdout}\n{ingest.stderr}"

    port = _free_port()
    url = f"http://{ALLOWED_HOST}:{port}"
    log_path = tmp / "serve.log"
    log: IO[bytes] = log_path.open("wb")
    process = subprocess.Popen(
        [str(geomap_cli), "serve", "--host", ALLOWED_HOST, "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    running = Server(url=url, process=process, log_path=log_path)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"geomap serve exited with {process.returncode}:\n{running.log()}")
            try:
                if _get(f"{url}/health", timeout=2.0)[0] == 200:
                    break
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                pytest.fail(
                    f"/health did not answer 200 within {SERVER_START_S}s:\n{running.log()}"
                )
            time.sleep(0.25)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    """One headless Chromium for the module; Playwright downloads nothing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("install the dev extra for Playwright: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Session:
    """A page whose every non-local request is aborted and whose JS errors are kept."""

    context: BrowserContext
    page: Page
    blocked: Blocked
    errors: list[str]


@pytest.fixture
def session(browser: Browser) -> Iterator[Session]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    blocked = Blocked()
    context.route("**/*", blocked.route)  # context-wide, so the landing page's iframe too
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield Session(context=context, page=page, blocked=blocked, errors=errors)
    finally:
        context.close()


def _wait_for_map(frame: Page | Frame) -> int:
    """Wait until Leaflet is loaded and a marker is drawn; return the marker count."""
    frame.wait_for_function("() => window.L !== undefined", timeout=BROWSER_WAIT_MS)
    frame.wait_for_function(
        f"() => document.querySelectorAll({json.dumps(MARKERS)}).length > 0",
        timeout=BROWSER_WAIT_MS,
    )
    return int(frame.evaluate(f"() => document.querySelectorAll({json.dumps(MARKERS)}).length"))


def _assert_same_origin(frame: Page | Frame, base_url: str) -> None:
    """Every script and linked resource comes from the geomap server itself."""
    urls: list[str] = frame.evaluate(
        """() => [
            ...Array.from(document.querySelectorAll('script[src]'), (e) => e.src),
            ...Array.from(document.querySelectorAll('link[href]'), (e) => e.href),
        ]"""
    )
    origin = urlsplit(base_url).netloc
    foreign = [url for url in urls if urlsplit(url).netloc != origin]
    assert not foreign, f"resources not served by geomap (CDN links left?): {foreign}"


def _path_and_query(url: str) -> str:
    """'/?f=json' from 'http://127.0.0.1:8000/?f=json'."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _screenshot(page: Page, name: str) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / name
    page.screenshot(path=str(path))
    return path


def test_map_renders_offline_with_every_article_and_actor(server: Server, session: Session) -> None:
    """`/map` loads only local assets, draws markers, and lists articles and actors."""
    page = session.page
    response = page.goto(f"{server.url}/map", wait_until="load")
    assert response is not None
    assert response.status == 200, f"/map -> {response.status}"

    markers = _wait_for_map(page)
    assert markers > 0
    _assert_same_origin(page, server.url)

    articles = _get_json(f"{server.url}/api/articles")
    actors = _get_json(f"{server.url}/api/actors?used=1")
    assert isinstance(articles, list)
    assert articles, "the seed articles were not ingested"
    assert isinstance(actors, list)
    assert actors, "no actor is used by the seed articles"

    controls = page.locator(".leaflet-control-layers")
    assert controls.count() > 0, "the map has no layer control"
    listed = _norm(" ".join(controls.all_text_contents()))
    missing_titles = [a["title"] for a in articles if _norm(a["title"]) not in listed]
    missing_actors = [
        f"{a['code']} ({a['name']})" for a in actors if _norm(a["name"]) not in listed
    ]
    assert not missing_titles, f"articles missing from the layer control: {missing_titles}"
    assert not missing_actors, f"actors missing from the layer control: {missing_actors}"

    assert not session.errors, f"JavaScript errors on /map: {session.errors}"
    session.blocked.assert_only_tiles()

    page.wait_for_load_state("networkidle")
    shot = _screenshot(page, "map.png")
    if os.environ.get("GEOMAP_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, REPO / "static" / "screenshot.png")
    if session.blocked.requests:
        print(f"blocked {len(session.blocked.requests)} non-local requests (tiles)")


def test_landing_page_embeds_the_map(server: Server, session: Session) -> None:
    """`/` is the HTML landing page, its links point at the API, its iframe shows the map."""
    page = session.page
    response = page.goto(f"{server.url}/", wait_until="load")
    assert response is not None
    assert response.status == 200, f"/ -> {response.status}"
    assert "text/html" in (response.headers.get("content-type") or "")
    _assert_same_origin(page, server.url)

    assert "events from the news" in _norm(page.locator("header").text_content() or "")
    hrefs = page.eval_on_selector_all("header a[href]", "(links) => links.map((a) => a.href)")
    paths = {_path_and_query(href) for href in hrefs}
    for wanted in ("/map", "/collections/events/items", "/docs", "/?f=json"):
        assert wanted in paths, f"landing page lacks a link to {wanted}: {sorted(paths)}"

    iframe = page.wait_for_selector("iframe[src='/map']", timeout=BROWSER_WAIT_MS)
    assert iframe is not None
    box = iframe.bounding_box()
    assert box is not None
    assert box["height"] > 400, f"the map iframe is too small: {box}"
    frame = iframe.content_frame()
    assert frame is not None
    assert _wait_for_map(frame) > 0
    _assert_same_origin(frame, server.url)

    assert not session.errors, f"JavaScript errors on /: {session.errors}"
    session.blocked.assert_only_tiles()
    page.wait_for_load_state("networkidle")
    _screenshot(page, "landing.png")
