"""The Cycles application's commands (weekly cycles and month closes) without servers: on
the library's in-memory persistence (POPO) by default, and the same tests on PostgreSQL in
the subclass (the eventsourcing examples' pattern). No Temporal: the commands are plain
method calls; the roster's read is an injected function."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import pytest

from aggregates.base import DomainError, NotFoundError
from aggregates.ladder import Role
from aggregates.month_close import month_close_uuid
from aggregates.weekly_cycle import WeeklyCycle, cycle_uuid
from careerflow.applications.cycles import Cycles
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
from careerflow.apps import Metrics, People, Policies
from careerflow.config import PostgresSettings
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env

HR = Principal(person_id="H1", role=AccessRole.hr)
M = Principal(person_id="M", role=AccessRole.manager)
M2 = Principal(person_id="M2", role=AccessRole.manager)
E1 = Principal(person_id="E1", role=AccessRole.employee)
E2 = Principal(person_id="E2", role=AccessRole.employee)
WEEK, NEXT_WEEK, MONTH = "2026-W10", "2026-W11", "2026-03"
PLAN = {"customer_visits": 10.0, "new_customers": 4.0, "sales_amount": 30_000.0}
NEXT_PLAN = {"customer_visits": 12.0, "new_customers": 5.0, "sales_amount": 32_000.0}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# The seed's weekly_cycle document is in Shanghai (UTC+8): W10's plan is due Mon 18:00
# local (10:00 UTC), the feedback by the next Monday 08:00 local.
MONDAY_MORNING = utc(2026, 3, 2, 2)
AFTER_PLAN_DEADLINE = utc(2026, 3, 2, 11)
SATURDAY = utc(2026, 3, 7, 4)
AFTER_FEEDBACK_DEADLINE = utc(2026, 3, 9, 1)

ORG = OrgImport(
    teams=[
        TeamIn(team_id="T1", name="Team 1", manager_id="M"),
        TeamIn(team_id="T2", name="Team 2", manager_id="M2"),
    ],
    employees=[
        EmployeeIn(
            employee_id=e,
            name=e,
            role=r,
            team_id=t,
            manager_id=m,
            hire_date=date(2024, 1, 1),
        )
        for e, r, t, m in [
            ("H1", Role.sales_manager, "T1", None),
            ("M", Role.sales_supervisor, "T1", None),
            ("M2", Role.sales_supervisor, "T2", None),
            ("E1", Role.sales_rep, "T1", "M"),
            ("E2", Role.sales_rep, "T1", "M"),
            ("E3", Role.sales_rep, "T2", "M2"),
        ]
    ],
)


@dataclass
class World:
    cycles: Cycles
    people: People
    people_app: People
    ingest: Metrics

    def head(self) -> int:
        """The cycles notification log's head: unchanged means nothing was recorded."""
        return self.cycles.recorder.max_notification_id() or 0

    def week_events(self, employee_id: str = "E1", week: str = WEEK) -> list[Any]:
        return list(self.cycles.events.get(cycle_uuid(employee_id, week)))

    def month_events(self, employee_id: str = "E1") -> list[Any]:
        return list(self.cycles.events.get(month_close_uuid(employee_id, MONTH)))

    def record(self, rows: list[tuple[str, str, str, float]]) -> None:
        lines = ["employee_id,period,metric,value,source,item"]
        lines += [f"{e},{p},{metric},{v},crm," for e, p, metric, v in rows]
        data = ("\n".join(lines) + "\n").encode()
        self.ingest.ingest(HR, data, "csv", self.cycles.catalog(), "test.csv")


def names(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


def build(env: dict[str, str]) -> Iterator[World]:
    people_app = People(env=env)
    policies_app = Policies(env=env)
    metrics_app = Metrics(env=env, people=people_app)
    people = people_app
    policies = policies_app
    ingest = metrics_app
    policies.seed(HR)
    people.import_org(HR, ORG)

    def active_in_roles(roles: list[str], after: str, limit: int) -> list[str]:
        """The read side's roster, from the people application here."""
        staff = [people.get(e.employee_id) for e in ORG.employees]
        chosen = [e.employee_id for e in staff if e.active and e.role in roles]
        return sorted(e for e in chosen if e > after)[:limit]

    # The bankaccounts shape: collaborators are keyword arguments after env.
    cycles = Cycles(
        env=env,
        employee=people.get,
        policies=policies,
        ledger=ingest.ledger,
        active_in_roles=active_in_roles,
        employees=people.get_many,
        ledgers=ingest.ledgers,
    )
    try:
        yield World(cycles, people, people_app, ingest)
    finally:
        for app in (cycles, metrics_app, policies_app, people_app):
            app.close()


class TestCycles:
    """On the library's in-memory persistence (PERSISTENCE_MODULE unset: POPO)."""

    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def world(self) -> Iterator[World]:
        yield from build({})

    # -- helpers -------------------------------------------------------------------------
    def opened(self, world: World) -> WeeklyCycle:
        world.cycles.open_week("E1", WEEK, "cycle-E1")
        return world.cycles.get("E1", WEEK)

    def planned(self, world: World) -> WeeklyCycle:
        self.opened(world)
        world.cycles.submit_plan("E1", WEEK, E1, "plan-1", PLAN, MONDAY_MORNING)
        return world.cycles.get("E1", WEEK)

    def reported(self, world: World) -> WeeklyCycle:
        self.planned(world)
        world.cycles.build_report("E1", WEEK)
        return world.cycles.get("E1", WEEK)

    def refused(self, world: World, match: str, command: Any, *args: Any) -> None:
        """The command is refused with `match` and records nothing."""
        before = world.head()
        with pytest.raises(DomainError, match=match):
            command(*args)
        assert world.head() == before

    # -- tests ---------------------------------------------------------------------------
    def test_runs_on_the_intended_persistence(self, world: World) -> None:
        assert type(world.cycles.factory).__module__ == f"eventsourcing.{self.persistence}"

    def test_roster_reads_the_injected_directory(self, world: World) -> None:
        roster = world.cycles.roster(None, MONDAY_MORNING, "", 2)
        assert (roster.period, roster.employee_ids, roster.settings_version) == (
            WEEK,
            ["E1", "E2"],
            1,
        )
        assert world.cycles.roster(WEEK, MONDAY_MORNING, "E2", 50).employee_ids == ["E3"]
        assert world.cycles.previous_month(MONDAY_MORNING) == "2026-02"

    def test_open_week_is_idempotent_on_retry(self, world: World) -> None:
        first = world.cycles.open_week("E1", WEEK, "cycle-E1")
        assert (first.cycle_id, first.manager_id, first.team_id) == ("E1/2026-W10", "M", "T1")
        assert first.deadlines.plan_deadline == utc(2026, 3, 2, 10)
        assert first.deadline_labels["plan_deadline"] == "Mon 18:00"
        assert first.targets["sales_amount"] > 0  # the role default: no history
        before = world.head()
        again = world.cycles.open_week("E1", WEEK, "cycle-E1-retry")
        assert again == first
        assert world.head() == before
        events = world.week_events()
        assert names(events) == ["Opened"]
        assert events[0].meta.workflow_id == "cycle-E1"

    def test_open_week_refuses_a_bad_week_unknown_and_departed_people(self, world: World) -> None:
        self.refused(
            world,
            "needs an ISO week 'YYYY-Www', got '2026-03'",
            world.cycles.open_week,
            "E1",
            MONTH,
            "wf",
        )
        self.refused(world, "unknown employee 'E404'", world.cycles.open_week, "E404", WEEK, "wf")
        e2 = world.people.get("E2")
        assert e2.leave(date(2026, 2, 27))
        world.people_app.save(e2)
        self.refused(
            world, "E2 has left; no weekly cycle", world.cycles.open_week, "E2", WEEK, "wf"
        )
        with pytest.raises(NotFoundError, match="no weekly cycle for E1 in week 2026-W10"):
            world.cycles.get("E1", WEEK)

    def test_open_weeks_opens_a_batch_in_one_save_as_open_week_would(self, world: World) -> None:
        """The launcher's batch: one save for the reps whose week is new; an open week is
        answered as it is; who left or is unknown is left out (their workflow says why);
        targets from each ledger and last weekend's agreed plan, as one by one."""
        world.record([("E3", f"2025-{m:02d}", "sales_amount", 520_000.0) for m in range(1, 13)])
        first = world.cycles.open_week("E1", WEEK, "cycle-E1")
        e2 = world.people.get("E2")
        assert e2.leave(date(2026, 2, 27))
        world.people_app.save(e2)
        before = world.head()
        opened = world.cycles.open_weeks(["E1", "E2", "E3", "E404"], WEEK, lambda e: f"cycle-{e}")
        assert sorted(opened) == ["E1", "E3"]
        assert opened["E1"] == first
        assert world.head() == before + 1  # E3's Opened, the only new event
        assert opened["E3"] == world.cycles.open_week("E3", WEEK, "cycle-E3-retry")
        e3 = world.cycles.get("E3", WEEK)
        assert e3.targets == world.cycles.targets("E3", "T2", Role.sales_rep, WEEK)
        assert e3.targets.weekly["sales_amount"] != first.targets["sales_amount"]
        assert world.week_events("E3")[0].meta.workflow_id == "cycle-E3"
        # Again: nothing new. Next week opens with the plan agreed in last weekend's feedback.
        assert world.cycles.open_weeks(["E1", "E3"], WEEK, str) == opened
        assert world.head() == before + 1
        world.cycles.submit_plan("E1", WEEK, E1, "plan-1", PLAN, MONDAY_MORNING)
        world.cycles.build_report("E1", WEEK)
        world.cycles.give_feedback("E1", WEEK, M, "fb-1", "good week", NEXT_PLAN, SATURDAY)
        following = world.cycles.open_weeks(["E1", "E3"], NEXT_WEEK, lambda e: f"next-{e}")
        assert (following["E1"].plan, following["E1"].plan_source) == (NEXT_PLAN, "agreed")
        assert following["E3"].plan is None
        with pytest.raises(DomainError, match="needs an ISO week"):
            world.cycles.open_weeks(["E1"], MONTH, str)

    def test_submit_plan_once_per_key(self, world: World) -> None:
        self.opened(world)
        info = world.cycles.submit_plan("E1", WEEK, E1, "plan-1", PLAN, MONDAY_MORNING)
        assert (info.plan, info.plan_source) == (PLAN, "submitted")
        before = world.head()
        assert world.cycles.submit_plan("E1", WEEK, E1, "plan-1", PLAN, MONDAY_MORNING) == info
        assert world.head() == before
        event = world.week_events()[-1]
        assert (type(event).__name__, event.meta.actor, event.meta.role) == (
            "PlanSubmitted",
            "E1",
            "employee",
        )

    def test_submit_plan_refusals(self, world: World) -> None:
        self.opened(world)
        submit = world.cycles.submit_plan
        self.refused(
            world,
            "^employee E2 cannot submit E1's weekly plan; reps submit their own plan$",
            submit,
            "E1",
            WEEK,
            E2,
            "plan-x",
            PLAN,
            MONDAY_MORNING,
        )
        self.refused(
            world,
            "^manager M cannot submit E1's weekly plan",
            submit,
            "E1",
            WEEK,
            M,
            "plan-x",
            PLAN,
            MONDAY_MORNING,
        )
        self.refused(
            world,
            r"^the plan was not taken: .*customer_visits: -10 is negative",
            submit,
            "E1",
            WEEK,
            E1,
            "plan-1",
            {**PLAN, "customer_visits": -10.0},
            MONDAY_MORNING,
        )
        self.refused(
            world,
            r"^the plan deadline for week 2026-W10, 2026-03-02 18:00 \(Asia/Shanghai\), has passed",
            submit,
            "E1",
            WEEK,
            E1,
            "plan-1",
            PLAN,
            AFTER_PLAN_DEADLINE,
        )
        # A known key only answers the person who used it.
        submit("E1", WEEK, E1, "plan-1", PLAN, MONDAY_MORNING)
        self.refused(
            world,
            "cannot submit E1's weekly plan",
            submit,
            "E1",
            WEEK,
            E2,
            "plan-1",
            PLAN,
            MONDAY_MORNING,
        )
        with pytest.raises(NotFoundError, match="no weekly cycle for E1 in week 2026-W11"):
            submit("E1", NEXT_WEEK, E1, "plan-1", PLAN, MONDAY_MORNING)

    def test_default_plan_takes_the_targets_once(self, world: World) -> None:
        opened = self.opened(world)
        info = world.cycles.default_plan("E1", WEEK)
        assert info.plan_source == "defaulted"
        assert info.plan == {k: v for k, v in opened.targets.weekly.items() if k in PLAN}
        before = world.head()
        assert world.cycles.default_plan("E1", WEEK) == info
        assert world.head() == before
        event = world.week_events()[-1]
        assert (type(event).__name__, event.meta.reason) == (
            "PlanDefaulted",
            "no plan by the deadline",
        )
        # After the default, the rep's plan is late.
        self.refused(
            world,
            "has passed; the targets were recorded",
            world.cycles.submit_plan,
            "E1",
            WEEK,
            E1,
            "plan-1",
            PLAN,
            MONDAY_MORNING,
        )

    def test_no_default_once_the_rep_has_a_plan(self, world: World) -> None:
        self.planned(world)
        before = world.head()
        assert world.cycles.default_plan("E1", WEEK).plan == PLAN
        assert world.head() == before

    def test_report_is_built_from_the_ledger_once(self, world: World) -> None:
        world.record(
            [
                ("E1", "2026-03-02", "customer_visits", 5),
                ("E1", "2026-03-04", "customer_visits", 7),
                ("E1", WEEK, "new_customers", 3),
                ("E1", WEEK, "sales_amount", 35_000),
            ]
        )
        self.planned(world)
        report = world.cycles.build_report("E1", WEEK)
        assert (report.cycle_id, report.manager_id, report.met, report.total) == (
            "E1/2026-W10",
            "M",
            2,
            3,
        )
        visits = next(line for line in report.lines if line.item == "customer_visits")
        assert (visits.actual, visits.planned, visits.met) == (12, 10, True)
        assert visits.text["en"].endswith("12 of 10 planned: met")
        before = world.head()
        assert world.cycles.build_report("E1", WEEK) == report
        assert world.head() == before
        assert names(world.week_events())[-1] == "ReportBuilt"

    def test_give_feedback_once_per_key(self, world: World) -> None:
        self.reported(world)
        info = world.cycles.give_feedback("E1", WEEK, M, "fb-1", "good week", NEXT_PLAN, SATURDAY)
        assert info.feedback_given
        before = world.head()
        again = world.cycles.give_feedback("E1", WEEK, M, "fb-1", "good week", NEXT_PLAN, SATURDAY)
        assert again == info
        assert world.head() == before
        assert world.cycles.get("E1", WEEK).next_plan == NEXT_PLAN
        # The agreed plan is next week's plan when it opens.
        assert world.cycles.open_week("E1", NEXT_WEEK, "cycle-E1-next").plan == NEXT_PLAN
        self.refused(
            world,
            "^M already gave feedback for week 2026-W10; one feedback per week$",
            world.cycles.give_feedback,
            "E1",
            WEEK,
            M,
            "fb-2",
            "again",
            None,
            SATURDAY,
        )

    def test_give_feedback_refusals(self, world: World) -> None:
        self.planned(world)
        feedback = world.cycles.give_feedback
        self.refused(
            world,
            r"^week 2026-W10 is not reported yet; feedback opens with the report",
            feedback,
            "E1",
            WEEK,
            M,
            "fb-1",
            "good",
            None,
            SATURDAY,
        )
        world.cycles.build_report("E1", WEEK)
        self.refused(
            world,
            r"^manager M2 is not E1's manager \(M\); only the rep's manager gives weekly",
            feedback,
            "E1",
            WEEK,
            M2,
            "fb-1",
            "good",
            None,
            SATURDAY,
        )
        self.refused(
            world,
            "^employee E1 is not E1's manager",
            feedback,
            "E1",
            WEEK,
            E1,
            "fb-1",
            "good",
            None,
            SATURDAY,
        )
        self.refused(
            world,
            "^feedback needs a comment for the rep$",
            feedback,
            "E1",
            WEEK,
            M,
            "fb-1",
            "  ",
            None,
            SATURDAY,
        )
        self.refused(
            world,
            r"^next week's plan was not taken: .*new_customers \(5\) cannot exceed",
            feedback,
            "E1",
            WEEK,
            M,
            "fb-1",
            "good",
            {**NEXT_PLAN, "customer_visits": 1.0},
            SATURDAY,
        )
        self.refused(
            world,
            r"^the feedback deadline for week 2026-W10, .* \(Asia/Shanghai\), has passed$",
            feedback,
            "E1",
            WEEK,
            M,
            "fb-1",
            "good",
            None,
            AFTER_FEEDBACK_DEADLINE,
        )

    def test_miss_feedback_once(self, world: World) -> None:
        self.reported(world)
        info = world.cycles.miss_feedback("E1", WEEK)
        assert info.feedback_missed and not info.feedback_given
        before = world.head()
        assert world.cycles.miss_feedback("E1", WEEK) == info
        assert world.head() == before
        assert names(world.week_events())[-1] == "FeedbackMissed"
        self.refused(
            world,
            "the feedback deadline for week 2026-W10",
            world.cycles.give_feedback,
            "E1",
            WEEK,
            M,
            "fb-1",
            "late",
            None,
            SATURDAY,
        )

    def test_no_miss_once_feedback_was_given(self, world: World) -> None:
        self.reported(world)
        world.cycles.give_feedback("E1", WEEK, M, "fb-1", "good week", None, SATURDAY)
        before = world.head()
        info = world.cycles.miss_feedback("E1", WEEK)
        assert info.feedback_given and not info.feedback_missed
        assert world.head() == before

    def test_close_month_once(self, world: World) -> None:
        world.record(
            [
                ("E1", MONTH, "sales_amount", 200_000),
                ("E1", MONTH, "retention_rate", 78),
                ("E1", MONTH, "new_customers", 16),
                ("E1", MONTH, "small_deal_sales", 100_000),
            ]
        )
        outcome = world.cycles.close_month("E1", MONTH, "month-close-E1")
        assert (outcome.employee_id, outcome.manager_id, outcome.month) == ("E1", "M", MONTH)
        assert outcome.bonus > 0
        assert outcome.commission > 0
        assert outcome.currency == "CNY"
        events = world.month_events()
        assert names(events)[:3] == ["Opened", "BonusComputed", "CommissionComputed"]
        assert events[0].meta.workflow_id == "month-close-E1"
        before = world.head()
        # Even when the ledger changes afterwards: the month stays as it was closed.
        world.record([("E1", MONTH, "sales_amount", 2_000_000)])
        assert world.cycles.close_month("E1", MONTH, "month-close-E1-retry") == outcome
        assert world.head() == before
        assert world.cycles.get_month("E1", MONTH).bonus.amount == outcome.bonus  # type: ignore[union-attr]

    def test_close_month_refusals(self, world: World) -> None:
        self.refused(
            world,
            "needs a month 'YYYY-MM', got '2026-W10'",
            world.cycles.close_month,
            "E1",
            WEEK,
            "wf",
        )
        self.refused(
            world, "unknown employee 'E404'", world.cycles.close_month, "E404", MONTH, "wf"
        )
        with pytest.raises(NotFoundError, match="E1's month 2026-03 is not closed"):
            world.cycles.get_month("E1", MONTH)


class TestCyclesOnPostgres(TestCycles):
    """The same tests on PostgreSQL (the store's own environment)."""

    persistence: ClassVar[str] = "postgres"

    @pytest.fixture
    def world(self, pg: PostgresSettings) -> Iterator[World]:
        yield from build(application_env(pg))
