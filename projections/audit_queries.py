"""What there is to audit (careerflow.audit.index), from the read models: one row per
application, weekly cycle, month close, development plan, employee profile, policy,
access token, support request and 360° assessment round, with its id, its person, a
short description, its date and its status. An assessment round is found by the people
assessed in it, never by its raters.

The list is one ordering over every kind, newest first: (moment, kind, id) descending,
an item without a moment last. A page is read after (or before) the position of a
cursor, so each item is on exactly one page however many there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from psycopg_pool import ConnectionPool

ITEM_KINDS: tuple[str, ...] = (
    "application",
    "cycle",
    "month",
    "plan",
    "employee",
    "policy",
    "token",
    "support",
    "assessment",
)
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
    # A profile's history (hired, role changes, moves, language, leaving) is dated by the
    # hire: the read model keeps no moment of the last change.
    "employee": (
        "SELECT e.employee_id AS ident, e.employee_id AS person, e.name, e.role AS title, "
        "e.hire_date::timestamptz AS at, "
        "CASE WHEN e.active THEN 'active' ELSE 'left' END AS status FROM rm_employee e"
    ),
    # A policy by its latest publication; its history holds every version.
    "policy": (
        "SELECT DISTINCT ON (p.kind, p.key) p.kind || '/' || p.key AS ident, "
        "p.published_by AS person, e.name, p.kind AS title, p.published_at AS at, "
        "'v' || p.version AS status "
        "FROM rm_policy p LEFT JOIN rm_employee e ON e.employee_id = p.published_by "
        "ORDER BY p.kind, p.key, p.version DESC"
    ),
    "token": (
        "SELECT t.token_id AS ident, t.person_id AS person, e.name, t.role AS title, "
        "t.issued_at AS at, CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked' "
        "WHEN t.expires_at < now() THEN 'expired' ELSE 'active' END AS status "
        "FROM rm_token t LEFT JOIN rm_employee e ON e.employee_id = t.person_id"
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
# An item without a moment sorts as if dated this (before every real one).
_UNDATED = "'1900-01-01 00:00:00+00'::timestamptz"


@dataclass(frozen=True)
class Position:
    """Where a page starts: right after (`next`) or right before (`previous`) this item."""

    at: datetime
    kind: str
    ident: str
    direction: Literal["next", "previous"] = "next"


@dataclass(frozen=True)
class ItemPage:
    rows: list[dict[str, Any]]
    """Newest first, each with its `kind` and `sort_at` (its position)."""
    total: int
    """How many match the filters, on every page."""
    more_after: bool
    more_before: bool


class AuditQueries:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def page(
        self,
        kinds: list[str],
        person: str | None,
        since: date | None,
        until: date | None,
        limit: int,
        position: Position | None = None,
    ) -> ItemPage:
        """Up to `limit` items of `kinds`, newest first, of `person` (if given) dated
        within `since`..`until` (whole days; either may be open), after or before
        `position` (the first page without one)."""
        params: dict[str, Any] = {
            "person": person,
            "since": since,
            # The whole last day: before the next one starts.
            "until": until + timedelta(days=1) if until else None,
            "limit": limit + 1,
        }
        parts = []
        for k in kinds:
            where = ["(%(since)s::date IS NULL OR at >= %(since)s::date)"]
            where.append("(%(until)s::date IS NULL OR at < %(until)s::date)")
            if person:
                where.append(_PERSON.get(k, "person = %(person)s"))
            parts.append(
                f"SELECT '{k}'::text AS kind, q.ident, q.person, q.name, q.title::text, q.at, "
                f"q.status::text, COALESCE(q.at, {_UNDATED}) AS sort_at "
                f"FROM ({_QUERIES[k]}) q WHERE {' AND '.join(where)}"
            )
        matching = " UNION ALL ".join(parts)
        backwards = position is not None and position.direction == "previous"
        seek = ""
        if position is not None:
            params.update(at=position.at, kind=position.kind, ident=position.ident)
            seek = "WHERE (sort_at, kind, ident) " + (
                "> (%(at)s, %(kind)s, %(ident)s)"
                if backwards
                else "< (%(at)s, %(kind)s, %(ident)s)"
            )
        order = "ASC" if backwards else "DESC"
        query = (
            f"SELECT * FROM ({matching}) m {seek} "
            f"ORDER BY sort_at {order}, kind {order}, ident {order} LIMIT %(limit)s"
        )
        with self.pool.connection() as conn:
            total_row: Any = conn.execute(
                f"SELECT count(*) AS n FROM ({matching}) m", params
            ).fetchone()
            rows = [dict(row) for row in conn.execute(query, params).fetchall()]
        more = len(rows) > limit
        rows = rows[:limit]
        if backwards:
            rows.reverse()
        return ItemPage(
            rows=rows,
            total=int(total_row["n"]),
            more_after=position is not None if backwards else more,
            more_before=more if backwards else position is not None,
        )
