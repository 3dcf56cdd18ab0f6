"""Real-browser tests: the maps work in Debian's Chromium with no internet.

Why: the API tests see HTML, not a map. Only a browser shows that Leaflet and its
plugins load from /static/vendor/ (npm, not a CDN), that markers appear, that the
layer control names every article and actor, that the landing page's filters and
permalinks select what they say, that the time window hides what it should, that
popups list their sources, and that `geomap map --out` opens from disk. Every request
that leaves 127.0.0.1 (or, for the file, the disk) is aborted, as on an analyst's
offline laptop.

Runs `geomap ingest seeds/` and `geomap serve` as subprocesses on a free port with a
throw-away database, so it tests what a user runs. Needs `/usr/bin/chromium`
(`make browser`); Playwright drives it and downloads no browser of its own.
Screenshots go to tests/output/; GEOMAP_UPDATE_SCREENSHOT=1 refreshes the README's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import pytest
from support import CHROMIUM, CHROMIUM_ARGS, missing
from support import serve as live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Frame, Page, Request, Route

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "tests" / "output"
ALLOWED_HOST = "127.0.0.1"
# Offline, only map tiles may try to leave the machine; a blocked script, stylesheet
# or font means a CDN link survived the vendor.json rewrite.
ALLOWED_BLOCKED_TYPES = {"image"}
MARKERS = ".leaflet-marker-icon, path.leaflet-interactive"
SERVER_START_S = 30.0
BROWSER_WAIT_MS = 30_000


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
    """A running `geomap serve`: its base URL and log."""

    url: str
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
        missing("install Debian chromium: sudo apt-get install chromium")
    return CHROMIUM


@pytest.fixture(scope="module")
def geomap_cli() -> Path:
    """The `geomap` console script of the interpreter running the tests."""
    script = Path(sys.executable).parent / "geomap"
    if not script.exists():
        pytest.fail(f"{script} is missing: install the package (make test does `pip install -e`)")
    return script


@pytest.fixture(scope="module")
def seed_env(
    chromium: Path, geomap_cli: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The environment of a fresh database holding the seed articles."""
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
    return env


@pytest.fixture(scope="module")
def server(
    seed_env: dict[str, str], geomap_cli: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """`geomap serve` over the seed database on a free port."""
    log_path = tmp_path_factory.mktemp("geomap_serve") / "serve.log"
    with live_server(seed_env, log_path) as url:
        yield Server(url=url, log_path=log_path)


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    """One headless Chromium for the module; Playwright downloads nothing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("install the dev extra for Playwright: pip install -e '.[dev]'")
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


def _matched(server: Server, **params: str) -> int:
    """How many events the items endpoint selects with these filters."""
    query = urlencode({**params, "limit": 1})
    return int(_get_json(f"{server.url}/collections/events/items?{query}")["numberMatched"])


# The events object of the page (static/js/geomap-events.js keeps every instance).
EVENTS = "GeomapEvents.instances[GeomapEvents.instances.length - 1]"


def _shown(page: Page) -> int:
    """The events the map draws, as its count control says."""
    return int(page.get_attribute(".gm-status-count", "data-shown") or -1)


def _wait_shown(page: Page, n: int) -> None:
    page.wait_for_function(
        f"() => document.querySelector('.gm-status-count')?.dataset.shown === '{n}'",
        timeout=BROWSER_WAIT_MS,
    )


def _day(iso: str) -> int:
    """Days since 1970: the time window sliders' unit."""
    return (date.fromisoformat(iso) - date(1970, 1, 1)).days


def _open_popup(page: Page, event_id: int) -> None:
    """Zoom to an event out of its cluster and open its popup, as a click would."""
    page.evaluate(f"() => {{ {EVENTS}.map.closePopup(); }}")
    page.wait_for_function("() => !document.querySelector('.leaflet-popup')")  # faded out
    assert page.evaluate(f"(id) => {EVENTS}.open(id)", event_id), (
        f"event {event_id} not drawn, or its cluster never opened"
    )
    page.locator(".leaflet-popup-content .gm-popup").wait_for(timeout=BROWSER_WAIT_MS)
    page.wait_for_function(  # faded in, for the screenshots
        "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )


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
    for group in ("Articles", "Actors", "Event types", "Map layers"):
        assert group in listed, f"no {group} group in the layer control"
    _wait_shown(page, _matched(server))  # every event, once

    assert not session.errors, f"JavaScript errors on /map: {session.errors}"
    session.blocked.assert_only_tiles()

    page.wait_for_load_state("networkidle")
    _screenshot(page, "map.png")
    if session.blocked.requests:
        print(f"blocked {len(session.blocked.requests)} non-local requests (tiles)")


def test_landing_page_filters_change_the_markers(server: Server, session: Session) -> None:
    """`/` shows the map beside the filters; ticking an event type redraws the markers,
    updates the counts and puts the filter in the address bar and the data links."""
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

    box = page.locator("#gm-map").bounding_box()
    assert box is not None and box["height"] > 400, f"the map is too small: {box}"
    assert _wait_for_map(page) > 0
    total = _matched(server)
    page.wait_for_function(
        f"() => document.getElementById('gm-total').textContent.startsWith('{total} ')"
    )
    before = int(page.evaluate(f"() => {EVENTS}.size()"))
    assert before > 0
    page.wait_for_load_state("networkidle")
    shot = _screenshot(page, "landing.png")
    if os.environ.get("GEOMAP_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, REPO / "static" / "screenshot.png")

    page.locator("#gm-types input[value='meeting_talks']").check()
    page.wait_for_function("() => location.search === '?type=meeting_talks'")
    talks = _matched(server, type="meeting_talks")
    assert 0 < talks < total
    page.wait_for_function(
        f"() => document.getElementById('gm-total').textContent.startsWith('{talks} ')"
    )
    page.wait_for_function(
        f"""() => {{
            const ev = {EVENTS};
            return ev.size() > 0 && ev.size() < {before} && ev.data.events.every(
                (e) => ev.data.types[e[2]][0] === 'meeting_talks');
        }}""",
        timeout=BROWSER_WAIT_MS,
    )
    assert _wait_for_map(page) > 0
    links = page.eval_on_selector_all("header a[href]", "(links) => links.map((a) => a.href)")
    paths = {_path_and_query(href) for href in links}
    assert {"/map?type=meeting_talks", "/collections/events/items?type=meeting_talks"} <= paths

    # place search goes through the gazetteer: an alias finds the place's events
    page.locator("#gm-types input[value='meeting_talks']").uncheck()
    page.locator("#gm-place").fill("Hmeimim")
    page.locator("#gm-place").press("Enter")
    page.wait_for_function("() => location.search === '?place=Hmeimim+Air+Base'")
    at_base = _matched(server, place="Hmeimim Air Base")
    assert at_base > 0
    page.wait_for_function(
        f"""() => {{
            const ev = {EVENTS};
            return ev.size() === {at_base}
                && ev.data.places.every((p) => p[1] === 'Hmeimim Air Base');
        }}""",
        timeout=BROWSER_WAIT_MS,
    )
    page.wait_for_function(f"() => {EVENTS}.map.getZoom() === 9")  # framed on the place

    assert not session.errors, f"JavaScript errors on /: {session.errors}"
    session.blocked.assert_only_tiles()


def test_a_permalink_reopens_the_same_view(server: Server, session: Session) -> None:
    """Filters in the query string and the map view in the hash: a URL opened anew
    shows the same filters, the same place and zoom, and the same events."""
    page = session.page
    page.goto(f"{server.url}/?actor=TUR&max_geo_precision=3#6/35.2000/38.4000", wait_until="load")
    _wait_for_map(page)
    expected = _matched(server, actor="TUR", max_geo_precision="3")
    page.wait_for_function(
        f"() => document.getElementById('gm-total').textContent.startsWith('{expected} ')"
    )
    page.wait_for_function("() => document.querySelector('#gm-actors input[value=TUR]')")
    assert page.is_checked("#gm-actors input[value='TUR']")
    assert page.input_value("#gm-precision") == "3"
    only_tur = f"""() => {{
        const ev = {EVENTS};
        return ev.size() > 0 && ev.data.events.every(
            (e) => e[5].some((a) => ev.data.actors[a][0] === 'TUR'));
    }}"""
    page.wait_for_function(only_tur, timeout=BROWSER_WAIT_MS)
    assert page.evaluate(f"() => {EVENTS}.map.getZoom()") == 6

    page.evaluate(f"() => {{ {EVENTS}.map.setView([36.2, 37.1], 8); }}")
    page.wait_for_function("() => location.hash === '#8/36.2000/37.1000'")
    permalink = page.url
    assert page.get_attribute("#gm-permalink", "href") == _path_and_query(permalink) + (
        "#8/36.2000/37.1000"
    )
    in_view = f"""() => {{
        const ev = {EVENTS}, view = ev.map.getBounds();
        return ev.data.events.filter((e) => {{
            const p = ev.data.places[e[1]];
            return view.contains([p[4], p[3]]);
        }}).map((e) => e[0]).sort((a, b) => a - b);
    }}"""
    shown = page.evaluate(in_view)
    assert shown, "no event in the permalink's view"

    again = session.context.new_page()
    again.goto(permalink, wait_until="load")
    again.wait_for_function(only_tur, timeout=BROWSER_WAIT_MS)
    assert again.evaluate(f"() => {EVENTS}.map.getZoom()") == 8
    center = again.evaluate(f"() => {EVENTS}.map.getCenter()")
    assert abs(center["lat"] - 36.2) < 1e-3 and abs(center["lng"] - 37.1) < 1e-3
    assert again.is_checked("#gm-actors input[value='TUR']")
    assert again.input_value("#gm-precision") == "3"
    assert again.evaluate(in_view) == shown
    again.wait_for_function(
        f"() => document.getElementById('gm-inview').textContent === '· {len(shown)} in view'"
    )
    assert not session.errors, f"JavaScript errors: {session.errors}"


def test_time_window_hides_events_outside_it(server: Server, session: Session) -> None:
    """/map's time window keeps the events whose date meets it, as `datetime=` does."""
    page = session.page
    page.goto(f"{server.url}/map", wait_until="load")
    _wait_for_map(page)
    _wait_shown(page, _matched(server))

    page.locator(".gm-time-undated").uncheck()
    _wait_shown(page, _matched(server, datetime="../.."))  # every dated event
    page.locator(".gm-time-from").fill(str(_day("2022-01-01")))
    page.locator(".gm-time-to").fill(str(_day("2022-12-31")))
    in_2022 = _matched(server, datetime="2022/2022")
    assert 0 < in_2022 < _matched(server, datetime="../..")
    _wait_shown(page, in_2022)
    dates = page.evaluate(
        f"""() => {{
            const ev = {EVENTS};
            return ev.cluster.getLayers().map((m) => ev.data.events[m.gmIndex][4]);
        }}"""
    )
    assert len(dates) == in_2022 and all(d and d.startswith("2022") for d in dates), dates
    assert "2022-01-01" in _norm(page.text_content(".gm-time") or "")
    _screenshot(page, "time-window.png")
    assert not session.errors, f"JavaScript errors: {session.errors}"


def test_popups_list_every_source(server: Server, session: Session) -> None:
    """A popup shows the sentence with its place marked and every article reporting it."""
    feats = _get_json(f"{server.url}/collections/events/items?limit=1000")["features"]
    merged = [f for f in feats if f["properties"]["source_count"] >= 2]
    assert merged, "no event of the seeds is reported by two articles"
    event = merged[0]
    props = event["properties"]
    page = session.page
    page.goto(f"{server.url}/map", wait_until="load")
    _wait_for_map(page)
    _open_popup(page, event["id"])
    popup = page.locator(".leaflet-popup-content .gm-popup")
    popup.locator(".gm-sentence mark.gm-place").wait_for(timeout=BROWSER_WAIT_MS)  # fetched
    assert _norm(popup.locator(".gm-sentence").text_content() or "") == _norm(props["sentence"])
    sources = {s["article_id"]: s for s in props["sources"]}
    items = popup.locator(".gm-sources li")
    assert items.count() == len(sources) >= 2
    listed = _norm(" ".join(items.all_text_contents()))
    for source in sources.values():
        assert _norm(source["article_title"]) in listed
    assert f"Sources ({len(sources)})" in _norm(popup.text_content() or "")
    _screenshot(page, "popup.png")

    page.evaluate(f"() => {{ {EVENTS}.map.closePopup(); }}")
    page.locator(f".gm-marker[data-event='{event['id']}']").click()  # a real click
    popup.locator(".gm-sentence mark.gm-place").wait_for(timeout=BROWSER_WAIT_MS)
    assert not session.errors, f"JavaScript errors: {session.errors}"


def _offline_file_page(browser: Browser, path: Path) -> tuple[Page, list[str], list[tuple]]:
    """A page for a file on disk, with every network request aborted; returns the page,
    its JavaScript errors and its failed requests (resource type, URL)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script("window.__ran = []; window.alert = (m) => window.__ran.push(m);")
    context.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
    )
    page = context.new_page()
    errors: list[str] = []
    failed: list[tuple] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("requestfailed", lambda r: failed.append((r.resource_type, r.url)))
    page.goto(path.as_uri(), wait_until="load")
    return page, errors, failed


def test_standalone_file_renders_offline(
    seed_env: dict[str, str], geomap_cli: Path, browser: Browser, tmp_path: Path
) -> None:
    """`geomap map --out` writes one file that draws the map and its popups from disk
    with no server and no network: nothing but map tiles is even asked for."""
    out = tmp_path / "seeds.html"
    made = subprocess.run(
        [str(geomap_cli), "map", "--out", str(out)],
        cwd=REPO,
        env=seed_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    n_events = int(re.search(r"\((\d+) events", made.stdout).group(1))  # type: ignore[union-attr]
    page, errors, failed = _offline_file_page(browser, out)
    try:
        assert _wait_for_map(page) > 0
        _wait_shown(page, n_events)
        multi = page.evaluate(f"() => {EVENTS}.data.events.find((e) => e[6].length > 1)[0]")
        _open_popup(page, multi)
        popup = page.locator(".leaflet-popup-content .gm-popup")
        assert popup.locator(".gm-sentence mark").count() > 0  # embedded, not fetched
        assert popup.locator(".gm-sources li").count() >= 2
        _screenshot(page, "standalone.png")
        assert not errors, f"JavaScript errors in the standalone file: {errors}"
        not_tiles = [(kind, url) for kind, url in failed if kind not in ALLOWED_BLOCKED_TYPES]
        assert not not_tiles, f"the file needs more than tiles: {not_tiles}"
    finally:
        page.context.close()


def test_standalone_file_shows_hostile_text_as_text(browser: Browser, tmp_path: Path) -> None:
    """Article text that tries to run script is shown, not run, in every popup."""
    from geomap.actors import ActorIndex
    from geomap.mapview import standalone_html

    payloads = [
        "<img src=x onerror=alert('img')>",
        "\"</script><script>alert('break')</script>",
        "';alert('quote');//",
        "{{ 7*7 }}",
    ]
    feats = [
        {
            "type": "Feature",
            "id": i + 1,
            "geometry": {"type": "Point", "coordinates": [36.0 + i, 33.0 + i / 2]},
            "properties": {
                "sentence": f"Shelling hit Tafas {p} at dawn.",
                "mention": "Tafas",
                "place_id": f"p{i}",
                "place_name": f"Tafas {p}",
                "place_kind": "town",
                "geo_precision": 1,
                "actors": ["RUS"],
                "event_type": "airstrike_shelling",
                "date": "2024-07-03",
                "sources": [
                    {
                        "article_id": i + 1,
                        "article_title": f"Title {p}",
                        "outlet": f"Outlet {p}",
                        "url": "javascript:alert('link')",
                        "published": None,
                    }
                ],
            },
        }
        for i, p in enumerate(payloads)
    ]
    out = tmp_path / "hostile.html"
    out.write_text(standalone_html(feats, ActorIndex.load()), encoding="utf-8")
    page, errors, _ = _offline_file_page(browser, out)
    try:
        _wait_for_map(page)
        for feat, payload in zip(feats, payloads, strict=True):
            _open_popup(page, feat["id"])
            popup = page.locator(".leaflet-popup-content .gm-popup")
            text = _norm(popup.text_content() or "")
            for shown in (f"Title {payload}", f"Outlet {payload}", f"Tafas {payload} at dawn"):
                assert _norm(shown) in text, f"{shown!r} not shown as text: {text!r}"
            assert popup.locator("a, img, script, iframe").count() == 0
        listed = _norm(" ".join(page.locator(".leaflet-control-layers").all_text_contents()))
        assert all(_norm(f"Title {p}") in listed for p in payloads)
        assert page.evaluate("() => window.__ran") == []
        assert not errors, f"errors or dialogs: {errors}"
    finally:
        page.context.close()
