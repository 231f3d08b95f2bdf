"""What there is to audit: every application, weekly cycle, month close, development
plan, employee profile, policy, access token, support request and 360° assessment round,
from the read models, filtered by kind, person and date range, newest first, a page at a
time (a cursor names where the next or previous page starts). Each item names the
history that tells its story (`kind`, `ident`). An assessment round is found by the
people assessed in it, never by its raters. Auditors and HR; the listing is recorded
like every audit read."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

import orjson
from pydantic import BaseModel

from aggregates.base import DomainError
from careerflow.principal import AccessRole, Principal
from projections.audit_queries import ITEM_KINDS, AuditQueries, Position
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.audit.history import HistoryService

LIMIT = 100
"""Items on a page unless the caller asks for another number."""
MAX_LIMIT = 500
EXPORT_LIMIT = 10_000
"""Items in an export of the list (every page at once)."""


class AuditItem(BaseModel):
    kind: str
    ident: str
    """The subject's name in `audit history KIND IDENT` and /api/v1/audit/history."""
    person: str | None
    name: str | None
    title: str
    at: datetime | None
    status: str | None


class AuditItems(BaseModel):
    kinds: list[str]
    person: str | None
    since: date | None
    until: date | None
    items: list[AuditItem]
    total: int = 0
    """How many items match the filters (on every page)."""
    limit: int = LIMIT
    next: str | None = None
    """The cursor of the next (older) page; None on the last."""
    previous: str | None = None
    """The cursor of the previous (newer) page; None on the first."""
    next_cursor: str | None = None
    """`next`, under the name every paged list gives it."""
    truncated: bool
    """More matched than this page holds: follow `next` (or narrow the filters)."""


def _cursor(item: dict[str, object], direction: Literal["next", "previous"]) -> str:
    at = item["sort_at"]
    assert isinstance(at, datetime)
    raw = orjson.dumps([at.isoformat(), item["kind"], item["ident"], direction])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _position(cursor: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, kind, ident, direction = orjson.loads(raw)
        if direction not in ("next", "previous") or kind not in ITEM_KINDS:
            raise ValueError(direction)
        return Position(datetime.fromisoformat(at), str(kind), str(ident), direction)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise DomainError(
            "{cursor!r} is not a page of this list; start again from the first page",
            cursor=cursor[:40],
        ) from None


def audit_items(
    queries: AuditQueries,
    history: HistoryService,
    principal: Principal,
    kind: str | None = None,
    person: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = LIMIT,
    cursor: str | None = None,
    action: str = "list",
) -> AuditItems:
    """`action` names the read on the record (the API's and CLI's "list", a page's
    "page-view", an export's "export")."""
    principal.require(
        AccessRole.auditor, AccessRole.hr, action=Message("list what there is to audit")
    )
    if kind and kind not in ITEM_KINDS:
        raise DomainError(
            "unknown kind {kind!r}; use one of {kinds}", kind=kind, kinds=", ".join(ITEM_KINDS)
        )
    if since and until and since > until:
        raise DomainError(
            "the date range ends ({until}) before it starts ({since})",
            since=since.isoformat(),
            until=until.isoformat(),
        )
    if not 1 <= limit <= EXPORT_LIMIT:
        raise DomainError("a page holds 1 to {most} items", most=EXPORT_LIMIT)
    person = (person or "").strip() or None
    kinds = [kind] if kind else list(ITEM_KINDS)
    position = _position(cursor) if cursor else None
    found = queries.page(kinds, person, since, until, limit, position)
    items = [AuditItem(**{k: v for k, v in row.items() if k != "sort_at"}) for row in found.rows]
    history.record(
        principal,
        action,
        "audit items",
        f"kind={kind or 'all'} person={person or '-'} since={since} until={until}"
        f"{' cursor=' + cursor if cursor else ''}: {len(items)} of {found.total} items",
    )
    first, last = (found.rows[0], found.rows[-1]) if found.rows else (None, None)
    following = _cursor(last, "next") if last and found.more_after else None
    return AuditItems(
        kinds=kinds,
        person=person,
        since=since,
        until=until,
        items=items,
        total=found.total,
        limit=limit,
        next=following,
        next_cursor=following,
        previous=_cursor(first, "previous") if first and found.more_before else None,
        truncated=found.more_after,
    )
