"""The rep's promotion page: readiness first (the potential score, each criterion of the
next role with its value, threshold and the gap's suggestion), then the application form
for the next role, then the rep's own applications; and, on one application's page, the
applicant's withdrawal and resubmission. Reads: the readiness and promotion projections'
queries; acts: the promotion process service the API and the CLI use."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.ladder import Role
from careerflow.api import i18n
from careerflow.api.pages.applications import CLOSED_STAGES, DONE, application_view
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.person_charts import potential_parts
from careerflow.api.pages.reads import _context, _optional, _services, _until
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.engine import Engine
from careerflow.principal import Principal
from words.messages import Message


def _page(
    request: Request,
    caller: Principal,
    *,
    status: int = 200,
    error: str | None = None,
) -> Response:
    s = _services(request)
    person = _optional(lambda: s.queries.employee(caller, caller.person_id))
    readiness = _optional(lambda: s.queries.readiness(caller, caller.person_id))
    criteria: list[dict[str, Any]] = []
    if readiness and readiness.get("evaluation"):
        # Labels and suggestions are said by the template's `label` filter (the stored
        # bilingual line in the page's language, course markers as citations).
        criteria = list(readiness["evaluation"].get("results") or [])
    applications = s.promotion_queries.of_employee(caller, caller.person_id)
    parts = None
    if readiness:
        parts = potential_parts(_lang(request), readiness["potential"], _gettext(request))
    done = request.query_params.get("done", "")
    return _render(
        request,
        "promotion/page.html",
        {
            "person": person,
            "readiness": readiness,
            "parts": parts,
            "criteria": criteria,
            "gaps": [c for c in criteria if not c["met"]],
            "applications": applications,
            "open": [a for a in applications if a["stage"] not in CLOSED_STAGES],
            "done": done if done in DONE else None,
            "error": error,
        },
        caller,
        status,
    )


@router.get("/promotion", response_class=HTMLResponse)
def promotion_page(request: Request) -> Response:
    return _page(request, _caller(request))


@router.post("/promotion/apply")
async def apply(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    target_role: Annotated[str, Form()] = "",
) -> Response:
    """Starts the caller's application for the next role, as POST
    /api/v1/promotions/applications does (the process service's checks and words; while an
    application for that role is open, it is the answer, so a form sent twice starts one).
    A refusal is said on the same page (422)."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    ctx = _context(request)
    s = ctx.services
    flow = await ctx.promotions()
    try:
        try:
            target = Role(target_role) if target_role else None
        except ValueError:
            _ = _gettext(request)
            raise DomainError(
                Message.verbatim(  # already in the page's language
                    _("%(role)s is not a role of the ladder.") % {"role": target_role}
                )
            ) from None
        started = await flow.start(caller, caller.person_id, target)
    except (PermissionDeniedError, NotFoundError):
        raise
    except DomainError as exc:
        said = i18n.say(exc, _lang(request))
        return await run_in_threadpool(lambda: _page(request, caller, status=422, error=said))

    def reported() -> bool:  # shown once the report is written (or at least recorded)
        for a in s.promotion_queries.of_employee(caller, caller.person_id):
            if a["application_id"] == started.application_id:
                return bool(a["stage"] != "reporting")
        return False

    await _until(reported)
    return RedirectResponse("/promotion?done=applied#applications", status_code=303)


# -- the applicant's steps on one application (the page: pages/applications.py) ------
@router.post("/applications/{application_id}/withdraw")
async def withdraw(
    request: Request,
    application_id: str,
    csrf: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    command_id: Annotated[str, Form()] = "",
) -> Response:
    """The applicant withdraws (with a reason), as POST …/withdrawal does."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    ctx = _context(request)
    s = ctx.services
    flow = await ctx.promotions()
    try:
        status = await flow.withdraw_application(
            caller, application_id, reason.strip(), command_id or None
        )
    except (PermissionDeniedError, NotFoundError):
        raise
    except DomainError as exc:
        return await _refused(request, caller, application_id, exc)
    await _until(lambda: _at(s, caller, application_id, status.stage.value))
    return RedirectResponse(f"/applications/{application_id}?done=withdrawn", status_code=303)


@router.post("/applications/{application_id}/resubmit")
async def resubmit(
    request: Request,
    application_id: str,
    csrf: Annotated[str, Form()] = "",
    command_id: Annotated[str, Form()] = "",
) -> Response:
    """The applicant resubmits a returned application, as POST …/resubmission does: it is
    evaluated again on fresh data and goes back to the manager."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    ctx = _context(request)
    s = ctx.services
    flow = await ctx.promotions()
    try:
        status = await flow.resubmit_application(caller, application_id, command_id or None)
    except (PermissionDeniedError, NotFoundError):
        raise
    except DomainError as exc:
        return await _refused(request, caller, application_id, exc)
    await _until(lambda: _at(s, caller, application_id, status.stage.value))
    return RedirectResponse(f"/applications/{application_id}?done=resubmitted", status_code=303)


def _at(s: Engine, caller: Principal, application_id: str, stage: str) -> bool:
    return bool(s.promotion_queries.application(caller, application_id)["stage"] == stage)


async def _refused(
    request: Request, caller: Principal, application_id: str, exc: DomainError
) -> Response:
    """The application's page again, the engine's refusal said in its language (422)."""
    said = i18n.say(exc, _lang(request))
    return await run_in_threadpool(
        lambda: application_view(request, caller, application_id, refused=said)
    )
