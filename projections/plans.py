"""Development plans with live progress: the employee's plan, the manager's team, HR's
on-track / at-risk / overdue overview."""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL
from psycopg.types.json import Jsonb

from projections.base import Apply, ReadModelView

PREFIX = "DevelopmentPlan."


class PlansProjection(Projection[ReadModelView]):
    name = "plans_projection"
    owned_tables: ClassVar[list[str]] = ["rm_plan"]

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        qualname = type(domain_event).__qualname__
        handler = (
            getattr(self, "_" + qualname.removeprefix(PREFIX), None)
            if qualname.startswith(PREFIX)
            else None
        )
        self.view.apply(tracking, handler(domain_event) if handler else None)

    def _sql(self, statement: str, params: tuple[Any, ...]) -> Apply:
        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(SQL(statement).format(self.view.table("rm_plan")), params)

        return change

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

    def _MilestoneOverdue(self, e: Any) -> Apply:
        return self._sql(
            "UPDATE {0} SET overdue = overdue || to_jsonb(%s::text) WHERE aggregate_id = %s",
            (e.milestone_id, e.originator_id),
        )

    def _MilestoneConfirmed(self, e: Any) -> Apply:
        return self._sql(
            "UPDATE {0} SET confirmed = confirmed || jsonb_build_object(%s::text, %s::text) "
            "WHERE aggregate_id = %s",
            (e.milestone_id, e.by, e.originator_id),
        )

    def _Adjusted(self, e: Any) -> Apply:
        added = [e.milestone.model_dump(mode="json")] if e.milestone is not None else []
        keep_added = e.action != "drop"
        return self._sql(
            "UPDATE {0} SET milestones = COALESCE((SELECT jsonb_agg(m) FROM "
            "jsonb_array_elements(milestones) m WHERE m->>'id' <> %s), '[]'::jsonb) || %s, "
            "overdue = overdue - %s WHERE aggregate_id = %s",
            (e.milestone_id, Jsonb(added if keep_added else []), e.milestone_id, e.originator_id),
        )

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
