"""A manager's alerts (issue 18, S7's alerts): the inbox's notices of the kinds that ask
the manager to act — a rep's training alert, an overdue plan milestone, an escalated
support request or promotion decision, weekly feedback due — newest first, paged, read
and unread apart, each opening the page it is about (marked read, the inbox's call).

    /team/alerts?unread=1&cursor=    the alerts
    POST /team/alerts/{id}/read      mark one read, back to the alerts
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.inbox import _mark, target_of
from careerflow.api.pages.reads import _services
from careerflow.api.pages.rendering import _render
from projections.notifications import inbox_page

# The notice kinds that are alerts for a manager (what the workflows send them).
ALERT_KINDS = [
    "training.alert",
    "plan.overdue",
    "support.escalation",
    "promotion.escalation",
    "promotion.reminder",
    "cycle.feedback_reminder",
]
PAGE_SIZE = 20


@router.get("/team/alerts", response_class=HTMLResponse)
def alerts(request: Request, unread: str = "", cursor: str = "", done: str = "") -> Response:
    caller = _caller(request)
    s = _services(request)
    only_unread = unread == "1"
    with s.read_pool.connection() as conn:
        found = inbox_page(
            conn,
            caller.person_id,
            unread_only=only_unread,
            limit=PAGE_SIZE,
            cursor=cursor or None,
            kinds=ALERT_KINDS,
        )
    items = [{**n, "target": target_of(n.get("ref"), caller)} for n in found.items]
    filters = {"unread": "1"} if only_unread else {}
    return _render(
        request,
        "team_week/alerts.html",
        {
            "page": found,
            "items": items,
            "unread": only_unread,
            "query": urlencode(filters),
            "next_query": urlencode({**filters, "cursor": found.next_cursor})
            if found.next_cursor
            else None,
            "first": bool(cursor),
            "done": done == "read",
        },
        caller,
    )


@router.post("/team/alerts/{notification_id}/read")
async def mark_alert_read(
    request: Request,
    notification_id: UUID,
    csrf: Annotated[str, Form()] = "",
    unread: Annotated[str, Form()] = "",
) -> Response:
    """The inbox's mark-read (NotificationService.mark_read), back to the alerts."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    await _mark(request, caller, notification_id)
    query = urlencode({**({"unread": "1"} if unread == "1" else {}), "done": "read"})
    return RedirectResponse(f"/team/alerts?{query}", status_code=303)
