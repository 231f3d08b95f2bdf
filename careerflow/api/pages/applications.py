"""One promotion application's status and timeline, the manager's decision on it, and
which of the applicant's steps (withdraw, resubmit: pages/promotion.py) it offers."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError
from aggregates.promotion_rules import CLOSED, Stage
from careerflow.api import i18n
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _context, _optional, _process, _services, _until
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.api.pages.views import _sla
from careerflow.principal import AccessRole, Principal
from words.messages import Message

# Where an application is over (the applicant has no step left on it).
CLOSED_STAGES = frozenset(CLOSED)
# What a done notice may say (anything else is not shown).
DONE = ("applied", "withdrawn", "resubmitted", "reviewed", "started")
# HR's review: which outcomes the form offers at which stage (the engine decides; these
# only spare forms it would refuse).
REVIEW_AT_STAGE = {
    "hr_review": ("confirm", "override_decline"),
    "returned": ("override_approve",),
}


def applicant_steps(caller: Principal, record: dict[str, Any]) -> dict[str, bool]:
    """Which of the applicant's forms the application page shows: withdraw while it is
    open, resubmit after a return. The engine decides; these only spare useless forms."""
    own = caller.person_id == record["employee_id"]
    return {
        "withdraw": own and record["stage"] not in CLOSED_STAGES | {Stage.approved},
        "resubmit": own and record["stage"] == "returned",
    }


# -- one application, and the manager's decision ---------------------------------------
@router.get("/applications/{application_id}", response_class=HTMLResponse)
def application_page(
    request: Request, application_id: str, decided: str = "", done: str = ""
) -> Response:
    return application_view(request, _caller(request), application_id, decided, done)


def application_view(
    request: Request,
    caller: Principal,
    application_id: str,
    decided: str = "",
    done: str = "",
    *,
    refused: str | None = None,
) -> Response:
    """The page; `refused`: the engine's refusal of the applicant's step, said (422)."""
    s = _services(request)
    record = s.promotion_queries.application(caller, application_id, _lang(request))
    can_decide = (
        caller.role == AccessRole.manager
        and record["stage"] == "manager_review"
        and record["manager_id"] == caller.person_id
    )
    sla = _sla(record, _process(s), datetime.now(UTC)) if can_decide else None
    review = REVIEW_AT_STAGE.get(record["stage"], ()) if caller.role == AccessRole.hr else ()
    person = _optional(lambda: s.queries.employee(caller, record["employee_id"]))
    names: dict[str, str] = {}  # people by name where the caller may see them (else ids)
    for who in {record["started_by"], record["manager_id"]} - {None}:
        found = _optional(partial(s.queries.employee, caller, who))
        if found:
            names[who] = found["name"]
    return _render(
        request,
        "application.html",
        {
            "app": record,
            "person": person,
            "names": names,
            "can_decide": can_decide,
            "review": review,
            "sla": sla,
            "decided": decided if decided in ("approve", "reject") else None,
            "steps": applicant_steps(caller, record),
            "done": done if done in DONE else None,
            "refused": refused,
        },
        caller,
        422 if refused else 200,
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
