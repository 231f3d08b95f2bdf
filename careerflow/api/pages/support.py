"""Support requests on the pages (issue 18, S3): the rep raises a request, follows its
clock and confirms the answer or reopens it with a reason; the support team sees its
queue (oldest first) and acknowledges and answers on the request's page; a manager sees
the requests their team raised. Reads come from projections.support_queries, steps go
through SupportProcessService (the API's and the CLI's path, with its access rules).

    /support                      my requests and their clocks (and my teams' queues)
    /support/new, POST /support   the form to raise one
    /support/{id}                 one request: clock, steps, the caller's forms
    POST /support/{id}/{step}     confirm, reopen, acknowledge, answer
    /support/queue/{team}         a support team's queue, oldest first
    /team/support                 requests raised by the manager's reports, paged
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.support_process import SupportProcess
from careerflow.api import i18n
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _context, _document, _services, _until
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from careerflow.services.support_process import require_raiser
from projections.paging import PageRequest
from projections.support_queries import SupportRequestView
from words.messages import Message

_COMMAND = re.compile(r"^[0-9a-fA-F-]{32,36}$")
STEPS = ("confirm", "reopen", "acknowledge", "answer")
DONE = ("raised", *STEPS)
PAGE = 25  # requests on a page of a rep's requests or a team's queue


def _support_process(services: Engine) -> SupportProcess | None:
    doc = _document(services, "support_process")
    return SupportProcess.model_validate(doc) if doc else None


def _my_teams(services: Engine, caller: Principal) -> list[dict[str, Any]]:
    """The support teams the caller is on (the document in force), for their queues."""
    process = _support_process(services)
    if process is None:
        return []
    return [
        {"team": key, "label": team.label}
        for key, team in sorted(process.teams.items())
        if team.on_team(caller.person_id)
    ]


def _request_key(command_id: str) -> str | None:
    """The form's command id as the request's client key (a retried form raises once)."""
    if not _COMMAND.match(command_id):
        return None
    return "SR" + command_id.replace("-", "")[:12].upper()


def _done(value: str) -> str | None:
    return value if value in DONE else None


# -- the rep's requests ----------------------------------------------------------------
@router.get("/support", response_class=HTMLResponse)
def my_requests(request: Request, done: str = "", cursor: str = "") -> Response:
    caller = _caller(request)
    s = _services(request)
    teams = _my_teams(s, caller)
    if caller.role == AccessRole.manager and not teams:
        return RedirectResponse("/team/support", status_code=303)
    mine = (
        s.support_queries.mine_paged(caller, PageRequest(limit=PAGE, cursor=cursor or None))
        if caller.role == AccessRole.employee
        else None
    )
    return _render(
        request,
        "support/mine.html",
        {"mine": mine, "teams": teams, "done": _done(done), "first": not cursor},
        caller,
    )


def _categories(services: Engine) -> list[dict[str, Any]]:
    process = _support_process(services)
    if process is None:
        return []
    return [
        {
            "key": key,
            "label": c.label,
            "minutes": c.response_minutes,
            "team": process.teams[c.team].label if c.team in process.teams else c.team,
        }
        for key, c in process.categories.items()
    ]


def _new_form(
    request: Request,
    caller: Principal,
    values: dict[str, str] | None = None,
    error: str | None = None,
) -> Response:
    return _render(
        request,
        "support/new.html",
        {
            "categories": _categories(_services(request)),
            "values": values or {},
            "error": error,
        },
        caller,
        status=422 if error else 200,
    )


@router.get("/support/new", response_class=HTMLResponse)
def new_request(request: Request) -> Response:
    caller = _caller(request)
    require_raiser(caller)
    return _new_form(request, caller)


@router.post("/support")
async def raise_request(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    customer: Annotated[str, Form()] = "",
    command_id: Annotated[str, Form()] = "",
) -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    values = {"category": category, "text": text, "customer": customer}
    ctx = _context(request)
    flow = await ctx.support()
    try:  # the form's command id is the request's client key: sent twice, raised once
        info = await flow.raise_request(
            caller, category, text.strip(), customer.strip() or None, _request_key(command_id)
        )
    except DomainError as exc:
        if isinstance(exc, (NotFoundError, PermissionDeniedError)):
            raise
        said = i18n.say(exc, _lang(request))
        return await run_in_threadpool(_new_form, request, caller, values, said)
    s = ctx.services
    await _until_projected(s, caller, info.request_id, lambda row: True)
    return RedirectResponse(f"/support/{info.request_id}?done=raised", status_code=303)


# -- a team's queue and the manager's view (before /support/{id}) -----------------------
@router.get("/support/queue/{team}", response_class=HTMLResponse)
def team_queue(request: Request, team: str, cursor: str = "") -> Response:
    caller = _caller(request)
    page = PageRequest(limit=PAGE, cursor=cursor or None)
    queue = _services(request).support_queries.queue_paged(caller, team, page)
    return _render(request, "support/queue.html", {"queue": queue, "first": not cursor}, caller)


@router.get("/team/support", response_class=HTMLResponse)
def team_requests(request: Request, cursor: str = "") -> Response:
    caller = _caller(request)
    found = _services(request).support_queries.of_team(caller, cursor or None)
    return _render(request, "support/team.html", {"found": found, "first": not cursor}, caller)


# -- one request -------------------------------------------------------------------------
def _forms(view: SupportRequestView, caller: Principal) -> dict[str, bool]:
    """Which forms the caller gets; the service decides again when one is sent."""
    own = caller.role == AccessRole.employee and caller.person_id == view.employee_id
    on_team = caller.person_id == view.lead_id or caller.person_id in view.members
    return {
        "confirm": own and view.status == "answered",
        "reopen": own and view.status == "answered",
        "acknowledge": on_team and view.status == "open",
        "answer": on_team and view.status in ("acknowledged", "reopened"),
    }


def _request_page(
    request: Request,
    caller: Principal,
    request_id: str,
    done: str = "",
    error: tuple[str, str, dict[str, str]] | None = None,
) -> Response:
    view = _services(request).support_queries.request(caller, request_id)
    return _render(
        request,
        "support/request.html",
        {
            "r": view,
            "forms": _forms(view, caller),
            "done": _done(done),
            "error": error[1] if error else None,
            "error_form": error[0] if error else None,
            "values": error[2] if error else {},
        },
        caller,
        status=422 if error else 200,
    )


@router.get("/support/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, request_id: str, done: str = "") -> Response:
    return _request_page(request, _caller(request), request_id, done)


async def _until_projected(
    services: Engine, caller: Principal, request_id: str, ready: Callable[[Any], bool]
) -> None:
    def check() -> bool:
        try:
            view = services.support_queries.request(caller, request_id)
        except NotFoundError:
            return False
        return ready(view)

    await _until(check)


@router.post("/support/{request_id}/{step}")
async def take_step(
    request: Request,
    request_id: str,
    step: str,
    csrf: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
) -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    if step not in STEPS:
        _ = await run_in_threadpool(_gettext, request)
        raise NotFoundError(Message.verbatim(_("No such step on a support request.")))
    ctx = _context(request)
    s = ctx.services
    before = await run_in_threadpool(s.support_queries.request, caller, request_id)
    flow = await ctx.support()
    try:
        if step == "confirm":
            await flow.confirm(caller, request_id)
        elif step == "reopen":
            await flow.reopen(caller, request_id, text.strip())
        elif step == "acknowledge":
            await flow.acknowledge(caller, request_id)
        else:
            await flow.answer(caller, request_id, text.strip())
    except DomainError as exc:
        if isinstance(exc, (NotFoundError, PermissionDeniedError)):
            raise
        said = i18n.say(exc, _lang(request))
        return await run_in_threadpool(
            _request_page, request, caller, request_id, "", (step, said, {"text": text})
        )
    steps = len(before.steps)
    await _until_projected(s, caller, request_id, lambda view: len(view.steps) > steps)
    return RedirectResponse(f"/support/{request_id}?done={step}", status_code=303)
