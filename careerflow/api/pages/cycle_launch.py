"""HR launches a week's cycles from the pages (issue 18, S10): a week picker, a dry-run
preview first (who would get a cycle, per team; reps who already have one are skipped),
then Launch, and the launch followed to its end. Every check is the service's
(CycleProcessService.check_launch / would_launch / launch), the API's POST
/api/v1/cycles/launches and the CLI's `cycle launch [--dry-run]`: not HR, not a week
("2026-48" gets the "2026-W48" hint), a week in the past, a week already launched.

    /hr/cycles/launch?week=           the preview (HR) and the Launch form
    POST /hr/cycles/launch            launch (csrf, command_id) → the launch's page
    /hr/cycles/launch/{week}          the launch: running (the page refreshes itself), done
                                      or failed, from the read model of launches
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from careerflow.api import i18n
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _context, _optional, _services
from careerflow.api.pages.rendering import _lang, _render
from careerflow.principal import Principal
from careerflow.services.cycle_process import LaunchPreview, require_launcher

DONE = ("launched",)


def _said(request: Request, exc: DomainError) -> str:
    return i18n.say(exc, _lang(request))


def _page(
    request: Request,
    caller: Principal,
    week: str,
    preview: LaunchPreview | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {"week": week, "preview": preview, "error": error}
    return _render(request, "reports/launch.html", context, caller, status)


@router.get("/hr/cycles/launch", response_class=HTMLResponse)
async def launch_preview(request: Request, week: str = "") -> Response:
    """The dry run: nothing changes. A refusal is said on the same form (422)."""
    caller = await run_in_threadpool(_caller, request)
    require_launcher(caller)  # auditors and the rest: 403, no form
    week = week.strip()
    if not week:
        return await run_in_threadpool(_page, request, caller, week)
    flow = await _context(request).cycles()
    try:
        period = await flow.check_launch(caller, "week", week)
    except (PermissionDeniedError, NotFoundError):
        raise
    except DomainError as exc:
        return await run_in_threadpool(_page, request, caller, week, None, _said(request, exc), 422)
    preview = await run_in_threadpool(flow.would_launch, caller, "week", period)
    return await run_in_threadpool(_page, request, caller, period, preview)


@router.post("/hr/cycles/launch", response_class=HTMLResponse)
async def launch(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    week: Annotated[str, Form()] = "",
    command_id: Annotated[str, Form()] = "",
) -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    flow = await _context(request).cycles()
    try:
        period = await flow.check_launch(caller, "week", week.strip(), command_id or None)
        await flow.launch(caller, "week", period, command_id or None)
    except (PermissionDeniedError, NotFoundError):
        raise
    except DomainError as exc:
        said = _said(request, exc)
        return await run_in_threadpool(_page, request, caller, week.strip(), None, said, 422)
    return RedirectResponse(f"/hr/cycles/launch/{period}?done=launched", status_code=303)


@router.get("/hr/cycles/launch/{week}", response_class=HTMLResponse)
async def launch_progress(request: Request, week: str, done: str = "") -> Response:
    """The launch as its read model records it (who launched it and when): running, the
    cycles opened so far (read model) and the page refreshing itself; done, how many
    cycles the launch started and how many reps it skipped; failed. Temporal is asked
    only of a launch recorded as running (or not recorded yet), by the service."""
    caller = await run_in_threadpool(_caller, request)
    status = await (await _context(request).cycles()).recorded_status(caller, "week", week)
    s = _services(request)
    rates = await run_in_threadpool(
        _optional, lambda: s.cycle_queries.completion_rates(caller, status.period)
    )
    context: dict[str, Any] = {
        "status": status,
        "opened": rates.overall.cycles if rates is not None else 0,
        "done": done if done in DONE else "",
    }
    page = "reports/launch_progress.html"
    return await run_in_threadpool(_render, request, page, context, caller)
