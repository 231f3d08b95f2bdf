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

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from careerflow.api import i18n
from careerflow.api.i18n import N_
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _context, _services
from careerflow.api.pages.rendering import _lang, _render
from careerflow.principal import AccessRole, Principal
from careerflow.services.cycle_process import LaunchPreview, require_launcher
from careerflow.services.month_close import MonthCloseService

DONE = ("closing",)
UNCONFIRMED = N_("Tick that the month's figures are complete, then close it.")


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
    return _render(request, "months/close.html", context, caller, status)


@router.get("/hr/months", response_class=HTMLResponse)
async def months(request: Request) -> Response:
    caller = await run_in_threadpool(_caller, request)
    found = await (await _service(request)).months(caller)  # others: 403
    context: dict[str, Any] = {"months": found, "closes": caller.role == AccessRole.hr}
    return await run_in_threadpool(_render, request, "months/index.html", context, caller)


@router.get("/hr/months/{month}/close", response_class=HTMLResponse)
async def close_preview(request: Request, month: str) -> Response:
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
