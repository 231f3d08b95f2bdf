"""The installable app: the manifest, the service worker (the shell and static files
only) and its offline page."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from careerflow.api import i18n
from careerflow.api.pages.guard import router
from careerflow.api.pages.rendering import (
    BACKGROUND_COLOUR,
    STATIC,
    TEMPLATES,
    THEME_COLOUR,
    _lang,
    _render,
)


# -- the installable app ---------------------------------------------------------------
@router.get("/manifest.webmanifest")
def manifest(request: Request, lang: str = "") -> Response:
    """The web app manifest in the page's language (the page links it with `?lang=`:
    browsers fetch manifests without cookies)."""
    chosen = i18n.normalise(lang) or _lang(request)
    _ = i18n.gettext_for(chosen)
    icons = [
        {"src": f"/static/icons/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ]
    icons.append(
        {
            "src": "/static/icons/maskable-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        }
    )
    body = {
        "name": _("careerflow: promotions and weekly plans"),
        "short_name": "careerflow",
        "description": _(
            "Your potential, this week's plan, development plans and promotion approvals."
        ),
        "lang": i18n.HTML_LANG[chosen],
        "dir": "ltr",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons,
    }
    response = JSONResponse(body, media_type="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


# The API's documentation viewers (/docs, /redoc): ~3 MB that no phone needs offline.
NOT_PRECACHED = ("vendor/swagger-ui", "vendor/redoc")


def _shell_files() -> list[Path]:
    """What the service worker keeps: the static files (CSS, scripts, icons), not the
    API documentation viewers."""
    return sorted(
        p
        for p in STATIC.rglob("*")
        if p.is_file()
        and p.suffix in (".css", ".js", ".png", ".svg")
        and p.name != "sw.js"
        and not p.relative_to(STATIC).as_posix().startswith(NOT_PRECACHED)
    )


@lru_cache(maxsize=1)
def _worker_script() -> str:
    """static/sw.js with its version (a digest of the shell, the offline page and the
    catalogues: a new release installs a new worker, which drops the old cache) and its
    list of static files filled in."""
    digest = hashlib.sha256()
    shell = _shell_files()
    extra = [TEMPLATES / "offline.html", TEMPLATES / "base.html", *i18n.LOCALE_DIR.rglob("*.mo")]
    for path in [*shell, *extra, STATIC / "sw.js"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    urls = ["/static/" + p.relative_to(STATIC).as_posix() for p in shell]
    source = (STATIC / "sw.js").read_text(encoding="utf-8")
    return source.replace("__VERSION__", digest.hexdigest()[:16]).replace(
        '"__SHELL__"', json.dumps(urls)[1:-1]
    )


@router.get("/sw.js")
def service_worker() -> Response:
    """At the root, so that it may answer for every page (its scope is /)."""
    response = Response(_worker_script(), media_type="text/javascript; charset=utf-8")
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.get("/offline", response_class=HTMLResponse)
def offline(request: Request) -> Response:
    """What the service worker shows when the network is gone: nobody's data, no form."""
    response = _render(request, "offline.html", {}, forms=False)
    response.headers["Cache-Control"] = "no-cache"
    return response
