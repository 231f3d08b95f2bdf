"""Development plans for managers and HR (issue 18, S7 and S8's /hr/plans/new): the
team's plans (the ones needing attention first, paged), the plan page's steering forms
(confirm a milestone, move its due month, add one, drop one with a reason) and HR's form
to start a plan. Reads come from projections (plan_queries, people_queries, the plan
templates in force); every step goes through PlanProcessService, the API's and the CLI's
path, which checks the caller (role, visibility, the plan still running) and whose
workflow decides which manager steers.

    /team/plans                       the manager's team's plans (HR, auditors: all), paged
    /team/plans?format=csv|xlsx       every one of them, downloaded
    POST /plans/{id}/{step}           confirm, move, add, drop (the handler is in plans.py,
                                      on the plan page; its forms' context is plan_forms)
    /hr/plans/new, POST /hr/plans     HR starts a plan: person picker, template by name
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.ladder import Role
from aggregates.plan_template import add_months
from careerflow import exports
from careerflow.api import i18n
from careerflow.api.pages.downloads import Format, _download
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _context, _optional, _process, _services, _until
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.applications.plans import require_plan_starter
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from projections.policies import documents_in_force
from words.messages import Message, role_word

STEPS = ("confirm", "move", "add", "drop")
DONE = ("started", *STEPS)


# -- the team's plans --------------------------------------------------------------------
def plan_status(p: dict[str, Any], _: Callable[[str], str]) -> str:
    """A plan's status as the team list says it (team_plans/team.html)."""
    if p.get("closed"):
        outcome = p.get("outcome")
        return _("closed") + (": " + i18n.term(outcome, _) if outcome else "")
    if p.get("overall") == "not_evaluated":
        return _("not evaluated yet")
    return i18n.term(p.get("overall"), _)


def _team_export(request: Request, caller: Principal, fmt: Literal["csv", "xlsx"]) -> Response:
    """Every plan the caller sees (page after page of the list's own query, its order)."""
    lang = _lang(request)
    _ = _gettext(request)
    queries = _services(request).plan_queries
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = queries.team_page(caller, limit=500, cursor=cursor)
        found += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    rows = (
        {
            "name": p["name"],
            "employee_id": p["employee_id"],
            "plan": _("%(role)s from %(date)s")
            % {
                "role": i18n.role_label(p["role"], lang),
                "date": i18n.date_text(p["effective_date"], lang),
            },
            "status": plan_status(p, _),
            "done": _("%(done)s of %(total)s") % {"done": p["done"], "total": p["total"]},
            "overdue": len(p["overdue"] or []),
        }
        for p in found
    )
    columns = [
        exports.Column("name", _("Person")),
        exports.Column("employee_id", _("Employee id")),
        exports.Column("plan", _("Plan")),
        exports.Column("status", _("Status")),
        exports.Column("done", _("Milestones done")),
        exports.Column("overdue", _("Overdue")),
    ]
    return _download(request, fmt, "team-plans", _("Team plans"), columns, rows)


@router.get("/team/plans", response_class=HTMLResponse)
def team_plans(request: Request, cursor: str = "", format: Format = "") -> Response:
    caller = _caller(request)
    if format in ("csv", "xlsx"):
        return _team_export(request, caller, format)
    found = _services(request).plan_queries.team_page(caller, cursor=cursor or None)
    return _render(
        request,
        "team_plans/team.html",
        {
            "found": found,
            "first_url": "/team/plans" if cursor else None,
            "next_url": f"/team/plans?cursor={found.next_cursor}" if found.next_cursor else None,
            "starts": caller.role == AccessRole.hr,
            "export_urls": {f: f"/team/plans?format={f}" for f in ("csv", "xlsx")},
        },
        caller,
    )


# -- the plan page's forms ----------------------------------------------------------------
def steering(plan: dict[str, Any], caller: Principal) -> bool:
    """Whether the plan page shows the steering forms: the employee's manager or HR, on a
    running plan (the service decides again when a form is sent)."""
    if plan.get("closed"):
        return False
    if caller.role == AccessRole.hr:
        return True
    return caller.role == AccessRole.manager and plan.get("manager_id") == caller.person_id


def month_choices(plan: dict[str, Any], lang: str) -> list[tuple[int, str]]:
    """Plan months as (number, "month n · calendar month") for the due-month pickers."""
    _ = i18n.gettext_for(lang)
    effective: date = plan["effective_date"]
    months = max([int(plan["months"])] + [int(m["due_month"]) for m in plan["milestones"]])

    def text(n: int) -> str:
        month = i18n.month_text(add_months(effective, n - 1).isoformat()[:7], lang)
        return _("month %(n)s · %(month)s") % {"n": n, "month": month}

    return [(n, text(n)) for n in range(1, months + 1)]


def plan_forms(plan: dict[str, Any], caller: Principal, lang: str) -> dict[str, Any]:
    """The plan page's steering context (plans.py renders it)."""
    if not steering(plan, caller):
        return {"steer": False}
    confirmed = plan.get("confirmed") or {}
    milestones = sorted(plan["milestones"], key=lambda m: (m["start_month"], m["due_month"]))
    return {
        "steer": True,
        "all_milestones": milestones,
        "confirmable": [
            m for m in milestones if m["kind"] == "confirmed" and m["id"] not in confirmed
        ],
        "month_choices": month_choices(plan, lang),
    }


async def _until_plan(
    s: Engine, caller: Principal, plan_id: str, ready: Callable[[Any], bool]
) -> None:
    def check() -> bool:
        try:
            return bool(ready(s.plan_queries.plan(caller, plan_id)))
        except NotFoundError:
            return False

    await _until(check)


# -- HR starts a plan -------------------------------------------------------------------
def _templates(s: Engine, lang: str) -> list[tuple[str, str]]:
    """The plan templates in force, by name (the role they are for)."""
    with s.read_pool.connection() as conn:
        rows = documents_in_force(conn, "plan_template")
    _ = i18n.gettext_for(lang)
    return [
        (
            r["key"],
            _("%(role)s plan (version %(version)s)")
            % {"role": i18n.role_label(r["key"], lang), "version": r["version"]},
        )
        for r in rows
    ]


def _said(exc: DomainError, lang: str) -> str:
    """The refusal in the page's language, a document kind and a role by their names."""
    _ = i18n.gettext_for(lang)
    params = dict(exc.message.params)
    if isinstance(params.get("kind"), str):
        params["kind"] = i18n.term(params["kind"], _)
    ladder = {r.value for r in Role}
    for name in ("key", "role"):
        value = params.get(name)
        if isinstance(value, str):
            params[name] = i18n.role_label(value, lang) if value in ladder else role_word(value)
    return i18n.say(Message(exc.message.template, **params), lang)


def _start_form(
    request: Request,
    caller: Principal,
    q: str = "",
    values: dict[str, str] | None = None,
    error: str | None = None,
) -> Response:
    require_plan_starter(caller)  # 403 for anyone but HR, before any lookup
    s = _services(request)
    lang = _lang(request)
    values = values or {}
    chosen = values.get("employee_id", "")
    q = q.strip()
    found = s.people_queries.directory(caller, q=q, limit=10) if q else None
    picked = _optional(lambda: s.queries.employee(caller, chosen)) if chosen else None
    zone = ZoneInfo(_process(s).time_zone)
    today = datetime.now(UTC).astimezone(zone).date()
    return _render(
        request,
        "team_plans/new.html",
        {
            "q": q,
            "found": found,
            "picked": picked,
            "templates": _templates(s, lang),
            "values": {"effective_date": today.isoformat(), **values},
            "error": error,
        },
        caller,
        status=422 if error else 200,
    )


@router.get("/hr/plans/new", response_class=HTMLResponse)
def new_plan(request: Request, q: str = "", employee_id: str = "") -> Response:
    caller = _caller(request)
    return _start_form(request, caller, q, {"employee_id": employee_id} if employee_id else None)


@router.post("/hr/plans")
async def start_plan(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    employee_id: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    effective_date: Annotated[str, Form()] = "",
    q: Annotated[str, Form()] = "",
) -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    require_plan_starter(caller)
    lang = _lang(request)
    values = {"employee_id": employee_id, "role": role, "effective_date": effective_date}
    ctx = _context(request)
    s = ctx.services
    flow = await ctx.plans()
    try:
        _ = await run_in_threadpool(_gettext, request)
        if not employee_id.strip():
            raise DomainError(Message.verbatim(_("Choose the person the plan is for.")))
        try:
            effective = date.fromisoformat(effective_date)
        except ValueError:
            raise DomainError(Message.verbatim(_("Give the plan's first day as a date."))) from None
        plan_role = Role(role) if role in {r.value for r in Role} else None
        plan_id = await flow.start(caller, employee_id.strip(), effective, plan_role)
    except PermissionDeniedError:
        raise
    except DomainError as exc:  # an unknown person or no template is the form's problem
        said = _said(exc, lang)
        return await run_in_threadpool(_start_form, request, caller, q, values, said)
    await _until_plan(s, caller, plan_id, lambda p: True)
    return RedirectResponse(f"/plans/{plan_id}?done=started", status_code=303)
