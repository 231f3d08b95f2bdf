"""Which periods HR may launch by hand: the rule every face reaches through
CycleProcessService.check_launch (pure, no servers)."""

from __future__ import annotations

import pytest

from aggregates.calendar_periods import period_problem
from aggregates.cycle_launch import CycleLaunch, launch_refusal

NOW_WEEK, NOW_MONTH = "2026-W49", "2026-12"


def said(kind: str, period: str, launched: bool = False, statements: int = 0) -> str | None:
    refusal = launch_refusal(kind, period, NOW_WEEK, launched, NOW_MONTH, statements)  # type: ignore[arg-type]
    return str(refusal) if refusal is not None else None


def test_a_past_month_that_nobody_closed_may_be_closed() -> None:
    assert said("month", "2026-11") is None
    assert said("month", "2025-06") is None


@pytest.mark.parametrize("month", ["2026-12", "2027-01"])
def test_a_month_not_over_is_refused_naming_the_latest_closeable(month: str) -> None:
    assert said("month", month) == (
        f"month {month} is not over yet; a month is closed once it has ended "
        "(the latest month you can close now is 2026-11)"
    )


def test_a_month_closed_by_the_schedule_or_launched_is_refused() -> None:
    assert said("month", "2026-10", statements=12) == (
        "month 2026-10 is already closed (12 statements); closing it again would produce "
        "no statement"
    )
    assert said("month", "2026-10", launched=True) == (
        "2026-10 is already launched; launching it again would start nobody"
    )


def test_weeks_are_unchanged_by_the_month_rules() -> None:
    assert said("week", "2026-W50") is None
    assert said("week", "2026-W48") is not None


def test_a_malformed_period_names_its_kind() -> None:
    for kind, example in (("month", "2026-11"), ("week", "2026-W48"), ("day", "2026-11-30")):
        problem = period_problem("nope", kind, example)  # type: ignore[arg-type]
        assert problem is not None
        assert problem.template == f"expected a {kind} like {{example!r}}, got {{value!r}}"


def test_a_launch_is_finished_once_and_who_launched_it_is_kept() -> None:
    launch = CycleLaunch(kind="month", period="2026-11", workflow_id="w", launched_by="H001")
    launch.finish(started=3, skipped=1)
    launch.finish(started=9, skipped=9)  # a retried or second finish changes nothing
    events = launch.collect_events()
    assert [type(e).__name__ for e in events] == ["Started", "Finished"]
    again = events[1].mutate(events[0].mutate(None))
    assert again is not None
    assert (again.launched_by, again.finished, again.started, again.skipped) == ("H001", True, 3, 1)


def test_a_start_stored_before_launched_by_was_kept_still_loads() -> None:
    started = CycleLaunch(kind="week", period="2026-W48", workflow_id="w").collect_events()[0]
    stored = started.model_dump()
    del stored["launched_by"]
    loaded = type(started).model_validate(stored).mutate(None)
    assert loaded is not None and loaded.launched_by is None and not loaded.finished
