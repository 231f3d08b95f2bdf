"""Unit tests of the goal cascade (seed 001): company +30% -> team +25% -> individual +20%,
per-person emphasis, baselines from the ledger's monthly sales and the role default."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from aggregates.goals import (
    WEEKS_PER_MONTH,
    Emphasis,
    GoalCascade,
    baseline_from,
    derive_targets,
    weeks_of_month,
)
from aggregates.ladder import Role

SEED = GoalCascade()
LAST_YEAR = {f"2025-{m:02d}": 100_000.0 for m in range(1, 13)}


def test_seed_cascade_numbers() -> None:
    assert SEED.kind == "goal_cascade"
    assert SEED.company_growth_percent == 30
    assert SEED.team_growth_percent == 25
    assert SEED.individual_growth_percent == 20
    assert SEED.weekly_visits == 10
    assert SEED.new_customer_share_percent == 40
    assert SEED.retention_target_percent == 75


def test_individual_growth_on_the_previous_years_monthly_mean() -> None:
    sales = {**LAST_YEAR, "2025-06": 160_000.0, "2025-07": 40_000.0}  # mean still 100,000
    t = derive_targets(SEED, 1, "E1", "T1", Role.sales_rep, "2026-03", sales)
    assert t.baseline.source == "previous_year"
    assert t.baseline.monthly_sales == 100_000
    assert t.baseline.months == sorted(LAST_YEAR)
    assert t.growth_percent == 20
    assert t.monthly_sales_target == 120_000  # +20%
    assert t.cascade_version == 1
    assert t.period == "2026-03"
    assert t.retention_target_percent == 75


def test_current_year_months_do_not_move_the_baseline() -> None:
    sales = {**LAST_YEAR, "2026-01": 900_000.0, "2026-02": 900_000.0}
    t = derive_targets(SEED, 1, "E1", "T1", Role.sales_rep, "2026-03", sales)
    assert t.baseline.monthly_sales == 100_000
    assert t.monthly_sales_target == 120_000


def test_weekly_targets_spread_the_month_and_take_the_new_customer_share() -> None:
    t = derive_targets(SEED, 3, "E1", "T1", Role.sales_rep, "2026-W10", LAST_YEAR)
    assert t.cascade_version == 3
    assert t.weekly["customer_visits"] == 10
    assert t.weekly["new_customers"] == 4  # 40% of 10 visits
    assert t.weekly["sales_amount"] == pytest.approx(120_000 / WEEKS_PER_MONTH, abs=0.01)
    assert t.monthly_new_customers(4) == 16


def test_partial_previous_year_is_averaged_over_its_own_months() -> None:
    b = baseline_from({"2025-11": 50_000.0, "2025-12": 70_000.0}, 2026, Role.sales_rep, SEED)
    assert b.source == "previous_year"
    assert b.monthly_sales == 60_000
    assert b.months == ["2025-11", "2025-12"]


def test_older_history_when_the_previous_year_is_empty() -> None:
    sales = {f"2023-{m:02d}": 10_000.0 * m for m in range(1, 13)}
    sales["2022-12"] = 999_999.0  # the 13th month back is not used
    b = baseline_from(sales, 2025, Role.sales_rep, SEED)
    assert b.source == "recent_months"
    assert b.months == [f"2023-{m:02d}" for m in range(1, 13)]
    assert b.monthly_sales == 65_000


def test_person_emphasis_overrides_team_and_company() -> None:
    cascade = GoalCascade(
        new_customer_share_percent=30,
        retention_target_percent=70,
        teams={
            "T1": Emphasis(
                new_customer_share_percent=20, retention_target_percent=60, growth_percent=25
            )
        },
        people={
            "E_NEW": Emphasis(new_customer_share_percent=40),
            "E_KEEP": Emphasis(retention_target_percent=80),
        },
    )
    hunter = derive_targets(cascade, 2, "E_NEW", "T1", Role.sales_rep, "2026-W10", LAST_YEAR)
    assert hunter.weekly["new_customers"] == 4  # the person's 40%, not the team's 20%
    assert hunter.retention_target_percent == 60  # inherited from the team
    assert hunter.growth_percent == 25  # the team's growth

    keeper = derive_targets(cascade, 2, "E_KEEP", "T1", Role.sales_rep, "2026-W10", LAST_YEAR)
    assert keeper.retention_target_percent == 80  # the person's 80%
    assert keeper.weekly["new_customers"] == 2  # the team's 20%

    other_team = derive_targets(cascade, 2, "E_X", "T2", Role.sales_rep, "2026-W10", LAST_YEAR)
    assert other_team.weekly["new_customers"] == 3  # the company's 30%
    assert other_team.retention_target_percent == 70
    assert other_team.growth_percent == 20


def test_emphasis_for_merges_layers() -> None:
    cascade = GoalCascade(
        teams={"T1": Emphasis(weekly_visits=12)},
        people={"E1": Emphasis(growth_percent=0, new_customer_share_percent=40)},
    )
    e = cascade.emphasis_for("E1", "T1")
    assert e == Emphasis(
        growth_percent=0,
        new_customer_share_percent=40,
        retention_target_percent=75,
        weekly_visits=12,
    )
    assert cascade.emphasis_for("E9", None).weekly_visits == 10


def test_zero_growth_for_a_person_is_kept_not_inherited() -> None:
    cascade = GoalCascade(people={"E1": Emphasis(growth_percent=0)})
    t = derive_targets(cascade, 1, "E1", "T1", Role.sales_rep, "2026-03", LAST_YEAR)
    assert t.growth_percent == 0
    assert t.monthly_sales_target == 100_000


def test_new_hire_gets_the_role_default() -> None:
    t = derive_targets(SEED, 1, "E_NEW", "T1", Role.sales_rep, "2026-03", {})
    assert t.baseline.source == "role_default"
    assert t.baseline.months == []
    assert t.baseline.monthly_sales == 80_000
    assert t.monthly_sales_target == 96_000
    senior = derive_targets(SEED, 1, "E_NEW", "T1", Role.senior_sales_rep, "2026-03", {})
    assert senior.monthly_sales_target == 144_000


def test_history_only_after_the_target_year_starts_is_not_a_baseline() -> None:
    b = baseline_from({"2026-01": 500_000.0}, 2026, Role.sales_rep, SEED)
    assert b.source == "role_default"


def test_targets_are_per_week_or_month_not_per_day() -> None:
    with pytest.raises(ValueError, match="per week or month, not per day"):
        derive_targets(SEED, 1, "E1", "T1", Role.sales_rep, "2026-03-02", LAST_YEAR)


def test_cascade_validation() -> None:
    with pytest.raises(ValidationError):
        GoalCascade(new_customer_share_percent=140)
    with pytest.raises(ValidationError):
        GoalCascade(weekly_visits=-1)
    with pytest.raises(ValidationError, match="default_monthly_sales"):
        GoalCascade(default_monthly_sales={Role.sales_rep: -5.0})
    with pytest.raises(ValidationError, match="default_monthly_sales"):
        GoalCascade(default_monthly_sales={Role.sales_rep: float("nan")})
    with pytest.raises(ValidationError):
        GoalCascade(people={"E1": Emphasis(retention_target_percent=120)})
    with pytest.raises(ValidationError):
        GoalCascade.model_validate({"surprise": 1})


def test_cascade_round_trips_as_json() -> None:
    cascade = GoalCascade(people={"E1": Emphasis(new_customer_share_percent=40)})
    assert GoalCascade.model_validate(cascade.model_dump(mode="json")) == cascade


def test_weeks_of_month_by_their_thursday() -> None:
    assert weeks_of_month("2026-03") == ["2026-W10", "2026-W11", "2026-W12", "2026-W13"]
    # 2026-01-01 is a Thursday: week 1 is January's; 2026-W05's Thursday is 29 January.
    assert weeks_of_month("2026-01") == [f"2026-W{w:02d}" for w in range(1, 6)]
    # 2027-01-01 is a Friday: its week is 2026-W53, which belongs to December 2026.
    assert weeks_of_month("2026-12")[-1] == "2026-W53"
    assert weeks_of_month("2027-01")[0] == "2027-W01"
    with pytest.raises(ValueError, match="expected a month"):
        weeks_of_month("2026-W10")


def test_half_a_new_customer_rounds_the_same_way_every_time() -> None:
    def new_customers(share: float) -> float:
        cascade = GoalCascade(new_customer_share_percent=share)
        t = derive_targets(cascade, 1, "E1", "T1", Role.sales_rep, "2026-W10", LAST_YEAR)
        return t.weekly["new_customers"]

    assert [new_customers(s) for s in (15, 25, 35, 45)] == [2, 3, 4, 5]
