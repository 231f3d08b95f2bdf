"""The Plans application's commands (development plans) without servers: on the library's
in-memory persistence (POPO) by default, and the same tests on PostgreSQL in the subclass
(the eventsourcing examples' pattern). No Temporal: the commands are plain method calls."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import pytest

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.development_plan import plan_uuid
from aggregates.ladder import Role
from aggregates.plan_template import Milestone
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
from careerflow.applications.plans import Plans
from careerflow.apps import Metrics, People, Policies
from careerflow.config import PostgresSettings
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env

HR = Principal(person_id="H1", role=AccessRole.hr)
M = Principal(person_id="M", role=AccessRole.manager)
M2 = Principal(person_id="M2", role=AccessRole.manager)
E1 = Principal(person_id="E1", role=AccessRole.employee)
PLAN = "plan-E1-2026-04-01"
WORKFLOW = "plan-E1-2026-04-01"
START = date(2026, 4, 1)

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
            ("M", Role.sales_manager, "T1", None),
            ("M2", Role.sales_manager, "T2", None),
            ("E1", Role.sales_supervisor, "T1", "M"),
        ]
    ],
)

EXTRA = Milestone(
    id="extra",
    label={"en": "Extra", "zh": "额外"},
    start_month=1,
    due_month=4,
    kind="confirmed",
    reminder={"en": "Do the extra", "zh": "完成额外"},
)


@dataclass
class World:
    plans: Plans

    def head(self) -> int:
        """The plans notification log's head: unchanged means nothing was recorded."""
        return self.plans.recorder.max_notification_id() or 0

    def events(self) -> list[Any]:
        return list(self.plans.events.get(plan_uuid(PLAN)))


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
    # The bankaccounts shape: collaborators are keyword arguments after env.
    plans = Plans(env=env, employee=people.get, policies=policies, ledger=ingest.ledger)
    try:
        yield World(plans)
    finally:
        for app in (plans, metrics_app, policies_app, people_app):
            app.close()


class TestPlans:
    """On the library's in-memory persistence (PERSISTENCE_MODULE unset: POPO)."""

    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def world(self) -> Iterator[World]:
        yield from build({})

    # -- helpers -------------------------------------------------------------------------
    def opened(self, world: World) -> None:
        world.plans.open_plan(HR, PLAN, "E1", Role.sales_supervisor, START, WORKFLOW, "app-E1-1")

    def refused(
        self, world: World, error: type[Exception], match: str, command: Any, *args: Any
    ) -> None:
        """The command is refused with `match` and records nothing."""
        before = world.head()
        with pytest.raises(error, match=match):
            command(*args)
        assert world.head() == before

    # -- tests ---------------------------------------------------------------------------
    def test_runs_on_the_intended_persistence(self, world: World) -> None:
        assert type(world.plans.factory).__module__ == f"eventsourcing.{self.persistence}"

    def test_open_plan_is_idempotent_on_retry(self, world: World) -> None:
        first = world.plans.open_plan(
            HR, PLAN, "E1", Role.sales_supervisor, START, WORKFLOW, "app-E1-1"
        )
        assert (first.plan_id, first.employee_id, first.manager_id) == (PLAN, "E1", "M")
        assert first.effective_date == START
        assert first.end_date > START
        assert "team_meetings" in first.milestones
        assert first.confirmable == ["team_meetings", "team_goal"]
        before = world.head()
        again = world.plans.open_plan(
            HR, PLAN, "E1", Role.sales_supervisor, START, WORKFLOW, "app-E1-1"
        )
        assert again == first
        assert world.head() == before
        (started,) = world.events()
        assert (started.meta.actor, started.meta.workflow_id) == ("H1", WORKFLOW)

    def test_open_plan_refusals(self, world: World) -> None:
        open_plan = world.plans.open_plan
        self.refused(
            world,
            PermissionDeniedError,
            "start development plans",
            open_plan,
            E1,
            PLAN,
            "E1",
            Role.sales_supervisor,
            START,
            WORKFLOW,
            None,
        )
        self.refused(
            world,
            NotFoundError,
            "unknown employee 'E404'",
            open_plan,
            HR,
            PLAN,
            "E404",
            Role.sales_supervisor,
            START,
            WORKFLOW,
            None,
        )
        self.refused(
            world,
            NotFoundError,
            "no plan_template/sales_rep has been published",
            open_plan,
            HR,
            PLAN,
            "E1",
            Role.sales_rep,
            START,
            WORKFLOW,
            None,
        )
        with pytest.raises(NotFoundError, match=f"no development plan '{PLAN}'"):
            world.plans.get(PLAN)

    def test_evaluate_records_progress_reminders_and_overdue_once(self, world: World) -> None:
        self.opened(world)
        first = world.plans.evaluate(PLAN, START)
        assert (first.employee_id, first.manager_id, first.finished) == ("E1", "M", False)
        assert first.newly_overdue == []
        before = world.head()
        assert world.plans.evaluate(PLAN, START) == first
        assert world.head() == before
        # Past month 3: its milestones are overdue, said once.
        late = world.plans.evaluate(PLAN, date(2026, 7, 15))
        overdue = {r.milestone_id for r in late.newly_overdue}
        assert "team_meetings" in overdue
        assert all(r.key == f"{r.milestone_id}/overdue" for r in late.newly_overdue)
        before = world.head()
        again = world.plans.evaluate(PLAN, date(2026, 7, 15))
        assert (again.newly_overdue, again.reminders) == ([], [])
        assert world.head() == before
        assert "MilestoneOverdue" in names(world.events())

    def test_confirm_by_the_manager_or_hr_once(self, world: World) -> None:
        self.opened(world)
        info = world.plans.confirm(PLAN, M, "team_meetings", "joined every week")
        before = world.head()
        assert world.plans.confirm(PLAN, M, "team_meetings", "joined every week") == info
        assert world.plans.confirm(PLAN, HR, "team_meetings", "again") == info
        assert world.head() == before
        event = world.events()[-1]
        assert (type(event).__name__, event.by, event.meta.actor) == (
            "MilestoneConfirmed",
            "M",
            "M",
        )

    def test_confirm_refusals(self, world: World) -> None:
        self.opened(world)
        confirm = world.plans.confirm
        self.refused(
            world,
            DomainError,
            r"^manager M2 is not E1's manager \(M\); only the manager or HR may do this$",
            confirm,
            PLAN,
            M2,
            "team_meetings",
            "",
        )
        self.refused(
            world,
            DomainError,
            "^employee E1 is not E1's manager",
            confirm,
            PLAN,
            E1,
            "team_meetings",
            "",
        )
        self.refused(
            world,
            DomainError,
            "only milestones of kind 'confirmed' are confirmed by hand",
            confirm,
            PLAN,
            HR,
            "courses",
            "",
        )
        self.refused(
            world, NotFoundError, "no development plan 'nope'", confirm, "nope", M, "x", ""
        )

    def test_adjust_once_per_key(self, world: World) -> None:
        self.opened(world)
        added = world.plans.adjust(PLAN, M, "adj-1", "add", "", EXTRA, None, "a new focus")
        assert "extra" in added.milestones and "extra" in added.confirmable
        before = world.head()
        again = world.plans.adjust(PLAN, M, "adj-1", "add", "", EXTRA, None, "a new focus")
        assert again == added
        assert world.head() == before
        moved = world.plans.adjust(PLAN, HR, "adj-2", "move", "extra", None, 6, "more time")
        assert moved.milestones == added.milestones
        dropped = world.plans.adjust(PLAN, M, "adj-3", "drop", "extra", None, None, "not needed")
        assert "extra" not in dropped.milestones
        event = world.events()[-1]
        assert (type(event).__name__, event.reason, event.meta.reason) == (
            "Adjusted",
            "not needed",
            "not needed",
        )

    def test_adjust_refusals(self, world: World) -> None:
        self.opened(world)
        adjust = world.plans.adjust
        self.refused(
            world,
            DomainError,
            r"^manager M2 is not E1's manager \(M\)",
            adjust,
            PLAN,
            M2,
            "adj-1",
            "drop",
            "courses",
            None,
            None,
            "no",
        )
        self.refused(
            world,
            DomainError,
            "an adjustment needs a reason",
            adjust,
            PLAN,
            M,
            "adj-1",
            "drop",
            "courses",
            None,
            None,
            " ",
        )
        self.refused(
            world,
            DomainError,
            "due month 13 is after the plan's 12 months",
            adjust,
            PLAN,
            M,
            "adj-1",
            "move",
            "courses",
            None,
            13,
            "later",
        )

    def test_close_plan_once(self, world: World) -> None:
        self.opened(world)
        outcome = world.plans.close_plan(PLAN, date(2027, 4, 1))
        assert (outcome.finished, outcome.overall) == (True, outcome.overall)
        assert (outcome.employee_id, outcome.manager_id) == ("E1", "M")
        before = world.head()
        assert world.plans.close_plan(PLAN, date(2027, 4, 1)) == outcome
        assert world.head() == before
        assert names(world.events())[-1] == "Closed"
        assert world.plans.get(PLAN).closed
        self.refused(
            world,
            DomainError,
            "the development plan is closed",
            world.plans.confirm,
            PLAN,
            M,
            "team_meetings",
            "",
        )

    def test_local_date_is_the_companys(self, world: World) -> None:
        # Shanghai (UTC+8): 20:00 UTC on 31 March is already 1 April there.
        assert world.plans.local_date(datetime(2026, 3, 31, 20, tzinfo=UTC)) == START


class TestPlansOnPostgres(TestPlans):
    """The same tests on PostgreSQL (the store's own environment)."""

    persistence: ClassVar[str] = "postgres"

    @pytest.fixture
    def world(self, pg: PostgresSettings) -> Iterator[World]:
        yield from build(application_env(pg))
