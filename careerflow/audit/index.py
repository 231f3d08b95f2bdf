"""What there is to audit: every application, weekly cycle, month close, development
plan, support request and 360° assessment round, from the read models, filtered by kind,
person and date range, newest first. Each item names the history that tells its story
(`kind`, `ident`). An assessment round is found by the people assessed in it, never by
its raters. Auditors and HR; the listing is recorded like every audit read."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from aggregates.base import DomainError
from careerflow.principal import AccessRole, Principal
from projections.audit_queries import ITEM_KINDS, AuditQueries
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.audit.history import HistoryService

LIMIT = 500


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
    truncated: bool
    """More matched than `limit` per kind: narrow the filters."""


def audit_items(
    queries: AuditQueries,
    history: HistoryService,
    principal: Principal,
    kind: str | None = None,
    person: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = LIMIT,
) -> AuditItems:
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
    person = (person or "").strip() or None
    kinds = [kind] if kind else list(ITEM_KINDS)
    items: list[AuditItem] = []
    truncated = False
    for k, rows in queries.items(kinds, person, since, until, limit + 1).items():
        truncated = truncated or len(rows) > limit
        items += [AuditItem(kind=k, **row) for row in rows[:limit]]
    items.sort(key=lambda i: (i.at is None, -(i.at.timestamp() if i.at else 0), i.kind))
    history.record(
        principal,
        "list",
        "audit items",
        f"kind={kind or 'all'} person={person or '-'} since={since} until={until}: "
        f"{len(items)} items",
    )
    return AuditItems(
        kinds=kinds, person=person, since=since, until=until, items=items, truncated=truncated
    )
