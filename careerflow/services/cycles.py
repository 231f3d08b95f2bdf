"""Weekly-cycle and month-close commands on the event store (run by the cycle
workflows' activities). Each is idempotent: a retried activity changes nothing."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from activities.cycles import CycleInfo, MonthOutcome, Roster, WeeklyReport
from aggregates.base import DomainError, EventMeta, NotFoundError
from aggregates.cycle_settings import WeeklyCycleSettings, plan_problems
from aggregates.documents import Measurement, MetricCatalog, month_of, period_kind, shift_month
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
from aggregates.metric_periods import SUMMED_UNITS, period_value
from aggregates.month_close import MonthClose, month_close_key, month_close_uuid
from aggregates.training_rules import TrainingRules, check_rules
from aggregates.weekly_cycle import Deadlines, ReportLine, WeeklyCycle, cycle_key, cycle_uuid
from careerflow.messages import Message, in_every_language
from careerflow.principal import AccessRole, Principal, workflow_step
from careerflow.workdays import is_working_day
from projections.people import active_in_roles

if TYPE_CHECKING:
    from careerflow.services.registry import Services


class CycleCommands:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.app = services.store.cycles

    # -- documents -------------------------------------------------------------------
    def settings(self) -> tuple[WeeklyCycleSettings, int | None]:
        try:
            return self.s.policies.in_force(WeeklyCycleSettings)
        except NotFoundError:
            return WeeklyCycleSettings(), None

    def catalog(self) -> MetricCatalog:
        return self.s.policies.in_force(MetricCatalog)[0]

    def _summed(self, catalog: MetricCatalog, metric: str) -> bool:
        definition = catalog.metrics.get(metric)
        return definition is None or definition.unit in SUMMED_UNITS

    # -- who takes part --------------------------------------------------------------
    def roster(self, period: str | None, now: datetime, after: str, limit: int) -> Roster:
        """The next `limit` active staff (by id, after `after`) in the cycle's roles.

        Read from the employee directory read model: the roster is orchestration input;
        each cycle re-checks its employee against the event store when it opens."""
        settings, version = self.settings()
        resolved = period or settings.week_of(now)
        roles = [r.value for r in settings.roles]
        with self.s.read_pool.connection() as conn:
            employee_ids = active_in_roles(conn, roles, after, limit)
        return Roster(
            period=resolved,
            employee_ids=employee_ids,
            settings_version=version,
        )

    def previous_month(self, now: datetime) -> str:
        """The month before the company's local date at `now` (the month to close)."""
        settings, _ = self.settings()
        return shift_month(settings.local_date(now).strftime("%Y-%m"), -1)

    # -- targets ---------------------------------------------------------------------
    def targets(self, employee_id: str, team_id: str, role: Role, period: str) -> Targets:
        cascade, version = self.s.policies.in_force(GoalCascade)
        catalog = self.catalog()
        ledger = self.s.ingest.ledger(employee_id)
        measurements = ledger.measurements() if ledger else []
        months = sorted({month_of(m.period) for m in measurements if m.metric == "sales_amount"})
        monthly_sales: dict[str, float] = {}
        for month in months:
            value = period_value(
                measurements, "sales_amount", month, self._summed(catalog, "sales_amount")
            )
            if value is not None:
                monthly_sales[month] = value
        return derive_targets(cascade, version, employee_id, team_id, role, period, monthly_sales)

    # -- the week --------------------------------------------------------------------
    def get(self, employee_id: str, week: str) -> WeeklyCycle:
        cycle: WeeklyCycle | None = self.app.find(cycle_uuid(employee_id, week))
        if cycle is None:
            raise NotFoundError(
                "no weekly cycle for {employee_id} in week {week}",
                employee_id=employee_id,
                week=week,
            )
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
        )

    def open(self, employee_id: str, week: str, workflow_id: str) -> CycleInfo:
        existing: WeeklyCycle | None = self.app.find(cycle_uuid(employee_id, week))
        if existing is not None:
            return self.info(existing)
        if period_kind(week) != "week":
            raise DomainError(
                "a weekly cycle needs an ISO week 'YYYY-Www', got {week!r}", week=week
            )
        employee = self.s.people.get(employee_id)
        if not employee.active:
            raise DomainError("{employee_id} has left; no weekly cycle", employee_id=employee_id)
        settings, version = self.settings()
        targets = self.targets(employee_id, employee.team_id, Role(employee.role), week)
        previous: WeeklyCycle | None = self.app.find(cycle_uuid(employee_id, _previous_week(week)))
        agreed = previous.next_plan if previous is not None else None
        company, _ = self.s.policies.promotion_process()
        plan_reminder, plan_deadline = settings.plan_moments(
            week, lambda day: is_working_day(day, company)
        )
        deadlines = Deadlines(
            plan_reminder=plan_reminder,
            plan_deadline=plan_deadline,
            report_at=settings.at(week, settings.report_at),
            feedback_reminder=settings.at(week, settings.feedback_reminder),
            feedback_deadline=settings.at(week, settings.feedback_deadline),
        )
        with self._context(None, workflow_id, "open"):
            cycle = WeeklyCycle(
                employee_id=employee_id,
                week=week,
                manager_id=employee.manager_id,
                team_id=employee.team_id,
                targets=targets,
                settings_version=version,
                deadlines=deadlines,
                workflow_id=workflow_id,
                agreed_plan=agreed,
            )
        self.app.save(cycle)
        return self.info(cycle, settings)

    def check_plan(
        self, cycle: WeeklyCycle, principal: Principal, items: dict[str, float], now: datetime
    ) -> None:
        """Raises with every reason the plan cannot be taken (nothing is recorded)."""
        self._require_rep(cycle, principal)
        if now >= cycle.deadlines.plan_deadline or cycle.plan_source == "defaulted":
            raise DomainError(
                "the plan deadline for week {week} ({deadline}) has passed; "
                "the targets were recorded as this week's plan",
                week=cycle.week,
                deadline=cycle.deadlines.plan_deadline.isoformat(),
            )
        settings, _ = self.settings()
        problems = plan_problems(
            items, list(settings.plan_items), cycle.targets.weekly, settings.max_plan_factor
        )
        if problems:
            raise DomainError("the plan was not taken: {problems}", problems=problems)

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
        self.app.save(cycle)
        return self.info(cycle)

    def default_plan(self, employee_id: str, week: str) -> CycleInfo:
        """No plan by the deadline: last weekend's agreed plan if the manager's feedback
        landed after this week opened (it is normally taken at opening), else the targets."""
        cycle = self.get(employee_id, week)
        settings, _ = self.settings()
        previous: WeeklyCycle | None = self.app.find(cycle_uuid(employee_id, _previous_week(week)))
        agreed = previous.next_plan if previous is not None else None
        items: dict[str, float] = agreed or {
            k: v for k, v in cycle.targets.weekly.items() if k in settings.plan_items
        }
        reason = "no plan by the deadline" + ("; the agreed plan stands" if agreed else "")
        with self._context(None, cycle.workflow_id, "default-plan", reason=reason):
            changed = cycle.default_plan(items, agreed=bool(agreed))
        if changed:
            self.app.save(cycle)
        return self.info(cycle)

    def build_report(self, employee_id: str, week: str) -> WeeklyReport:
        cycle = self.get(employee_id, week)
        if cycle.report is None:
            catalog = self.catalog()
            ledger = self.s.ingest.ledger(employee_id)
            measurements = ledger.measurements() if ledger else []
            lines = [
                _report_line(
                    catalog, item, planned, measurements, week, self._summed(catalog, item)
                )
                for item, planned in (cycle.plan or {}).items()
            ]
            with self._context(None, cycle.workflow_id, "report"):
                cycle.build_report(lines, ledger.version if ledger else 0)
            self.app.save(cycle)
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
        if not (principal.role == AccessRole.employee and principal.person_id == cycle.employee_id):
            raise DomainError(
                "{role} {person_id} cannot submit {employee_id}'s weekly plan; "
                "reps submit their own plan",
                role=principal.role.value,
                person_id=principal.person_id,
                employee_id=cycle.employee_id,
            )

    @staticmethod
    def _require_manager(cycle: WeeklyCycle, principal: Principal) -> None:
        if not (principal.role == AccessRole.manager and principal.person_id == cycle.manager_id):
            raise DomainError(
                "{role} {person_id} is not {employee_id}'s manager ({manager_id}); "
                "only the rep's manager gives weekly feedback",
                role=principal.role.value,
                person_id=principal.person_id,
                employee_id=cycle.employee_id,
                manager_id=cycle.manager_id,
            )

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
                "the feedback deadline for week {week} ({deadline}) has passed",
                week=cycle.week,
                deadline=cycle.deadlines.feedback_deadline.isoformat(),
            )
        if cycle.report is None:
            raise DomainError(
                "week {week} is not reported yet; feedback opens with the report ({report_at})",
                week=cycle.week,
                report_at=cycle.deadlines.report_at.isoformat(),
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
        if not text.strip():
            raise DomainError("feedback needs a comment for the rep")
        if next_plan is not None:
            settings, _ = self.settings()
            problems = plan_problems(
                next_plan, list(settings.plan_items), cycle.targets.weekly, settings.max_plan_factor
            )
            if problems:
                raise DomainError("next week's plan was not taken: {problems}", problems=problems)
        with self._context(principal, cycle.workflow_id, f"feedback/{key}"):
            cycle.give_feedback(key, principal.person_id, text, next_plan)
        self.app.save(cycle)
        return self.info(cycle)

    def miss_feedback(self, employee_id: str, week: str) -> CycleInfo:
        cycle = self.get(employee_id, week)
        with self._context(None, cycle.workflow_id, "feedback-missed"):
            changed = cycle.miss_feedback()
        if changed:
            self.app.save(cycle)
        return self.info(cycle)

    # -- the month -------------------------------------------------------------------
    def close_month(self, employee_id: str, month: str, workflow_id: str) -> MonthOutcome:
        if period_kind(month) != "month":
            raise DomainError("a month close needs a month 'YYYY-MM', got {month!r}", month=month)
        closed: MonthClose | None = self.app.find(month_close_uuid(employee_id, month))
        if closed is None:
            closed = self._close(employee_id, month, workflow_id)
        return _outcome(closed)

    def _close(self, employee_id: str, month: str, workflow_id: str) -> MonthClose:
        employee = self.s.people.get(employee_id)
        catalog = self.catalog()
        ledger = self.s.ingest.ledger(employee_id)
        measurements = ledger.measurements() if ledger else []

        def value(metric: str, period: str) -> float | None:
            return period_value(measurements, metric, period, self._summed(catalog, metric))

        role = Role(employee.role)
        targets = self.targets(employee_id, employee.team_id, role, month)
        bonus_rules, bonus_version = self.s.policies.in_force(BonusRules)
        commission_rules, commission_version = self.s.policies.in_force(CommissionRules)
        training, training_version = self.s.policies.in_force(TrainingRules)
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
        kpis, kpis_version = self.s.policies.in_force_if_any(KpiWeights)
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
        self.app.save(closed)
        return closed

    def get_month(self, employee_id: str, month: str) -> MonthClose:
        closed: MonthClose | None = self.app.find(month_close_uuid(employee_id, month))
        if closed is None:
            raise NotFoundError(
                "{employee_id}'s month {month} is not closed", employee_id=employee_id, month=month
            )
        return closed

    @staticmethod
    def _context(
        principal: Principal | None, workflow_id: str, step: str, reason: str | None = None
    ) -> AbstractContextManager[EventMeta]:
        return workflow_step(principal, workflow_id, step, reason)


def month_targets_for(targets: Targets, weeks: int) -> dict[str, float]:
    """A month's targets per training-rule metric (see training_rules.TARGETED_METRICS)."""
    return {
        "sales_amount": targets.monthly_sales_target,
        "customer_visits": targets.weekly["customer_visits"] * weeks,
        "new_customers": targets.monthly_new_customers(weeks),
        "retention_rate": targets.retention_target_percent,
    }


def _previous_week(week: str) -> str:
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1) - timedelta(days=7)
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _report_line(
    catalog: MetricCatalog,
    item: str,
    planned: float,
    measurements: list[Measurement],
    week: str,
    summed: bool,
) -> ReportLine:
    actual = period_value(measurements, item, week, summed) or 0.0
    definition = catalog.metrics.get(item)
    label = definition.label if definition else {"en": item, "zh": item}
    higher = definition is None or definition.direction == "higher"
    met = actual >= planned if higher else actual <= planned
    text = Message(
        "{metric}: {actual:,.10g} of {planned:,.10g} planned: {result}",
        metric=dict(label),
        actual=actual,
        planned=planned,
        result=Message("met") if met else Message("not met"),
    )
    return ReportLine(
        item=item,
        label=label,
        planned=planned,
        actual=actual,
        met=met,
        text=in_every_language(text),
    )


def _outcome(closed: MonthClose) -> MonthOutcome:
    assert closed.bonus is not None and closed.commission is not None
    return MonthOutcome(
        employee_id=closed.employee_id,
        manager_id=closed.manager_id,
        month=closed.month,
        bonus=closed.bonus.amount,
        commission=closed.commission.amount,
        currency=closed.bonus.currency,
        recommendations=[
            {
                "rule_id": r.rule_id,
                "course": r.course,
                "alert_manager": "yes" if r.alert_manager else "",
                "reason_en": r.reason["en"],
                "reason_zh": r.reason["zh"],
            }
            for r in closed.recommendations
        ],
    )
