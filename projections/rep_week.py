"""A rep's week from the read model, through the access rules: plan vs actual (live),
plan source, feedback, the expected bonus and commission for the month so far, and the
rank in the team by month-to-date sales."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from psycopg import Connection
from psycopg.rows import DictRow
from pydantic import BaseModel

from aggregates.calendar_periods import months_back
from aggregates.goals import Targets
from aggregates.incentives import (
    BonusInputs,
    BonusResult,
    BonusRules,
    CommissionInputs,
    CommissionResult,
    CommissionRules,
    compute_bonus,
    compute_commission,
)
from aggregates.not_found import no_weekly_cycle
from aggregates.weekly_cycle_rules import ReportLine
from careerflow.principal import Principal
from projections.cycle_reads import (
    Catalog,
    CycleReads,
    FeedbackStatus,
    Ledger,
    PlanLine,
    checked_period,
    live_lines,
)
from projections.visibility import require_visible
from words.catalogue import in_every_language
from words.messages import Message

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


class WeekDeadlines(BaseModel):
    plan_deadline: datetime
    report_at: datetime
    feedback_deadline: datetime


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


class RepWeekQueries(CycleReads):
    # -- 1. a rep's week ----------------------------------------------------------------
    def rep_week(self, principal: Principal, employee_id: str, week: str) -> RepWeek:
        """Plan vs actual (live), plan source, feedback, expected bonus and commission
        for the month so far, and the rank in the team by month-to-date sales."""
        checked_period(week, "week", "2026-W48")
        with self._connection() as conn:
            require_visible(conn, principal, employee_id)
            row = conn.execute(
                "SELECT c.*, e.name FROM rm_cycle c LEFT JOIN rm_employee e USING (employee_id) "
                "WHERE c.employee_id = %s AND c.week = %s",
                (employee_id, week),
            ).fetchone()
            if row is None:
                raise no_weekly_cycle(employee_id, week)
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
        lines = live_lines(mine, employee_id, week, plan, targets.weekly, report)
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
        ledger: Ledger,
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
        catalog: Catalog,
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
