"""What there is to audit: every application, weekly cycle, month close, development
plan, support request and 360° assessment round, from the read models, filtered by kind,
person and date range, newest first. Each item names the history that tells its story
(`kind`, `ident`). An assessment round is found by the people assessed in it, never by
its raters. Auditors and HR; the listing is recorded like every audit read."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from aggregates.base import DomainError
from careerflow.messages import Message
from careerflow.principal import AccessRole, Principal

if TYPE_CHECKING:
    from careerflow.services.registry import Services

ITEM_KINDS: tuple[str, ...] = ("application", "cycle", "month", "plan", "support", "assessment")
LIMIT = 500

# Per kind: the item's id, its person, a short description, the moment it is dated by
# and its status; `person` and the date range filter on those. Fixed text, no input.
_QUERIES: dict[str, str] = {
    "application": (
        "SELECT a.application_id AS ident, a.employee_id AS person, e.name, "
        "a.from_role || ' → ' || a.target_role AS title, a.started_at AS at, a.stage AS status "
        "FROM rm_application a LEFT JOIN rm_employee e USING (employee_id)"
    ),
    "cycle": (
        "SELECT c.employee_id || '/' || c.week AS ident, c.employee_id AS person, e.name, "
        "c.week AS title, c.opened_at AS at, c.feedback_status AS status "
        "FROM rm_cycle c LEFT JOIN rm_employee e USING (employee_id)"
    ),
    "month": (
        "SELECT s.employee_id || '/' || s.month AS ident, s.employee_id AS person, e.name, "
        "s.month AS title, s.closed_at AS at, 'closed' AS status "
        "FROM rm_month_statement s LEFT JOIN rm_employee e USING (employee_id)"
    ),
    "plan": (
        "SELECT p.plan_id AS ident, p.employee_id AS person, e.name, p.role AS title, "
        "p.effective_date::timestamptz AS at, p.overall AS status "
        "FROM rm_plan p LEFT JOIN rm_employee e USING (employee_id)"
    ),
    "support": (
        "SELECT r.request_id AS ident, r.employee_id AS person, e.name, "
        "r.category AS title, r.raised_at AS at, r.status "
        "FROM rm_support_request r LEFT JOIN rm_employee e USING (employee_id)"
    ),
    "assessment": (
        "SELECT r.round_id AS ident, NULL::text AS person, NULL::text AS name, "
        "r.title, r.started_at AS at, r.status FROM rm_assessment_round r"
    ),
}
_PERSON: dict[str, str] = {
    "assessment": (
        "EXISTS (SELECT 1 FROM rm_assessment_task t "
        "WHERE t.round_id = q.ident AND t.ratee_id = %(person)s)"
    ),
}


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
    services: Services,
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
    params: dict[str, Any] = {
        "person": person,
        "since": since,
        # The whole last day: before the next one starts.
        "until": until + timedelta(days=1) if until else None,
        "limit": limit + 1,
    }
    items: list[AuditItem] = []
    truncated = False
    with services.read_pool.connection() as conn:
        for k in kinds:
            where = ["(%(since)s::date IS NULL OR at >= %(since)s::date)"]
            where.append("(%(until)s::date IS NULL OR at < %(until)s::date)")
            if person:
                where.append(_PERSON.get(k, "person = %(person)s"))
            query = (
                f"SELECT * FROM ({_QUERIES[k]}) q WHERE {' AND '.join(where)} "
                "ORDER BY at DESC NULLS LAST, ident LIMIT %(limit)s"
            )
            rows: list[Any] = conn.execute(query, params).fetchall()
            truncated = truncated or len(rows) > limit
            items += [AuditItem(kind=k, **row) for row in rows[:limit]]
    items.sort(key=lambda i: (i.at is None, -(i.at.timestamp() if i.at else 0), i.kind))
    services.history.record(
        principal,
        "list",
        "audit items",
        f"kind={kind or 'all'} person={person or '-'} since={since} until={until}: "
        f"{len(items)} items",
    )
    return AuditItems(
        kinds=kinds, person=person, since=since, until=until, items=items, truncated=truncated
    )
