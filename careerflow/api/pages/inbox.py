"""One's inbox: notices newest first, paged, filtered (unread, family of kind), read and
unread shown apart; mark one or all read (the API's NotificationService.mark_read); open a
notice: it is marked read and the page about it opens."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from careerflow.api.i18n import N_
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _services, _until
from careerflow.api.pages.rendering import _render
from careerflow.principal import Principal
from projections.notifications import InboxPage, inbox_item, inbox_page

# The families of notices (the part of the kind before the dot), for the filter.
FAMILIES: dict[str, str] = {
    "promotion": N_("Promotion"),
    "cycle": N_("Weekly plan"),
    "month": N_("Monthly pay"),
    "plan": N_("Development plan"),
    "training": N_("Training"),
    "support": N_("Support requests"),
    "assessment": N_("360 assessment"),
}
PAGE_SIZE = 20
# Marking everything read touches one notification aggregate per notice: in batches.
MARK_ALL_AT_MOST = 200


def target_of(ref: dict[str, Any] | None, caller: Principal) -> str:
    """The page about what a notice is about (its `ref`), else the inbox."""
    if not ref:
        return "/inbox"
    kind, ident = str(ref.get("type", "")), str(ref.get("id", ""))
    if kind == "promotion":
        return f"/applications/{ident}"
    if kind == "plan":
        return f"/plans/{ident}"
    if kind == "support":
        return f"/support/{ident}"
    if kind in ("cycle", "month"):
        employee_id, _sep, period = ident.partition("/")
        page = "/week" if kind == "cycle" else "/pay"
        if employee_id and employee_id != caller.person_id:
            page = f"{page}/{employee_id}"
        if period:
            return f"{page}?{urlencode({'week' if kind == 'cycle' else 'month': period})}"
        return page
    if kind == "assessment":
        return "/employee"
    return "/inbox"


def _page(
    request: Request,
    caller: Principal,
    unread: bool,
    kind: str,
    cursor: str,
    limit: int = PAGE_SIZE,
) -> InboxPage:
    s = _services(request)
    with s.read_pool.connection() as conn:
        return inbox_page(
            conn,
            caller.person_id,
            unread_only=unread,
            kind=kind or None,
            limit=limit,
            cursor=cursor or None,
        )


def _filters(unread: bool, kind: str) -> dict[str, str]:
    found: dict[str, str] = {}
    if unread:
        found["unread"] = "1"
    if kind:
        found["kind"] = kind
    return found


def _back(unread: str, kind: str, done: str) -> str:
    query = {**_filters(unread == "1", kind if kind in FAMILIES else ""), "done": done}
    return f"/inbox?{urlencode(query)}"


@router.get("/inbox", response_class=HTMLResponse)
def inbox(
    request: Request, unread: str = "", kind: str = "", cursor: str = "", done: str = ""
) -> Response:
    caller = _caller(request)
    only_unread = unread == "1"
    family = kind if kind in FAMILIES else ""
    found = _page(request, caller, only_unread, family, cursor)
    items = [{**n, "target": target_of(n.get("ref"), caller)} for n in found.items]
    filters = _filters(only_unread, family)
    return _render(
        request,
        "inbox/inbox.html",
        {
            "page": found,
            "items": items,
            "unread": only_unread,
            "kind": family,
            "families": FAMILIES,
            "filters": filters,
            "query": urlencode(filters),
            "next_query": urlencode({**filters, "cursor": found.next_cursor})
            if found.next_cursor
            else None,
            "first": bool(cursor),
            "done": done if done in ("read", "all") else None,
        },
        caller,
    )


async def _mark(request: Request, caller: Principal, notification_id: UUID) -> None:
    """The API's call (POST /api/v1/me/inbox/{id}/read), then the inbox shows it read."""
    s = _services(request)
    await run_in_threadpool(s.notifications.mark_read, caller, notification_id)

    def shown() -> bool:
        with s.read_pool.connection() as conn:
            row = inbox_item(conn, caller.person_id, notification_id)
        return row is None or row["read_at"] is not None

    await _until(shown)


@router.post("/inbox/{notification_id}/read")
async def mark_read(
    request: Request,
    notification_id: UUID,
    csrf: Annotated[str, Form()] = "",
    unread: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
) -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    await _mark(request, caller, notification_id)
    return RedirectResponse(_back(unread, kind, "read"), status_code=303)


@router.post("/inbox/{notification_id}/open")
async def open_notice(
    request: Request, notification_id: UUID, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Opening a notice marks it read, then goes to the page about it."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    await _mark(request, caller, notification_id)  # 404 / 403 for someone else's notice
    s = _services(request)

    def read() -> Any:
        with s.read_pool.connection() as conn:
            return inbox_item(conn, caller.person_id, notification_id)

    notice = await run_in_threadpool(read)
    return RedirectResponse(target_of(notice and notice["ref"], caller), status_code=303)


@router.post("/inbox/read")
async def mark_all_read(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
) -> Response:
    """Every unread notice (of the filtered family) read, each through the same call."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    family = kind if kind in FAMILIES else ""
    found = await run_in_threadpool(_page, request, caller, True, family, "", MARK_ALL_AT_MOST)
    s = _services(request)
    for n in found.items:
        await run_in_threadpool(s.notifications.mark_read, caller, n["notification_id"])

    left = found.total - len(found.items)

    def all_shown() -> bool:
        return _page(request, caller, True, family, "", 1).total <= left

    await _until(all_shown)
    return RedirectResponse(_back("", family, "all"), status_code=303)
