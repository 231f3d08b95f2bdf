"""The weekly cycles' and month closes' commands on the event store (run by
activities.cycles): each method is one idempotent command, safe to run again after a crash."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from aggregates.base import DomainError, EventMeta, NotFoundError
from aggregates.calendar_periods import PeriodKind, month_of, period_kind, shift_month
from aggregates.cycle_launch import CycleLaunch, launch_uuid
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.documents import MetricCatalog
from aggregates.employee import Employee
from aggregates.goals import GoalCascade, Targets, derive_targets, weeks_of_month
from aggregates.incentives import (
    BonusInputs,
    BonusRules,
    CommissionInputs,
    CommissionRules,
    compute_bonus,
    compute_commission,
)
from aggregates.kpi_weights import KpiWeights, score_month
from aggregates.ladder import Role
from aggregates.metric_ledger import MetricLedger
from aggregates.month_close import MonthClose, month_close_key, month_close_uuid
from aggregates.not_found import month_not_closed, no_weekly_cycle
from aggregates.periods import SUMMED_UNITS, period_value
from aggregates.training_rules import TrainingRules, check_rules
from aggregates.weekly_cycle import WeeklyCycle, cycle_key, cycle_uuid
from aggregates.weekly_cycle_rules import (
    CycleInfo,
    MonthOutcome,
    Roster,
    WeeklyReport,
    feedback_comment_refusal,
    feedback_giver_refusal,
    next_plan_refusal,
    plan_refusal,
    plan_submitter_refusal,
)
from careerflow.applications import week_opening
from careerflow.applications.cycle_values import (
    month_outcome,
    month_targets_for,
    previous_week,
    report_line,
)
from careerflow.eventstore import PydanticApplication
from careerflow.principal import Principal, workflow_step
from words.catalogue import in_every_language
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.applications.policies import Policies


ActiveInRoles = Callable[[list[str], str, int], list[str]]
"""(roles, after, limit) -> the next `limit` active employee ids in those roles, by id."""
Employees = Callable[[list[str]], dict[str, Employee]]
"""ids -> the employees among them who exist, read at once (a batch)."""
Ledgers = Callable[[list[str]], dict[str, MetricLedger]]
"""employee ids -> the metric ledgers among them that exist, read at once (a batch)."""


def no_ledger(employee_id: str) -> MetricLedger | None:
    """The default read: no metrics recorded."""
    return None


def summed(catalog: MetricCatalog, metric: str) -> bool:
    """Whether a metric's finer periods add up (amounts, counts) or average (rates)."""
    definition = catalog.metrics.get(metric)
    return definition is None or definition.unit in SUMMED_UNITS


class Cycles(PydanticApplication):
    """Weekly performance cycles and month closes (bonus, commission, training).

    Collaborators: `employee` reads an employee (the people application's), `policies`
    gives the documents in force, `ledger` an employee's metric ledger, `active_in_roles`
    the roster from the read side (the employee directory); `employees` and `ledgers`
    read many at once for a batch (else one by one)."""

    name = "cycles"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        employee: Callable[[str], Employee] | None = None,
        policies: Policies | None = None,
        ledger: Callable[[str], MetricLedger | None] | None = None,
        active_in_roles: ActiveInRoles | None = None,
        employees: Employees | None = None,
        ledgers: Ledgers | None = None,
    ) -> None:
        super().__init__(env=env)
        self.wire(
            employee=employee,
            policies=policies,
            ledger=ledger,
            active_in_roles=active_in_roles,
            employees=employees,
            ledgers=ledgers,
        )

    def _employees_one_by_one(self, employee_ids: list[str]) -> dict[str, Employee]:
        found: dict[str, Employee] = {}
        for employee_id in employee_ids:
            with contextlib.suppress(NotFoundError):
                found[employee_id] = self.employee(employee_id)
        return found

    def _ledgers_one_by_one(self, employee_ids: list[str]) -> dict[str, MetricLedger]:
        ledgers = {e: self.ledger(e) for e in employee_ids}
        return {e: ledger for e, ledger in ledgers.items() if ledger is not None}

    def wire(
        self,
        *,
        employee: Callable[[str], Employee] | None = None,
        policies: Policies | None = None,
        ledger: Callable[[str], MetricLedger | None] | None = None,
        active_in_roles: ActiveInRoles | None = None,
        employees: Employees | None = None,
        ledgers: Ledgers | None = None,
    ) -> None:
        """The constructor's collaborators, for the store, which opens every application
        before their collaborators exist (careerflow.wiring)."""
        self._employee = employee
        self._policies = policies
        self.ledger: Callable[[str], MetricLedger | None] = ledger or no_ledger
        self._active_in_roles = active_in_roles
        self.employees: Employees = employees or self._employees_one_by_one
        self.ledgers: Ledgers = ledgers or self._ledgers_one_by_one

    # -- collaborators ---------------------------------------------------------------
    def employee(self, employee_id: str) -> Employee:
        assert self._employee is not None, "Cycles needs employee= to read employees"
        return self._employee(employee_id)

    @property
    def policies(self) -> Policies:
        assert self._policies is not None, "Cycles needs policies= to read the policies"
        return self._policies

    # -- documents -------------------------------------------------------------------
    def settings(self) -> tuple[WeeklyCycleSettings, int | None]:
        try:
            return self.policies.in_force(WeeklyCycleSettings)
        except NotFoundError:
            return WeeklyCycleSettings(), None

    def _zone(self) -> str:
        """The weekly cycle's time zone, in which its moments are said."""
        return self.settings()[0].time_zone

    def catalog(self) -> MetricCatalog:
        return self.policies.in_force(MetricCatalog)[0]

    # -- who takes part --------------------------------------------------------------
    def roster(self, period: str | None, now: datetime, after: str, limit: int) -> Roster:
        """The next `limit` active staff (by id, after `after`) in the cycle's roles.

        Read from the employee directory read model: the roster is orchestration input;
        each cycle re-checks its employee against the event store when it opens."""
        assert self._active_in_roles is not None, "Cycles needs active_in_roles= for rosters"
        settings, version = self.settings()
        resolved = period or settings.week_of(now)
        roles = [r.value for r in settings.roles]
        return Roster(
            period=resolved,
            employee_ids=self._active_in_roles(roles, after, limit),
            settings_version=version,
        )

    def previous_month(self, now: datetime) -> str:
        """The month before the company's local date at `now` (the month to close)."""
        settings, _ = self.settings()
        return shift_month(settings.local_date(now).strftime("%Y-%m"), -1)

    # -- launches --------------------------------------------------------------------
    def record_launch(
        self, kind: PeriodKind, period: str, workflow_id: str, launched_by: str | None = None
    ) -> None:
        """Records that `period` was launched (once; a retry or a second run changes
        nothing): the launcher's first roster read calls it, whoever started it
        (`launched_by`: the person who launched it by hand; None: the schedule)."""
        if self.find(launch_uuid(kind, period)) is None:
            self.save(
                CycleLaunch(
                    kind=kind, period=period, workflow_id=workflow_id, launched_by=launched_by
                )
            )

    def finish_launch(
        self, kind: PeriodKind, period: str, workflow_id: str, started: int, skipped: int
    ) -> None:
        """Records that `period`'s launch has started every rep's workflow (once: a retry
        or a second run changes nothing; a launch never recorded is recorded now)."""
        launch = self.find(launch_uuid(kind, period))
        if launch is None:
            self.record_launch(kind, period, workflow_id)
            launch = self.find(launch_uuid(kind, period))
        assert isinstance(launch, CycleLaunch)
        if not launch.finished:
            launch.finish(started, skipped)
            self.save(launch)

    def launched(self, kind: PeriodKind, period: str) -> bool:
        """Whether a launch of `period` has run, by any workflow id (the schedule's too)."""
        return self.find(launch_uuid(kind, period)) is not None

    # -- targets ---------------------------------------------------------------------
    def targets(
        self,
        employee_id: str,
        team_id: str,
        role: Role,
        period: str,
        documents: tuple[GoalCascade, int, MetricCatalog] | None = None,
        ledger: MetricLedger | Literal[False] | None = False,
    ) -> Targets:
        """`documents`: the goal cascade (with its version) and the metric catalog in
        force, when the caller read them already (a batch reads them once); `ledger`: the
        employee's metric ledger when the caller read it (None: none; not given: read)."""
        if documents is None:
            documents = (*self.policies.in_force(GoalCascade), self.catalog())
        cascade, version, catalog = documents
        if ledger is False:
            ledger = self.ledger(employee_id)
        # Only the sales rows count (period_value reads one metric): not every row per month.
        sales = [m for m in (ledger.measurements() if ledger else []) if m.metric == "sales_amount"]
        months = sorted({month_of(m.period) for m in sales})
        monthly_sales: dict[str, float] = {}
        for month in months:
            value = period_value(sales, "sales_amount", month, summed(catalog, "sales_amount"))
            if value is not None:
                monthly_sales[month] = value
        return derive_targets(cascade, version, employee_id, team_id, role, period, monthly_sales)

    # -- the week --------------------------------------------------------------------
    def get(self, employee_id: str, week: str) -> WeeklyCycle:
        cycle: WeeklyCycle | None = self.find(cycle_uuid(employee_id, week))
        if cycle is None:
            raise no_weekly_cycle(employee_id, week)
        return cycle

    def info(self, cycle: WeeklyCycle, settings: WeeklyCycleSettings | None = None) -> CycleInfo:
        """`settings`: the weekly_cycle settings in force, when the caller has them."""
        if settings is None:
            settings, _ = self.settings()
        return CycleInfo(
            cycle_id=cycle_key(cycle.employee_id, cycle.week),
            employee_id=cycle.employee_id,
            week=cycle.week,
            manager_id=cycle.manager_id,
            team_id=cycle.team_id,
            time_zone=settings.time_zone,
            deadlines=cycle.deadlines,
            # Said from the cycle's own moments: a holiday may have moved the plan's.
            deadline_labels={
                name: settings.label_at(cycle.week, getattr(cycle.deadlines, name))
                for name in ("plan_deadline", "report_at", "feedback_deadline")
            },
            plan_items=list(settings.plan_items),
            targets={k: v for k, v in cycle.targets.weekly.items() if k in settings.plan_items},
            max_plan_factor=settings.max_plan_factor,
            plan=cycle.plan,
            plan_source=cycle.plan_source,
            reported=cycle.report is not None,
            feedback_given=cycle.feedback is not None,
            feedback_missed=cycle.feedback_missed,
            workflow_id=cycle.workflow_id,
        )

    def open_week(self, employee_id: str, week: str, workflow_id: str) -> CycleInfo:
        """A rep's week (their workflow's own open step); an open week is answered as is."""
        return week_opening.open_week(self, employee_id, week, workflow_id)

    def open_weeks(
        self, employee_ids: list[str], week: str, workflow_id: Callable[[str], str]
    ) -> dict[str, CycleInfo]:
        """Many reps' weeks with one save: the launcher's batch (week_opening.open_weeks)."""
        return week_opening.open_weeks(self, employee_ids, week, workflow_id)

    def check_plan(
        self, cycle: WeeklyCycle, principal: Principal, items: dict[str, float], now: datetime
    ) -> None:
        """Raises with every reason the plan cannot be taken (nothing is recorded)."""
        self._require_rep(cycle, principal)
        if now >= cycle.deadlines.plan_deadline or cycle.plan_source == "defaulted":
            raise DomainError(
                "the plan deadline for week {week}, {deadline}, has passed; "
                "the targets were recorded as this week's plan",
                week=cycle.week,
                deadline=Message.moment(cycle.deadlines.plan_deadline, self._zone()),
            )
        settings, _ = self.settings()
        if refusal := plan_refusal(
            items, list(settings.plan_items), cycle.targets.weekly, settings.max_plan_factor
        ):
            raise DomainError(refusal)

    def submit_plan(
        self,
        employee_id: str,
        week: str,
        principal: Principal,
        key: str,
        items: dict[str, float],
        now: datetime,
    ) -> CycleInfo:
        cycle = self.get(employee_id, week)
        # Who asks is checked first: a known key only answers the person who used it.
        self._require_rep(cycle, principal)
        if key in cycle.commands:
            return self.info(cycle)
        self.check_plan(cycle, principal, items, now)
        with self._context(principal, cycle.workflow_id, f"plan/{key}"):
            cycle.submit_plan(key, items, cycle.deadlines.plan_deadline)
        self.save(cycle)
        return self.info(cycle)

    def default_plan(self, employee_id: str, week: str) -> CycleInfo:
        """No plan by the deadline: last weekend's agreed plan if the manager's feedback
        landed after this week opened (it is normally taken at opening), else the targets."""
        cycle = self.get(employee_id, week)
        settings, _ = self.settings()
        previous: WeeklyCycle | None = self.find(cycle_uuid(employee_id, previous_week(week)))
        agreed = previous.next_plan if previous is not None else None
        items: dict[str, float] = agreed or {
            k: v for k, v in cycle.targets.weekly.items() if k in settings.plan_items
        }
        reason = "no plan by the deadline" + ("; the agreed plan stands" if agreed else "")
        with self._context(None, cycle.workflow_id, "default-plan", reason=reason):
            changed = cycle.default_plan(items, agreed=bool(agreed))
        if changed:
            self.save(cycle)
        return self.info(cycle)

    def build_report(self, employee_id: str, week: str) -> WeeklyReport:
        cycle = self.get(employee_id, week)
        if cycle.report is None:
            catalog = self.catalog()
            ledger = self.ledger(employee_id)
            measurements = ledger.measurements() if ledger else []
            lines = [
                report_line(catalog, item, planned, measurements, week, summed(catalog, item))
                for item, planned in (cycle.plan or {}).items()
            ]
            with self._context(None, cycle.workflow_id, "report"):
                cycle.build_report(lines, ledger.version if ledger else 0)
            self.save(cycle)
        lines = cycle.report or []
        return WeeklyReport(
            cycle_id=cycle_key(employee_id, week),
            employee_id=employee_id,
            manager_id=cycle.manager_id,
            week=week,
            lines=lines,
            met=sum(1 for line in lines if line.met),
            total=len(lines),
        )

    @staticmethod
    def _require_rep(cycle: WeeklyCycle, principal: Principal) -> None:
        if refusal := plan_submitter_refusal(
            principal.role.value, principal.person_id, cycle.employee_id
        ):
            raise DomainError(refusal)

    @staticmethod
    def _require_manager(cycle: WeeklyCycle, principal: Principal) -> None:
        if refusal := feedback_giver_refusal(
            principal.role.value, principal.person_id, cycle.employee_id, cycle.manager_id
        ):
            raise DomainError(refusal)

    def check_feedback(self, cycle: WeeklyCycle, principal: Principal, now: datetime) -> None:
        self._require_manager(cycle, principal)
        if cycle.feedback is not None:
            raise DomainError(
                "{feedback_by} already gave feedback for week {week}; one feedback per week",
                feedback_by=cycle.feedback_by,
                week=cycle.week,
            )
        if cycle.feedback_missed or now >= cycle.deadlines.feedback_deadline:
            raise DomainError(
                "the feedback deadline for week {week}, {deadline}, has passed",
                week=cycle.week,
                deadline=Message.moment(cycle.deadlines.feedback_deadline, self._zone()),
            )
        if cycle.report is None:
            raise DomainError(
                "week {week} is not reported yet; feedback opens with the report at {report_at}",
                week=cycle.week,
                report_at=Message.moment(cycle.deadlines.report_at, self._zone()),
            )

    def give_feedback(
        self,
        employee_id: str,
        week: str,
        principal: Principal,
        key: str,
        text: str,
        next_plan: dict[str, float] | None,
        now: datetime,
    ) -> CycleInfo:
        cycle = self.get(employee_id, week)
        self._require_manager(cycle, principal)
        if key in cycle.commands:
            return self.info(cycle)
        self.check_feedback(cycle, principal, now)
        if refusal := feedback_comment_refusal(text):
            raise DomainError(refusal)
        if next_plan is not None:
            settings, _ = self.settings()
            if refusal := next_plan_refusal(
                next_plan, list(settings.plan_items), cycle.targets.weekly, settings.max_plan_factor
            ):
                raise DomainError(refusal)
        with self._context(principal, cycle.workflow_id, f"feedback/{key}"):
            cycle.give_feedback(key, principal.person_id, text, next_plan)
        self.save(cycle)
        return self.info(cycle)

    def miss_feedback(self, employee_id: str, week: str) -> CycleInfo:
        cycle = self.get(employee_id, week)
        with self._context(None, cycle.workflow_id, "feedback-missed"):
            changed = cycle.miss_feedback()
        if changed:
            self.save(cycle)
        return self.info(cycle)

    # -- the month -------------------------------------------------------------------
    def close_month(self, employee_id: str, month: str, workflow_id: str) -> MonthOutcome:
        if period_kind(month) != "month":
            raise DomainError("a month close needs a month 'YYYY-MM', got {month!r}", month=month)
        closed: MonthClose | None = self.find(month_close_uuid(employee_id, month))
        if closed is None:
            closed = self._close(employee_id, month, workflow_id)
        return month_outcome(closed)

    def _close(self, employee_id: str, month: str, workflow_id: str) -> MonthClose:
        employee = self.employee(employee_id)
        catalog = self.catalog()
        ledger = self.ledger(employee_id)
        measurements = ledger.measurements() if ledger else []

        def value(metric: str, period: str) -> float | None:
            return period_value(measurements, metric, period, summed(catalog, metric))

        role = Role(employee.role)
        targets = self.targets(employee_id, employee.team_id, role, month)
        bonus_rules, bonus_version = self.policies.in_force(BonusRules)
        commission_rules, commission_version = self.policies.in_force(CommissionRules)
        training, training_version = self.policies.in_force(TrainingRules)
        bonus = compute_bonus(
            bonus_rules,
            bonus_version,
            BonusInputs(
                sales_target=targets.monthly_sales_target,
                sales_amount=value("sales_amount", month) or 0.0,
                retention_rate=value("retention_rate", month),
            ),
            labels=in_every_language,
        )
        commission = compute_commission(
            commission_rules,
            commission_version,
            CommissionInputs(
                small_deal_sales=value("small_deal_sales", month) or 0.0,
                big_client_sales=value("big_client_sales", month) or 0.0,
                repurchase_sales=value("repurchase_sales", month) or 0.0,
            ),
            labels=in_every_language,
        )
        kpis, kpis_version = self.policies.in_force_if_any(KpiWeights)
        kpi_score = None
        if kpis is not None and kpis_version is not None:  # none before the document existed
            month_values = {k.metric: value(k.metric, month) for k in kpis.kpis}
            kpi_score = score_month(kpis, kpis_version, catalog, month, month_values)
        span = max(r.consecutive_months for r in training.rules)
        months = [shift_month(month, -k) for k in range(span)]
        metrics: set[str] = {r.metric for r in training.rules}
        values: dict[str, dict[str, float | None]] = {
            m: {metric: value(metric, m) for metric in metrics} for m in months
        }
        month_targets = {
            m: month_targets_for(
                self.targets(employee_id, employee.team_id, role, m), len(weeks_of_month(m))
            )
            for m in months
        }
        checks, recommendations = check_rules(training, month, values, month_targets)
        with self._context(None, workflow_id, f"month-close/{month_close_key(employee_id, month)}"):
            closed = MonthClose(
                employee_id=employee_id,
                month=month,
                manager_id=employee.manager_id,
                team_id=employee.team_id,
                targets=targets,
                ledger_version=ledger.version if ledger else 0,
            )
            closed.record_bonus(bonus)
            closed.record_commission(commission)
            if kpi_score is not None:
                closed.record_kpis(kpi_score)
            closed.record_checks(training_version, checks)
            for recommendation in recommendations:
                closed.recommend(training_version, recommendation)
        self.save(closed)
        return closed

    def get_month(self, employee_id: str, month: str) -> MonthClose:
        closed: MonthClose | None = self.find(month_close_uuid(employee_id, month))
        if closed is None:
            raise month_not_closed(employee_id, month)
        return closed

    @staticmethod
    def _context(
        principal: Principal | None, workflow_id: str, step: str, reason: str | None = None
    ) -> AbstractContextManager[EventMeta]:
        return workflow_step(principal, workflow_id, step, reason)
