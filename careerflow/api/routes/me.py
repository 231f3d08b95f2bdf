"""The caller themselves: who the token says they are, and their inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from careerflow.api.auth import Caller, Context
from careerflow.api.errors import problem_responses
from careerflow.api.paging import PAGED, Paging
from careerflow.api.routes.people import LanguageIn
from careerflow.applications.people import LanguageSetting
from careerflow.principal import AccessRole
from projections.notifications import inbox_page
from projections.paging import Page
from words.catalogue import stored_label

router = APIRouter(tags=["me"])


class Me(BaseModel):
    person_id: str
    role: AccessRole


class InboxItem(BaseModel):
    notification_id: UUID
    kind: str
    title: dict[str, str]
    body: dict[str, str]
    ref: dict[str, str] | None
    created_at: datetime
    read: bool
    delivered: dict[str, Any]


class ReadReceipt(BaseModel):
    notification_id: UUID
    read: bool


@router.get("/me", response_model=Me)
def me(caller: Caller) -> Me:
    return Me(person_id=caller.person_id, role=caller.role)


@router.put(
    "/me/language",
    response_model=LanguageSetting,
    responses=problem_responses("employee profile", "the people service"),
)
def set_my_language(body: LanguageIn, caller: Caller, ctx: Context) -> LanguageSetting:
    """Set one's own profile language (zh or en): notifications, and pages and API answers
    when not switched, follow it."""
    return ctx.services.people.set_language(caller, caller.person_id, body.language)


@router.get(
    "/me/inbox",
    response_model=Page[InboxItem],
    summary="My inbox, a page at a time",
    responses=PAGED,
)
def inbox(
    caller: Caller,
    ctx: Context,
    page: Paging,
    unread_only: bool = False,
    kind: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            pattern=r"^[a-z_]+(\.[a-z_]+)*$",
            description="A kind (plan.overdue) or a family of kinds (plan).",
        ),
    ] = None,
) -> Page[InboxItem]:
    """The caller's notifications, newest first, optionally only the unread and of one
    kind."""
    with ctx.services.read_pool.connection() as conn:
        found = inbox_page(
            conn, caller.person_id, unread_only, kind, page.limit, page.cursor, strict=True
        )
    return Page[InboxItem](
        items=[
            # Stored as messages: said here in every language, typed text as it was typed.
            InboxItem.model_validate(
                {**r, "title": stored_label(r["title"]), "body": stored_label(r["body"])}
            )
            for r in found.items
        ],
        total=found.total,
        limit=found.limit,
        next_cursor=found.next_cursor,
    )


@router.post("/me/inbox/{notification_id}/read", response_model=ReadReceipt)
def mark_read(notification_id: UUID, caller: Caller, ctx: Context) -> ReadReceipt:
    ctx.services.notifications.mark_read(caller, notification_id)
    return ReadReceipt(notification_id=notification_id, read=True)
