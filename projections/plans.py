"""Development plans with live progress: the employee's plan, the manager's team, HR's
on-track / at-risk / overdue overview."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL
from psycopg.types.json import Jsonb

from aggregates.development_plan import DevelopmentPlan
from projections.base import Apply, EventHandlers, event_of, handles


class PlansProjection(EventHandlers):
    name = "plans_projection"
    owned_tables: ClassVar[list[str]] = ["rm_plan"]
    aggregates = (DevelopmentPlan,)
    # Only advance tracking: reminders are notices (the notifications projection), not plan state.
    ignored = (event_of(DevelopmentPlan, "Reminded"),)

    def _sql(self, statement: str, params: tuple[Any, ...]) -> Apply:
        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(SQL(statement).format(self.view.table("rm_plan")), params)

        return change

    @handles(event_of(DevelopmentPlan, "Started"))
    def _Started(self, e: Any) -> Apply:
        return self._sql(
            "INSERT INTO {0} (plan_id, aggregate_id, employee_id, manager_id, role, "
            "effective_date, months, template_version, milestones, overall, total) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'not_evaluated', %s) "
            "ON CONFLICT DO NOTHING",
            (
                e.plan_id,
                e.originator_id,
                e.employee_id,
                e.manager_id,
                str(e.role),
                e.effective_date,
                e.months,
                e.template_version,
                Jsonb([m.model_dump(mode="json") for m in e.milestones]),
                len(e.milestones),
            ),
        )

    @handles(event_of(DevelopmentPlan, "ProgressEvaluated"))
    def _ProgressEvaluated(self, e: Any) -> Apply:
        p = e.progress
        return self._sql(
            "UPDATE {0} SET overall = %s, done = %s, total = %s, progress = %s, "
            "evaluated_on = %s WHERE aggregate_id = %s",
            (
                p.overall,
                p.done,
                p.total,
                Jsonb(p.model_dump(mode="json")),
                e.as_of,
                e.originator_id,
            ),
        )

    @handles(event_of(DevelopmentPlan, "MilestoneOverdue"))
    def _MilestoneOverdue(self, e: Any) -> Apply:
        return self._sql(
            "UPDATE {0} SET overdue = overdue || to_jsonb(%s::text) WHERE aggregate_id = %s",
            (e.milestone_id, e.originator_id),
        )

    @handles(event_of(DevelopmentPlan, "MilestoneConfirmed"))
    def _MilestoneConfirmed(self, e: Any) -> Apply:
        return self._sql(
            "UPDATE {0} SET confirmed = confirmed || jsonb_build_object(%s::text, %s::text) "
            "WHERE aggregate_id = %s",
            (e.milestone_id, e.by, e.originator_id),
        )

    @handles(event_of(DevelopmentPlan, "Adjusted"))
    def _Adjusted(self, e: Any) -> Apply:
        added = [e.milestone.model_dump(mode="json")] if e.milestone is not None else []
        keep_added = e.action != "drop"
        return self._sql(
            "UPDATE {0} SET milestones = COALESCE((SELECT jsonb_agg(m) FROM "
            "jsonb_array_elements(milestones) m WHERE m->>'id' <> %s), '[]'::jsonb) || %s, "
            "overdue = overdue - %s WHERE aggregate_id = %s",
            (e.milestone_id, Jsonb(added if keep_added else []), e.milestone_id, e.originator_id),
        )

    @handles(event_of(DevelopmentPlan, "Closed"))
    def _Closed(self, e: Any) -> Apply:
        p = e.summary
        return self._sql(
            "UPDATE {0} SET closed = true, outcome = %s, overall = %s, done = %s, total = %s, "
            "progress = %s WHERE aggregate_id = %s",
            (
                e.outcome,
                p.overall,
                p.done,
                p.total,
                Jsonb(p.model_dump(mode="json")),
                e.originator_id,
            ),
        )


# -- queries ------------------------------------------------------------------------------
def plan_record(conn: Connection[Any], plan_id: str) -> dict[str, Any] | None:
    """One development plan as projected, every column (None: no such plan)."""
    row: Any = conn.execute("SELECT * FROM rm_plan WHERE plan_id = %s", (plan_id,)).fetchone()
    return dict(row) if row is not None else None


def open_plan_ids(conn: Connection[Any], employee_ids: list[str]) -> list[str]:
    """The running (not closed) development plans of these employees, by plan id."""
    rows: list[Any] = conn.execute(
        "SELECT plan_id FROM rm_plan WHERE NOT closed AND employee_id = ANY(%s) ORDER BY plan_id",
        (employee_ids,),
    ).fetchall()
    return [str(r["plan_id"]) for r in rows]
