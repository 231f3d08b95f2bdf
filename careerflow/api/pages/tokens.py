"""HR's API tokens: the list (paged, searchable, holders by name), issuing a token (shown
once, on the answer page) and revoking one with a reason; auditors read the list. The
rules are the Tokens application's, said in the page's language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError
from careerflow import exports
from careerflow.api import i18n
from careerflow.api.pages.downloads import Format, _download, _local
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _services, _until
from careerflow.api.pages.rendering import _gettext, _lang, _render, _time_zone
from careerflow.applications.access import TokenInfo, TokenQuery
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


def _state(token: TokenInfo, now: datetime) -> str:
    if token.revoked_at:
        return "revoked"
    if token.expires_at and token.expires_at < now:
        return "expired"
    return "active"


def _export(request: Request, caller: Principal, fmt: Literal["csv", "xlsx"]) -> Response:
    """Every matching token (never a secret: only hashes are stored), page after page."""
    _ = _gettext(request)
    zone = _time_zone(request)
    tokens = _services(request).tokens
    query = _query(request).model_copy(update={"cursor": "", "limit": 500})
    now = datetime.now(UTC)
    found: list[TokenInfo] = []
    while True:
        page = tokens.browse(caller, query)
        found += page.items
        if not page.next_cursor:
            break
        query = query.model_copy(update={"cursor": page.next_cursor})
    rows = (
        {
            "holder": t.name or t.person_id,
            "person_id": t.person_id,
            "role": i18n.term(t.role, _),
            "label": t.label,
            "issued": _local(t.issued_at, zone),
            "issued_by": t.issued_by,
            "expires": _local(t.expires_at, zone) if t.expires_at else _("never"),
            "state": i18n.term(_state(t, now), _),
            "revoked": _local(t.revoked_at, zone),
            "reason": t.revoke_reason or "",
        }
        for t in found
    )
    columns = [
        exports.Column("holder", _("Holder")),
        exports.Column("person_id", _("Employee id")),
        exports.Column("role", _("Role")),
        exports.Column("label", _("Label")),
        exports.Column("issued", _("Issued")),
        exports.Column("issued_by", _("Issued by")),
        exports.Column("expires", _("Expires")),
        exports.Column("state", _("State")),
        exports.Column("revoked", _("Revoked")),
        exports.Column("reason", _("Reason")),
    ]
    return _download(request, fmt, "api-tokens", _("API tokens"), columns, rows)


def _list(
    request: Request, caller: Principal, extra: dict[str, Any], status: int = 200
) -> Response:
    query = _query(request)
    found = _services(request).tokens.browse(caller, query)
    kept = {
        "q": query.q,
        "role": query.role.value if query.role else "",
        "state": query.state if query.state != "all" else "",
    }
    export_urls = {
        f: "/hr/tokens?" + urlencode({k: v for k, v in {**kept, "format": f}.items() if v})
        for f in ("csv", "xlsx")
    }
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
            "export_urls": export_urls,
            **extra,
        },
        caller,
        status=status,
    )


@router.get("/hr/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, format: Format = "") -> Response:
    caller = _caller(request)
    if format in ("csv", "xlsx"):
        return _export(request, caller, format)
    return _list(request, caller, {})


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
