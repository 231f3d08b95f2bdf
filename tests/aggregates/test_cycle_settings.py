"""Unit tests of the weekly cycle's calendar document and of weekly plan validation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from aggregates.cycle_settings import WeeklyCycleSettings, WeekTime, plan_problems
from aggregates.ladder import Role
from words.messages import Message

SETTINGS = WeeklyCycleSettings()
TARGETS = {"customer_visits": 10.0, "new_customers": 4.0, "sales_amount": 27_692.31}
GOOD = {"customer_visits": 10.0, "new_customers": 4.0, "sales_amount": 30_000.0}


def english(problems: list[Message]) -> list[str]:
    """The problems as their English text (they are Messages, said in any language)."""
    return [str(problem) for problem in problems]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --------------------------------------------------------------------------- settings


def test_seed_settings() -> None:
    assert SETTINGS.kind == "weekly_cycle"
    assert SETTINGS.time_zone == "Asia/Shanghai"
    assert SETTINGS.roles == [Role.sales_rep, Role.senior_sales_rep]
    assert SETTINGS.plan_items == ["customer_visits", "new_customers", "sales_amount"]
    assert SETTINGS.plan_deadline.label() == "Mon 18:00"
    assert SETTINGS.report_at.label() == "Fri 18:00"
    assert SETTINGS.feedback_deadline.label() == "next Mon 08:00"


def test_at_converts_the_local_moment_to_utc_in_shanghai() -> None:
    # 2026-W10 starts on Monday 2 March 2026; Shanghai is UTC+8 all year.
    assert SETTINGS.at("2026-W10", SETTINGS.week_starts) == utc(2026, 3, 2, 0)
    assert SETTINGS.at("2026-W10", SETTINGS.plan_deadline) == utc(2026, 3, 2, 10)
    assert SETTINGS.at("2026-W10", SETTINGS.report_at) == utc(2026, 3, 6, 10)
    assert SETTINGS.at("2026-W10", SETTINGS.feedback_reminder) == utc(2026, 3, 8, 4)
    # Next Monday 08:00 local is Monday 00:00 UTC.
    assert SETTINGS.at("2026-W10", SETTINGS.feedback_deadline) == utc(2026, 3, 9, 0)
    # A moment before 08:00 local falls on the previous UTC day.
    assert SETTINGS.at("2026-W10", WeekTime(day=0, hour=7, minute=30)) == utc(2026, 3, 1, 23, 30)
    assert SETTINGS.at("2026-W10", SETTINGS.plan_deadline).tzinfo is not None


def test_at_across_a_year_boundary() -> None:
    # 2026-W53 runs Monday 28 December 2026 .. Sunday 3 January 2027.
    assert SETTINGS.at("2026-W53", SETTINGS.report_at) == utc(2027, 1, 1, 10)
    assert SETTINGS.at("2026-W53", SETTINGS.feedback_deadline) == utc(2027, 1, 4, 0)


def test_at_keeps_the_wall_clock_across_daylight_saving() -> None:
    berlin = WeeklyCycleSettings(time_zone="Europe/Berlin")
    # 2026-W13: Mon 23 March (CET, UTC+1); clocks go forward on Sunday 29 March (CEST).
    assert berlin.at("2026-W13", berlin.week_starts) == utc(2026, 3, 23, 7)
    assert berlin.at("2026-W13", berlin.feedback_deadline) == utc(2026, 3, 30, 6)


def test_week_of_and_local_date_use_the_company_clock() -> None:
    # Sunday 17:00 UTC is already Monday 01:00 in Shanghai.
    now = utc(2026, 3, 1, 17)
    assert SETTINGS.week_of(now) == "2026-W10"
    assert SETTINGS.local_date(now) == date(2026, 3, 2)
    assert WeeklyCycleSettings(time_zone="UTC").week_of(now) == "2026-W09"


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"unknown time zone 'Mars/Olympus_Mons'"):
        WeeklyCycleSettings(time_zone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError, match="unknown time zone"):
        WeeklyCycleSettings(time_zone="../etc/passwd")


def test_the_weeks_moments_must_be_in_order() -> None:
    with pytest.raises(
        ValidationError, match=r"plan_deadline \(Mon 10:00\) must come after plan_reminder"
    ):
        WeeklyCycleSettings(plan_deadline=WeekTime(day=0, hour=10))
    with pytest.raises(
        ValidationError, match=r"report_at \(Mon 18:00\) must come after plan_deadline"
    ):
        WeeklyCycleSettings(report_at=WeekTime(day=0, hour=18))  # equal is not after
    with pytest.raises(ValidationError, match=r"feedback_deadline .* must come after"):
        WeeklyCycleSettings(feedback_deadline=WeekTime(day=6, hour=11))


def test_other_settings_are_validated() -> None:
    with pytest.raises(ValidationError, match="repeats an item"):
        WeeklyCycleSettings(plan_items=["customer_visits", "customer_visits"])
    with pytest.raises(ValidationError):
        WeeklyCycleSettings.model_validate({"plan_items": ["lunches"]})
    with pytest.raises(ValidationError):
        WeeklyCycleSettings(roles=[])
    with pytest.raises(ValidationError):
        WeeklyCycleSettings(max_plan_factor=1)
    with pytest.raises(ValidationError):
        WeekTime(day=8, hour=0)
    with pytest.raises(ValidationError):
        WeekTime(day=1, hour=24)


def test_settings_round_trip_as_json() -> None:
    settings = WeeklyCycleSettings(time_zone="Europe/Berlin", batch_size=50)
    assert WeeklyCycleSettings.model_validate(settings.model_dump(mode="json")) == settings


# --------------------------------------------------------------------------- plans


def check(
    items: dict[str, float],
    targets: dict[str, float] = TARGETS,
    settings: WeeklyCycleSettings = SETTINGS,
) -> list[str]:
    return english(
        plan_problems(items, list(settings.plan_items), targets, settings.max_plan_factor)
    )


def problems(**changes: float) -> list[str]:
    return check({**GOOD, **changes})


def test_a_sane_plan_has_no_problems() -> None:
    assert check(GOOD) == []
    zero = {"customer_visits": 0.0, "new_customers": 0.0, "sales_amount": 0.0}
    assert check(zero) == []


def test_negative_numbers() -> None:
    assert problems(customer_visits=-3) == [
        "customer_visits: -3 is negative; plan zero or more",
        "new_customers (4) cannot exceed customer_visits (-3): "
        "new customers are among the customers visited",
    ]
    assert problems(sales_amount=-100) == ["sales_amount: -100 is negative; plan zero or more"]


def test_fractional_counts() -> None:
    assert problems(customer_visits=10.5) == ["customer_visits: 10.5 is not a whole number"]
    assert problems(new_customers=2.25) == ["new_customers: 2.25 is not a whole number"]
    assert problems(sales_amount=30_000.5) == []  # money may have cents


def test_unknown_items() -> None:
    assert problems(lunches=3) == [
        "lunches is not a weekly plan item; items: customer_visits, new_customers, sales_amount"
    ]


def test_missing_items() -> None:
    assert check({"customer_visits": 10.0}) == [
        "the plan needs a number for new_customers, sales_amount"
    ]


def test_more_new_customers_than_visits() -> None:
    assert problems(customer_visits=3, new_customers=4) == [
        "new_customers (4) cannot exceed customer_visits (3): "
        "new customers are among the customers visited"
    ]


def test_absurd_numbers() -> None:
    assert problems(customer_visits=50) == []  # exactly 5x the target is allowed
    assert problems(customer_visits=500) == [
        "customer_visits: 500 is more than 5× the target 10; check the number"
    ]
    assert problems(sales_amount=3_000_000) == [
        "sales_amount: 3e+06 is more than 5× the target 27692.3; check the number"
    ]
    # A zero target still allows a handful: the ceiling is 5 x max(target, 1).
    assert check(GOOD, {**TARGETS, "new_customers": 0.0}) == []
    assert check({**GOOD, "new_customers": 6.0}, {**TARGETS, "new_customers": 0.0}) == [
        "new_customers: 6 is more than 5× the target 0; check the number"
    ]


def test_not_a_number() -> None:
    assert problems(sales_amount=float("nan")) == ["sales_amount: nan is not a number"]
    assert problems(sales_amount=float("inf")) == ["sales_amount: inf is not a number"]


def test_every_problem_is_reported_at_once() -> None:
    got = check({"customer_visits": -1.0, "new_customers": 1.5, "lunches": 1.0})
    assert got == [
        "the plan needs a number for sales_amount",
        "lunches is not a weekly plan item; items: customer_visits, new_customers, sales_amount",
        "customer_visits: -1 is negative; plan zero or more",
        "new_customers: 1.5 is not a whole number",
        "new_customers (1.5) cannot exceed customer_visits (-1): "
        "new customers are among the customers visited",
    ]


def test_plan_items_follow_the_settings() -> None:
    visits_only = WeeklyCycleSettings(plan_items=["customer_visits"])
    assert check({"customer_visits": 8.0}, settings=visits_only) == []
    assert check(GOOD, settings=visits_only) == [
        "new_customers, sales_amount is not a weekly plan item; items: customer_visits"
    ]
