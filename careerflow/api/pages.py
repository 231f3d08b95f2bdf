"""The dashboards: server-rendered pages on the API's app, one per role, drawn from the
read models (never workflow queries) through the query services the API and the CLI use.

A person signs in by pasting the token HR issued; it is kept in an HttpOnly,
SameSite=Strict cookie, which the API's auth reads as well. Every form carries a CSRF
token (double-submit: a random value in a second cookie and in the form, compared on
post). Not signed in: a redirect to the login page; refused or unknown: a page that
says why. Actions go through the same process services as the API and the CLI.

Pages speak Simplified Chinese or English (careerflow.api.i18n: gettext catalogues, one
Jinja environment per language): the language switch's cookie, else the person's
employee profile, else the browser's Accept-Language, else Chinese. Numbers, money and
dates follow the language; times are shown in the company's time zone (the
promotion_process document's). Messages from the domain services stay English.

    /login, /logout                  sign in with a token / sign out
    /lang/{zh|en}?next=…             the language switch (a cookie), back to the page
    /                                 the caller's dashboard, by role
    /employee[/{employee_id}]         potential, distance to the next role, the week (and
                                      the plan form while the week takes one), expected
                                      pay, plan progress, applications, inbox
    POST /employee/plan               the rep submits the week's plan (the cycle workflow)
    /manager                          team board, approvals (SLA clock, decide form),
                                      who lags, candidate pool, plans at risk
    /hr                               pipeline by stage and age, cycle times, pool,
                                      returned applications, criteria versions
    /audit, /audit/{kind}/{id}        applications, cycles, month closes, plans, support
                                      requests and 360° rounds, filtered by kind, person
                                      and dates, each with its ordered history and its
                                      exports (read-only; every view is recorded)
    /applications/{application_id}    one application's status and timeline
    /manifest.webmanifest, /sw.js,   the installable app: manifest, service worker (the
    /offline                          shell and static files only) and its offline page
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.cycle_settings import COUNT_ITEMS, WeeklyCycleSettings
from aggregates.process import PromotionProcess
from careerflow.api import i18n
from careerflow.api.auth import COOKIE
from careerflow.api.context import ApiContext
from careerflow.api.errors import LANG_COOKIE, request_lang
from careerflow.api.i18n import N_, Gettext
from careerflow.messages import Message
from careerflow.principal import AccessRole, Principal
from careerflow.services.audit_index import audit_items
from careerflow.services.calendar import CalendarService
from careerflow.services.people import profile_locale
from careerflow.services.registry import Services
from careerflow.services.tokens import AuthenticationError
from careerflow.services.updates import new_command_id
from careerflow.validation import error_message, field_of
from careerflow.workdays import add_working_days, working_days_between

log = logging.getLogger("careerflow.pages")

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

CSRF_COOKIE = "careerflow_csrf"
SESSION_SECONDS = 8 * 3600
LANG_SECONDS = 365 * 24 * 3600
_CSRF_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_WEEK = re.compile(r"^\d{4}-W\d{2}$")

HOME = {
    AccessRole.employee: "/employee",
    AccessRole.manager: "/manager",
    AccessRole.hr: "/hr",
    AccessRole.auditor: "/audit",
}
AUDIT_KINDS = ("application", "cycle", "month", "plan", "support", "assessment")
STAGE_ORDER = ("reporting", "manager_review", "returned", "hr_review", "approved")
AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    (N_("under 1 working day"), 1),
    (N_("1–2 working days"), 2),
    (N_("2–3 working days"), 3),
    (N_("3–5 working days"), 5),
    (N_("5 or more (past the target)"), float("inf")),
)
LOGIN_NOTES = {
    "expired": N_(
        "Your token is no longer accepted (expired, revoked or unknown); paste a new one from HR."
    ),
    "out": N_("You are signed out."),
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


class CsrfRefused(PermissionDeniedError):
    """The form's CSRF token did not match its cookie: nothing was done."""


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
        label=lambda value: i18n.label(value, lang),
        role=lambda value: i18n.role_label(value, lang),
        term=lambda value: i18n.term(value, gettext),
        num=lambda value, digits=2: i18n.number(value, lang, digits),
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


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no `//evil`)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _to_login(request: Request) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = "/login"
    if request.method == "GET" and here != "/":
        target += f"?next={quote(here, safe='')}"
    if request.cookies.get(COOKIE):
        target += ("&" if "?" in target else "?") + "reason=expired"
    response = RedirectResponse(target, status_code=303)
    if request.cookies.get(COOKIE):
        response.delete_cookie(COOKIE, path="/")
    return response


class PageRoute(APIRoute):
    """Errors become pages: 401 → the login page, 403/404/422 → the reason."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except AuthenticationError:
                response = _to_login(request)
            except CsrfRefused as exc:
                response = _error(request, 403, N_("Form expired"), exc)
            except PermissionDeniedError as exc:
                response = _error(request, 403, N_("Not allowed"), exc, _maybe_caller(request))
            except NotFoundError as exc:
                response = _error(request, 404, N_("Not found"), exc, _maybe_caller(request))
            except DomainError as exc:
                response = _error(request, 422, N_("Refused"), exc, _maybe_caller(request))
            except RequestValidationError as exc:
                lang = _lang(request)
                fields = "; ".join(
                    f"{field_of(e)}: {i18n.say(error_message(e), lang)}" for e in exc.errors()
                )
                response = _error(request, 422, N_("Invalid form"), fields, _maybe_caller(request))
            except Exception as exc:
                log.exception("page %s failed", request.url.path)
                _ = _gettext(request)
                response = _error(
                    request,
                    500,
                    N_("Something failed"),
                    _(
                        "The engine failed (%(kind)s); nothing you sent was wrong. Try again, "
                        "and report it if it persists."
                    )
                    % {"kind": type(exc).__name__},
                )
            return _secured(response)

        return guarded


router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.context
    return ctx


def _services(request: Request) -> Services:
    return _context(request).services


def _caller(request: Request) -> Principal:
    """The person signed in (the cookie); an integration token has no dashboard."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise AuthenticationError("sign in with your token")
    principal = _services(request).tokens.authenticate(token)
    if principal.role not in HOME:
        _ = _gettext(request)
        raise PermissionDeniedError(
            Message.verbatim(  # already in the page's language
                _("%(role)s tokens are for the API; the dashboards are for people")
                % {"role": principal.role.value}
            )
        )
    request.state.caller = principal
    return principal


def _maybe_caller(request: Request) -> Principal | None:
    try:
        return _caller(request)
    except DomainError:
        return None


def _check_csrf(request: Request, sent: str) -> None:
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        _ = _gettext(request)
        raise CsrfRefused(
            Message.verbatim(  # already in the page's language
                _(
                    "The form's security token did not match (it expired or the form came from "
                    "another site); nothing was done: reload the page and try again."
                )
            )
        )


def _optional(call: Callable[[], Any]) -> Any:
    """A section whose read model has nothing yet shows as empty, not as an error."""
    try:
        return call()
    except NotFoundError:
        return None


# -- read-model documents the query services do not expose -----------------------------
def _document(services: Services, kind: str) -> dict[str, Any] | None:
    with services.read_pool.connection() as conn:
        row: Any = conn.execute(
            "SELECT document FROM rm_policy WHERE kind = %s AND key = 'default' "
            "ORDER BY version DESC LIMIT 1",
            (kind,),
        ).fetchone()
    return dict(row["document"]) if row else None


def _process(services: Services) -> PromotionProcess:
    doc = _document(services, "promotion_process")
    return PromotionProcess.model_validate(doc) if doc else PromotionProcess()


def _metric_labels(services: Services) -> dict[str, Any]:
    """Each metric's bilingual label from the metric catalogue in force."""
    doc = _document(services, "metric_catalog") or {}
    return {name: m.get("label") for name, m in (doc.get("metrics") or {}).items()}


def _week(services: Services, request: Request) -> str:
    asked = request.query_params.get("week", "")
    if asked:
        if not _WEEK.match(asked):
            _ = _gettext(request)
            raise DomainError(
                Message.verbatim(  # already in the page's language
                    _("week: expected an ISO week like 2026-W48, got %(week)s") % {"week": asked}
                )
            )
        return asked
    doc = _document(services, "weekly_cycle")
    settings = WeeklyCycleSettings.model_validate(doc) if doc else WeeklyCycleSettings()
    return settings.week_of(datetime.now(UTC))


def _short(text: str, width: int = 24) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _chart(
    lang: str, labels: list[str], datasets: list[dict[str, Any]], **options: Any
) -> dict[str, Any]:
    """A chart for static/dashboard.js: labels, datasets, the locale and a few options."""
    return {"labels": labels, "datasets": datasets, "locale": i18n.HTML_LANG[lang], **options}


def _sla(row: dict[str, Any], process: PromotionProcess, now: datetime) -> dict[str, Any]:
    """The manager's clock: working days waiting, when the reminder and escalation come."""
    since = row["stage_since"]
    age = working_days_between(since, now, process, process.time_zone)
    remind = process.remind_manager_after_working_days
    escalate = process.escalate_after_working_days
    state = "escalated" if age >= escalate else "reminded" if age >= remind else "on time"
    return {
        "age": round(age, 1),
        "remind_at": add_working_days(since, remind, process, process.time_zone),
        "escalate_at": add_working_days(since, escalate, process, process.time_zone),
        "escalate_after": escalate,
        "state": state,
    }


# -- sign in and out, and the language switch ------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", reason: str = "") -> Response:
    _ = _gettext(request)
    note = _(LOGIN_NOTES[reason]) if reason in LOGIN_NOTES else None
    return _render(request, "login.html", {"next": _safe_next(next), "note": note, "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    _check_csrf(request, csrf)
    _ = _gettext(request)
    target = _safe_next(next)
    try:
        principal = _services(request).tokens.authenticate(token)
    except AuthenticationError as exc:
        error = str(exc) if token.strip() else _("Paste the token HR gave you.")
        context = {"next": target, "note": None, "error": error}
        return _render(request, "login.html", context, status=401)
    if principal.role not in HOME:
        error = _("%(role)s tokens are for the API; the dashboards are for people") % {
            "role": principal.role.value
        }
        context = {"next": target, "note": None, "error": error}
        return _render(request, "login.html", context, status=403)
    response = RedirectResponse(target, status_code=303)
    _cookie(response, request, COOKIE, token.strip(), SESSION_SECONDS)
    # A new form token for the new session.
    _cookie(response, request, CSRF_COOKIE, secrets.token_urlsafe(32), None)
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    _check_csrf(request, csrf)
    response = RedirectResponse("/login?reason=out", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """The language switch on every page: remembered on this browser (a year), then back.
    Lax, not Strict, so that a link from a notification e-mail keeps the choice."""
    lang = i18n.normalise(code)
    if lang is None:
        _ = _gettext(request)
        raise NotFoundError(
            Message.verbatim(  # already in the page's language
                _("No such language; choose one of: %(langs)s") % {"langs": ", ".join(i18n.LANGS)}
            )
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    _cookie(response, request, LANG_COOKIE, lang, LANG_SECONDS, samesite="lax")
    return response


@router.get("/")
def home(request: Request) -> Response:
    caller = _caller(request)
    return RedirectResponse(HOME[caller.role], status_code=303)


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


def _shell_files() -> list[Path]:
    """What the service worker keeps: the static files (CSS, scripts, icons)."""
    return sorted(
        p
        for p in STATIC.rglob("*")
        if p.is_file() and p.suffix in (".css", ".js", ".png", ".svg") and p.name != "sw.js"
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


# -- the employee ----------------------------------------------------------------------
@router.get("/employee", response_class=HTMLResponse)
def my_page(request: Request) -> Response:
    caller = _caller(request)
    return _employee_page(request, caller, caller.person_id)


@router.get("/employee/{employee_id}", response_class=HTMLResponse)
def employee_page(request: Request, employee_id: str) -> Response:
    return _employee_page(request, _caller(request), employee_id)


def _plan_form(rep_week: Any, caller: Principal, own: bool, now: datetime) -> Any:
    """The week's plan, while the week takes one from this rep: their own page, the plan
    not defaulted, the week not reported, the deadline ahead. Prefilled with the plan so
    far, else the targets."""
    if rep_week is None or not own or caller.role != AccessRole.employee:
        return None
    if rep_week.plan_source == "defaulted" or rep_week.reported:
        return None
    if now >= rep_week.deadlines.plan_deadline:
        return None
    return [
        {
            "item": line.item,
            "label": line.label,
            "target": line.target,
            "value": line.planned if line.planned is not None else (line.target or 0),
            "whole": line.item in COUNT_ITEMS,
        }
        for line in rep_week.lines
    ]


def _employee_page(request: Request, caller: Principal, employee_id: str) -> Response:
    s = _services(request)
    lang = _lang(request)
    _ = _gettext(request)
    person = s.queries.employee(caller, employee_id)  # 404 for people one may not see
    readiness = _optional(lambda: s.queries.readiness(caller, employee_id))
    week = _week(s, request)
    rep_week = _optional(lambda: s.cycle_queries.rep_week(caller, employee_id, week))
    plans = s.plan_queries.plans_of(caller, employee_id)
    mine = [a for a in s.promotion_queries.applications(caller) if a["employee_id"] == employee_id]
    applications = [
        s.promotion_queries.application(caller, a["application_id"]) for a in reversed(mine)
    ]
    own = caller.person_id == employee_id
    inbox = s.notifications.inbox(caller, employee_id, limit=20) if own else None

    charts: dict[str, Any] = {}
    if readiness is not None:
        indicators = readiness["potential"].get("indicators", {})
        names = list(indicators)
        ranks = readiness["indicator_ranks"]
        charts["indicators"] = _chart(
            lang,
            [_short(i18n.label(indicators[n].get("label"), lang)) for n in names],
            [{"label": _("score (0–10)"), "data": [indicators[n]["score"] for n in names]}],
            notes=[
                _("rank %(rank)s of %(size)s")
                % {"rank": ranks.get(n, "–"), "size": readiness["team_size"]}
                for n in names
            ],
            max=10,
            horizontal=True,
            height=60 + 24 * len(names),
        )
    if rep_week is not None and rep_week.lines:
        # Items differ in scale (amounts, counts): each is drawn as a share of its plan.
        lines = rep_week.lines
        goals = [line.planned if line.planned is not None else line.target for line in lines]
        charts["week"] = _chart(
            lang,
            [_short(i18n.label(line.label, lang)) for line in lines],
            [
                {
                    "label": _("actual (percent of plan)"),
                    "data": [
                        round(100 * line.actual / goal, 1) if goal else None
                        for line, goal in zip(lines, goals, strict=True)
                    ],
                },
                {
                    "label": _("plan (100 percent)"),
                    "data": [100 for _line in lines],
                    "type": "line",
                    "color": "#dc2626",
                },
            ],
            notes=[
                _("%(actual)s of %(goal)s")
                % {"actual": i18n.number(line.actual, lang), "goal": i18n.number(goal, lang)}
                for line, goal in zip(lines, goals, strict=True)
            ],
        )
    return _render(
        request,
        "employee.html",
        {
            "person": person,
            "own": own,
            "readiness": readiness,
            "week": week,
            "rep_week": rep_week,
            "plan_form": _plan_form(rep_week, caller, own, datetime.now(UTC)),
            "planned": request.query_params.get("planned") == "1",
            "language_saved": request.query_params.get("language") == "saved",
            "plans": plans,
            "applications": applications,
            "inbox": inbox,
            "charts": charts,
        },
        caller,
    )


@router.post("/employee/plan")
async def submit_plan(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    week: Annotated[str, Form()] = "",
) -> Response:
    """The rep's plan for the week, through the weekly-cycle workflow (its validator
    refuses a late, defaulted or insane plan with the reason; nothing is recorded)."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    _ = await run_in_threadpool(_gettext, request)
    if caller.role != AccessRole.employee:
        raise PermissionDeniedError(
            Message.verbatim(  # already in the page's language
                _("Only reps submit a weekly plan, each their own.")
            )
        )
    if not _WEEK.match(week):
        raise DomainError(
            Message.verbatim(  # already in the page's language
                _("week: expected an ISO week like 2026-W48, got %(week)s") % {"week": week}
            )
        )
    form = await request.form()
    items: dict[str, float] = {}
    for key, value in form.multi_items():
        if not key.startswith("item."):
            continue
        text = str(value).strip().replace(",", "").replace("，", "")
        try:
            items[key.removeprefix("item.")] = float(text)
        except ValueError:
            raise DomainError(
                Message.verbatim(  # already in the page's language
                    _("%(item)s: “%(value)s” is not a number") % {"item": key[5:], "value": text}
                )
            ) from None
    ctx = _context(request)
    s = ctx.services
    before = await run_in_threadpool(
        _optional, lambda: s.cycle_queries.rep_week(caller, caller.person_id, week)
    )
    revisions = before.plan_revisions if before is not None else 0
    cycles = await ctx.cycles()
    await cycles.submit_plan(caller, caller.person_id, week, items)

    def recorded() -> bool:
        now = _optional(lambda: s.cycle_queries.rep_week(caller, caller.person_id, week))
        return now is not None and now.plan_revisions > revisions

    await _until(recorded)
    return RedirectResponse(f"/employee?week={week}&planned=1#week", status_code=303)


@router.post("/employee/language")
async def save_language(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
) -> Response:
    """One's own profile language. This browser's switch is cleared, so the pages follow
    the profile from now on (as every device where the person never switched does)."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    s = _services(request)
    await run_in_threadpool(s.people.set_language, caller, caller.person_id, language)

    def shown() -> bool:
        with s.read_pool.connection() as conn:
            return profile_locale(conn, caller.person_id) == language

    await _until(shown)
    response = RedirectResponse("/employee?language=saved#language", status_code=303)
    response.delete_cookie(LANG_COOKIE, path="/")
    return response


# -- the manager -----------------------------------------------------------------------
@router.get("/manager", response_class=HTMLResponse)
def manager_page(request: Request) -> Response:
    caller = _caller(request)
    caller.require(AccessRole.manager, action=Message("open the manager's dashboard"))
    s = _services(request)
    lang = _lang(request)
    _ = _gettext(request)
    week = _week(s, request)
    now = datetime.now(UTC)
    process = _process(s)
    board = _optional(lambda: s.cycle_queries.team_board(caller, caller.person_id, week))
    waiting = s.promotion_queries.applications(caller, "manager_review")
    approvals = [
        {**a, "sla": _sla(a, process, now)} for a in waiting if a["manager_id"] == caller.person_id
    ]
    elsewhere = [
        {**a, "sla": _sla(a, process, now)}
        for a in waiting
        if a["manager_id"] != caller.person_id and a["employee_id"] != caller.person_id
    ]
    pool = s.queries.candidate_pool(caller)
    plans = s.plan_queries.team(caller)
    at_risk = [p for p in plans if not p["closed"] and p["overall"] in ("at_risk", "overdue")]
    charts: dict[str, Any] = {}
    lagging: list[Any] = []
    if board is not None:
        lagging = [r for r in board.rows if r.lagging or (r.has_cycle and not r.planned)]
        scored = [r for r in board.rows if r.total]
        if scored:
            charts["board"] = _chart(
                lang,
                [r.name or r.employee_id for r in scored],
                [
                    {"label": _("plan items met"), "data": [r.met or 0 for r in scored]},
                    {
                        "label": _("behind"),
                        "data": [(r.total or 0) - (r.met or 0) for r in scored],
                        "color": "#dc2626",
                    },
                ],
                stacked=True,
                integer=True,
            )
    return _render(
        request,
        "manager.html",
        {
            "week": week,
            "board": board,
            "approvals": approvals,
            "elsewhere": elsewhere,
            "lagging": lagging,
            "pool": pool,
            "plans": plans,
            "at_risk": at_risk,
            "process": process,
            "metrics": _metric_labels(s),
            "inbox": s.notifications.inbox(caller, caller.person_id, limit=10),
            "charts": charts,
        },
        caller,
    )


# -- HR --------------------------------------------------------------------------------
@router.get("/hr", response_class=HTMLResponse)
def hr_page(request: Request) -> Response:
    caller = _caller(request)
    caller.require(AccessRole.hr, AccessRole.auditor, action=Message("open HR's dashboard"))
    s = _services(request)
    lang = _lang(request)
    _ = _gettext(request)
    pipeline = s.promotion_queries.pipeline(caller)
    cycle_times = s.promotion_queries.cycle_times(caller)
    names = {a["employee_id"]: a["name"] for a in s.promotion_queries.applications(caller)}
    with s.read_pool.connection() as conn:
        criteria: Any = conn.execute(
            "SELECT key, version, note, published_by, published_at FROM rm_policy "
            "WHERE kind = 'promotion_criteria' ORDER BY key, version DESC"
        ).fetchall()
        documents: Any = conn.execute(
            "SELECT kind, key, max(version) AS version, max(published_at) AS published_at "
            "FROM rm_policy GROUP BY kind, key ORDER BY kind, key"
        ).fetchall()
    stages = [st for st in STAGE_ORDER if st in pipeline["stages"]]
    target = float(pipeline["target_working_days"])
    buckets: list[list[int]] = [[0] * len(stages) for _bucket in AGE_BUCKETS]
    for i, st in enumerate(stages):
        for a in pipeline["stages"][st]["applications"]:
            age = a["age_working_days"]
            for b, (_bucket, upper) in enumerate(AGE_BUCKETS):
                if age < upper:
                    buckets[b][i] += 1
                    break
    colors = ["#16a34a", "#65a30d", "#f59e0b", "#ea580c", "#dc2626"]
    charts = {
        "pipeline": _chart(
            lang,
            [i18n.term(st, _) for st in stages],
            [
                {"label": _(name), "data": buckets[b], "color": colors[b]}
                for b, (name, _upper) in enumerate(AGE_BUCKETS)
            ],
            stacked=True,
            integer=True,
        )
    }
    decided = cycle_times["applications"]
    if decided:
        charts["cycle_times"] = _chart(
            lang,
            [
                f"{names.get(a['employee_id'], a['employee_id'])} ({i18n.term(a['stage'], _)})"
                for a in decided
            ],
            [
                {
                    "label": _("working days"),
                    "data": [round(a["working_days"], 2) for a in decided],
                },
                {
                    "label": _("target (%(days)s working days)")
                    % {"days": i18n.number(target, lang)},
                    "data": [target for _app in decided],
                    "type": "line",
                    "color": "#dc2626",
                },
            ],
        )
    return _render(
        request,
        "hr.html",
        {
            "pipeline": pipeline,
            "stages": stages,
            "cycle_times": cycle_times,
            "names": names,
            "pool": s.queries.candidate_pool(caller),
            "returned": s.promotion_queries.returned(caller),
            "criteria": criteria,
            "documents": documents,
            "plans_overview": s.plan_queries.overview(caller),
            "charts": charts,
            # Years whose working days would be guessed: said until HR publishes them.
            "calendar_gaps": CalendarService(s.policies).gaps(datetime.now(UTC)),
        },
        caller,
    )


# -- the auditor -----------------------------------------------------------------------
def _require_audit(caller: Principal) -> None:
    caller.require(AccessRole.auditor, AccessRole.hr, action=Message("read the audit trail"))


def _day(option: str, text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise DomainError(
            Message("{option} {text!r} is not a day; use YYYY-MM-DD", option=option, text=text)
        ) from None


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, kind: str = "", person: str = "", since: str = "", until: str = ""
) -> Response:
    """What there is to audit, by kind, person and date range (audit_index)."""
    caller = _caller(request)
    _require_audit(caller)
    found = audit_items(
        _services(request),
        caller,
        kind or None,
        person or None,
        _day("since", since),
        _day("until", until),
    )
    return _render(
        request,
        "audit.html",
        {"found": found, "kinds": AUDIT_KINDS, "filters": {"kind": kind, "person": person}},
        caller,
    )


@router.get("/audit/{kind}/{item_id:path}", response_class=HTMLResponse)
def audit_item(request: Request, kind: str, item_id: str) -> Response:
    caller = _caller(request)
    _require_audit(caller)
    _ = _gettext(request)
    if kind not in AUDIT_KINDS:
        raise NotFoundError(
            Message.verbatim(  # already in the page's language
                _("No history of “%(kind)s”: choose one of %(kinds)s")
                % {"kind": kind, "kinds": ", ".join(i18n.term(k, _) for k in AUDIT_KINDS)}
            )
        )
    s = _services(request)
    timeline: list[dict[str, Any]] | None = None
    record: dict[str, Any] = {}
    if kind == "application":
        record = s.promotion_queries.application(caller, item_id)
        timeline = record.pop("timeline")
    elif kind in ("cycle", "plan"):
        table, key = ("rm_cycle", "cycle_id") if kind == "cycle" else ("rm_plan", "plan_id")
        with s.read_pool.connection() as conn:
            row: Any = conn.execute(
                f"SELECT * FROM {table} WHERE {key} = %s",  # table and key: fixed above
                (item_id,),
            ).fetchone()
        if row is None:
            raise NotFoundError(
                Message.verbatim(  # already in the page's language
                    _("No %(kind)s “%(id)s”") % {"kind": i18n.term(kind, _), "id": item_id}
                )
            )
        record = dict(row)
    # The events through the history service: the pay rule and 360° anonymity as in
    # every audit read, and the view recorded like an API read.
    history = s.history.history(caller, kind, item_id, action="page-view")
    return _render(
        request,
        "audit_item.html",
        {
            "kind": kind,
            "item_id": item_id,
            "record": record,
            "timeline": timeline,
            "history": history,
            "exports": {
                f: f"/api/v1/audit/history/{kind}/{quote(item_id)}?format={f}"
                for f in ("json", "jsonl", "html")
            },
        },
        caller,
    )


# -- one application, and the manager's decision ---------------------------------------
@router.get("/applications/{application_id}", response_class=HTMLResponse)
def application_page(request: Request, application_id: str, decided: str = "") -> Response:
    caller = _caller(request)
    s = _services(request)
    record = s.promotion_queries.application(caller, application_id)
    can_decide = (
        caller.role == AccessRole.manager
        and record["stage"] == "manager_review"
        and record["manager_id"] == caller.person_id
    )
    sla = _sla(record, _process(s), datetime.now(UTC)) if can_decide else None
    person = _optional(lambda: s.queries.employee(caller, record["employee_id"]))
    return _render(
        request,
        "application.html",
        {
            "app": record,
            "person": person,
            "can_decide": can_decide,
            "sla": sla,
            "decided": decided if decided in ("approve", "reject") else None,
        },
        caller,
    )


@router.post("/applications/{application_id}/decide")
async def decide(
    request: Request,
    application_id: str,
    csrf: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    command_id: Annotated[str, Form()] = "",
) -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    _ = await run_in_threadpool(_gettext, request)
    if decision not in ("approve", "reject"):
        raise DomainError(
            Message.verbatim(  # already in the page's language
                _("Decision: choose approve or reject.")
            )
        )
    ctx = _context(request)
    s = ctx.services
    record = await run_in_threadpool(s.promotion_queries.application, caller, application_id)
    waiting = record["stage"] == "manager_review"
    flow = await ctx.promotions()
    try:  # the same check as the API's and the CLI's; the form sent again is answered
        status = await flow.decide_application(
            caller, application_id, decision == "approve", comment.strip(), command_id or None
        )
    except DomainError:
        if waiting:
            raise
        raise DomainError(
            Message.verbatim(  # already in the page's language
                _("This application is at %(stage)s, not manager review; nothing was decided.")
                % {"stage": i18n.term(record["stage"], _)}
            )
        ) from None

    def moved() -> bool:
        now = s.promotion_queries.application(caller, application_id)
        return bool(now["stage"] == status.stage.value)

    if waiting:  # a repeated form's step is already in the read model
        await _until(moved)
    return RedirectResponse(f"/applications/{application_id}?decided={decision}", status_code=303)


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Read-your-writes for the person who acted: the page after an action shows it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await run_in_threadpool(check):
            return
        await asyncio.sleep(0.1)


def mount(app: FastAPI) -> None:
    """Adds the pages and their static files (CSS, JS, icons, the vendored chart library)."""
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(router)
