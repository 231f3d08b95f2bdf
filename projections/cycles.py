"""Weekly cycles and month closes, from the `cycles` application: each rep's week (plan,
report, feedback) and each closed month's statement (bonus, commission, training)."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL
from psycopg.types.json import Jsonb

from aggregates.calendar_periods import month_of
from aggregates.cycle_launch import CycleLaunch, launch_key
from aggregates.month_close import MonthClose, month_close_key
from aggregates.weekly_cycle import WeeklyCycle, cycle_key
from projections.base import Apply, EventHandlers, event_of, handles

MONTH_STATEMENT_TABLE = "rm_month_statement"  # the statements' table (pay in its columns)
LAUNCH_TABLE = "rm_cycle_launch"  # the periods launched (HR's months read it)


def _json(value: Any) -> Jsonb | None:
    """A pydantic model (or a list or dict of them) as jsonb; None stays NULL."""
    if value is None:
        return None
    if isinstance(value, list):
        return Jsonb([_plain(v) for v in value])
    return Jsonb(_plain(value))


def _plain(value: Any) -> Any:
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


class CyclesProjection(EventHandlers):
    name = "cycles_projection"
    owned_tables: ClassVar[list[str]] = ["rm_cycle", "rm_month_statement", LAUNCH_TABLE]
    aggregates = (WeeklyCycle, MonthClose, CycleLaunch)
    # Only advance tracking: the KPI score is not on the statement yet.
    ignored = (event_of(MonthClose, "KpisScored"),)

    def _sql(self, table: str, statement: str, params: tuple[Any, ...]) -> Apply:
        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(SQL(statement).format(self.view.table(table)), params)

        return change

    # -- the week --------------------------------------------------------------------
    @handles(event_of(WeeklyCycle, "Opened"))
    def _WeeklyCycle_Opened(self, e: Any) -> Apply:
        agreed = dict(e.agreed_plan) if e.agreed_plan else None
        return self._sql(
            "rm_cycle",
            "INSERT INTO {0} (cycle_id, aggregate_id, workflow_id, employee_id, week, month, "
            "manager_id, team_id, targets, settings_version, opened_at, plan_deadline, "
            "report_at, feedback_deadline, plan, plan_source) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (
                cycle_key(e.employee_id, e.week),
                e.originator_id,
                e.workflow_id,
                e.employee_id,
                e.week,
                month_of(e.week),
                e.manager_id,
                e.team_id,
                _json(e.targets),
                e.settings_version,
                e.timestamp,
                e.deadlines.plan_deadline,
                e.deadlines.report_at,
                e.deadlines.feedback_deadline,
                Jsonb(agreed) if agreed else None,
                "agreed" if agreed else None,
            ),
        )

    @handles(event_of(WeeklyCycle, "PlanSubmitted"))
    def _WeeklyCycle_PlanSubmitted(self, e: Any) -> Apply:
        return self._cycle(
            e,
            "plan = %s, plan_source = 'submitted', plan_revisions = %s, plan_at = %s, "
            "plan_late = %s > plan_deadline",
            (Jsonb(dict(e.items)), e.revision, e.timestamp, e.timestamp),
        )

    @handles(event_of(WeeklyCycle, "PlanDefaulted"))
    def _WeeklyCycle_PlanDefaulted(self, e: Any) -> Apply:
        return self._cycle(
            e,
            "plan = %s, plan_source = %s, plan_at = %s, plan_late = NULL",
            (Jsonb(dict(e.items)), "agreed" if e.agreed else "defaulted", e.timestamp),
        )

    @handles(event_of(WeeklyCycle, "ReportBuilt"))
    def _WeeklyCycle_ReportBuilt(self, e: Any) -> Apply:
        return self._cycle(
            e,
            "report = %s, met = %s, total = %s, report_ledger_version = %s, reported_at = %s",
            (
                _json(list(e.lines)),
                sum(1 for line in e.lines if line.met),
                len(e.lines),
                e.ledger_version,
                e.timestamp,
            ),
        )

    @handles(event_of(WeeklyCycle, "FeedbackGiven"))
    def _WeeklyCycle_FeedbackGiven(self, e: Any) -> Apply:
        return self._cycle(
            e,
            "feedback_status = 'given', feedback = %s, feedback_by = %s, feedback_at = %s, "
            "next_plan = %s",
            (
                e.text,
                e.by,
                e.timestamp,
                Jsonb(dict(e.next_plan)) if e.next_plan else None,
            ),
        )

    @handles(event_of(WeeklyCycle, "FeedbackMissed"))
    def _WeeklyCycle_FeedbackMissed(self, e: Any) -> Apply:
        return self._cycle(e, "feedback_status = 'missed', feedback_at = %s", (e.timestamp,))

    def _cycle(self, e: Any, assignments: str, params: tuple[Any, ...]) -> Apply:
        return self._sql(
            "rm_cycle",
            "UPDATE {0} SET " + assignments + " WHERE aggregate_id = %s",
            (*params, e.originator_id),
        )

    # -- the month -------------------------------------------------------------------
    @handles(event_of(MonthClose, "Opened"))
    def _MonthClose_Opened(self, e: Any) -> Apply:
        return self._sql(
            "rm_month_statement",
            "INSERT INTO {0} (statement_id, aggregate_id, employee_id, month, manager_id, "
            "team_id, targets, ledger_version, closed_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (
                month_close_key(e.employee_id, e.month),
                e.originator_id,
                e.employee_id,
                e.month,
                e.manager_id,
                e.team_id,
                _json(e.targets),
                e.ledger_version,
                e.timestamp,
            ),
        )

    @handles(event_of(MonthClose, "BonusComputed"))
    def _MonthClose_BonusComputed(self, e: Any) -> Apply:
        r = e.result
        return self._month(
            e,
            "bonus_amount = %s, bonus_currency = %s, bonus_target_met = %s, "
            "bonus_rules_version = %s, bonus_inputs = %s, bonus_lines = %s",
            (r.amount, r.currency, r.target_met, r.rules_version, _json(r.inputs), _json(r.lines)),
        )

    @handles(event_of(MonthClose, "CommissionComputed"))
    def _MonthClose_CommissionComputed(self, e: Any) -> Apply:
        r = e.result
        return self._month(
            e,
            "commission_amount = %s, commission_currency = %s, commission_rules_version = %s, "
            "commission_inputs = %s, commission_lines = %s",
            (r.amount, r.currency, r.rules_version, _json(r.inputs), _json(r.lines)),
        )

    @handles(event_of(MonthClose, "TrainingRulesChecked"))
    def _MonthClose_TrainingRulesChecked(self, e: Any) -> Apply:
        return self._month(
            e,
            "training_rules_version = %s, training_checks = %s",
            (e.rules_version, _json(list(e.checks))),
        )

    @handles(event_of(MonthClose, "TrainingRecommended"))
    def _MonthClose_TrainingRecommended(self, e: Any) -> Apply:
        return self._month(
            e,
            "training_rules_version = %s, recommendations = recommendations || %s",
            (e.rules_version, _json([e.recommendation])),
        )

    def _month(self, e: Any, assignments: str, params: tuple[Any, ...]) -> Apply:
        return self._sql(
            "rm_month_statement",
            "UPDATE {0} SET " + assignments + " WHERE aggregate_id = %s",
            (*params, e.originator_id),
        )

    # -- the launches ----------------------------------------------------------------
    @handles(event_of(CycleLaunch, "Started"))
    def _CycleLaunch_Started(self, e: Any) -> Apply:
        return self._sql(
            LAUNCH_TABLE,
            "INSERT INTO {0} (launch_id, aggregate_id, kind, period, workflow_id, "
            "launched_by, launched_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (
                launch_key(e.kind, e.period),
                e.originator_id,
                e.kind,
                e.period,
                e.workflow_id,
                getattr(e, "launched_by", None),
                e.timestamp,
            ),
        )

    @handles(event_of(CycleLaunch, "Finished"))
    def _CycleLaunch_Finished(self, e: Any) -> Apply:
        return self._sql(
            LAUNCH_TABLE,
            "UPDATE {0} SET finished_at = %s, started = %s, skipped = %s "
            "WHERE aggregate_id = %s AND finished_at IS NULL",
            (e.timestamp, e.started, e.skipped, e.originator_id),
        )


# -- queries ------------------------------------------------------------------------------
def cycle_record(conn: Connection[Any], cycle_id: str) -> dict[str, Any] | None:
    """One rep's week as projected, every column (None: no such cycle)."""
    row: Any = conn.execute("SELECT * FROM rm_cycle WHERE cycle_id = %s", (cycle_id,)).fetchone()
    return dict(row) if row is not None else None


def week_of(conn: Connection[Any], employee_id: str, week: str) -> Any:
    """An employee's weekly-cycle row for `week` (its manager_id); None before it is read."""
    return conn.execute(
        "SELECT manager_id FROM rm_cycle WHERE employee_id = %s AND week = %s",
        (employee_id, week),
    ).fetchone()
