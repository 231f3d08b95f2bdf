"""A rep's history from the read model, through the access rules: their weeks (newest
first, paged by the week as cursor, from rm_cycle) and their closed months (from
rm_month_statement), and the names a statement's training verdicts are said with (the
rule's reason at the version used, the course titles and metric labels in force)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from careerflow.principal import Principal
from projections.cycle_reads import CycleReads, FeedbackStatus, checked_period
from projections.visibility import require_visible


class WeekRow(BaseModel):
    week: str
    month: str
    plan_source: str | None
    plan_late: bool | None
    reported: bool
    met: int | None
    total: int | None
    feedback_status: FeedbackStatus


class WeekPage(BaseModel):
    items: list[WeekRow]
    total: int
    limit: int
    next_cursor: str | None


class MonthRow(BaseModel):
    month: str
    closed_at: str


class TrainingNames(BaseModel):
    """Labels for a statement's training verdicts: each rule's reason and metric, each
    course's title; bilingual, said by the page."""

    reasons: dict[str, dict[str, str]] = Field(default_factory=dict)
    metrics: dict[str, dict[str, str]] = Field(default_factory=dict)
    courses: dict[str, dict[str, str]] = Field(default_factory=dict)


class RepHistoryQueries(CycleReads):
    # -- 5. a rep's weeks and months -----------------------------------------------------
    def weeks_of(
        self, principal: Principal, employee_id: str, limit: int = 10, cursor: str | None = None
    ) -> WeekPage:
        """The person's weeks with a cycle, newest first; `cursor` is the last week of the
        page before (keyset on the (employee_id, week) unique pair)."""
        limit = min(max(limit, 1), 100)
        if cursor:
            checked_period(cursor, "week", "2026-W48")
        with self._connection() as conn:
            require_visible(conn, principal, employee_id)
            total_row = conn.execute(
                "SELECT count(*) AS n FROM rm_cycle WHERE employee_id = %s", (employee_id,)
            ).fetchone()
            rows = conn.execute(
                "SELECT week, month, plan_source, plan_late, report IS NOT NULL AS reported, "
                "met, total, feedback_status FROM rm_cycle "
                "WHERE employee_id = %s AND (%s::text IS NULL OR week < %s) "
                "ORDER BY week DESC LIMIT %s",
                (employee_id, cursor or None, cursor or None, limit + 1),
            ).fetchall()
        items = [WeekRow.model_validate(dict(r)) for r in rows[:limit]]
        more = len(rows) > limit
        return WeekPage(
            items=items,
            total=int(total_row["n"]) if total_row else 0,
            limit=limit,
            next_cursor=items[-1].week if more and items else None,
        )

    def months_of(self, principal: Principal, employee_id: str) -> list[MonthRow]:
        """The person's closed months, newest first (a statement each)."""
        with self._connection() as conn:
            require_visible(conn, principal, employee_id)
            rows = conn.execute(
                "SELECT month, closed_at FROM rm_month_statement WHERE employee_id = %s "
                "ORDER BY month DESC LIMIT 60",
                (employee_id,),
            ).fetchall()
        return [MonthRow(month=r["month"], closed_at=r["closed_at"].isoformat()) for r in rows]

    def training_names(self, version: int | None) -> TrainingNames:
        """The reasons of the training rules at `version`, with the courses and metrics of
        the catalog in force (published documents: no person's data)."""
        with self._connection() as conn:
            rules = None
            if version is not None:
                row = conn.execute(
                    "SELECT document FROM rm_policy WHERE kind = 'training_rules' "
                    "AND key = 'default' AND version = %s",
                    (version,),
                ).fetchone()
                rules = row["document"] if row else None
            catalog = self._document(conn, "metric_catalog")
        names = TrainingNames()
        for rule in (rules or {}).get("rules", []):
            names.reasons[rule["id"]] = dict(rule.get("reason") or {})
        if catalog is not None:
            doc = catalog[0]
            names.courses = {k: dict(v) for k, v in (doc.get("courses") or {}).items()}
            names.metrics = {
                k: dict(v.get("label") or {}) for k, v in (doc.get("metrics") or {}).items()
            }
        return names
