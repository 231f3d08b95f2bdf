"""HR closes a month from the pages (issue 18): the months (not over yet, open, closing,
closed, a close that failed), who closed each and when and the statements it produced;
a close previewed first (who would get a statement, per team; nothing changes), then
confirmed, then followed to its end. Every check is the service's
(CycleProcessService.check_launch through MonthCloseService), the API's POST
/api/v1/cycles/launches {"kind": "month"} and the CLI's `cycle launch --month`: not HR, a
month not over yet, a month already closed or launched. Auditors see the months and a
close's progress (read only); everyone else gets the guard's 403 page.

    /hr/months                        the months
    /hr/months/{month}/close          the preview and the confirm form (HR)
    POST /hr/months/{month}/close     close (csrf, command_id) → the month's page
    /hr/months/{month}                the month: closing (the page refreshes itself), closed
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from careerflow import exports
from careerflow.api import i18n
from careerflow.api.i18n import N_
from careerflow.api.pages.downloads import Format, _download, _local
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _context, _services
from careerflow.api.pages.rendering import _gettext, _lang, _render, _time_zone
from careerflow.principal import AccessRole, Principal
from careerflow.services.cycle_process import LaunchPreview, require_launcher
from careerflow.services.month_close import MonthCloseService, MonthView

DONE = ("closing",)
UNCONFIRMED = N_("Tick that the month's figures are complete, then close it.")
# A month's state as the page says it (months/_state.html).
STATE_WORDS = {
    "not_over": N_("Not over yet"),
    "open": N_("Open: not closed"),
    "closing": N_("Closing…"),
    "failed": N_("The close failed"),
    "closed": N_("Closed"),
}
EXPORTS = ("csv", "xlsx")


def _months_export(
    request: Request, found: list[MonthView], fmt: Literal["csv", "xlsx"]
) -> Response:
    _ = _gettext(request)
    zone = _time_zone(request)
    rows = (
        {
            "month": m.month,
            "state": _(STATE_WORDS.get(m.state, "Closed")),
            "statements": m.statements,
            "closed_by": m.closed_by or (_("the monthly schedule") if m.by_schedule else ""),
            "closed_at": _local(m.closed_at, zone),
        }
        for m in found
    )
    columns = [
        exports.Column("month", _("Month")),
        exports.Column("state", _("State")),
        exports.Column("statements", _("Statements")),
        exports.Column("closed_by", _("Closed by")),
        exports.Column("closed_at", _("Closed at")),
    ]
    return _download(request, fmt, "months", _("Month close"), columns, rows)


def _preview_export(
    request: Request, preview: LaunchPreview, fmt: Literal["csv", "xlsx"]
) -> Response:
    _ = _gettext(request)
    rows = (
        {"team": t.team_name or t.team_id, "team_id": t.team_id, "starting": t.starting}
        for t in preview.teams
    )
    columns = [
        exports.Column("team", _("Team")),
        exports.Column("team_id", _("Team id")),
        exports.Column("starting", _("Would get a statement")),
    ]
    title = _("Close %(month)s") % {"month": preview.period}
    return _download(request, fmt, f"month-close-{preview.period}", title, columns, rows)


async def _service(request: Request) -> MonthCloseService:
    return MonthCloseService(await _context(request).cycles(), _services(request).cycle_queries)


def _close_page(
    request: Request,
    caller: Principal,
    month: str,
    preview: LaunchPreview | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {"month": month, "preview": preview, "error": error}
    if preview is not None:
        base = f"/hr/months/{preview.period}/close"
        context["export_urls"] = {f: f"{base}?format={f}" for f in EXPORTS}
    return _render(request, "months/close.html", context, caller, status)


@router.get("/hr/months", response_class=HTMLResponse)
async def months(request: Request, format: Format = "") -> Response:
    caller = await run_in_threadpool(_caller, request)
    found = await (await _service(request)).months(caller)  # others: 403
    if format in ("csv", "xlsx"):
        return await run_in_threadpool(_months_export, request, found, format)
    context: dict[str, Any] = {
        "months": found,
        "closes": caller.role == AccessRole.hr,
        "export_urls": {f: f"/hr/months?format={f}" for f in EXPORTS},
    }
    return await run_in_threadpool(_render, request, "months/index.html", context, caller)


@router.get("/hr/months/{month}/close", response_class=HTMLResponse)
async def close_preview(request: Request, month: str, format: Format = "") -> Response:
    """The dry run: nothing changes. A refusal is said on the page (422), no form."""
    caller = await run_in_threadpool(_caller, request)
    require_launcher(caller)  # auditors and the rest: 403
    try:
        preview = await (await _service(request)).preview(caller, month)
    except (PermissionDeniedError, NotFoundError):
        raise
    except DomainError as exc:
        said = i18n.say(exc, _lang(request))
        return await run_in_threadpool(_close_page, request, caller, month, None, said, 422)
    if format in ("csv", "xlsx"):
        return await run_in_threadpool(_preview_export, request, preview, format)
    return await run_in_threadpool(_close_page, request, caller, preview.period, preview)


@router.post("/hr/months/{month}/close", response_class=HTMLResponse)
async def close(
    request: Request,
    month: str,
    csrf: Annotated[str, Form()] = "",
    command_id: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    service = await _service(request)
    try:
        if confirm != "yes":  # the confirm step: nothing closes without it
            preview = await service.preview(caller, month)
            said = i18n.gettext_for(_lang(request))(UNCONFIRMED)
            return await run_in_threadpool(_close_page, request, caller, month, preview, said, 422)
        period = await service.close(caller, month, command_id or None)
    except (PermissionDeniedError, NotFoundError):
        raise
    except DomainError as exc:
        said = i18n.say(exc, _lang(request))
        return await run_in_threadpool(_close_page, request, caller, month, None, said, 422)
    return RedirectResponse(f"/hr/months/{period}?done=closing", status_code=303)


@router.get("/hr/months/{month}", response_class=HTMLResponse)
async def month_page(request: Request, month: str, done: str = "") -> Response:
    """Closing: the statements produced so far, refreshing itself; closed: how many, when
    and by whom; open: the way to close it (HR)."""
    caller = await run_in_threadpool(_caller, request)
    view = await (await _service(request)).month(caller, month)
    context: dict[str, Any] = {
        "view": view,
        "closes": caller.role == AccessRole.hr,
        "done": done if done in DONE else "",
    }
    return await run_in_threadpool(_render, request, "months/month.html", context, caller)
