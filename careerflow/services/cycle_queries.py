"""Weekly cycles and month statements for people, from the read model, through the
access rules: a rep's week (plan vs actual, expected pay, rank in the team), a manager's
team board, HR's completion rates and a closed month's bonus statement.

Live figures come from rm_measurement with the same period rules as the Friday report
and the month close (careerflow.services.cycles.period_value), so what a rep sees during
the week is what the report and the close will say on the same data."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, Literal, cast

from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from aggregates.base import DomainError, NotFoundError
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.documents import Measurement, MetricCatalog, PeriodKind, months_back, period_kind
from aggregates.goals import Targets
from aggregates.incentives import (
    BonusInputs,
    BonusResult,
    BonusRules,
    CommissionInputs,
    CommissionResult,
    CommissionRules,
    Line,
    compute_bonus,
    compute_commission,
)
from aggregates.training_rules import Recommendation, RuleCheck
from aggregates.weekly_cycle import ReportLine
from careerflow.messages import Invalid, Message, in_every_language
from careerflow.principal import AccessRole, Principal
from careerflow.services.access import pay_visible, require_visible
from careerflow.services.cycles import SUMMED_UNITS, period_value

FeedbackStatus = Literal["pending", "given", "missed"]
TOP = 3  # "distance to the top 3"
BIG_DEAL_WINDOW_MONTHS = 12
RANK_METRICS = ("sales_amount", "big_client_sales", "big_deals")
PAY_METRICS = (
    "sales_amount",
    "retention_rate",
    "small_deal_sales",
    "big_client_sales",
    "repurchase_sales",
)


# -- response models -----------------------------------------------------------------
class WeekDeadlines(BaseModel):
    plan_deadline: datetime
    report_at: datetime
    feedback_deadline: datetime


class PlanLine(BaseModel):
    """One plan item: the live actual for the week, and the report's figures once built.
    Without a plan yet, the line shows the weekly target and `planned` is None."""

    item: str
    label: dict[str, str]
    target: float | None
    planned: float | None
    actual: float
    met: bool | None
    reported_actual: float | None = None
    reported_met: bool | None = None


class Feedback(BaseModel):
    status: FeedbackStatus
    text: str | None
    by: str | None
    at: datetime | None
    next_plan: dict[str, float] | None


class ExpectedPay(BaseModel):
    """The month so far under the rules in force; bonus and commission are None (and
    `redacted` true) for a viewer who may see the week but not the person's pay."""

    month: str
    sales_target: float
    month_sales: float
    bonus: BonusResult | None
    commission: CommissionResult | None
    redacted: bool


class TeamRank(BaseModel):
    team_id: str
    rank: int
    of: int
    month_sales: float
    third_place_sales: float | None
    gap_to_top3: float
    average_big_deal: float | None
    average_big_deal_source: Literal["own", "team"] | None
    big_deals_to_top3: int | None
    text: dict[str, str]


class RepWeek(BaseModel):
    cycle_id: str
    employee_id: str
    name: str | None
    week: str
    month: str
    manager_id: str | None
    team_id: str
    deadlines: WeekDeadlines
    targets: dict[str, float]
    plan_source: str | None
    plan_at: datetime | None
    plan_late: bool | None
    plan_revisions: int
    lines: list[PlanLine]
    met: int
    total: int
    lagging: bool
    reported: bool
    reported_at: datetime | None
    report: list[ReportLine] | None
    feedback: Feedback
    expected: ExpectedPay
    rank: TeamRank


class BoardRow(BaseModel):
    employee_id: str
    name: str | None
    has_cycle: bool
    planned: bool
    plan_source: str | None
    reported: bool
    met: int | None
    total: int | None
    behind: list[str]
    lagging: bool
    feedback: FeedbackStatus | None


class BoardTotals(BaseModel):
    reps: int = 0
    with_cycle: int = 0
    planned: int = 0
    submitted: int = 0
    agreed: int = 0
    defaulted: int = 0
    not_planned: int = 0
    reported: int = 0
    met: int = 0
    total: int = 0
    lagging: int = 0
    feedback_given: int = 0
    feedback_missed: int = 0
    feedback_pending: int = 0


class TeamBoard(BaseModel):
    manager_id: str
    week: str
    rows: list[BoardRow]
    totals: BoardTotals


class Completion(BaseModel):
    """Counts over the week's cycles; shares are of all cycles (None when there are none)."""

    cycles: int = 0
    plans_submitted: int = 0
    plans_agreed: int = 0
    plans_defaulted: int = 0
    plans_missing: int = 0
    reports_built: int = 0
    feedback_given: int = 0
    feedback_missed: int = 0
    feedback_pending: int = 0
    submitted_share: float | None = None
    agreed_share: float | None = None
    defaulted_share: float | None = None
    reported_share: float | None = None
    feedback_given_share: float | None = None
    feedback_missed_share: float | None = None
    feedback_pending_share: float | None = None


class TeamCompletion(Completion):
    team_id: str
    team_name: str | None


class CompletionRates(BaseModel):
    week: str
    teams: list[TeamCompletion]
    overall: Completion


class BonusFigures(BaseModel):
    rules_version: int | None
    currency: str | None
    amount: float | None
    target_met: bool | None
    inputs: BonusInputs | None
    lines: list[Line] | None


class CommissionFigures(BaseModel):
    rules_version: int | None
    currency: str | None
    amount: float | None
    inputs: CommissionInputs | None
    lines: list[Line] | None


class BonusStatement(BaseModel):
    statement_id: str
    employee_id: str
    name: str | None
    month: str
    manager_id: str | None
    team_id: str
    closed_at: datetime
    ledger_version: int
    targets: Targets
    bonus: BonusFigures
    commission: CommissionFigures
    training_rules_version: int | None
    training_checks: list[RuleCheck]
    recommendations: list[Recommendation]
    redacted: bool


# -- helpers -------------------------------------------------------------------------
def _period(value: str, kind: PeriodKind, example: str) -> str:
    try:
        actual = period_kind(value)
    except Invalid as exc:
        raise DomainError(exc.message) from None
    if actual != kind:
        expected = {
            "month": Message(
                "expected a month like {example!r}, got {value!r}", example=example, value=value
            ),
            "week": Message(
                "expected a week like {example!r}, got {value!r}", example=example, value=value
            ),
            "day": Message(
                "expected a day like {example!r}, got {value!r}", example=example, value=value
            ),
        }
        message = expected[kind]
        raise DomainError(message)
    return value


def _place(rank: int, of: int) -> Message:
    """ "2nd of 5" (第2名（共5人）)."""
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    if suffix == "st":
        return Message("{rank}st of {of}", rank=rank, of=of)
    if suffix == "nd":
        return Message("{rank}nd of {of}", rank=rank, of=of)
    if suffix == "rd":
        return Message("{rank}rd of {of}", rank=rank, of=of)
    return Message("{rank}th of {of}", rank=rank, of=of)


def _fmt(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class _Catalog:
    """The metric catalog in force: labels, which way is better, summed or averaged."""

    def __init__(self, catalog: MetricCatalog | None) -> None:
        self.catalog = catalog

    def summed(self, metric: str) -> bool:
        definition = self.catalog.metrics.get(metric) if self.catalog else None
        return definition is None or definition.unit in SUMMED_UNITS

    def higher(self, metric: str) -> bool:
        definition = self.catalog.metrics.get(metric) if self.catalog else None
        return definition is None or definition.direction == "higher"

    def label(self, metric: str) -> dict[str, str]:
        definition = self.catalog.metrics.get(metric) if self.catalog else None
        return dict(definition.label) if definition else {"en": metric, "zh": metric}


class _Ledger:
    """Measurements of a few people and metrics, with the period rules of the report."""

    def __init__(self, catalog: _Catalog, rows: Iterable[Any]) -> None:
        self.catalog = catalog
        self.by_employee: dict[str, list[Measurement]] = defaultdict(list)
        for r in rows:
            # Already validated when ingested; the read model holds them as recorded.
            self.by_employee[r["employee_id"]].append(
                Measurement.model_construct(
                    employee_id=r["employee_id"],
                    period=r["period"],
                    metric=r["metric"],
                    value=r["value"],
                    item=r["item"] or None,
                    source=r["source"],
                )
            )

    def value(self, employee_id: str, metric: str, period: str) -> float | None:
        return period_value(
            self.by_employee.get(employee_id, []), metric, period, self.catalog.summed(metric)
        )


def _live_lines(
    ledger: _Ledger,
    employee_id: str,
    week: str,
    plan: dict[str, float] | None,
    targets: dict[str, float],
    report: list[ReportLine] | None,
) -> list[PlanLine]:
    reported = {line.item: line for line in report or []}
    items = list(plan) if plan is not None else list(targets)
    lines: list[PlanLine] = []
    for item in items:
        planned = plan.get(item) if plan is not None else None
        actual = ledger.value(employee_id, item, week) or 0.0
        met: bool | None = None
        if planned is not None:
            met = actual >= planned if ledger.catalog.higher(item) else actual <= planned
        line = reported.get(item)
        lines.append(
            PlanLine(
                item=item,
                label=ledger.catalog.label(item),
                target=targets.get(item),
                planned=planned,
                actual=actual,
                met=met,
                reported_actual=line.actual if line else None,
                reported_met=line.met if line else None,
            )
        )
    return lines


class CycleQueries:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    @contextmanager
    def _connection(self) -> Iterator[Connection[DictRow]]:
        with self.pool.connection() as conn:
            yield cast(Connection[DictRow], conn)

    # -- documents in force -------------------------------------------------------------
    @staticmethod
    def _document(conn: Connection[DictRow], kind: str) -> tuple[dict[str, Any], int] | None:
        row = conn.execute(
            "SELECT document, version FROM rm_policy WHERE kind = %s AND key = 'default' "
            "ORDER BY version DESC LIMIT 1",
            (kind,),
        ).fetchone()
        return (row["document"], row["version"]) if row else None

    def _catalog(self, conn: Connection[DictRow]) -> _Catalog:
        found = self._document(conn, "metric_catalog")
        return _Catalog(MetricCatalog.model_validate(found[0]) if found else None)

    @staticmethod
    def _ledger(
        conn: Connection[DictRow],
        catalog: _Catalog,
        employee_ids: list[str],
        metrics: Iterable[str],
        first_period: str,
        last_period: str,
    ) -> _Ledger:
        # A period's first four characters are the year of the month it belongs to (an
        # ISO week's Thursday decides both); the days of a week can sit a year either side.
        first_year = f"{int(first_period[:4]) - 1:04d}"
        last_year = f"{int(last_period[:4]) + 1:04d}"
        rows = conn.execute(
            "SELECT employee_id, period, metric, item, value, source FROM rm_measurement "
            "WHERE employee_id = ANY(%s) AND metric = ANY(%s) "
            "AND left(period, 4) BETWEEN %s AND %s",
            (employee_ids, sorted(set(metrics)), first_year, last_year),
        ).fetchall()
        return _Ledger(catalog, rows)

    @staticmethod
    def _sees_pay(conn: Connection[DictRow], principal: Principal, employee_id: str) -> bool:
        """Pay is for the person, their manager chain and HR (the one rule, in
        careerflow.services.access); auditors and the rest who may see the row get it
        redacted."""
        return pay_visible(conn, principal, employee_id)

    # -- 1. a rep's week ----------------------------------------------------------------
    def rep_week(self, principal: Principal, employee_id: str, week: str) -> RepWeek:
        """Plan vs actual (live), plan source, feedback, expected bonus and commission
        for the month so far, and the rank in the team by month-to-date sales."""
        _period(week, "week", "2026-W48")
        with self._connection() as conn:
            require_visible(conn, principal, employee_id)
            row = conn.execute(
                "SELECT c.*, e.name FROM rm_cycle c LEFT JOIN rm_employee e USING (employee_id) "
                "WHERE c.employee_id = %s AND c.week = %s",
                (employee_id, week),
            ).fetchone()
            if row is None:
                raise NotFoundError(
                    "no weekly cycle for {employee_id} in week {week}",
                    employee_id=employee_id,
                    week=week,
                )
            catalog = self._catalog(conn)
            month = row["month"]
            window = months_back(month, BIG_DEAL_WINDOW_MONTHS)
            targets = Targets.model_validate(row["targets"])
            plan: dict[str, float] | None = row["plan"]
            report = (
                [ReportLine.model_validate(x) for x in row["report"]] if row["report"] else None
            )
            mine = self._ledger(
                conn,
                catalog,
                [employee_id],
                [*(plan or targets.weekly), *PAY_METRICS],
                window[0],
                week,
            )
            pay_visible = self._sees_pay(conn, principal, employee_id)
            expected = self._expected_pay(conn, mine, employee_id, month, targets, pay_visible)
            rank = self._rank(conn, catalog, employee_id, row["team_id"], month, window)
        lines = _live_lines(mine, employee_id, week, plan, targets.weekly, report)
        planned = [line for line in lines if line.met is not None]
        met = sum(1 for line in planned if line.met)
        reported_short = report is not None and row["met"] < row["total"]
        return RepWeek(
            cycle_id=row["cycle_id"],
            employee_id=employee_id,
            name=row["name"],
            week=week,
            month=month,
            manager_id=row["manager_id"],
            team_id=row["team_id"],
            deadlines=WeekDeadlines(
                plan_deadline=row["plan_deadline"],
                report_at=row["report_at"],
                feedback_deadline=row["feedback_deadline"],
            ),
            targets=dict(targets.weekly),
            plan_source=row["plan_source"],
            plan_at=row["plan_at"],
            plan_late=row["plan_late"],
            plan_revisions=row["plan_revisions"],
            lines=lines,
            met=met,
            total=len(planned),
            lagging=met < len(planned) or reported_short,
            reported=report is not None,
            reported_at=row["reported_at"],
            report=report,
            feedback=Feedback(
                status=row["feedback_status"],
                text=row["feedback"],
                by=row["feedback_by"],
                at=row["feedback_at"],
                next_plan=row["next_plan"],
            ),
            expected=expected,
            rank=rank,
        )

    def _expected_pay(
        self,
        conn: Connection[DictRow],
        ledger: _Ledger,
        employee_id: str,
        month: str,
        targets: Targets,
        visible: bool,
    ) -> ExpectedPay:
        def value(metric: str) -> float:
            return max(ledger.value(employee_id, metric, month) or 0.0, 0.0)

        sales = ledger.value(employee_id, "sales_amount", month) or 0.0
        bonus: BonusResult | None = None
        commission: CommissionResult | None = None
        bonus_doc = self._document(conn, "bonus_rules") if visible else None
        commission_doc = self._document(conn, "commission_rules") if visible else None
        if bonus_doc is not None:
            retention = ledger.value(employee_id, "retention_rate", month)
            bonus = compute_bonus(
                BonusRules.model_validate(bonus_doc[0]),
                bonus_doc[1],
                BonusInputs(
                    sales_target=targets.monthly_sales_target,
                    sales_amount=max(sales, 0.0),
                    retention_rate=None if retention is None else min(max(retention, 0.0), 100.0),
                ),
                labels=in_every_language,
            )
        if commission_doc is not None:
            commission = compute_commission(
                CommissionRules.model_validate(commission_doc[0]),
                commission_doc[1],
                CommissionInputs(
                    small_deal_sales=value("small_deal_sales"),
                    big_client_sales=value("big_client_sales"),
                    repurchase_sales=value("repurchase_sales"),
                ),
                labels=in_every_language,
            )
        return ExpectedPay(
            month=month,
            sales_target=targets.monthly_sales_target,
            month_sales=sales,
            bonus=bonus,
            commission=commission,
            redacted=not visible,
        )

    def _rank(
        self,
        conn: Connection[DictRow],
        catalog: _Catalog,
        employee_id: str,
        team_id: str,
        month: str,
        window: list[str],
    ) -> TeamRank:
        # The team's active members, and who of them takes part in the month's cycles;
        # members with neither a cycle nor sales (e.g. the supervisor) are not ranked.
        rows = conn.execute(
            "SELECT e.employee_id, EXISTS (SELECT 1 FROM rm_cycle c "
            "WHERE c.employee_id = e.employee_id AND c.month = %(month)s) AS has_cycle "
            "FROM rm_employee e WHERE e.active AND (e.team_id = %(team)s OR EXISTS "
            "(SELECT 1 FROM rm_cycle c WHERE c.employee_id = e.employee_id "
            "AND c.team_id = %(team)s AND c.month = %(month)s))",
            {"team": team_id, "month": month},
        ).fetchall()
        candidates = {r["employee_id"]: bool(r["has_cycle"]) for r in rows}
        candidates.setdefault(employee_id, True)
        ledger = self._ledger(
            conn, catalog, sorted(candidates), RANK_METRICS, window[0], window[-1]
        )
        sales: dict[str, float] = {}
        for member, has_cycle in candidates.items():
            value = ledger.value(member, "sales_amount", month)
            if has_cycle or value is not None or member == employee_id:
                sales[member] = value or 0.0
        mine = sales[employee_id]
        ordered = sorted(sales.values(), reverse=True)
        rank = 1 + sum(1 for v in ordered if v > mine)
        third = ordered[TOP - 1] if len(ordered) >= TOP else None
        gap = max((third or 0.0) - mine, 0.0) if rank > TOP else 0.0

        def average(members: Iterable[str]) -> float | None:
            amount = deals = 0.0
            for member in members:
                for m in window:
                    amount += ledger.value(member, "big_client_sales", m) or 0.0
                    deals += ledger.value(member, "big_deals", m) or 0.0
            return amount / deals if deals > 0 and amount > 0 else None

        source: Literal["own", "team"] | None = None
        avg = average([employee_id])
        if avg is not None:
            source = "own"
        else:
            avg = average(sales)
            source = "team" if avg is not None else None
        deals_needed: int | None = 0 if gap == 0 else None
        if gap > 0 and avg is not None:
            # Rounded first so that 2.0000000001 deals stays 2.
            deals_needed = math.ceil(round(gap / avg, 9))
        if gap == 0:
            tail = Message("in the top 3")
        elif deals_needed == 1:
            tail = Message("{deals} big deal from the top 3", deals=deals_needed)
        elif deals_needed is not None:
            tail = Message("{deals} big deals from the top 3", deals=deals_needed)
        else:
            tail = Message("{gap} from the top 3", gap=_fmt(gap))
        return TeamRank(
            team_id=team_id,
            rank=rank,
            of=len(sales),
            month_sales=mine,
            third_place_sales=third,
            gap_to_top3=gap,
            average_big_deal=None if avg is None else round(avg, 2),
            average_big_deal_source=source,
            big_deals_to_top3=deals_needed,
            text=in_every_language(
                Message("{place}; {tail}", place=_place(rank, len(sales)), tail=tail)
            ),
        )

    # -- 2. a manager's team board ------------------------------------------------------
    def team_board(self, principal: Principal, manager_id: str, week: str) -> TeamBoard:
        """One row per rep reporting to `manager_id`: planned (and how), plan vs actual,
        who lags, feedback; reps in the cycle's roles without a cycle show as such."""
        principal.require(
            AccessRole.manager,
            AccessRole.hr,
            AccessRole.auditor,
            AccessRole.system,
            action=Message("see a team's weekly board"),
        )
        _period(week, "week", "2026-W48")
        with self._connection() as conn:
            require_visible(conn, principal, manager_id)
            cycles = conn.execute(
                "SELECT c.*, e.name FROM rm_cycle c LEFT JOIN rm_employee e USING (employee_id) "
                "WHERE c.week = %s AND c.manager_id = %s ORDER BY c.employee_id",
                (week, manager_id),
            ).fetchall()
            settings_doc = self._document(conn, "weekly_cycle")
            settings = (
                WeeklyCycleSettings.model_validate(settings_doc[0])
                if settings_doc
                else WeeklyCycleSettings()
            )
            sunday = date.fromisocalendar(int(week[:4]), int(week[6:]), 7)
            missing = conn.execute(
                "SELECT e.employee_id, e.name FROM rm_employee e WHERE e.manager_id = %s "
                "AND e.active AND e.role = ANY(%s) AND e.hire_date <= %s AND NOT EXISTS "
                "(SELECT 1 FROM rm_cycle c WHERE c.employee_id = e.employee_id AND c.week = %s)",
                (manager_id, [r.value for r in settings.roles], sunday, week),
            ).fetchall()
            catalog = self._catalog(conn)
            items = {item for c in cycles for item in (c["plan"] or {})}
            ledger = self._ledger(
                conn, catalog, [c["employee_id"] for c in cycles], items, week, week
            )
        rows = [self._board_row(ledger, c) for c in cycles]
        rows += [
            BoardRow(
                employee_id=m["employee_id"],
                name=m["name"],
                has_cycle=False,
                planned=False,
                plan_source=None,
                reported=False,
                met=None,
                total=None,
                behind=[],
                lagging=False,
                feedback=None,
            )
            for m in missing
        ]
        rows.sort(key=lambda r: r.employee_id)
        return TeamBoard(manager_id=manager_id, week=week, rows=rows, totals=_totals(rows))

    @staticmethod
    def _board_row(ledger: _Ledger, c: Any) -> BoardRow:
        plan: dict[str, float] | None = c["plan"]
        met: int | None = None
        total: int | None = None
        behind: list[str] = []
        if c["report"] is not None:
            report = [ReportLine.model_validate(x) for x in c["report"]]
            behind = [line.item for line in report if not line.met]
            met, total = c["met"], c["total"]
        elif plan is not None:
            lines = _live_lines(ledger, c["employee_id"], c["week"], plan, {}, None)
            behind = [line.item for line in lines if not line.met]
            met, total = len(lines) - len(behind), len(lines)
        return BoardRow(
            employee_id=c["employee_id"],
            name=c["name"],
            has_cycle=True,
            planned=plan is not None,
            plan_source=c["plan_source"],
            reported=c["report"] is not None,
            met=met,
            total=total,
            behind=behind,
            lagging=bool(behind),
            feedback=c["feedback_status"],
        )

    # -- 3. HR's completion rates -------------------------------------------------------
    def completion_rates(self, principal: Principal, week: str) -> CompletionRates:
        """Per team and overall: plans submitted by the rep vs agreed vs defaulted,
        reports built, feedback given vs missed vs pending."""
        principal.require(
            AccessRole.hr, AccessRole.auditor, action=Message("see cycle completion rates")
        )
        _period(week, "week", "2026-W48")
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT c.team_id, t.name AS team_name, count(*) AS cycles, "
                "count(*) FILTER (WHERE c.plan_source = 'submitted') AS plans_submitted, "
                "count(*) FILTER (WHERE c.plan_source = 'agreed') AS plans_agreed, "
                "count(*) FILTER (WHERE c.plan_source = 'defaulted') AS plans_defaulted, "
                "count(*) FILTER (WHERE c.plan_source IS NULL) AS plans_missing, "
                "count(*) FILTER (WHERE c.report IS NOT NULL) AS reports_built, "
                "count(*) FILTER (WHERE c.feedback_status = 'given') AS feedback_given, "
                "count(*) FILTER (WHERE c.feedback_status = 'missed') AS feedback_missed, "
                "count(*) FILTER (WHERE c.feedback_status = 'pending') AS feedback_pending "
                "FROM rm_cycle c LEFT JOIN rm_team t USING (team_id) WHERE c.week = %s "
                "GROUP BY c.team_id, t.name ORDER BY c.team_id",
                (week,),
            ).fetchall()
        teams = [
            TeamCompletion(team_id=r["team_id"], team_name=r["team_name"], **_completion(r))
            for r in rows
        ]
        overall = {k: sum(getattr(t, k) for t in teams) for k in _COUNTS}
        return CompletionRates(week=week, teams=teams, overall=Completion(**_completion(overall)))

    # -- 4. a closed month's statement --------------------------------------------------
    def bonus_statement(self, principal: Principal, employee_id: str, month: str) -> BonusStatement:
        """Bonus and commission with their derivation, inputs, targets and rule versions,
        and the training recommendations; pay redacted for viewers who may not see it."""
        _period(month, "month", "2026-11")
        with self._connection() as conn:
            require_visible(conn, principal, employee_id)
            row = conn.execute(
                "SELECT s.*, e.name FROM rm_month_statement s "
                "LEFT JOIN rm_employee e USING (employee_id) "
                "WHERE s.employee_id = %s AND s.month = %s",
                (employee_id, month),
            ).fetchone()
            if row is None:
                raise NotFoundError(
                    "{employee_id}'s month {month} is not closed",
                    employee_id=employee_id,
                    month=month,
                )
            visible = self._sees_pay(conn, principal, employee_id)

        def shown(value: Any) -> Any:
            return value if visible else None

        return BonusStatement(
            statement_id=row["statement_id"],
            employee_id=employee_id,
            name=row["name"],
            month=month,
            manager_id=row["manager_id"],
            team_id=row["team_id"],
            closed_at=row["closed_at"],
            ledger_version=row["ledger_version"],
            targets=Targets.model_validate(row["targets"]),
            bonus=BonusFigures(
                rules_version=row["bonus_rules_version"],
                currency=row["bonus_currency"],
                amount=shown(row["bonus_amount"]),
                target_met=shown(row["bonus_target_met"]),
                inputs=shown(row["bonus_inputs"]),
                lines=shown(row["bonus_lines"]),
            ),
            commission=CommissionFigures(
                rules_version=row["commission_rules_version"],
                currency=row["commission_currency"],
                amount=shown(row["commission_amount"]),
                inputs=shown(row["commission_inputs"]),
                lines=shown(row["commission_lines"]),
            ),
            training_rules_version=row["training_rules_version"],
            training_checks=row["training_checks"],
            recommendations=row["recommendations"],
            redacted=not visible,
        )


_COUNTS = (
    "cycles",
    "plans_submitted",
    "plans_agreed",
    "plans_defaulted",
    "plans_missing",
    "reports_built",
    "feedback_given",
    "feedback_missed",
    "feedback_pending",
)


def _completion(counts: Any) -> dict[str, Any]:
    c = {k: int(counts[k]) for k in _COUNTS}
    n = c["cycles"]
    return {
        **c,
        "submitted_share": _share(c["plans_submitted"], n),
        "agreed_share": _share(c["plans_agreed"], n),
        "defaulted_share": _share(c["plans_defaulted"], n),
        "reported_share": _share(c["reports_built"], n),
        "feedback_given_share": _share(c["feedback_given"], n),
        "feedback_missed_share": _share(c["feedback_missed"], n),
        "feedback_pending_share": _share(c["feedback_pending"], n),
    }


def _totals(rows: list[BoardRow]) -> BoardTotals:
    t = BoardTotals(reps=len(rows))
    for r in rows:
        t.with_cycle += r.has_cycle
        t.planned += r.planned
        t.submitted += r.plan_source == "submitted"
        t.agreed += r.plan_source == "agreed"
        t.defaulted += r.plan_source == "defaulted"
        t.not_planned += not r.planned
        t.reported += r.reported
        t.met += r.met or 0
        t.total += r.total or 0
        t.lagging += r.lagging
        t.feedback_given += r.feedback == "given"
        t.feedback_missed += r.feedback == "missed"
        t.feedback_pending += r.feedback == "pending"
    return t
