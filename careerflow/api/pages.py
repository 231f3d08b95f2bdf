"""The dashboards: server-rendered pages on the API's app, one per role, drawn from the
read models (never workflow queries) through the query services the API and the CLI use.

A person signs in by pasting the token HR issued; it is kept in an HttpOnly,
SameSite=Strict cookie, which the API's auth reads as well. Every form carries a CSRF
token (double-submit: a random value in a second cookie and in the form, compared on
post). Not signed in: a redirect to the login page; refused or unknown: a page that
says why. Actions go through the same process services as the API and the CLI.

    /login, /logout                  sign in with a token / sign out
    /                                 the caller's dashboard, by role
    /employee[/{employee_id}]         potential, distance to the next role, the week,
                                      expected pay, plan progress, applications, inbox
    /manager                          team board, approvals (SLA clock, decide form),
                                      who lags, candidate pool, plans at risk
    /hr                               pipeline by stage and age, cycle times, pool,
                                      returned applications, criteria versions
    /audit, /audit/{kind}/{id}        applications, cycles and plans, each with its
                                      ordered history (read-only)
    /applications/{application_id}    one application's status and timeline
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.ladder import Role
from aggregates.process import PromotionProcess
from careerflow.api.auth import COOKIE
from careerflow.api.context import ApiContext
from careerflow.eventstore import PydanticApplication, PydanticMapper
from careerflow.principal import AccessRole, Principal
from careerflow.services.registry import Services
from careerflow.services.tokens import AuthenticationError
from careerflow.workdays import add_working_days, working_days_between

log = logging.getLogger("careerflow.pages")

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

CSRF_COOKIE = "careerflow_csrf"
SESSION_SECONDS = 8 * 3600
_CSRF_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_WEEK = re.compile(r"^\d{4}-W\d{2}$")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
LANGS = ("en", "zh")

HOME = {
    AccessRole.employee: "/employee",
    AccessRole.manager: "/manager",
    AccessRole.hr: "/hr",
    AccessRole.auditor: "/audit",
}
AUDIT_KINDS = ("application", "cycle", "plan")
STAGE_ORDER = ("reporting", "manager_review", "returned", "hr_review", "approved")
AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("under 1 working day", 1),
    ("1–2 working days", 2),
    ("2–3 working days", 3),
    ("3–5 working days", 5),
    ("5 or more (past the target)", float("inf")),
)
# A content security policy for pages that load only their own scripts and styles.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

templates = Jinja2Templates(directory=str(TEMPLATES))


class CsrfRefused(PermissionDeniedError):
    """The form's CSRF token did not match its cookie: nothing was done."""


# -- formatting for the templates ------------------------------------------------------
def _label(value: Any, lang: str = "en") -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _when(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _words(value: Any) -> str:
    """`manager_review` → "manager review", `ManagerDecided` → "Manager Decided"."""
    return _CAMEL.sub(" ", str(value or "")).replace("_", " ")


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


templates.env.filters.update(label=_label, num=_num, when=_when, words=_words, pretty=_pretty)


# -- the page machinery ----------------------------------------------------------------
def _secured(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", "en")
    return lang if lang in LANGS else "en"


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


def _cookie(response: Response, request: Request, name: str, value: str, age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _render(
    request: Request,
    name: str,
    context: dict[str, Any],
    caller: Principal | None = None,
    status: int = 200,
) -> HTMLResponse:
    token, fresh = _csrf(request)
    response = templates.TemplateResponse(
        request,
        name,
        {"csrf": token, "caller": caller, "lang": _lang(request), "home": HOME, **context},
        status_code=status,
    )
    if fresh:
        _cookie(response, request, CSRF_COOKIE, token, None)
    return response


def _error(
    request: Request, status: int, title: str, detail: str, caller: Principal | None = None
) -> Response:
    return _render(
        request, "error.html", {"status": status, "title": title, "detail": detail}, caller, status
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
                response = _error(request, 403, "Form expired", str(exc))
            except PermissionDeniedError as exc:
                response = _error(request, 403, "Not allowed", str(exc), _maybe_caller(request))
            except NotFoundError as exc:
                response = _error(request, 404, "Not found", str(exc), _maybe_caller(request))
            except DomainError as exc:
                response = _error(request, 422, "Refused", str(exc), _maybe_caller(request))
            except RequestValidationError as exc:
                fields = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'] if p not in ('body', 'query'))}: "
                    f"{e['msg']}"
                    for e in exc.errors()
                )
                response = _error(request, 422, "Invalid form", fields, _maybe_caller(request))
            except Exception as exc:
                log.exception("page %s failed", request.url.path)
                response = _error(
                    request,
                    500,
                    "Something failed",
                    f"the engine failed ({type(exc).__name__}); nothing you sent was wrong, "
                    "try again, and report it if it persists",
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
        raise PermissionDeniedError(
            f"{principal.role.value} tokens are for the API; the dashboards are for people"
        )
    return principal


def _maybe_caller(request: Request) -> Principal | None:
    try:
        return _caller(request)
    except DomainError:
        return None


def _check_csrf(request: Request, sent: str) -> None:
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfRefused(
            "the form's security token did not match (it expired or the form came from "
            "another site); nothing was done: reload the page and try again"
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


def _week(services: Services, request: Request) -> str:
    asked = request.query_params.get("week", "")
    if asked:
        if not _WEEK.match(asked):
            raise DomainError(f"week: expected an ISO week like 2026-W48, got {asked!r}")
        return asked
    doc = _document(services, "weekly_cycle")
    settings = WeeklyCycleSettings.model_validate(doc) if doc else WeeklyCycleSettings()
    return settings.week_of(datetime.now(UTC))


def _short(text: str, width: int = 24) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _chart(labels: list[str], datasets: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    """A chart for static/dashboard.js: labels, datasets and a few options."""
    return {"labels": labels, "datasets": datasets, **options}


def _sla(row: dict[str, Any], process: PromotionProcess, now: datetime) -> dict[str, Any]:
    """The manager's clock: working days waiting, when the reminder and escalation come."""
    since = row["stage_since"]
    age = working_days_between(since, now, process.country, process.time_zone)
    remind = process.remind_manager_after_working_days
    escalate = process.escalate_after_working_days
    state = "escalated" if age >= escalate else "reminded" if age >= remind else "on time"
    return {
        "age": round(age, 1),
        "remind_at": add_working_days(since, remind, process.country, process.time_zone),
        "escalate_at": add_working_days(since, escalate, process.country, process.time_zone),
        "escalate_after": escalate,
        "state": state,
    }


def _events(app: PydanticApplication, aggregate_id: UUID) -> list[dict[str, Any]]:
    """An aggregate's stored events in order, as plain data (who, when, what)."""
    mapper = cast(PydanticMapper, app.mapper)
    out: list[dict[str, Any]] = []
    for stored in app.recorder.select_events(aggregate_id):
        state = mapper.decode_state(stored)
        skip = ("originator_id", "originator_version", "timestamp", "meta", "event_id")
        out.append(
            {
                "version": stored.originator_version,
                "kind": stored.topic.rpartition(":")[2].rpartition(".")[2],
                "topic": stored.topic,
                "at": state.get("timestamp"),
                "meta": state.get("meta") or {},
                "data": {k: v for k, v in state.items() if k not in skip},
            }
        )
    return out


# -- sign in and out -------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", reason: str = "") -> Response:
    notes = {
        "expired": "Your token is no longer accepted (expired, revoked or unknown); "
        "paste a new one from HR.",
        "out": "You are signed out.",
    }
    return _render(
        request, "login.html", {"next": _safe_next(next), "note": notes.get(reason), "error": None}
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    _check_csrf(request, csrf)
    target = _safe_next(next)
    try:
        principal = _services(request).tokens.authenticate(token)
    except AuthenticationError as exc:
        error = str(exc) if token.strip() else "paste the token HR gave you"
        context = {"next": target, "note": None, "error": error}
        return _render(request, "login.html", context, status=401)
    if principal.role not in HOME:
        error = f"{principal.role.value} tokens are for the API; the dashboards are for people"
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


@router.get("/")
def home(request: Request) -> Response:
    caller = _caller(request)
    return RedirectResponse(HOME[caller.role], status_code=303)


# -- the employee ----------------------------------------------------------------------
@router.get("/employee", response_class=HTMLResponse)
def my_page(request: Request) -> Response:
    caller = _caller(request)
    return _employee_page(request, caller, caller.person_id)


@router.get("/employee/{employee_id}", response_class=HTMLResponse)
def employee_page(request: Request, employee_id: str) -> Response:
    return _employee_page(request, _caller(request), employee_id)


def _employee_page(request: Request, caller: Principal, employee_id: str) -> Response:
    s = _services(request)
    lang = _lang(request)
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
            [_short(_label(indicators[n].get("label"), lang)) for n in names],
            [{"label": "score (0–10)", "data": [indicators[n]["score"] for n in names]}],
            notes=[f"rank {ranks.get(n, '–')} of {readiness['team_size']}" for n in names],
            max=10,
            horizontal=True,
            height=60 + 24 * len(names),
        )
    if rep_week is not None and rep_week.lines:
        # Items differ in scale (amounts, counts): each is drawn as a share of its plan.
        lines = rep_week.lines
        goals = [line.planned if line.planned is not None else line.target for line in lines]
        charts["week"] = _chart(
            [_short(_label(line.label, lang)) for line in lines],
            [
                {
                    "label": "actual, % of plan",
                    "data": [
                        round(100 * line.actual / goal, 1) if goal else None
                        for line, goal in zip(lines, goals, strict=True)
                    ],
                },
                {
                    "label": "plan (100%)",
                    "data": [100 for _ in lines],
                    "type": "line",
                    "color": "#dc2626",
                },
            ],
            notes=[
                f"{_num(line.actual)} of {_num(goal)}"
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
            "plans": plans,
            "applications": applications,
            "inbox": inbox,
            "charts": charts,
        },
        caller,
    )


# -- the manager -----------------------------------------------------------------------
@router.get("/manager", response_class=HTMLResponse)
def manager_page(request: Request) -> Response:
    caller = _caller(request)
    caller.require(AccessRole.manager, action="open the manager's dashboard")
    s = _services(request)
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
                [r.name or r.employee_id for r in scored],
                [
                    {"label": "plan items met", "data": [r.met or 0 for r in scored]},
                    {
                        "label": "behind",
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
            "inbox": s.notifications.inbox(caller, caller.person_id, limit=10),
            "charts": charts,
        },
        caller,
    )


# -- HR --------------------------------------------------------------------------------
@router.get("/hr", response_class=HTMLResponse)
def hr_page(request: Request) -> Response:
    caller = _caller(request)
    caller.require(AccessRole.hr, AccessRole.auditor, action="open HR's dashboard")
    s = _services(request)
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
    buckets: list[list[int]] = [[0] * len(stages) for _ in AGE_BUCKETS]
    for i, st in enumerate(stages):
        for a in pipeline["stages"][st]["applications"]:
            age = a["age_working_days"]
            for b, (_, upper) in enumerate(AGE_BUCKETS):
                if age < upper:
                    buckets[b][i] += 1
                    break
    colors = ["#16a34a", "#65a30d", "#f59e0b", "#ea580c", "#dc2626"]
    charts = {
        "pipeline": _chart(
            [_words(st) for st in stages],
            [
                {"label": name, "data": buckets[b], "color": colors[b]}
                for b, (name, _) in enumerate(AGE_BUCKETS)
            ],
            stacked=True,
            integer=True,
        )
    }
    decided = cycle_times["applications"]
    if decided:
        charts["cycle_times"] = _chart(
            [f"{names.get(a['employee_id'], a['employee_id'])} ({a['stage']})" for a in decided],
            [
                {"label": "working days", "data": [round(a["working_days"], 2) for a in decided]},
                {
                    "label": f"target ({_num(target)} working days)",
                    "data": [target for _ in decided],
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
        },
        caller,
    )


# -- the auditor -----------------------------------------------------------------------
def _require_audit(caller: Principal) -> None:
    caller.require(AccessRole.auditor, AccessRole.hr, action="read the audit trail")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> Response:
    caller = _caller(request)
    _require_audit(caller)
    s = _services(request)
    with s.read_pool.connection() as conn:
        cycles: Any = conn.execute(
            "SELECT c.cycle_id, c.employee_id, e.name, c.week, c.plan_source, c.reported_at, "
            "c.feedback_status FROM rm_cycle c LEFT JOIN rm_employee e USING (employee_id) "
            "ORDER BY c.week DESC, c.employee_id LIMIT 500"
        ).fetchall()
    return _render(
        request,
        "audit.html",
        {
            "applications": list(reversed(s.promotion_queries.applications(caller))),
            "cycles": cycles,
            "plans": s.plan_queries.team(caller),
        },
        caller,
    )


@router.get("/audit/{kind}/{item_id:path}", response_class=HTMLResponse)
def audit_item(request: Request, kind: str, item_id: str) -> Response:
    caller = _caller(request)
    _require_audit(caller)
    if kind not in AUDIT_KINDS:
        raise NotFoundError(f"no history of {kind!r}: choose one of {', '.join(AUDIT_KINDS)}")
    s = _services(request)
    store = s.store
    timeline: list[dict[str, Any]] | None = None
    if kind == "application":
        record = s.promotion_queries.application(caller, item_id)
        timeline = record.pop("timeline")
        app: PydanticApplication = store.promotions
    else:
        table, key, app = (
            ("rm_cycle", "cycle_id", store.cycles)
            if kind == "cycle"
            else ("rm_plan", "plan_id", store.plans)
        )
        with s.read_pool.connection() as conn:
            row: Any = conn.execute(
                f"SELECT * FROM {table} WHERE {key} = %s",  # table and key: fixed above
                (item_id,),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no {kind} {item_id!r}")
        record = dict(row)
    return _render(
        request,
        "audit_item.html",
        {
            "kind": kind,
            "item_id": item_id,
            "record": record,
            "timeline": timeline,
            "events": _events(app, record["aggregate_id"]),
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
) -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    if decision not in ("approve", "reject"):
        raise DomainError("decision: choose approve or reject")
    ctx = _context(request)
    s = ctx.services
    record = await run_in_threadpool(s.promotion_queries.application, caller, application_id)
    if record["stage"] != "manager_review":
        raise DomainError(
            f"this application is at {_words(record['stage'])}, not manager review; "
            "nothing was decided"
        )
    flow = await ctx.promotions()
    status = await flow.decide(
        caller,
        record["employee_id"],
        Role(record["target_role"]),
        decision == "approve",
        comment.strip(),
    )
    await _until_read_model(s, caller, application_id, status.stage.value)
    return RedirectResponse(f"/applications/{application_id}?decided={decision}", status_code=303)


async def _until_read_model(
    s: Services, caller: Principal, application_id: str, stage: str, timeout: float = 10.0
) -> None:
    """Read-your-writes for the person who acted: the page after a decision shows it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = await run_in_threadpool(s.promotion_queries.application, caller, application_id)
        if record["stage"] == stage:
            return
        await asyncio.sleep(0.1)


def mount(app: FastAPI) -> None:
    """Adds the pages and their static files (CSS, JS and the vendored chart library)."""
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(router)
