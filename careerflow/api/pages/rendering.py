"""The pages' rendering: one Jinja environment per language (its catalogue and formats),
the request's language and time zone, the CSRF token's cookie, the security headers, and
the page that says why."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from aggregates.base import DomainError
from aggregates.process import PromotionProcess
from careerflow.api import i18n
from careerflow.api.errors import request_lang
from careerflow.api.i18n import Gettext
from careerflow.api.pages import nav
from careerflow.api.pages.reads import _process, _services
from careerflow.principal import AccessRole, Principal
from careerflow.services.updates import new_command_id

# The templates and static files sit beside the package, in careerflow/api.
HERE = Path(__file__).resolve().parent.parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

CSRF_COOKIE = "careerflow_csrf"
_CSRF_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

HOME = {
    AccessRole.employee: "/employee",
    AccessRole.manager: "/manager",
    AccessRole.hr: "/hr",
    AccessRole.auditor: "/audit",
}
# The installable app's colours (the header's and the page's).
THEME_COLOUR = "#111827"
BACKGROUND_COLOUR = "#f6f7f9"
# A content security policy for pages that load only their own scripts, styles, images,
# manifest and service worker: nothing inline, nothing from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


# -- one template environment per language ---------------------------------------------
def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def _environment(lang: str) -> Environment:
    """Templates with the language's catalogue installed (jinja2's i18n extension,
    new-style gettext: `_("… %(name)s …", name=…)`, autoescaped) and its formats."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
    )
    cast(Any, env).install_gettext_translations(i18n.translations(lang), newstyle=True)
    gettext = i18n.gettext_for(lang)

    @pass_context
    def when(ctx: Context, value: Any) -> Markup | str:
        """A moment in the company's time zone, machine-readable too."""
        moment = i18n.local_time(value, ctx.get("tz"))
        if moment is None:
            return i18n.datetime_text(value, lang, ctx.get("tz"))
        return Markup('<time datetime="{}">{}</time>').format(
            moment.isoformat(timespec="minutes"), i18n.datetime_text(moment, lang, ctx.get("tz"))
        )

    def day(value: Any) -> Markup | str:
        text = i18n.date_text(value, lang)
        iso = str(value)[:10] if value is not None else ""
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", iso):
            return text
        return Markup('<time datetime="{}">{}</time>').format(iso, text)

    env.filters.update(
        label=lambda value: i18n.marked_html(i18n.label(value, lang)),
        notice=lambda value: i18n.notice_html(value, lang),
        role=lambda value: i18n.role_label(value, lang),
        term=lambda value: i18n.term(value, gettext),
        document=lambda kind, key: i18n.document_name(kind, key, gettext, lang),
        data=lambda value: Markup('<span translate="no">{}</span>').format(value),
        num=lambda value, digits=2: i18n.number(value, lang, digits),
        percent=lambda share: i18n.number(round(float(share) * 100), lang, 0) + "%",
        money=lambda value, currency=None: i18n.money(value, currency, lang),
        when=when,
        day=day,
        month=lambda value: i18n.month_text(value, lang),
        words=i18n.words,
        pretty=_pretty,
    )
    env.globals.update(
        lang=lang,
        html_lang=i18n.HTML_LANG[lang],
        langs=i18n.LANGS,
        autonyms=i18n.AUTONYMS,
        theme_colour=THEME_COLOUR,
        # A form's command id, new each time the form is shown: sent again (a retried
        # post), the step is answered with its recorded outcome (services.updates).
        new_command_id=new_command_id,
        nav_links=nav.links,
        nav_sections=nav.sections,
        nav_current=nav.current,
    )
    return env


TEMPLATE_SETS = {lang: Jinja2Templates(env=_environment(lang)) for lang in i18n.LANGS}


# -- the page machinery ----------------------------------------------------------------
def _secured(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _lang(request: Request) -> str:
    """The page's language: switch, profile, browser, Chinese (as the API's)."""
    return request_lang(request)


def _gettext(request: Request) -> Gettext:
    return i18n.gettext_for(_lang(request))


def _time_zone(request: Request) -> str:
    """The company's time zone (the promotion_process document), for showing times."""
    known: str | None = getattr(request.state, "time_zone", None)
    if known:
        return known
    try:
        zone = _process(_services(request)).time_zone
    except Exception:
        zone = PromotionProcess().time_zone
    request.state.time_zone = zone
    return zone


def _csrf(request: Request) -> tuple[str, bool]:
    """The form token: the cookie's (when well formed) or a new one to set."""
    known = getattr(request.state, "csrf", None)
    if known:
        return known, True
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if _CSRF_SHAPE.match(cookie):
        return cookie, False
    request.state.csrf = secrets.token_urlsafe(32)
    return request.state.csrf, True


def _cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    age: int | None,
    samesite: str = "strict",
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/",
        httponly=True,
        samesite=cast(Any, samesite),
        secure=request.url.scheme == "https",
    )


def _link(path: str, params: Mapping[str, object]) -> str:
    """A page's address with its query: the parameters left empty ("" or None) left out
    (a filter form's, a list's next page)."""
    kept = {k: v for k, v in params.items() if v not in ("", None)}
    return path + ("?" + urlencode(kept) if kept else "")


def _here(request: Request) -> str:
    """This page's address, for the language switch to come back to."""
    if request.method != "GET":
        return "/"
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _render(
    request: Request,
    name: str,
    context: dict[str, Any],
    caller: Principal | None = None,
    status: int = 200,
    forms: bool = True,
) -> HTMLResponse:
    lang = _lang(request)
    tz = _time_zone(request)
    token, fresh = _csrf(request) if forms else ("", False)
    response = TEMPLATE_SETS[lang].TemplateResponse(
        request,
        name,
        {
            "csrf": token,
            "caller": caller,
            "lang": lang,
            "home": HOME,
            "tz": tz,
            "zone_name": i18n.zone_name(tz, lang),
            "back_to": quote(_here(request), safe=""),
            **context,
        },
        status_code=status,
    )
    response.headers["Content-Language"] = i18n.HTML_LANG[lang]
    response.headers["Vary"] = "Cookie, Accept-Language"
    if fresh:
        _cookie(response, request, CSRF_COOKIE, token, None)
    return response


def _error(
    request: Request,
    status: int,
    title: str,
    detail: str | DomainError,
    caller: Principal | None = None,
) -> Response:
    """A page that says why; `title` is a marked msgid, `detail` words or an engine error
    (said in the page's language)."""
    _ = _gettext(request)
    said = i18n.say(detail, _lang(request)) if isinstance(detail, DomainError) else detail
    return _render(
        request,
        "error.html",
        {"status": status, "title": _(title), "detail": said},
        caller,
        status,
    )
