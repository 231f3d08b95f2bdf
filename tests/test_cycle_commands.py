"""The weekly performance cycle's commands (seed 001) on a real PostgreSQL, driven directly
(no Temporal): targets from the goal cascade, the rep's own plan, the Friday report from
the ledger, the manager's feedback, the month close with bonus, commission and training.
Every refusal is checked against the event store: nothing was recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.ladder import Role
from aggregates.month_close import month_close_uuid
from aggregates.weekly_cycle import WeeklyCycle, cycle_uuid
from careerflow.applications.cycles import Cycles
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal

HR = DEMO_HR
WEEK, NEXT_WEEK = "2026-W10", "2026-W11"  # Monday 2 March 2026; March has W10..W13
MONTH = "2026-03"

E1 = Principal(person_id="E1", role=AccessRole.employee)
E2 = Principal(person_id="E2", role=AccessRole.employee)
M = Principal(person_id="M", role=AccessRole.manager)
M2 = Principal(person_id="M2", role=AccessRole.manager)

PLAN = {"customer_visits": 10.0, "new_customers": 4.0, "sales_amount": 30_000.0}
NEXT_PLAN = {"customer_visits": 12.0, "new_customers": 5.0, "sales_amount": 32_000.0}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# Shanghai is UTC+8: the W10 plan deadline (Mon 18:00 local) is Mon 10:00 UTC.
MONDAY_MORNING = utc(2026, 3, 2, 2)  # Mon 10:00 local
PLAN_DEADLINE = utc(2026, 3, 2, 10)
SATURDAY = utc(2026, 3, 7, 4)  # Sat 12:00 local
FEEDBACK_DEADLINE = utc(2026, 3, 9, 0)  # next Mon 08:00 local

ORG = OrgImport(
    teams=[
        TeamIn(team_id="T1", name="Team 1", manager_id="M"),
        TeamIn(team_id="T2", name="Team 2", manager_id="M2"),
    ],
    employees=[
        EmployeeIn(
            employee_id=e,
            name=f"Person {e}",
            role=r,
            team_id=t,
            manager_id=m,
            hire_date=date(2024, 1, 1),
        )
        for e, r, t, m in [
            ("M", Role.sales_supervisor, "T1", None),
            ("M2", Role.sales_supervisor, "T2", None),
            ("E1", Role.sales_rep, "T1", "M"),
            ("E2", Role.sales_rep, "T1", "M"),
            ("E3", Role.sales_rep, "T2", "M2"),
        ]
    ],
)


def ingest(services: Engine, rows: list[tuple[str, str, str, float]]) -> None:
    lines = ["employee_id,period,metric,value,source,item"]
    lines += [f"{e},{p},{metric},{v},crm," for e, p, metric, v in rows]
    services.ingest.ingest(
        HR, ("\n".join(lines) + "\n").encode(), "csv", services.catalog(), "test.csv"
    )


def last_year(employee_id: str, monthly_sales: float) -> list[tuple[str, str, str, float]]:
    return [(employee_id, f"2025-{m:02d}", "sales_amount", monthly_sales) for m in range(1, 13)]


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(open_store(pg)) as s:
        s.policies.seed(HR)
        s.people.import_org(HR, ORG)
        yield s


@pytest.fixture
def cycles(services: Engine) -> Cycles:
    # E1's previous year: 100,000 a month; the seed cascade adds 20%.
    ingest(
        services,
        [
            *last_year("E1", 100_000),
            # The week of 2026-W10, from the CRM: visits by day, the rest by week.
            ("E1", "2026-03-02", "customer_visits", 5),
            ("E1", "2026-03-04", "customer_visits", 7),
            ("E1", "2026-03-09", "customer_visits", 4),  # next week: not in the W10 report
            ("E1", WEEK, "new_customers", 3),
            ("E1", WEEK, "sales_amount", 35_000),
        ],
    )
    return services.store.cycles


def head(services: Engine) -> int:
    """The cycles notification log's head: unchanged means nothing was recorded."""
    return services.store.cycles.recorder.max_notification_id() or 0


def stored(services: Engine, employee_id: str, week: str) -> list[Any]:
    return list(services.store.cycles.events.get(cycle_uuid(employee_id, week)))


def event_names(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


def opened(cycles: Cycles, employee_id: str = "E1", week: str = WEEK) -> WeeklyCycle:
    cycles.open_week(employee_id, week, f"wf-{employee_id}-{week}")
    return cycles.get(employee_id, week)


def planned(cycles: Cycles) -> WeeklyCycle:
    opened(cycles)
    cycles.submit_plan("E1", WEEK, E1, "plan-1", PLAN, MONDAY_MORNING)
    return cycles.get("E1", WEEK)


def reported(cycles: Cycles) -> WeeklyCycle:
    planned(cycles)
    cycles.build_report("E1", WEEK)
    return cycles.get("E1", WEEK)


# --------------------------------------------------------------------------- open


def test_open_takes_targets_from_the_cascade(services: Engine, cycles: Cycles) -> None:
    info = cycles.open_week("E1", WEEK, "wf-1")
    assert info.cycle_id == "E1/2026-W10"
    assert (info.manager_id, info.team_id) == ("M", "T1")
    assert info.time_zone == "Asia/Shanghai"
    assert info.plan is None and info.plan_source is None
    assert info.targets["customer_visits"] == 10
    assert info.targets["new_customers"] == 4  # 40% of the visits
    assert info.targets["sales_amount"] == pytest.approx(120_000 * 12 / 52, abs=0.01)
    assert info.deadlines.plan_deadline == PLAN_DEADLINE
    assert info.deadlines.report_at == utc(2026, 3, 6, 10)
    assert info.deadlines.feedback_deadline == FEEDBACK_DEADLINE
    assert info.deadline_labels["plan_deadline"] == "Mon 18:00"

    (event,) = stored(services, "E1", WEEK)
    assert type(event).__name__ == "Opened"
    targets = event.targets
    assert targets.cascade_version == services.policies.current("goal_cascade", "default").version
    assert targets.cascade_version == 1
    assert targets.baseline.source == "previous_year"
    assert targets.baseline.monthly_sales == 100_000
    assert targets.growth_percent == 20
    assert targets.monthly_sales_target == 120_000
    assert event.settings_version == 1
    assert event.agreed_plan is None
    assert event.meta.workflow_id == "wf-1"
    assert event.meta.role == "system"


def test_opening_twice_records_one_week(services: Engine, cycles: Cycles) -> None:
    first = cycles.open_week("E1", WEEK, "wf-1")
    before = head(services)
    again = cycles.open_week("E1", WEEK, "wf-1-retry")
    assert again == first
    assert head(services) == before
    assert len(stored(services, "E1", WEEK)) == 1


def test_a_new_hire_gets_the_role_default(services: Engine, cycles: Cycles) -> None:
    cycle = opened(cycles, "E3")
    assert cycle.targets.baseline.source == "role_default"
    assert cycle.targets.monthly_sales_target == 96_000  # 80,000 + 20%
    assert cycle.manager_id == "M2"


def test_open_refuses_a_bad_week_and_unknown_people(services: Engine, cycles: Cycles) -> None:
    with pytest.raises(DomainError, match="needs an ISO week 'YYYY-Www', got '2026-03'"):
        cycles.open_week("E1", "2026-03", "wf")
    with pytest.raises(NotFoundError, match="unknown employee 'E404'"):
        cycles.open_week("E404", WEEK, "wf")
    assert head(services) == 0


def test_a_new_cascade_version_sets_the_next_weeks_targets(
    services: Engine, cycles: Cycles
) -> None:
    opened(cycles)
    version = services.policies.publish(
        HR, "goal_cascade", "default", {"individual_growth_percent": 10}, "calmer growth"
    )
    assert version == 2
    week = opened(cycles, "E1", NEXT_WEEK)
    assert week.targets.cascade_version == 2
    assert week.targets.monthly_sales_target == pytest.approx(110_000)
    # The week already open keeps the targets it was opened with.
    assert cycles.get("E1", WEEK).targets.cascade_version == 1


def test_a_plan_deadline_on_a_published_holiday_moves_to_the_next_working_day(
    services: Engine, cycles: Cycles
) -> None:
    # HR publishes the company calendar: Monday 9 March off (W11), and the whole working
    # week of W12 off (16-20 March: no working day before Friday's report).
    off = [date(2026, 3, 9), *(date(2026, 3, d) for d in range(16, 21))]
    services.policies.publish(
        HR,
        "promotion_process",
        "default",
        {"extra_holidays": [d.isoformat() for d in off]},
        "company days off",
    )
    moved = cycles.open_week("E1", NEXT_WEEK, "wf-moved")
    assert moved.deadlines.plan_reminder == utc(2026, 3, 10, 4)  # Tue 12:00 Shanghai
    assert moved.deadlines.plan_deadline == utc(2026, 3, 10, 10)  # Tue 18:00 Shanghai
    assert moved.deadlines.report_at == utc(2026, 3, 13, 10)  # the report stays Friday
    assert moved.deadline_labels["plan_deadline"] == "Tue 18:00"
    kept = cycles.open_week("E1", "2026-W12", "wf-kept")
    assert kept.deadlines.plan_deadline == utc(2026, 3, 16, 10)  # no day to move to
    assert kept.deadline_labels["plan_deadline"] == "Mon 18:00"
    # A week the calendar leaves alone keeps its Monday.
    assert cycles.open_week("E1", WEEK, "wf-plain").deadlines.plan_deadline == PLAN_DEADLINE


# --------------------------------------------------------------------------- Monday


def test_a_rep_submits_their_own_plan(services: Engine, cycles: Cycles) -> None:
    opened(cycles)
    info = cycles.submit_plan("E1", WEEK, E1, "plan-1", PLAN, MONDAY_MORNING)
    assert info.plan == PLAN and info.plan_source == "submitted"
    events = stored(services, "E1", WEEK)
    assert event_names(events) == ["Opened", "PlanSubmitted"]
    assert events[-1].items == PLAN
    assert (events[-1].meta.actor, events[-1].meta.role) == ("E1", "employee")
    # The same command again (a retried activity) records nothing new.
    before = head(services)
    again = cycles.submit_plan("E1", WEEK, E1, "plan-1", PLAN, MONDAY_MORNING)
    assert again == info
    assert head(services) == before
    # A revision before the deadline replaces the plan.
    cycles.submit_plan("E1", WEEK, E1, "plan-2", NEXT_PLAN, MONDAY_MORNING)
    assert cycles.get("E1", WEEK).plan == NEXT_PLAN
    assert event_names(stored(services, "E1", WEEK))[-1] == "PlanSubmitted"


@pytest.mark.parametrize(
    ("who", "message"),
    [
        (E2, "employee E2 cannot submit E1's weekly plan; reps submit their own plan"),
        (M, "manager M cannot submit E1's weekly plan; reps submit their own plan"),
        (HR, "hr H001 cannot submit E1's weekly plan; reps submit their own plan"),
    ],
)
def test_only_the_rep_submits_the_plan(
    services: Engine, cycles: Cycles, who: Principal, message: str
) -> None:
    cycle = opened(cycles)
    before = head(services)
    with pytest.raises(DomainError) as info:
        cycles.submit_plan("E1", WEEK, who, f"plan-by-{who.person_id}", PLAN, MONDAY_MORNING)
    assert str(info.value) == message
    assert head(services) == before
    after = cycles.get("E1", WEEK)
    assert after.version == cycle.version
    assert after.plan is None


def test_reusing_someone_elses_command_key_is_still_refused(
    services: Engine, cycles: Cycles
) -> None:
    opened(cycles)
    cycles.submit_plan("E1", WEEK, E1, "plan-1", PLAN, MONDAY_MORNING)
    with pytest.raises(DomainError, match="cannot submit E1's weekly plan"):
        cycles.submit_plan("E1", WEEK, E2, "plan-1", PLAN, MONDAY_MORNING)


def test_a_plan_with_negative_numbers_is_refused(services: Engine, cycles: Cycles) -> None:
    cycle = opened(cycles)
    before = head(services)
    bad = {**PLAN, "customer_visits": -10.0}
    with pytest.raises(DomainError) as info:
        cycles.submit_plan("E1", WEEK, E1, "plan-1", bad, MONDAY_MORNING)
    message = str(info.value)
    assert message.startswith("the plan was not taken: ")
    assert "customer_visits: -10 is negative; plan zero or more" in message
    assert "new_customers (4) cannot exceed customer_visits (-10)" in message
    assert head(services) == before
    assert cycles.get("E1", WEEK).version == cycle.version
    # The same key with a good plan is a new attempt, not a retry of the refused one.
    info_ok = cycles.submit_plan("E1", WEEK, E1, "plan-1", PLAN, MONDAY_MORNING)
    assert info_ok.plan == PLAN


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ({**PLAN, "new_customers": 2.5}, "new_customers: 2.5 is not a whole number"),
        ({**PLAN, "lunches": 3.0}, "lunches is not a weekly plan item"),
        ({"customer_visits": 10.0}, "the plan needs a number for new_customers, sales_amount"),
        ({**PLAN, "new_customers": 11.0}, "new_customers (11) cannot exceed customer_visits"),
        ({**PLAN, "customer_visits": 1000.0}, "customer_visits: 1000 is more than 5× the target"),
    ],
)
def test_other_bad_plans_are_refused(
    services: Engine, cycles: Cycles, items: dict[str, float], expected: str
) -> None:
    opened(cycles)
    before = head(services)
    with pytest.raises(DomainError, match="the plan was not taken") as info:
        cycles.submit_plan("E1", WEEK, E1, "plan-1", items, MONDAY_MORNING)
    assert expected in str(info.value)
    assert head(services) == before


@pytest.mark.parametrize("now", [PLAN_DEADLINE, utc(2026, 3, 3, 1)])
def test_a_late_plan_is_refused(services: Engine, cycles: Cycles, now: datetime) -> None:
    opened(cycles)
    before = head(services)
    with pytest.raises(DomainError) as info:
        cycles.submit_plan("E1", WEEK, E1, "plan-1", PLAN, now)
    assert str(info.value) == (
        "the plan deadline for week 2026-W10, 2026-03-02 18:00 (Asia/Shanghai), has passed; "
        "the targets were recorded as this week's plan"
    )
    assert head(services) == before
    assert cycles.get("E1", WEEK).plan is None


def test_the_targets_become_the_plan_when_nothing_was_submitted(
    services: Engine, cycles: Cycles
) -> None:
    cycle = opened(cycles)
    info = cycles.default_plan("E1", WEEK)
    assert info.plan_source == "defaulted"
    assert info.plan == {k: v for k, v in cycle.targets.weekly.items()}
    assert info.plan is not None and info.plan["new_customers"] == 4
    events = stored(services, "E1", WEEK)
    assert event_names(events) == ["Opened", "PlanDefaulted"]
    assert events[-1].meta.reason == "no plan by the deadline"
    assert events[-1].meta.actor == "careerflow"
    # Again (a retried activity): nothing new.
    before = head(services)
    assert cycles.default_plan("E1", WEEK) == info
    assert head(services) == before
    # And the rep's plan is refused from now on, even with a clock before the deadline.
    with pytest.raises(DomainError, match="the targets were recorded as this week's plan"):
        cycles.submit_plan("E1", WEEK, E1, "plan-1", PLAN, MONDAY_MORNING)
    assert head(services) == before


def test_no_default_once_the_rep_has_a_plan(services: Engine, cycles: Cycles) -> None:
    planned(cycles)
    before = head(services)
    info = cycles.default_plan("E1", WEEK)
    assert (info.plan, info.plan_source) == (PLAN, "submitted")
    assert head(services) == before


# --------------------------------------------------------------------------- Friday


def test_the_report_is_built_from_the_ledger(services: Engine, cycles: Cycles) -> None:
    planned(cycles)
    report = cycles.build_report("E1", WEEK)
    lines = {line.item: line for line in report.lines}
    assert lines["customer_visits"].actual == 12  # 5 + 7 over the week's days
    assert lines["customer_visits"].met
    assert lines["customer_visits"].text["en"] == "customer visits: 12 of 10 planned: met"
    assert not lines["new_customers"].met
    assert lines["new_customers"].text["en"] == "new customers: 3 of 4 planned: not met"
    assert lines["new_customers"].text["zh"] == "新客户数：计划 4，实际 3：未达成"
    assert lines["sales_amount"].text["en"] == "sales amount: 35,000 of 30,000 planned: met"
    assert (report.met, report.total) == (2, 3)
    assert report.manager_id == "M"
    events = stored(services, "E1", WEEK)
    assert event_names(events)[-1] == "ReportBuilt"
    ledger = services.ingest.ledger("E1")
    assert ledger is not None and events[-1].ledger_version == ledger.version
    # Built once: data arriving later does not rewrite Friday's report.
    ingest(services, [("E1", "2026-03-05", "customer_visits", 30)])
    before = head(services)
    assert cycles.build_report("E1", WEEK) == report
    assert head(services) == before


def test_no_report_without_a_plan(services: Engine, cycles: Cycles) -> None:
    opened(cycles)
    before = head(services)
    with pytest.raises(DomainError, match="has no plan yet"):
        cycles.build_report("E1", WEEK)
    assert head(services) == before


def test_no_plan_after_the_report(services: Engine, cycles: Cycles) -> None:
    reported(cycles)
    before = head(services)
    with pytest.raises(DomainError, match=r"plan deadline .* has passed"):
        cycles.submit_plan("E1", WEEK, E1, "plan-2", NEXT_PLAN, SATURDAY)
    assert head(services) == before


# --------------------------------------------------------------------------- the weekend


def test_only_the_reps_manager_gives_feedback(services: Engine, cycles: Cycles) -> None:
    cycle = reported(cycles)
    before = head(services)
    for who in (M2, E1, HR):
        with pytest.raises(DomainError) as info:
            cycles.give_feedback(
                "E1", WEEK, who, f"fb-{who.person_id}", "well done", None, SATURDAY
            )
        assert str(info.value) == (
            f"{who.role.value} {who.person_id} is not E1's manager (M); "
            "only the rep's manager gives weekly feedback"
        )
    assert head(services) == before
    assert cycles.get("E1", WEEK).version == cycle.version


def test_feedback_agrees_next_weeks_plan(services: Engine, cycles: Cycles) -> None:
    reported(cycles)
    info = cycles.give_feedback(
        "E1", WEEK, M, "fb-1", "Good visits; more new customers.", NEXT_PLAN, SATURDAY
    )
    assert info.feedback_given
    events = stored(services, "E1", WEEK)
    assert event_names(events)[-1] == "FeedbackGiven"
    assert events[-1].by == "M" and events[-1].next_plan == NEXT_PLAN
    assert (events[-1].meta.actor, events[-1].meta.role) == ("M", "manager")
    # A retry of the same command: nothing new.
    before = head(services)
    assert cycles.give_feedback("E1", WEEK, M, "fb-1", "ignored", None, SATURDAY) == info
    assert head(services) == before
    # A second feedback is refused.
    with pytest.raises(DomainError) as refused:
        cycles.give_feedback("E1", WEEK, M, "fb-2", "one more thing", None, SATURDAY)
    assert str(refused.value) == "M already gave feedback for week 2026-W10; one feedback per week"
    assert head(services) == before
    assert cycles.get("E1", WEEK).feedback == "Good visits; more new customers."

    # Next week opens with the agreed plan, recorded in its Opened event.
    nxt = cycles.open_week("E1", NEXT_WEEK, "wf-next")
    assert (nxt.plan, nxt.plan_source) == (NEXT_PLAN, "agreed")
    (opened_event,) = stored(services, "E1", NEXT_WEEK)
    assert opened_event.agreed_plan == NEXT_PLAN
    # Nothing to default, and the report compares against the agreed plan.
    mark = head(services)
    assert cycles.default_plan("E1", NEXT_WEEK).plan_source == "agreed"
    assert head(services) == mark
    report = cycles.build_report("E1", NEXT_WEEK)
    assert {line.item: line.planned for line in report.lines} == NEXT_PLAN
    assert {line.item: line.actual for line in report.lines}["customer_visits"] == 4


def test_feedback_before_the_report_is_refused(services: Engine, cycles: Cycles) -> None:
    planned(cycles)
    before = head(services)
    with pytest.raises(DomainError, match="not reported yet; feedback opens with the report"):
        cycles.give_feedback("E1", WEEK, M, "fb-1", "early", None, utc(2026, 3, 4, 4))
    assert head(services) == before


def test_feedback_refuses_a_bad_next_plan_and_an_empty_comment(
    services: Engine, cycles: Cycles
) -> None:
    reported(cycles)
    before = head(services)
    with pytest.raises(DomainError, match=r"next week's plan was not taken: .*negative"):
        cycles.give_feedback(
            "E1", WEEK, M, "fb-1", "ok", {**NEXT_PLAN, "sales_amount": -1.0}, SATURDAY
        )
    with pytest.raises(DomainError, match="feedback needs a comment"):
        cycles.give_feedback("E1", WEEK, M, "fb-1", "   ", None, SATURDAY)
    assert head(services) == before


def test_missing_feedback_is_recorded(services: Engine, cycles: Cycles) -> None:
    reported(cycles)
    # After the deadline the manager is refused ...
    before = head(services)
    with pytest.raises(DomainError, match=r"feedback deadline for week 2026-W10, .* has passed"):
        cycles.give_feedback("E1", WEEK, M, "fb-1", "late", None, FEEDBACK_DEADLINE)
    assert head(services) == before
    # ... and the miss is recorded, once, naming the manager.
    info = cycles.miss_feedback("E1", WEEK)
    assert info.feedback_missed and not info.feedback_given
    events = stored(services, "E1", WEEK)
    assert event_names(events)[-1] == "FeedbackMissed"
    assert events[-1].manager_id == "M"
    mark = head(services)
    assert cycles.miss_feedback("E1", WEEK) == info
    assert head(services) == mark
    with pytest.raises(DomainError, match="has passed"):
        cycles.give_feedback("E1", WEEK, M, "fb-2", "sorry", None, SATURDAY)
    assert head(services) == mark
    # No agreed plan for next week: it starts empty.
    assert cycles.open_week("E1", NEXT_WEEK, "wf-next").plan is None


def test_an_agreed_plan_is_never_silently_dropped(services: Engine, cycles: Cycles) -> None:
    try:
        services.policies.publish(
            HR,
            "weekly_cycle",
            "default",
            {"feedback_deadline": {"day": 7, "hour": 12}},  # next Monday 12:00, after 08:00
            "feedback until Monday noon",
        )
    except DomainError:
        return  # refused: such a calendar cannot lose an agreed plan
    reported(cycles)
    cycles.open_week("E1", NEXT_WEEK, "wf-next")  # Monday 08:00 local: the launcher opens W11
    monday_10 = utc(2026, 3, 9, 2)  # Monday 10:00 local: feedback is still open
    try:
        cycles.give_feedback("E1", WEEK, M, "fb-1", "ok", NEXT_PLAN, monday_10)
    except DomainError:
        return  # refused with a reason: nothing is lost either
    assert cycles.get("E1", NEXT_WEEK).plan == NEXT_PLAN


def test_no_miss_once_feedback_was_given(services: Engine, cycles: Cycles) -> None:
    reported(cycles)
    cycles.give_feedback("E1", WEEK, M, "fb-1", "fine", None, SATURDAY)
    before = head(services)
    info = cycles.miss_feedback("E1", WEEK)
    assert info.feedback_given and not info.feedback_missed
    assert head(services) == before


def test_commands_on_a_week_that_was_never_opened(cycles: Cycles) -> None:
    with pytest.raises(NotFoundError, match="no weekly cycle for E1 in week 2026-W10"):
        cycles.submit_plan("E1", WEEK, E1, "plan-1", PLAN, MONDAY_MORNING)


# --------------------------------------------------------------------------- the month


@pytest.fixture
def month(services: Engine) -> Cycles:
    """0% individual growth; E1's previous-year mean is 1,000,000, so March's target is
    1,000,000; E1 sells 1,200,000 with 78% retention. E2 (no history: the role default)
    has retention below target in February and March; E3 only in March."""
    services.policies.publish(
        HR, "goal_cascade", "default", {"individual_growth_percent": 0}, "flat year"
    )
    ingest(
        services,
        [
            *last_year("E1", 1_000_000),
            ("E1", MONTH, "sales_amount", 1_200_000),
            ("E1", MONTH, "retention_rate", 78),
            ("E1", "2026-02", "retention_rate", 70),  # one month below: not a streak
            ("E1", MONTH, "new_customers", 16),  # 4 a week x 4 weeks: on target
            ("E1", MONTH, "small_deal_sales", 100_000),
            ("E1", MONTH, "big_client_sales", 100_000),
            ("E1", MONTH, "repurchase_sales", 50_000),
            ("E2", MONTH, "sales_amount", 50_000),
            ("E2", MONTH, "new_customers", 10),
            ("E2", "2026-02", "retention_rate", 70),
            ("E2", MONTH, "retention_rate", 72),
            ("E3", MONTH, "sales_amount", 90_000),
            ("E3", MONTH, "new_customers", 20),
            ("E3", "2026-02", "retention_rate", 80),
            ("E3", MONTH, "retention_rate", 70),
        ],
    )
    return services.store.cycles


def month_events(services: Engine, employee_id: str) -> list[Any]:
    return list(services.store.cycles.events.get(month_close_uuid(employee_id, MONTH)))


def test_month_close_pays_the_seed_bonus(services: Engine, month: Cycles) -> None:
    outcome = month.close_month("E1", MONTH, "wf-month")
    assert outcome.bonus == 7_700  # 5,000 + 1% of 200,000, +10% for 78% retention
    assert outcome.commission == 6_800  # 2,000 + 2,300 (big clients) + 2,500 (repurchase)
    assert outcome.currency == "CNY"
    assert outcome.manager_id == "M"
    assert outcome.recommendations == []  # new customers on target; one month below only

    events = month_events(services, "E1")
    assert event_names(events) == [
        "Opened",
        "BonusComputed",
        "CommissionComputed",
        "KpisScored",
        "TrainingRulesChecked",
    ]
    opened_event, bonus_event, commission_event, kpis_event, checks_event = events
    assert kpis_event.result.kpi_weights_version == 1  # the month's KPI score, versioned
    assert opened_event.targets.cascade_version == 2
    assert opened_event.targets.growth_percent == 0
    assert opened_event.targets.monthly_sales_target == 1_000_000
    bonus = bonus_event.result
    assert bonus.inputs.sales_target == 1_000_000
    assert bonus.inputs.sales_amount == 1_200_000
    assert bonus.inputs.retention_rate == 78
    assert [(line.key, line.amount) for line in bonus.lines] == [
        ("base", 5_000),
        ("excess", 2_000),
        ("retention", 700),
    ]
    assert bonus.rules_version == services.policies.current("bonus_rules", "default").version
    big = next(line for line in commission_event.result.lines if line.key == "big_clients")
    assert big.amount == 2_300
    assert {c.rule_id: c.triggered for c in checks_event.checks} == {
        "new_customers_short": False,
        "retention_below_target": False,
    }
    assert opened_event.meta.workflow_id == "wf-month"


def test_closing_a_month_twice_writes_nothing_new(services: Engine, month: Cycles) -> None:
    first = month.close_month("E1", MONTH, "wf-month")
    before = head(services)
    # Even when the ledger changes afterwards: the month stays as it was closed.
    ingest(services, [("E1", MONTH, "sales_amount", 2_000_000)])
    assert month.close_month("E1", MONTH, "wf-month-retry") == first
    assert head(services) == before
    assert len(month_events(services, "E1")) == 5
    assert month.get_month("E1", MONTH).bonus.amount == 7_700  # type: ignore[union-attr]


def test_a_missed_target_pays_no_bonus(services: Engine, month: Cycles) -> None:
    outcome = month.close_month("E2", MONTH, "wf-month")
    assert outcome.bonus == 0
    (line,) = month.get_month("E2", MONTH).bonus.lines  # type: ignore[union-attr]
    # E2 has no sales history: the role default (80,000) at 0% growth is the target.
    assert line.text["en"] == "sales 50,000 below the target 80,000 (short 30,000): no bonus"


def test_training_from_shortfalls(services: Engine, month: Cycles) -> None:
    e2 = month.close_month("E2", MONTH, "wf-month")
    assert [(r["course"], r["alert_manager"]) for r in e2.recommendations] == [
        ("Prospecting Skills", ""),  # 10 new customers against 16
        ("Customer Relationship Management", "yes"),  # 70% then 72% against 75%
    ]
    assert e2.manager_id == "M"
    recommended = [
        e for e in month_events(services, "E2") if type(e).__name__ == "TrainingRecommended"
    ]
    assert [e.recommendation.course for e in recommended] == [
        "Prospecting Skills",
        "Customer Relationship Management",
    ]
    crm = recommended[1].recommendation
    assert [(f.month, f.value, f.target) for f in crm.evidence] == [
        ("2026-02", 70, 75),
        ("2026-03", 72, 75),
    ]
    assert recommended[1].rules_version == 1

    # E3: retention below target in March only: one month is not enough.
    e3 = month.close_month("E3", MONTH, "wf-month")
    assert e3.recommendations == []
    assert e3.manager_id == "M2"


def test_a_month_close_needs_a_month(services: Engine, month: Cycles) -> None:
    before = head(services)
    with pytest.raises(DomainError, match="needs a month 'YYYY-MM', got '2026-W10'"):
        month.close_month("E1", WEEK, "wf")
    with pytest.raises(NotFoundError, match="is not closed"):
        month.get_month("E1", MONTH)
    assert head(services) == before


def test_only_hr_publishes_cycle_policies(services: Engine) -> None:
    with pytest.raises(PermissionDeniedError):
        services.policies.publish(E1, "bonus_rules", "default", {"base_bonus": 1e9}, "mine")
    with pytest.raises(DomainError, match=r"weekly_cycle/default is not valid: .*time zone"):
        services.policies.publish(HR, "weekly_cycle", "default", {"time_zone": "Mars/Base"}, "typo")
    assert services.policies.current("bonus_rules", "default").version == 1
    assert services.policies.current("weekly_cycle", "default").version == 1
