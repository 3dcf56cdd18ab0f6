"""Local browser assets: point every Folium/branca resource at our own server.

Folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; a map must
render on a machine with no internet, so each ``JSCSSMixin`` subclass's
``default_js``/``default_css`` is rewritten from ``static/vendor.json`` (folium
resource name -> file under ``node_modules``, installed from npm at set-up and
served at ``/static/vendor/``). A resource mapped to null is dropped.

A standalone map file has no server behind it: :func:`inline_assets` embeds every
local script and stylesheet (and the files their CSS points at) into the page.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
from functools import cache
from pathlib import Path

from folium.elements import JSCSSMixin

REPO_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = REPO_DIR / "static"
VENDOR_DIR = REPO_DIR / "node_modules"
VENDOR_URL = "/static/vendor/"
STATIC_URL = "/static/"
# What every map page loads after Leaflet: the offline basemap and the event layers.
MAP_JS = (
    VENDOR_URL + "topojson-client/dist/topojson-client.min.js",
    STATIC_URL + "js/fallback-basemap.js",
    STATIC_URL + "js/geomap-events.js",
)
MAP_CSS = (STATIC_URL + "css/geomap-map.css",)
WORLD_TOPOJSON = "world-atlas/countries-110m.json"


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


@cache
def use_local_assets(prefix: str = VENDOR_URL) -> dict[str, str]:
    """Rewrite folium's CDN links to ``prefix`` + npm paths; return name -> URL used."""
    import folium.plugins  # noqa: F401  (registers every plugin class)

    mapping = json.loads((STATIC_DIR / "vendor.json").read_text(encoding="utf-8"))
    used: dict[str, str] = {}
    for cls in _subclasses(JSCSSMixin):
        for attr in ("default_js", "default_css"):
            if attr not in cls.__dict__:
                continue
            rewritten = []
            for name, url in getattr(cls, attr):
                key = f"{cls.__name__}.{name}"
                if key not in mapping:
                    rewritten.append((name, url))
                elif mapping[key]:
                    rewritten.append((name, prefix + mapping[key]))
                    used[key] = prefix + mapping[key]
            setattr(cls, attr, rewritten)
    return used


def vendor_file(path: str) -> Path:
    """The installed file behind ``/static/vendor/<path>``."""
    return VENDOR_DIR / path


def static_file(url: str) -> Path:
    """The file behind a ``/static/...`` URL (npm files under ``/static/vendor/``)."""
    base, rest = (
        (VENDOR_DIR, url.removeprefix(VENDOR_URL))
        if url.startswith(VENDOR_URL)
        else (STATIC_DIR, url.removeprefix(STATIC_URL))
    )
    path = (base / rest).resolve()
    if not path.is_relative_to(base.resolve()):
        raise ValueError(f"{url} is outside {base}")
    return path


_SCRIPT_TAG = re.compile(r'<script src="(/static/[^"]+)"></script>')
_CSS_TAG = re.compile(r'<link rel="stylesheet" href="(/static/[^"]+)"\s*/?>')
_CSS_URL = re.compile(r"url\(\s*['\"]?(?!data:|https?:|#)([^'\")?#]+)[^)]*\)")


def _data_uri(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(path: Path) -> str:
    """A stylesheet with its relative ``url(...)`` files (icons) as data URIs."""

    def embed(m: re.Match[str]) -> str:
        target = (path.parent / m.group(1)).resolve()
        return f'url("{_data_uri(target)}")' if target.is_file() else m.group(0)

    return _CSS_URL.sub(embed, path.read_text(encoding="utf-8"))


def inline_assets(page: str) -> str:
    """``page`` with every ``/static/`` script and stylesheet embedded, so it opens from
    disk with no server; a ``</`` inside them cannot close the tag they now sit in."""

    def script(m: re.Match[str]) -> str:
        code = static_file(m.group(1)).read_text(encoding="utf-8")
        return "<script>" + re.sub(r"</(script)", r"<\\/\1", code, flags=re.I) + "</script>"

    def style(m: re.Match[str]) -> str:
        css = _inline_css(static_file(m.group(1)))
        return "<style>" + re.sub(r"</(style)", r"<\\/\1", css, flags=re.I) + "</style>"

    return _CSS_TAG.sub(style, _SCRIPT_TAG.sub(script, page))
