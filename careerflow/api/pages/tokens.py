"""HR's API tokens: the list (paged, searchable, holders by name), issuing a token (shown
once, on the answer page) and revoking one with a reason; auditors read the list. The
rules are the Tokens application's, said in the page's language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError
from careerflow.api import i18n
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _services, _until
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.applications.access import TokenQuery
from careerflow.principal import AccessRole, Principal

ISSUABLE = (
    AccessRole.employee,
    AccessRole.manager,
    AccessRole.hr,
    AccessRole.auditor,
    AccessRole.integration,
)


def _query(request: Request) -> TokenQuery:
    params = request.query_params
    try:
        return TokenQuery(
            q=params.get("q", ""),
            role=params.get("role") or None,
            state=params.get("state") or "all",
            cursor=params.get("cursor", ""),
        )
    except ValidationError:
        return TokenQuery()  # a hand-edited address: the whole list, first page


def _list(
    request: Request, caller: Principal, extra: dict[str, Any], status: int = 200
) -> Response:
    query = _query(request)
    found = _services(request).tokens.browse(caller, query)
    return _render(
        request,
        "tokens/list.html",
        {
            "found": found,
            "query": query,
            "roles": ISSUABLE,
            "states": ("all", "active", "revoked", "expired"),
            "can_change": caller.role == AccessRole.hr,
            "done": request.query_params.get("done", ""),
            "now": datetime.now(UTC),
            **extra,
        },
        caller,
        status=status,
    )


@router.get("/hr/tokens", response_class=HTMLResponse)
def tokens_page(request: Request) -> Response:
    return _list(request, _caller(request), {})


@router.post("/hr/tokens", response_class=HTMLResponse)
async def issue_token(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    person_id: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "employee",
    label: Annotated[str, Form()] = "",
    days: Annotated[str, Form()] = "90",
) -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    _ = _gettext(request)
    values = {"person_id": person_id, "role": role, "label": label, "days": days}
    try:
        valid_days = int(days) if days.strip() else None
    except ValueError:
        error = _("Days: a whole number of days, or empty for a token that never expires.")
        return await run_in_threadpool(
            _list, request, caller, {"error": error, "values": values}, 422
        )
    try:
        issued = await run_in_threadpool(
            _services(request).tokens.issue,
            caller,
            person_id.strip(),
            AccessRole(role),
            label.strip(),
            valid_days or None,
        )
    except (DomainError, ValueError) as exc:
        said = (
            i18n.say(exc, _lang(request))
            if isinstance(exc, DomainError)
            else _("Role: choose one of the listed roles.")
        )
        context = {"error": said, "values": values}
        return await run_in_threadpool(_list, request, caller, context, 422)
    s = _services(request)
    await _until(
        lambda: any(
            t.token_id == issued.token_id
            for t in s.tokens.browse(caller, TokenQuery(q=issued.person_id, limit=500)).items
        )
    )
    # The secret is on this answer only (no redirect: it is never stored in the clear).
    return await run_in_threadpool(_list, request, caller, {"issued": issued})


@router.post("/hr/tokens/{token_id}/revoke")
async def revoke_token(
    request: Request,
    token_id: str,
    csrf: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    _ = _gettext(request)
    if not reason.strip():
        error = _("Say why the token is revoked; the reason is recorded.")
        return await run_in_threadpool(_list, request, caller, {"error": error}, 422)
    s = _services(request)
    try:
        await run_in_threadpool(s.tokens.revoke, caller, token_id, reason.strip())
    except DomainError as exc:
        context = {"error": i18n.say(exc, _lang(request))}
        return await run_in_threadpool(_list, request, caller, context, 422)
    await _until(
        lambda: any(
            t.token_id == token_id and t.revoked_at is not None
            for t in s.tokens.browse(caller, TokenQuery(state="revoked", limit=500)).items
        )
    )
    return RedirectResponse("/hr/tokens?done=revoked", status_code=303)
