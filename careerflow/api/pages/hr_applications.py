"""HR's promotion applications: the list (/hr/applications: stage, team, role applied for
and a search, paged, exported as CSV or XLSX), HR's review on an application's page
(confirm, or override with a reason) and starting an application for someone
(/hr/applications/new, the employee found through the people directory).

Reads: projections' promotion and people queries (HR and auditors see every
application; auditors read, only HR acts). Acts: the promotion process service that
POST /api/v1/promotions/applications and …/hr-review use, with the same checks and words."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError, NotFoundError
from aggregates.promotion_rules import Stage
from careerflow import exports
from careerflow.api import i18n
from careerflow.api.i18n import Gettext
from careerflow.api.pages.applications import application_view
from careerflow.api.pages.downloads import _download
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _context, _services, _until
from careerflow.api.pages.rendering import _gettext, _lang, _link, _render
from careerflow.principal import AccessRole, Principal
from careerflow.services.promotion_process import REVIEW_OUTCOMES, START
from projections.promotion_queries import ApplicationRow
from words.messages import Message

Format = Literal["", "html", "csv", "xlsx"]
Limit = Annotated[int, Query(ge=1, le=200)]
STAGES: tuple[str, ...] = tuple(s.value for s in Stage)
PICKER_LIMIT = 10  # people shown for a search on the start page


def _row(a: ApplicationRow, lang: str, _: Gettext) -> dict[str, object]:
    """One application as an export row: names and words, not ids; times as they are."""
    return {
        "application_id": a.application_id,
        "employee_id": a.employee_id,
        "name": a.name or a.employee_id,
        "team": a.team_name or a.team_id or "",
        "from_role": i18n.role_label(a.from_role, lang),
        "target_role": i18n.role_label(a.target_role, lang),
        "stage": i18n.term(a.stage, _),
        "round": a.round,
        "started_at": a.started_at,
        "stage_since": a.stage_since,
        "manager": a.manager_name or a.manager_id or "",
    }


# -- the list --------------------------------------------------------------------------
@router.get("/hr/applications", response_class=HTMLResponse)
def applications_page(
    request: Request,
    stage: str = "",
    team: str = "",
    role: str = "",
    q: str = "",
    cursor: str = "",
    limit: Limit = 50,
    format: Format = "",
    done: str = "",
) -> Response:
    caller = _caller(request)
    s = _services(request)
    lang = _lang(request)
    _ = _gettext(request)
    queries = s.promotion_queries
    filters: dict[str, Any] = {
        "stage": stage if stage in STAGES else "",
        "team": team,
        "role": role,
        "q": q.strip(),
    }
    if format in ("csv", "xlsx"):
        columns = [
            exports.Column("application_id", _("Application id")),
            exports.Column("employee_id", _("Employee id")),
            exports.Column("name", _("Name")),
            exports.Column("team", _("Team")),
            exports.Column("from_role", _("Current role")),
            exports.Column("target_role", _("Role applied for")),
            exports.Column("stage", _("Stage")),
            exports.Column("round", _("Round")),
            exports.Column("started_at", _("Started")),
            exports.Column("stage_since", _("In this stage since")),
            exports.Column("manager", _("Manager")),
        ]
        rows = (_row(a, lang, _) for a in queries.browse_all(caller, **filters))
        return _download(request, format, "applications", _("Applications"), columns, rows)
    found = queries.browse(caller, limit=limit, cursor=cursor or None, **filters)
    choices = s.people_queries.choices(caller)
    kept = {**filters, "limit": limit if limit != 50 else ""}
    return _render(
        request,
        "hr_applications/list.html",
        {
            "found": found,
            "filters": filters,
            "filtered": any(filters.values()),
            "stage_options": [(v, i18n.term(v, _), False) for v in STAGES],
            "team_options": [(c.value, c.name, True) for c in choices.teams],
            "role_options": [(r, i18n.role_label(r, lang), False) for r in choices.roles],
            "first_url": _link("/hr/applications", kept) if cursor else None,
            "next_url": _link("/hr/applications", {**kept, "cursor": found.next_cursor})
            if found.next_cursor
            else None,
            "export_urls": {
                f: _link("/hr/applications", {**filters, "format": f}) for f in ("csv", "xlsx")
            },
            "can_start": caller.role == AccessRole.hr,
        },
        caller,
    )


# -- HR's review on the application's page ---------------------------------------------
@router.post("/applications/{application_id}/hr-review")
async def hr_review(
    request: Request,
    application_id: str,
    csrf: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    command_id: Annotated[str, Form()] = "",
) -> Response:
    """HR confirms, or overrides with a reason, as POST …/hr-review does; a refusal (not
    HR, not at that stage, decided already, no reason) is said on the same page (422)."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    ctx = _context(request)
    s = ctx.services
    try:
        if outcome not in REVIEW_OUTCOMES:
            _ = await run_in_threadpool(_gettext, request)
            raise DomainError(
                Message.verbatim(  # already in the page's language
                    _("Choose confirm, approve despite the criteria, or decline.")
                )
            )
        action, approve = REVIEW_OUTCOMES[outcome]
        flow = await ctx.promotions()
        status = await flow.review_application(
            caller, application_id, action, approve, reason.strip(), command_id or None
        )
    except NotFoundError:
        raise
    except DomainError as exc:
        said = i18n.say(exc, _lang(request))
        return await run_in_threadpool(
            lambda: application_view(request, caller, application_id, refused=said)
        )

    def moved() -> bool:
        now = s.promotion_queries.application(caller, application_id)
        return bool(now["stage"] == status.stage.value)

    await _until(moved)
    return RedirectResponse(f"/applications/{application_id}?done=reviewed", status_code=303)


# -- starting an application for someone -----------------------------------------------
def _start_page(
    request: Request, caller: Principal, q: str, *, status: int = 200, error: str | None = None
) -> Response:
    s = _services(request)
    q = q.strip()
    found = s.people_queries.directory(caller, q=q, limit=PICKER_LIMIT) if q else None
    return _render(
        request,
        "hr_applications/new.html",
        {"q": q, "found": found, "error": error, "can_start": caller.role == AccessRole.hr},
        caller,
        status,
    )


@router.get("/hr/applications/new", response_class=HTMLResponse)
def new_application_page(request: Request, q: str = "") -> Response:
    caller = _caller(request)
    caller.require(AccessRole.hr, action=START)  # only HR starts one for someone else
    return _start_page(request, caller, q)


@router.post("/hr/applications/new")
async def start_application(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    employee_id: Annotated[str, Form()] = "",
    q: Annotated[str, Form()] = "",
) -> Response:
    """Starts an application for the employee (for their next rung), as POST
    /api/v1/promotions/applications does; while one is open it is the answer, so a form
    sent twice starts one. A refusal is said on the same page (422)."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    ctx = _context(request)
    s = ctx.services
    try:
        if not employee_id.strip():
            _ = await run_in_threadpool(_gettext, request)
            raise DomainError(
                Message.verbatim(_("Choose the employee first."))  # in the page's language
            )
        flow = await ctx.promotions()
        started = await flow.start(caller, employee_id.strip(), None)
    except DomainError as exc:
        said = i18n.say(exc, _lang(request))
        return await run_in_threadpool(
            lambda: _start_page(request, caller, q, status=422, error=said)
        )

    def recorded() -> bool:  # the page after shows the application
        for a in s.promotion_queries.of_employee(caller, started.employee_id):
            if a["application_id"] == started.application_id:
                return True
        return False

    await _until(recorded)
    return RedirectResponse(f"/applications/{started.application_id}?done=started", status_code=303)
