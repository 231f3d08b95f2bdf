"""What there is to audit (careerflow.audit.index), from the read models: one row per
application, weekly cycle, month close, development plan, support request and 360°
assessment round, with its id, its person, a short description, its date and its status.
An assessment round is found by the people assessed in it, never by its raters."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from psycopg_pool import ConnectionPool

ITEM_KINDS: tuple[str, ...] = ("application", "cycle", "month", "plan", "support", "assessment")
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


class AuditQueries:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def items(
        self,
        kinds: list[str],
        person: str | None,
        since: date | None,
        until: date | None,
        limit: int,
    ) -> dict[str, list[dict[str, Any]]]:
        """Per kind, up to `limit` rows, newest first, of `person` (if given) dated
        within `since`..`until` (whole days; either may be open)."""
        params: dict[str, Any] = {
            "person": person,
            "since": since,
            # The whole last day: before the next one starts.
            "until": until + timedelta(days=1) if until else None,
            "limit": limit,
        }
        found: dict[str, list[dict[str, Any]]] = {}
        with self.pool.connection() as conn:
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
                found[k] = [dict(row) for row in rows]
        return found
