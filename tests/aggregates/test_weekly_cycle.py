"""Unit tests of the WeeklyCycle and MonthClose aggregates: idempotent commands, refusals
that record nothing, and events that rebuild the same state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from aggregates.base import DomainError, command_context
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.goals import GoalCascade, derive_targets
from aggregates.incentives import (
    BonusInputs,
    BonusRules,
    CommissionInputs,
    CommissionRules,
    compute_bonus,
    compute_commission,
)
from aggregates.ladder import Role
from aggregates.month_close import MonthClose, month_close_uuid
from aggregates.seed_policies import training_rules_v1
from aggregates.training_rules import check_rules
from aggregates.weekly_cycle import Deadlines, ReportLine, WeeklyCycle, cycle_key, cycle_uuid
from words.catalogue import in_every_language

WEEK = "2026-W10"
SETTINGS = WeeklyCycleSettings()
TARGETS = derive_targets(GoalCascade(), 1, "E1", "T1", Role.sales_rep, WEEK, {"2025-06": 100_000.0})
DEADLINES = Deadlines(
    plan_reminder=SETTINGS.at(WEEK, SETTINGS.plan_reminder),
    plan_deadline=SETTINGS.at(WEEK, SETTINGS.plan_deadline),
    report_at=SETTINGS.at(WEEK, SETTINGS.report_at),
    feedback_reminder=SETTINGS.at(WEEK, SETTINGS.feedback_reminder),
    feedback_deadline=SETTINGS.at(WEEK, SETTINGS.feedback_deadline),
)
PLAN = {"customer_visits": 10.0, "new_customers": 4.0, "sales_amount": 30_000.0}
NEXT = {"customer_visits": 12.0, "new_customers": 5.0, "sales_amount": 32_000.0}


def new_cycle(agreed: dict[str, float] | None = None) -> WeeklyCycle:
    with command_context(actor="careerflow", role="system", workflow_id="wf-1"):
        return WeeklyCycle(
            employee_id="E1",
            week=WEEK,
            manager_id="M",
            team_id="T1",
            targets=TARGETS,
            settings_version=1,
            deadlines=DEADLINES,
            workflow_id="wf-1",
            agreed_plan=agreed,
        )


def names(cycle: WeeklyCycle) -> list[str]:
    """The pending events' class names (and clears them, as saving would)."""
    return [type(e).__name__ for e in cycle.collect_events()]


def line(item: str, planned: float, actual: float) -> ReportLine:
    met = actual >= planned
    return ReportLine(
        item=item,
        label={"en": item, "zh": item},
        planned=planned,
        actual=actual,
        met=met,
        text={"en": f"{item}: {'met' if met else 'not met'}", "zh": item},
    )


def reported(cycle: WeeklyCycle) -> WeeklyCycle:
    cycle.submit_plan("plan-1", PLAN, DEADLINES.plan_deadline)
    cycle.build_report([line("customer_visits", 10, 12), line("new_customers", 4, 3)], 7)
    cycle.collect_events()
    return cycle


def replay(events: list[Any]) -> Any:
    aggregate = None
    for e in events:
        aggregate = e.mutate(aggregate)
    return aggregate


def test_ids_come_from_the_natural_key() -> None:
    cycle = new_cycle()
    assert cycle.id == cycle_uuid("E1", WEEK)
    assert cycle_key("E1", WEEK) == "E1/2026-W10"
    assert cycle_uuid("E1", WEEK) != cycle_uuid("E1", "2026-W11")
    assert cycle_uuid("E1", WEEK) != cycle_uuid("E2", WEEK)


def test_opened_records_targets_deadlines_and_who() -> None:
    cycle = new_cycle()
    (opened,) = cycle.collect_events()
    assert type(opened).__name__ == "Opened"
    assert opened.targets.cascade_version == 1  # type: ignore[attr-defined]
    assert opened.meta.workflow_id == "wf-1"
    assert cycle.plan is None and cycle.plan_source is None
    assert cycle.deadlines.plan_deadline == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert not cycle.closed


def test_an_agreed_plan_is_the_plan_from_the_start() -> None:
    cycle = new_cycle(agreed=NEXT)
    assert cycle.plan == NEXT
    assert cycle.plan_source == "agreed"
    # Nothing to default: the agreed plan stands.
    assert cycle.default_plan(PLAN) is False
    assert names(cycle) == ["Opened"]
    # The rep may still replace it with their own before the deadline.
    assert cycle.submit_plan("mine", PLAN, DEADLINES.plan_deadline)
    assert (cycle.plan, cycle.plan_source) == (PLAN, "submitted")


def test_same_plan_command_key_twice_is_one_event() -> None:
    cycle = new_cycle()
    cycle.collect_events()
    assert cycle.submit_plan("plan-1", PLAN, DEADLINES.plan_deadline) is True
    retry = {**PLAN, "customer_visits": 99.0}
    assert cycle.submit_plan("plan-1", retry, DEADLINES.plan_deadline) is False
    assert names(cycle) == ["PlanSubmitted"]
    assert cycle.plan == PLAN  # the retry did not overwrite the plan
    assert cycle.version == 2


def test_a_revision_replaces_the_plan() -> None:
    cycle = new_cycle()
    cycle.collect_events()
    cycle.submit_plan("plan-1", PLAN, DEADLINES.plan_deadline)
    cycle.submit_plan("plan-2", NEXT, DEADLINES.plan_deadline)
    events = cycle.collect_events()
    assert [e.revision for e in events] == [1, 2]  # type: ignore[attr-defined]
    assert cycle.plan == NEXT
    assert cycle.commands == ["plan-1", "plan-2"]


def test_same_feedback_key_twice_is_one_event() -> None:
    cycle = reported(new_cycle())
    assert cycle.give_feedback("fb-1", "M", "good week", NEXT) is True
    assert cycle.give_feedback("fb-1", "M", "good week", NEXT) is False
    assert names(cycle) == ["FeedbackGiven"]
    assert (cycle.feedback, cycle.feedback_by, cycle.next_plan) == ("good week", "M", NEXT)
    assert cycle.closed


def test_a_second_feedback_is_refused() -> None:
    cycle = reported(new_cycle())
    cycle.give_feedback("fb-1", "M", "good week", None)
    cycle.collect_events()
    version = cycle.version
    with pytest.raises(DomainError, match="M already gave feedback for E1's week 2026-W10"):
        cycle.give_feedback("fb-2", "M", "one more thing", NEXT)
    assert cycle.collect_events() == []
    assert cycle.version == version
    assert cycle.feedback == "good week" and cycle.next_plan is None


def test_feedback_before_the_report_is_refused() -> None:
    cycle = new_cycle()
    cycle.submit_plan("plan-1", PLAN, DEADLINES.plan_deadline)
    cycle.collect_events()
    with pytest.raises(DomainError, match="not reported yet; feedback opens with the Friday"):
        cycle.give_feedback("fb-1", "M", "too early", None)
    assert cycle.collect_events() == []
    assert cycle.feedback is None


def test_a_plan_after_the_default_is_refused() -> None:
    cycle = new_cycle()
    assert cycle.default_plan(PLAN) is True
    assert (cycle.plan, cycle.plan_source) == (PLAN, "defaulted")
    cycle.collect_events()
    with pytest.raises(DomainError, match=r"plan deadline, .* passed; the targets were recorded"):
        cycle.submit_plan("late", NEXT, DEADLINES.plan_deadline)
    assert cycle.collect_events() == []
    assert cycle.plan == PLAN and cycle.plan_source == "defaulted"


def test_default_plan_is_a_no_op_once_a_plan_exists() -> None:
    cycle = new_cycle()
    cycle.submit_plan("plan-1", PLAN, DEADLINES.plan_deadline)
    cycle.collect_events()
    assert cycle.default_plan(NEXT) is False
    assert cycle.default_plan(NEXT) is False
    assert cycle.collect_events() == []
    assert cycle.plan_source == "submitted"


def test_a_plan_after_the_report_is_refused() -> None:
    cycle = reported(new_cycle())
    with pytest.raises(DomainError, match="is reported; its plan can no longer change"):
        cycle.submit_plan("plan-9", NEXT, DEADLINES.plan_deadline)
    assert cycle.collect_events() == []
    # ... but a retry of the plan that was taken is still answered, not refused.
    assert cycle.submit_plan("plan-1", PLAN, DEADLINES.plan_deadline) is False


def test_report_needs_a_plan_and_is_built_once() -> None:
    cycle = new_cycle()
    cycle.collect_events()
    with pytest.raises(DomainError, match="has no plan yet"):
        cycle.build_report([], 0)
    assert cycle.collect_events() == []
    cycle.default_plan(PLAN)
    assert cycle.build_report([line("customer_visits", 10, 12)], 3) is True
    assert cycle.build_report([line("customer_visits", 10, 0)], 4) is False
    assert names(cycle) == ["PlanDefaulted", "ReportBuilt"]
    assert cycle.report is not None and cycle.report[0].actual == 12


def test_missed_feedback_is_recorded_once_and_closes_the_week() -> None:
    cycle = reported(new_cycle())
    assert cycle.miss_feedback() is True
    assert cycle.miss_feedback() is False
    (missed,) = cycle.collect_events()
    assert type(missed).__name__ == "FeedbackMissed"
    assert missed.manager_id == "M"  # type: ignore[attr-defined]
    assert cycle.closed
    with pytest.raises(DomainError, match="deadline for week 2026-W10 passed and was recorded"):
        cycle.give_feedback("fb-late", "M", "sorry, late", None)
    assert cycle.collect_events() == []


def test_feedback_given_means_nothing_is_missed() -> None:
    cycle = reported(new_cycle())
    cycle.give_feedback("fb-1", "M", "good week", None)
    cycle.collect_events()
    assert cycle.miss_feedback() is False
    assert cycle.collect_events() == []


def test_events_rebuild_the_same_week() -> None:
    cycle = new_cycle()
    events = list(cycle.collect_events())
    cycle.submit_plan("plan-1", PLAN, DEADLINES.plan_deadline)
    cycle.build_report([line("customer_visits", 10, 12), line("new_customers", 4, 3)], 7)
    cycle.give_feedback("fb-1", "M", "good week", NEXT)
    events += cycle.collect_events()
    # Through JSON and back, as the store does.
    restored = [type(e).model_validate(e.model_dump(mode="json")) for e in events]  # type: ignore[attr-defined]
    copy = replay(restored)
    assert copy.version == cycle.version == 4
    for attr in ("plan", "plan_source", "report", "feedback", "next_plan", "commands"):
        assert getattr(copy, attr) == getattr(cycle, attr)
    assert copy.targets == TARGETS
    assert copy.deadlines == DEADLINES


# --------------------------------------------------------------------------- month close


def test_month_close_records_every_result_with_its_version() -> None:
    targets = derive_targets(
        GoalCascade(individual_growth_percent=0),
        2,
        "E1",
        "T1",
        Role.sales_rep,
        "2026-03",
        {"2025-12": 1_000_000.0},
    )
    bonus = compute_bonus(
        BonusRules(),
        1,
        BonusInputs(
            sales_target=targets.monthly_sales_target, sales_amount=1_200_000, retention_rate=78
        ),
        labels=in_every_language,
    )
    commission = compute_commission(
        CommissionRules(), 1, CommissionInputs(), labels=in_every_language
    )
    checks, recs = check_rules(
        training_rules_v1(),
        "2026-03",
        {"2026-03": {"new_customers": 3, "retention_rate": 78}},
        {"2026-03": {"new_customers": 16, "retention_rate": 75}},
    )
    closed = MonthClose(
        employee_id="E1",
        month="2026-03",
        manager_id="M",
        team_id="T1",
        targets=targets,
        ledger_version=5,
    )
    closed.record_bonus(bonus)
    closed.record_commission(commission)
    closed.record_checks(1, checks)
    for rec in recs:
        closed.recommend(1, rec)
    events = closed.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Opened",
        "BonusComputed",
        "CommissionComputed",
        "TrainingRulesChecked",
        "TrainingRecommended",
    ]
    assert closed.id == month_close_uuid("E1", "2026-03")
    assert closed.bonus is not None and closed.bonus.amount == 7_700
    assert [r.course for r in closed.recommendations] == ["Prospecting Skills"]
    restored = [type(e).model_validate(e.model_dump(mode="json")) for e in events]  # type: ignore[attr-defined]
    copy = replay(restored)
    assert copy.bonus == closed.bonus
    assert copy.targets.cascade_version == 2
    assert copy.recommendations == closed.recommendations
