"""The goal cascade (seed 001) as a versioned policy document, and the targets it gives
each rep: company annual growth +30% -> sales team +25% -> individual +20%, with
per-person emphasis (a larger new-customer share, a higher retention target).

A rep's monthly sales target is their baseline (the mean monthly sales of the previous
calendar year, from the metric ledger) grown by their individual growth; weekly targets
are the monthly target spread over 52/12 weeks plus the activity targets (visits, the
new-customer share of them). Every target names the cascade version it came from."""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from aggregates.calendar_periods import month_of, period_kind
from aggregates.document_types import Frozen
from aggregates.ladder import Role
from words.messages import Invalid

WEEKS_PER_MONTH = 52 / 12


class Emphasis(Frozen):
    """A person's (or team's) own weighting of the cascade; unset fields inherit."""

    growth_percent: float | None = Field(default=None, ge=-100, le=500)
    new_customer_share_percent: float | None = Field(default=None, ge=0, le=100)
    retention_target_percent: float | None = Field(default=None, ge=0, le=100)
    weekly_visits: int | None = Field(default=None, ge=0, le=200)


class GoalCascade(Frozen):
    kind: Literal["goal_cascade"] = "goal_cascade"
    company_growth_percent: float = Field(default=30, ge=-100, le=500)
    team_growth_percent: float = Field(default=25, ge=-100, le=500)
    individual_growth_percent: float = Field(default=20, ge=-100, le=500)
    weekly_visits: int = Field(default=10, ge=0, le=200)
    new_customer_share_percent: float = Field(default=40, ge=0, le=100)
    retention_target_percent: float = Field(default=75, ge=0, le=100)
    # Used when a rep has no sales history yet (a new hire), per ladder role.
    default_monthly_sales: dict[Role, float] = Field(
        default_factory=lambda: {
            Role.sales_rep: 80_000.0,
            Role.senior_sales_rep: 120_000.0,
            Role.sales_supervisor: 150_000.0,
            Role.sales_manager: 200_000.0,
        }
    )
    teams: dict[str, Emphasis] = Field(default_factory=dict)
    people: dict[str, Emphasis] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> GoalCascade:
        for role, amount in self.default_monthly_sales.items():
            if not math.isfinite(amount) or amount < 0:
                raise Invalid(
                    "default_monthly_sales.{role}: must be a non-negative amount", role=role.value
                )
        return self

    def emphasis_for(self, employee_id: str, team_id: str | None) -> Emphasis:
        """The person's settings over the team's over the company's."""
        layers = [self.teams.get(team_id or ""), self.people.get(employee_id)]
        merged: dict[str, object] = {
            "growth_percent": self.individual_growth_percent,
            "new_customer_share_percent": self.new_customer_share_percent,
            "retention_target_percent": self.retention_target_percent,
            "weekly_visits": self.weekly_visits,
        }
        for layer in layers:
            if layer is None:
                continue
            merged.update({k: v for k, v in layer.model_dump().items() if v is not None})
        return Emphasis.model_validate(merged)


class Baseline(Frozen):
    """What a sales target was grown from: the months of the ledger it averaged."""

    monthly_sales: float
    source: Literal["previous_year", "recent_months", "role_default"]
    months: list[str] = Field(default_factory=list)


class Targets(Frozen):
    """One rep's targets for one period, with the cascade version and inputs they used."""

    employee_id: str
    period: str
    cascade_version: int
    baseline: Baseline
    growth_percent: float
    monthly_sales_target: float
    retention_target_percent: float
    weekly: dict[str, float]
    """Weekly plan defaults: customer_visits, new_customers, sales_amount."""

    def monthly_new_customers(self, weeks_in_month: int) -> float:
        return self.weekly["new_customers"] * weeks_in_month


def baseline_from(
    monthly_sales: dict[str, float], year: int, role: Role, cascade: GoalCascade
) -> Baseline:
    """The previous calendar year's mean monthly sales; failing that the months on record
    before `year`; failing that the role's default."""
    previous = sorted(m for m in monthly_sales if m.startswith(f"{year - 1}-"))
    if previous:
        mean = math.fsum(monthly_sales[m] for m in previous) / len(previous)
        return Baseline(monthly_sales=round(mean, 2), source="previous_year", months=previous)
    earlier = sorted(m for m in monthly_sales if m < f"{year}-01")[-12:]
    if earlier:
        mean = math.fsum(monthly_sales[m] for m in earlier) / len(earlier)
        return Baseline(monthly_sales=round(mean, 2), source="recent_months", months=earlier)
    return Baseline(
        monthly_sales=cascade.default_monthly_sales.get(role, 0.0), source="role_default"
    )


def derive_targets(
    cascade: GoalCascade,
    cascade_version: int,
    employee_id: str,
    team_id: str | None,
    role: Role,
    period: str,
    monthly_sales: dict[str, float],
) -> Targets:
    """Targets for `period` (a week or a month) from the ledger's monthly sales."""
    if period_kind(period) == "day":
        raise ValueError(f"targets are set per week or month, not per day ({period!r})")
    year = int(month_of(period)[:4])
    emphasis = cascade.emphasis_for(employee_id, team_id)
    growth = emphasis.growth_percent if emphasis.growth_percent is not None else 0.0
    baseline = baseline_from(monthly_sales, year, role, cascade)
    monthly = round(baseline.monthly_sales * (1 + growth / 100), 2)
    visits = emphasis.weekly_visits or 0
    share = emphasis.new_customer_share_percent or 0.0
    return Targets(
        employee_id=employee_id,
        period=period,
        cascade_version=cascade_version,
        baseline=baseline,
        growth_percent=growth,
        monthly_sales_target=monthly,
        retention_target_percent=emphasis.retention_target_percent or 0.0,
        weekly={
            "customer_visits": float(visits),
            # Half a customer rounds up, always (round() would go to the even number).
            "new_customers": float(math.floor(visits * share / 100 + 0.5)),
            "sales_amount": round(monthly / WEEKS_PER_MONTH, 2),
        },
    )


def weeks_of_month(month: str) -> list[str]:
    """The ISO weeks that belong to `month` (by their Thursday), in order."""
    if period_kind(month) != "month":
        raise ValueError(f"expected a month 'YYYY-MM', got {month!r}")
    year, mon = int(month[:4]), int(month[5:])
    day = date(year, mon, 1)
    weeks: list[str] = []
    while day.month == mon:
        iso = day.isocalendar()
        week = f"{iso.year}-W{iso.week:02d}"
        if month_of(week) == month and week not in weeks:
            weeks.append(week)
        day = date.fromordinal(day.toordinal() + 1)
    return weeks
