"""Local browser assets: point every Folium/branca resource at our own server.

Folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; a map must
render on a machine with no internet, so each ``JSCSSMixin`` subclass's
``default_js``/``default_css`` is rewritten from ``static/vendor.json`` (folium
resource name -> file under ``node_modules``, installed from npm at set-up and
served at ``/static/vendor/``). A resource mapped to null is dropped.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from folium.elements import JSCSSMixin

REPO_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = REPO_DIR / "static"
VENDOR_DIR = REPO_DIR / "node_modules"
VENDOR_URL = "/static/vendor/"
# Our own scripts every map page loads after Leaflet (offline basemap).
MAP_SCRIPTS = ("topojson-client/dist/topojson-client.min.js",)
MAP_LOCAL_SCRIPTS = ("/static/js/fallback-basemap.js",)


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
