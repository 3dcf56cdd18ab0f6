"""Hostile input: who may write, what other origins may read, bad bodies and parameters,
and article text that tries to run script in the map, its popups and the landing page.

The in-process tests use FastAPI's client over a small store; the browser test ingests
hostile articles through the API of a real `geomap serve` and opens the pages in Debian's
Chromium with a trap that records any script the articles manage to run.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from support import CHROMIUM, CHROMIUM_ARGS, missing, serve

from geomap.api import create_app
from geomap.api.deps import require_writer
from geomap.ingest import ingest_text
from geomap.store import open_store

if TYPE_CHECKING:
    from playwright.sync_api import Frame, Page

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser test then skips (or fails in CI) with a message
    PlaywrightTimeout = TimeoutError  # type: ignore[assignment,misc]

REPO = Path(__file__).resolve().parents[1]
TOKEN = "hostile-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"Content-Type": "application/json"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# POST routes that compute an answer and store nothing; every other write needs the token.
READ_ONLY_POSTS = {("POST", "/api/parse")}
SAMPLE = "Russian jets struck Idlib on July 3, 2024. Turkish drones hit Qamishli on May 2, 2024."


def _clear_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEOMAP_API_TOKEN", "GEOMAP_CORS_ORIGINS", "GEOMAP_MAX_BODY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def store(pipeline, tmp_path_factory):
    st = open_store(str(tmp_path_factory.mktemp("hostile") / "h.db"))
    ingest_text(st, pipeline, SAMPLE, title="Sample", source="test")
    return st


@pytest.fixture
def make_client(store, pipeline, monkeypatch):
    """A client over a fresh app built with the given environment (read at create_app)."""

    def make(**env: str) -> TestClient:
        _clear_env(monkeypatch)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return TestClient(create_app(store, pipeline), raise_server_exceptions=False)

    return make


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()


def _detail(resp: httpx.Response) -> str:
    """The response's message (FastAPI's ``detail``), as text; asserts there is one."""
    body = resp.json()
    assert isinstance(body, dict) and body.get("detail"), f"no message: {resp.text[:300]}"
    detail = body["detail"]
    return detail if isinstance(detail, str) else json.dumps(detail)


def _assert_4xx(resp: httpx.Response, *allowed: int) -> str:
    assert 400 <= resp.status_code < 500, f"{resp.status_code}: {resp.text[:300]}"
    if allowed:
        assert resp.status_code in allowed, f"{resp.status_code}: {resp.text[:300]}"
    return _detail(resp)


# -- write access ---------------------------------------------------------------------


def _uses_writer_guard(route: APIRoute) -> bool:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call is require_writer:
            return True
        stack += dep.dependencies
    return False


def _api_routes(routes) -> Iterator[APIRoute]:
    """Every APIRoute, including those of included routers (newer FastAPI wraps them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)


def _write_routes(app) -> list[tuple[str, APIRoute]]:
    return [
        (method, route)
        for route in _api_routes(app.routes)
        for method in sorted(route.methods & WRITE_METHODS)
        if (method, route.path) not in READ_ONLY_POSTS
    ]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_write_route_needs_the_token(make_client, monkeypatch):
    """Every route that changes data carries the bearer guard: 403 and how to enable writes
    when no token is configured, 401 for a missing or wrong token."""
    client = make_client()
    routes = _write_routes(client.app)
    found = {(m, r.path) for m, r in routes}
    documented = {
        (method.upper(), path)
        for path, ops in client.app.openapi()["paths"].items()
        for method in ops
        if method.upper() in WRITE_METHODS and (method.upper(), path) not in READ_ONLY_POSTS
    }
    assert ("POST", "/api/articles") in found
    assert documented <= found, f"write routes the walk missed: {documented - found}"
    unguarded = [f"{m} {r.path}" for m, r in routes if not _uses_writer_guard(r)]
    assert not unguarded, f"write routes without the token guard: {unguarded}"
    for method, route in routes:
        url = _concrete(route.path)
        body = {"text": SAMPLE}
        disabled = client.request(method, url, json=body, headers=AUTH)
        assert disabled.status_code == 403, f"{method} {url}: {disabled.text}"
        assert "GEOMAP_API_TOKEN" in _detail(disabled)
        monkeypatch.setenv("GEOMAP_API_TOKEN", TOKEN)
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": f"Bearer {TOKEN}x"},
            {"Authorization": f"Basic {TOKEN}"},
            {"Authorization": "Bearer "},
        ):
            denied = client.request(method, url, json=body, headers=headers)
            assert denied.status_code == 401, f"{method} {url} {headers}: {denied.text}"
            assert denied.headers.get("www-authenticate") == "Bearer"
        monkeypatch.delenv("GEOMAP_API_TOKEN")
    # the guard compares in constant time
    assert "compare_digest" in inspect.getsource(require_writer)


def test_the_token_without_the_bearer_scheme_is_refused(make_client):
    client = make_client(GEOMAP_API_TOKEN=TOKEN)
    resp = client.post("/api/articles", json={"text": SAMPLE}, headers={"Authorization": TOKEN})
    assert resp.status_code == 401


def test_reads_stay_open_without_a_token(make_client):
    client = make_client()
    for route in _api_routes(client.app.routes):
        methods = route.methods & {"GET"} or (
            {"POST"} if ("POST", route.path) in READ_ONLY_POSTS else set()
        )
        for method in methods:
            url = _concrete(route.path)
            resp = client.request(method, url, json={"text": SAMPLE})
            assert resp.status_code in (200, 404), f"{method} {url}: {resp.status_code}"
    for url in ("/docs", "/openapi.json", "/static/index.html"):
        assert client.get(url).status_code == 200, url


def test_cors_is_off_unless_configured(make_client):
    origin = {"Origin": "https://elsewhere.example"}
    client = make_client()
    resp = client.get("/collections/events/items", headers=origin)
    assert resp.status_code == 200
    assert "access-control-allow-origin" not in resp.headers
    preflight = client.options(
        "/api/articles",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_on_for_the_configured_origins(make_client):
    allowed = "https://analyst.example"
    client = make_client(GEOMAP_CORS_ORIGINS=f"{allowed}, https://desk.example")
    resp = client.get("/collections/events/items", headers={"Origin": allowed})
    assert resp.headers.get("access-control-allow-origin") == allowed
    other = client.get("/collections/events/items", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = client.options(
        "/api/articles",
        headers={
            "Origin": allowed,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers.get("access-control-allow-origin") == allowed
    assert "authorization" in preflight.headers.get("access-control-allow-headers", "").lower()
    anyone = make_client(GEOMAP_CORS_ORIGINS="*")
    resp = anyone.get("/health", headers={"Origin": "https://evil.example"})
    assert resp.headers.get("access-control-allow-origin") == "*"


# -- bad bodies -----------------------------------------------------------------------

BAD_BODIES: list[tuple[str, bytes, dict[str, str], set[int]]] = [
    ("empty text", b'{"text": ""}', JSON, {400, 422}),
    ("text is a number", b'{"text": 5}', JSON, {422}),
    ("text is null", b'{"text": null}', JSON, {422}),
    ("text is a list", b'{"text": ["Idlib"]}', JSON, {422}),
    ("text is an object", b'{"text": {"a": 1}}', JSON, {422}),
    ("text is NaN", b'{"text": NaN}', JSON, {422}),
    ("no text", b'{"title": "x"}', JSON, {422}),
    ("body is a list", b"[1, 2]", JSON, {422}),
    ("body is a string", b'"Idlib"', JSON, {422}),
    ("empty body", b"", JSON, {422}),
    ("invalid UTF-8", b'{"text": "\xff\xfe Idlib \xc3\x28"}', JSON, {400}),
    ("latin-1 body", '{"text": "Alep café"}'.encode("latin-1"), JSON, {400}),
    ("lone surrogate", b'{"text": "\\ud800 Idlib was shelled."}', JSON, {400, 422}),
    ("malformed JSON", b'{"text": ', JSON, {422}),
    ("single quotes", b"{'text': 'Idlib'}", JSON, {422}),
    ("trailing comma", b'{"text": "Idlib",}', JSON, {422}),
    ("deep nesting", b"[" * 100_000, JSON, {400, 422}),
    ("not JSON at all", b"Idlib was shelled.", {"Content-Type": "text/plain"}, {415, 422}),
    ("form body", b"text=Idlib", {"Content-Type": "application/x-www-form-urlencoded"}, {415, 422}),
]


@pytest.mark.parametrize("endpoint", ["/api/articles", "/api/parse"])
@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [pytest.param(b, h, e, id=name) for name, b, h, e in BAD_BODIES],
)
def test_bad_bodies_are_4xx_with_a_message(make_client, endpoint, body, headers, expected):
    client = make_client(GEOMAP_API_TOKEN=TOKEN)
    resp = client.post(endpoint, content=body, headers={**headers, **AUTH})
    message = _assert_4xx(resp, *expected)
    if b"\xff" in body or b"caf\xe9" in body:
        assert "UTF-8" in message
    if body in (b'{"text": ', b"{'text': 'Idlib'}"):
        assert "not valid JSON" in message


def test_bad_article_fields_are_4xx(make_client):
    client = make_client(GEOMAP_API_TOKEN=TOKEN)
    _assert_4xx(client.post("/api/articles", json={"text": "  \n\t "}, headers=AUTH), 400)
    for title in (1e999, 5, ["x"]):
        resp = client.post(
            "/api/articles", content=json.dumps({"text": SAMPLE, "title": title}), headers=AUTH
        )
        _assert_4xx(resp, 422)
    for published in ("yesterday", "2024-02-30", "<script>alert(1)</script>", "99999-01-01"):
        resp = client.post(
            "/api/articles", json={"text": SAMPLE, "published": published}, headers=AUTH
        )
        assert "published" in _assert_4xx(resp, 400, 422)
    empty_page = client.post(
        "/api/articles", json={"text": "<html><body></body></html>"}, headers=AUTH
    )
    _assert_4xx(empty_page, 400)


def test_a_20_mb_body_is_413_and_the_limit_is_configurable(make_client):
    client = make_client(GEOMAP_API_TOKEN=TOKEN)
    huge = b'{"text": "' + b"Idlib was shelled. " * (20 * 1024 * 1024 // 19) + b'"}'
    assert len(huge) > 20 * 1024 * 1024
    resp = client.post("/api/articles", content=huge, headers={**JSON, **AUTH})
    assert resp.status_code == 413
    assert "GEOMAP_MAX_BODY" in _detail(resp) and str(10 * 1024 * 1024) in _detail(resp)
    # without a token the size is refused all the same (nothing is read past the limit)
    assert client.post("/api/parse", content=huge, headers=JSON).status_code == 413

    small = make_client(GEOMAP_API_TOKEN=TOKEN, GEOMAP_MAX_BODY="1K")
    body = json.dumps({"text": SAMPLE * 20}).encode()
    assert len(body) > 1024
    resp = small.post("/api/articles", content=body, headers={**JSON, **AUTH})
    assert resp.status_code == 413 and "1024 bytes" in _detail(resp)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"text": "'
        for _ in range(64):
            yield b"Idlib was shelled. " * 10
        yield b'"}'

    resp = small.post("/api/articles", content=chunks(), headers={**JSON, **AUTH})
    assert resp.status_code == 413 and "1024 bytes" in _detail(resp)
    ok = small.post("/api/articles", json={"text": SAMPLE}, headers=AUTH)
    assert ok.status_code == 201, ok.text

    # raised above 20 MB, the same size gets through to validation (a cheap 422, no parsing)
    big = make_client(GEOMAP_API_TOKEN=TOKEN, GEOMAP_MAX_BODY="30M")
    padded = b'{"text": 5, "pad": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    resp = big.post("/api/articles", content=padded, headers={**JSON, **AUTH})
    assert resp.status_code == 422, resp.text[:300]


def test_a_bad_body_limit_setting_says_what_is_wrong(make_client):
    for value in ("ten megabytes", "-1", "0"):
        with pytest.raises(ValueError, match="GEOMAP_MAX_BODY"):
            make_client(GEOMAP_MAX_BODY=value)


# -- bad parameters -------------------------------------------------------------------

BAD_FILTERS = [
    {"bbox": "0,0,1000,1"},
    {"bbox": "0,95,10,96"},
    {"bbox": "-200,0,10,10"},
    {"bbox": "0,10,10,0"},
    {"bbox": "1,2,3"},
    {"bbox": "1,2,3,4,5"},
    {"bbox": "a,b,c,d"},
    {"bbox": "nan,nan,nan,nan"},
    {"bbox": "inf,0,1,1"},
    {"bbox": "1e309,0,1,1"},
    {"bbox": ""},
    {"datetime": "yesterday"},
    {"datetime": "2023/2022"},
    {"datetime": "2022/2023/2024"},
    {"datetime": "\xff"},
    {"limit": "0"},
    {"limit": "-5"},
    {"limit": "100000000"},
    {"limit": "99999999999999999999999"},
    {"limit": "1.5"},
    {"limit": "ten"},
    {"offset": "-1"},
    {"actor": "XYZ"},
    {"actor": "<script>"},
    {"type": "picnic"},
    {"article": "abc"},
    {"article": "-1"},
    {"max_geo_precision": "0"},
    {"max_geo_precision": "9"},
    {"max_geo_precision": "99999999999999999999"},
    {"f": "xml"},
    {"unknown_filter": "1"},
    {"BBOX": "0,0,1,1"},
    {"callback": "alert"},
]


@pytest.mark.parametrize("path", ["/collections/events/items", "/map"])
@pytest.mark.parametrize(
    "params", BAD_FILTERS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items())
)
def test_bad_parameters_are_4xx_with_a_message(client, path, params):
    _assert_4xx(client.get(path, params=params))


def test_bad_place_search_and_paths_are_4xx(client):
    for params in ({"limit": "0"}, {"limit": "-1"}, {"limit": "100000"}, {"limit": "x"}):
        _assert_4xx(client.get("/collections/places/items", params=params))
    assert client.get("/collections/places/items", params={"q": "x" * 20_000}).status_code < 500
    _assert_4xx(client.get("/", params={"f": "xml"}))
    _assert_4xx(client.get("/collections/nope"), 404)
    _assert_4xx(client.get("/collections/%FF"), 404)
    _assert_4xx(client.get("/collections/events/items/abc"), 422)
    _assert_4xx(client.get("/collections/events/items/-1"), 422)  # ids start at 1
    _assert_4xx(client.get("/api/articles/abc/mentions"), 422)


# Ids and offsets past what SQLite holds (2**63) or not ASCII digits: each was a 500 once.
SERVER_ERRORS = [
    pytest.param(
        "/collections/events/items?offset=99999999999999999999",
        id="offset-overflows-sqlite",
    ),
    pytest.param(
        "/map?offset=99999999999999999999",
        id="map-offset-overflows-sqlite",
    ),
    pytest.param(
        "/collections/events/items?article=9223372036854775808",
        id="article-id-overflows-sqlite",
    ),
    pytest.param(
        "/collections/events/items?article=%C2%B2",
        id="article-superscript-digit",
    ),
    pytest.param(
        "/collections/events/items/9223372036854775808",
        id="event-id-overflows-sqlite",
    ),
    pytest.param(
        "/collections/events/items/-9795443568806725859930013696",
        id="negative-event-id-overflows-sqlite",
    ),
    pytest.param(
        "/map/events/17534606341107580141568",
        id="map-event-id-overflows-sqlite",
    ),
    pytest.param(
        "/api/articles/9223372036854775808/mentions",
        id="article-mentions-id-overflows-sqlite",
    ),
]


def test_article_text_is_never_a_server_template(store, pipeline, tmp_path):
    """Text in Jinja syntax comes back as the text it was, and the map still renders.

    Folium builds its page with Jinja, and branca once compiled rendered output again as a
    template: article text reached the server's template engine (unsandboxed, so os was
    reachable through cycler.__init__.__globals__). Never again."""
    local = open_store(str(tmp_path / "tpl.db"))
    ingest_text(
        local,
        pipeline,
        "Russian jets struck Idlib on July 3, 2024, {{ 6*7 }} witnesses said.",
        title="Tpl {{ 7*7 }} title",
        outlet="Outlet {% if true %}evaluated{% endif %}",
    )
    ingest_text(
        local,
        pipeline,
        "Russian jets struck Homs on July 3, 2024.",
        title="Broken {{constructor.constructor('x')()}} {# comment",
    )
    client = TestClient(create_app(local, pipeline), raise_server_exceptions=False)
    page = client.get("/map")
    assert page.status_code == 200, "a title in Jinja syntax breaks /map"
    assert "Tpl 49 title" not in page.text and " 42 witnesses" not in page.text
    assert "Outlet evaluated" not in page.text
    assert "{{ 7*7 }}" in page.text and "{% if true %}evaluated{% endif %}" in page.text
    if "witnesses said" in page.text:  # sentences embedded in the page, or fetched later
        assert "{{ 6*7 }} witnesses" in page.text


@pytest.mark.parametrize("url", SERVER_ERRORS)
def test_out_of_range_ids_are_4xx(client, url):
    _assert_4xx(client.get(url))


# -- hostile text in a real browser -----------------------------------------------------

WAIT_MS = 30_000

# Each calls the trap (window.__pwn) and most also raise a dialog: if any runs, the test sees it.
PAYLOADS = [
    "<script>__pwn('script');alert('script')</script>",
    "<SCRIPT SRC=/static/x.js></SCRIPT><script>__pwn('script-upper')</script>",
    "<img src=x onerror=__pwn('img');alert('img')>",
    '<img src="x" onerror="__pwn(\'img-quoted\')">',
    "<svg onload=__pwn('svg')>",
    "<svg><script>__pwn('svg-script')</script></svg>",
    "<iframe src=\"javascript:__pwn('iframe')\"></iframe>",
    "<iframe srcdoc=\"<script>parent.__pwn('srcdoc')</script>\"></iframe>",
    "<a href=\"javascript:__pwn('anchor')\" id=pwnlink>read more</a>",
    "<details open ontoggle=__pwn('details')>x</details>",
    "<body onload=__pwn('body')>",
    "<input autofocus onfocus=__pwn('focus')>",
    "<math><mtext><table><mglyph><style><img src=x onerror=__pwn('mxss')>",
    "';__pwn('js-single');alert('js-single');//",
    '";__pwn("js-double");alert("js-double");//',
    "`;__pwn('js-backtick');//${__pwn('template')}",
    "\\';__pwn('backslash');//",
    "\"</script><script>__pwn('script-break');alert('script-break')</script>",
    "'</script><script>__pwn('script-break-single')</script>",
    "</div></blockquote></li><script>__pwn('close-tags')</script>",
    "&lt;img src=x onerror=__pwn('entity')&gt;",
    "&#60;script&#62;__pwn('numeric-entity')&#60;/script&#62;",
    "--><img src=x onerror=__pwn('comment')><!--",
    "]]><img src=x onerror=__pwn('cdata')>",
    "\u2028__pwn('u2028')\u2029",
    "${7*7}<%= 7*7 %>#{7*7}",
    # Jinja syntax ({{ }}, {% %}) is left to test_article_text_is_never_a_server_template:
    # today it breaks /map with a 500 or is evaluated on the server, so no page would load
]
URL_PAYLOADS = [
    "javascript:__pwn('url');alert('url')",
    "JaVaScRiPt:__pwn('url-case')",
    " javascript:__pwn('url-space')",
    "java\tscript:__pwn('url-tab')",
    "javascript&colon;__pwn('url-entity')",
    "data:text/html,<script>__pwn('url-data')</script>",
    "vbscript:msgbox('url-vb')",
    "https://example.org/\"><script>__pwn('url-attr')</script>",
    "https://example.org/' onmouseover='__pwn(`url-single`)",
    'http://example.org/?q=" onclick="__pwn(`url-double`)',
]
PLACES = [
    "Aleppo", "Homs", "Latakia", "Raqqa", "Hama", "Tartus", "Qamishli", "Idlib", "Douma",
    "Manbij", "Daraa", "Salamiyah", "Tabqa", "Daraya", "Azaz", "Jableh", "Palmyra", "Kobani",
    "Afrin", "Nawa", "Baniyas", "Harasta", "Saraqib", "Masyaf", "Salqin", "Tafas", "Zabadani",
]  # fmt: skip
TRAP = """
window.__pwned = [];
window.__pwn = function (tag) { window.__pwned.push(String(tag)); };
"""
# Not part of the trap: remembers every Leaflet map a page makes, even inside a closure,
# so the test can find every marker whichever way the page builds its map.
MAP_HOOK = """
(function () {
    var leaflet;
    window.__gmMaps = [];
    Object.defineProperty(window, "L", {
        configurable: true,
        get: function () { return leaflet; },
        set: function (value) {
            leaflet = value;
            if (value && value.Map && value.Map.addInitHook && !value.__gmHooked) {
                value.__gmHooked = true;
                value.Map.addInitHook(function () { window.__gmMaps.push(this); });
            }
        },
    });
})();
"""


def _hostile_articles() -> list[dict[str, str]]:
    """One article per payload, the payload in its title, text and outlet, a URL payload
    in its url, each at its own place so every sentence gets its own marker."""
    arts = []
    for i, payload in enumerate(PAYLOADS):
        place = PLACES[i % len(PLACES)]
        arts.append(
            {
                "title": f"Hostile {i}: {payload}",
                "text": f"Russian jets struck {place} on July 3, 2024, {payload} witnesses said.\n"
                f"{payload}\n",
                "outlet": f"Outlet {i} {payload}",
                "url": URL_PAYLOADS[i % len(URL_PAYLOADS)],
            }
        )
    return arts


HTML_PAGE = """<html><head><title>Page title <script>__pwn('html-title')</script></title>
<meta property="og:site_name" content="Site <img src=x onerror=__pwn('html-site')>">
</head><body><article><h1>Headline &lt;svg onload=__pwn('html-h1')&gt;</h1>
<p>Turkish drones struck Kobani on May 2, 2024, &lt;script&gt;__pwn('html-p')&lt;/script&gt;
officials said. <img src=x onerror="__pwn('html-img')"></p>
<p>The strikes on Kobani continued &lt;img src=x onerror=__pwn('html-p2')&gt; into the night.</p>
</article></body></html>"""


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# Every Leaflet layer with a popup, wherever it sits (on the map, in a cluster or a
# group), found through Leaflet itself so the test does not depend on how the map is built.
FIND_TARGETS = """() => {
    if (!window.L || !L.Map) return 0;
    const maps = (window.__gmMaps || []).slice();
    for (const key of Object.keys(window)) {
        let value;
        try { value = window[key]; } catch (e) { continue; }
        if (value instanceof L.Map && !maps.includes(value)) maps.push(value);
    }
    const seen = new Set(), found = [];
    const visit = (layer, map, cluster) => {
        const id = L.stamp(layer);
        if (seen.has(id)) return;
        seen.add(id);
        if (typeof layer.getPopup === "function" && layer.getPopup() && layer.getLatLng) {
            found.push([layer, map, cluster]);
        }
        const group = typeof layer.zoomToShowLayer === "function" ? layer : cluster;
        if (typeof layer.getLayers === "function") {
            layer.getLayers().forEach((l) => visit(l, map, group));
        }
    };
    maps.forEach((map) => map.eachLayer((layer) => visit(layer, map, null)));
    window.__gmTargets = found;
    return found.length;
}"""
# Click every marker: one folded into a cluster is first brought out (the cluster zooms
# or spiders out, as for a person clicking through); only a marker that cannot be shown
# gets its own popup and tooltip opened on the map through the API.
OPEN_TARGET = """async (k) => {
    const [layer, map, cluster] = window.__gmTargets[k];
    const popup = layer.getPopup();
    const drawn = () => {
        const el = layer.getElement ? layer.getElement() : null;
        return el && layer._map && document.contains(el) ? el : null;
    };
    if (!drawn() && cluster) {
        await Promise.race([
            new Promise((done) => cluster.zoomToShowLayer(layer, done)),
            new Promise((done) => setTimeout(done, 3000)),
        ]);
    }
    const el = drawn();
    if (el) {
        el.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
        el.dispatchEvent(new MouseEvent("click", { bubbles: true }));
        if (map.hasLayer(popup)) return "clicked";
    }
    popup.setLatLng(layer.getLatLng());
    map.openPopup(popup);
    const tooltip = layer.getTooltip ? layer.getTooltip() : null;
    if (tooltip) {
        tooltip.setLatLng(layer.getLatLng());
        map.openTooltip(tooltip);
    }
    return "opened";
}"""
# The content of target k's own popup (a closing popup lingers in the DOM while it fades).
POPUP_OF = """(k) => {
    const box = window.__gmTargets[k][0].getPopup().getElement();
    return box ? box.querySelector(".leaflet-popup-content") : null;
}"""
READ_POPUP = f"""(k) => {{
    const el = ({POPUP_OF})(k);
    if (!el) return null;
    const live = Array.from(el.querySelectorAll("*")).filter(
        (n) => /^(script|iframe|object|embed|frame)$/i.test(n.tagName)
            || Array.from(n.attributes).some((a) => /^on/i.test(a.name)),
    );
    return {{
        text: el.textContent,
        hrefs: Array.from(el.querySelectorAll("a[href]"), (a) => a.getAttribute("href")),
        live: live.map((n) => n.outerHTML.slice(0, 120)),
    }};
}}"""
POPUP_HAS = f"""([k, needles]) => {{
    const el = ({POPUP_OF})(k);
    const text = el ? el.textContent.replace(/\\s+/g, " ") : "";
    return needles.some((n) => text.includes(n));
}}"""


def _open_every_popup(frame: Page | Frame, needles: list[str]) -> tuple[list[dict], Counter]:
    """Open the popup of every marker of the map in ``frame``; return what each showed.

    After opening, waits (briefly) until the popup holds one of ``needles``, the text a
    popup shows once its sentence is in (it may be fetched when the popup opens)."""
    frame.wait_for_function(FIND_TARGETS, timeout=WAIT_MS)
    how: Counter[str] = Counter()
    seen = []
    for k in range(int(frame.evaluate(FIND_TARGETS))):
        how[frame.evaluate(OPEN_TARGET, k)] += 1
        with suppress(PlaywrightTimeout):
            frame.wait_for_function(POPUP_HAS, arg=[k, needles], timeout=5_000)
        content = frame.evaluate(READ_POPUP, k)
        assert content is not None, "a popup did not open"
        seen.append(content)
    return seen, how


def _map_frames(page: Page) -> list[Frame]:
    """The frames of ``page`` that hold a Leaflet map with popups (the page or an iframe)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        frames = []
        for frame in page.frames:
            with suppress(Exception):  # a frame still loading, or navigated away
                if frame.evaluate(FIND_TARGETS) > 0:
                    frames.append(frame)
        if frames or time.monotonic() > deadline:
            return frames
        time.sleep(0.25)


def _live_handlers(frame: Page | Frame) -> list[str]:
    """Elements with inline event handlers or script-scheme links anywhere in the document."""
    return frame.evaluate(
        """() => Array.from(document.querySelectorAll('*')).flatMap((el) => [
            ...Array.from(el.attributes)
                .filter((a) => /^on/i.test(a.name)
                    || (/^(href|src|action|formaction|srcdoc)$/i.test(a.name)
                        && /^\\s*(javascript|data|vbscript):/i.test(a.value)))
                .map((a) => `${el.tagName} ${a.name}=${a.value}`),
        ])"""
    )


def _trapped(page: Page) -> list[str]:
    """What the trap recorded, in the page and every frame."""
    out: list[str] = []
    for frame in page.frames:
        with suppress(Exception):
            out += frame.evaluate("() => window.__pwned || []")
    return out


@pytest.mark.browser
def test_hostile_articles_never_run_in_the_map_popups_or_landing_page(tmp_path, capsys):
    if not CHROMIUM.exists():
        missing("install Debian chromium: sudo apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("install the dev extra for Playwright: pip install -e '.[dev]'")

    env = {**os.environ, "GEOMAP_DB": str(tmp_path / "hostile.db"), "GEOMAP_API_TOKEN": TOKEN}
    for name in ("GEOMAP_CORS_ORIGINS", "GEOMAP_MAX_BODY"):
        env.pop(name, None)
    articles = _hostile_articles()
    inputs = {(f, art[f]) for art in articles for f in ("title", "text", "url", "outlet")}
    inputs |= {("html", HTML_PAGE)}
    # what a popup shows once its sentence is in: the payload, then the words after it
    sentences = [_norm(f"{p} witnesses said") for p in PAYLOADS] + ["officials said"]
    with serve(env, tmp_path / "serve.log") as url:
        with httpx.Client(base_url=url, trust_env=False, timeout=60, headers=AUTH) as http:
            for art in articles:
                resp = http.post("/api/articles", json=art)
                assert resp.status_code == 201, resp.text
                assert resp.json()[0]["events"] >= 1, f"no event, no popup: {art['text']!r}"
            resp = http.post("/api/articles", json={"text": HTML_PAGE})
            assert resp.status_code == 201, resp.text
            assert len(http.get("/api/articles").json()) == len(articles) + 1

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_init_script(TRAP)  # in every document and frame, before any script
                context.add_init_script(MAP_HOOK)
                context.route(
                    "**/*",
                    lambda route: (
                        route.continue_() if route.request.url.startswith(url) else route.abort()
                    ),
                )
                page = context.new_page()
                dialogs: list[str] = []
                errors: list[str] = []
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.on("pageerror", lambda e: errors.append(str(e)))

                # control: the trap and the dialog listener do see script that runs
                page.set_content("<img src=x onerror=\"__pwn('control');alert('control')\">")
                page.wait_for_function("() => window.__pwned.length > 0", timeout=WAIT_MS)
                assert _trapped(page) == ["control"] and dialogs == ["control"]
                dialogs.clear()

                page.goto(f"{url}/map", wait_until="load")
                frames = _map_frames(page)
                assert frames, "no Leaflet map with popups on /map"
                popups, how = _open_every_popup(frames[0], sentences)
                layer_names = _norm(
                    " ".join(page.locator(".leaflet-control-layers").all_text_contents())
                )
                page.wait_for_timeout(500)  # let any onerror/onload that slipped through fire
                executed = _trapped(page)
                live = _live_handlers(page)

                page.goto(f"{url}/", wait_until="load")
                frames = _map_frames(page)
                assert frames, "no Leaflet map with popups on the landing page"
                landing_popups = []
                for frame in frames:
                    seen, landing_how = _open_every_popup(frame, sentences)
                    landing_popups += seen
                    how += landing_how
                    live += _live_handlers(frame)
                page.wait_for_timeout(500)
                executed += _trapped(page)
            finally:
                browser.close()

    assert not executed, f"hostile script ran: {executed}"
    assert not dialogs, f"hostile script opened dialogs: {dialogs}"
    assert not live, f"live handlers or script links in the page: {live}"
    assert not errors, f"JavaScript errors (a string broken out of?): {errors}"
    for seen in popups + landing_popups:
        assert not seen["live"], f"markup from an article became elements: {seen['live']}"
        bad = [h for h in seen["hrefs"] if not re.match(r"https?://", h or "", re.IGNORECASE)]
        assert not bad, f"popup links that are not http(s): {bad}"
    assert len(popups) >= len(articles) + 1 and len(landing_popups) >= len(popups)
    # the hostile text was there to run, and was shown as text instead
    shown = _norm(" ".join(p["text"] for p in popups))
    for art in articles:
        assert _norm(art["title"]) in shown, f"title not shown as text: {art['title']!r}"
        assert _norm(art["outlet"]) in shown, f"outlet not shown as text: {art['outlet']!r}"
        assert _norm(art["title"]) in layer_names, f"no layer named {art['title']!r}"
    for sentence in sentences:
        assert sentence in shown, f"sentence not shown as text: {sentence!r}"
    with capsys.disabled():
        print(
            f"\nhostile inputs tried: {len(inputs)} ({len(PAYLOADS)} payloads in title, text "
            f"and outlet, {len(URL_PAYLOADS)} URLs, 1 HTML page); popups opened: "
            f"{len(popups)} on /map, {len(landing_popups)} on / ({dict(how)}); nothing executed"
        )
