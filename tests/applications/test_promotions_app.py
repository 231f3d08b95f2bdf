"""The Promotions application's commands without servers: on the library's in-memory
persistence (POPO) by default, and the same tests on PostgreSQL in the subclass (the
eventsourcing examples' pattern). No Temporal: the commands are plain method calls."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

import pytest

from aggregates.base import DomainError
from aggregates.employee import Employee
from aggregates.ladder import Role
from aggregates.promotion import PromotionApplication, application_uuid
from aggregates.promotion_rules import Stage
from careerflow.applications.people import EmployeeIn, OrgImport, People, TeamIn
from careerflow.applications.policies import Policies
from careerflow.applications.promotions import Promotions
from careerflow.config import PostgresSettings
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env

HR = Principal(person_id="H1", role=AccessRole.hr)
MANAGER = Principal(person_id="M1", role=AccessRole.manager)
REP = Principal(person_id="E1", role=AccessRole.employee)
OTHER_REP = Principal(person_id="E2", role=AccessRole.employee)
WORKFLOW = "promotion-E1-1"
APP = "app-E1-1"


@dataclass
class World:
    promotions: Promotions
    people: People

    def events(self) -> list[Any]:
        return list(self.promotions.repository.event_store.get(application_uuid(APP)))

    def application(self) -> PromotionApplication:
        return self.promotions.get(APP)

    def employee(self, employee_id: str) -> Employee:
        return self.people.get(employee_id)


def build(env: dict[str, str]) -> Iterator[World]:
    people = People(env=env)
    policies = Policies(env=env)
    policies.seed(HR)
    people.import_org(
        HR,
        OrgImport(
            teams=[TeamIn(team_id="T1", name="North", manager_id="M1")],
            employees=[
                EmployeeIn(
                    employee_id=person,
                    name=person,
                    role=role,
                    team_id="T1",
                    manager_id=manager,
                    hire_date=date(2024, 1, 1),
                )
                for person, role, manager in [
                    ("H1", Role.sales_manager, None),
                    ("M1", Role.sales_manager, None),
                    ("E1", Role.senior_sales_rep, "M1"),
                    ("E2", Role.sales_rep, "M1"),
                ]
            ],
        ),
    )
    # The bankaccounts shape: collaborators are keyword arguments after env.
    promotions = Promotions(
        env=env, employee=people.get, save_employee=people.save, policies=policies
    )
    try:
        yield World(promotions, people)
    finally:
        for app in (promotions, policies, people):
            app.close()


class TestPromotions:
    """On the library's in-memory persistence (PERSISTENCE_MODULE unset: POPO)."""

    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def world(self) -> Iterator[World]:
        yield from build({})

    # -- helpers -------------------------------------------------------------------------
    def opened(self, world: World) -> None:
        world.promotions.open_application(REP, APP, "E1", Role.sales_supervisor, WORKFLOW)

    def reported(self, world: World) -> None:
        self.opened(world)
        world.promotions.submit_report(APP, 1, date(2026, 3, 10), REP)

    def decided(self, world: World, approve: bool = True) -> None:
        self.reported(world)
        world.promotions.decide(APP, 1, MANAGER, approve, "ready" if approve else "not yet", "c1")

    # -- tests ---------------------------------------------------------------------------
    def test_runs_on_the_intended_persistence(self, world: World) -> None:
        assert type(world.promotions.factory).__module__ == f"eventsourcing.{self.persistence}"

    def test_open_is_idempotent_on_retry(self, world: World) -> None:
        first = world.promotions.open_application(REP, APP, "E1", Role.sales_supervisor, WORKFLOW)
        again = world.promotions.open_application(REP, APP, "E1", Role.sales_supervisor, WORKFLOW)
        assert (first.changed, first.stage) == (True, Stage.reporting)
        assert first.notification_id is not None
        assert (again.changed, again.stage, again.notification_id) == (False, Stage.reporting, None)
        events = world.events()
        assert len(events) == 1
        assert events[0].meta.command_id == f"{WORKFLOW}/open"
        assert events[0].meta.actor == "E1"

    def test_open_refuses_someone_elses_application_and_a_skipped_rung(self, world: World) -> None:
        with pytest.raises(DomainError, match="may not start an application for E1"):
            world.promotions.open_application(OTHER_REP, APP, "E1", Role.sales_supervisor, WORKFLOW)
        with pytest.raises(DomainError, match="is not the next rung"):
            world.promotions.open_application(REP, APP, "E1", Role.sales_manager, WORKFLOW)
        assert world.events() == []

    def test_submit_report_once_per_round(self, world: World) -> None:
        self.opened(world)
        summary = world.promotions.submit_report(APP, 1, date(2026, 3, 10), REP)
        assert summary.round == 1
        assert summary.manager_id == "M1"  # the right manager is the one who decides
        assert summary.managers_manager_id is None
        assert not summary.eligible  # no metrics recorded
        assert summary.unmet
        assert summary.policy_versions
        world.promotions.submit_report(APP, 1, date(2026, 3, 10), REP)
        assert [type(e).__name__ for e in world.events()] == ["Started", "Submitted"]
        assert world.application().stage == Stage.manager_review

    def test_manager_decision_once_per_round(self, world: World) -> None:
        self.reported(world)
        result = world.promotions.decide(APP, 1, MANAGER, True, "ready", "c1")
        assert (result.changed, result.stage) == (True, Stage.hr_review)
        decided = world.events()[-1]
        assert (decided.decided_by, decided.approve, decided.as_hr) == ("M1", True, False)
        assert decided.meta.command_id == "c1"
        # The same command again answers the recorded outcome and records nothing.
        again = world.promotions.decide(APP, 1, MANAGER, True, "ready", "c1")
        assert (again.changed, again.stage) == (False, Stage.hr_review)
        # A second decision of the round changes nothing either; the aggregate refuses it
        # when asked (the process's validator says so before the workflow runs).
        other = world.promotions.decide(APP, 1, MANAGER, False, "no", "c2")
        assert (other.changed, other.stage) == (False, Stage.hr_review)
        with pytest.raises(DomainError, match="has already been decided"):
            world.application().check_manager_decision(1, False, "no")
        assert len(world.events()) == 3

    def test_a_rejection_needs_a_comment(self, world: World) -> None:
        self.reported(world)
        with pytest.raises(DomainError, match="a rejection needs a comment"):
            world.promotions.decide(APP, 1, MANAGER, False, " ", "c1")
        assert world.application().stage == Stage.manager_review

    def test_hr_confirms_announces_and_the_role_changes(self, world: World) -> None:
        self.decided(world)
        confirmed = world.promotions.confirm(APP, 1, HR, "agreed", "h1")
        assert (confirmed.changed, confirmed.stage) == (True, Stage.approved)
        assert not world.promotions.confirm(APP, 1, HR, "agreed", "h1").changed
        announced = world.promotions.announce(APP, date(2026, 3, 20))
        assert announced.changed
        assert announced.effective_at is not None
        assert announced.effective_at.date() == date(2026, 4, 1)
        assert announced.effective_at.utcoffset() is not None  # the company's time zone
        assert not world.promotions.announce(APP, date(2026, 3, 21)).changed
        with pytest.raises(DomainError, match="can no longer be withdrawn"):
            world.promotions.withdraw(APP, REP, "changed my mind")
        done = world.promotions.complete(APP)
        assert (done.changed, done.stage) == (True, Stage.promoted)
        assert world.employee("E1").role == Role.sales_supervisor
        assert not world.promotions.complete(APP).changed  # a retry is safe
        assert [type(e).__name__ for e in world.events()][-4:] == [
            "ManagerDecided",
            "HrConfirmed",
            "Announced",
            "Promoted",
        ]

    def test_hr_override_declines_despite_a_pass_with_a_reason(self, world: World) -> None:
        self.decided(world)
        with pytest.raises(DomainError, match="an override needs a reason"):
            world.promotions.override(APP, 1, HR, " ", False, "h1")
        declined = world.promotions.override(APP, 1, HR, "budget", False, "h2")
        assert (declined.changed, declined.stage) == (True, Stage.declined)
        event = world.events()[-1]
        assert (event.by, event.reason, event.approve) == ("H1", "budget", False)
        assert (event.meta.command_id, event.meta.reason) == ("h2", "budget")

    def test_hr_override_approves_a_returned_application(self, world: World) -> None:
        self.decided(world)
        unmet = world.promotions.submit_report(APP, 1, date(2026, 3, 10), REP).unmet
        returned = world.promotions.return_application(APP, 1, unmet)
        assert returned.stage == Stage.returned
        assert not world.promotions.return_application(APP, 1, unmet).changed
        approved = world.promotions.override(APP, 1, HR, "exceptional year", True, "h1")
        assert (approved.changed, approved.stage) == (True, Stage.approved)

    def test_withdraw_closes_the_application(self, world: World) -> None:
        self.reported(world)
        withdrawn = world.promotions.withdraw(APP, REP, "not now", "w1")
        assert (withdrawn.changed, withdrawn.stage) == (True, Stage.withdrawn)
        assert not world.promotions.withdraw(APP, REP, "not now", "w1").changed
        with pytest.raises(DomainError, match="the application is closed"):
            world.promotions.decide(APP, 1, MANAGER, True, "ready", "c1")

    def test_reminders_are_recorded_once_per_key(self, world: World) -> None:
        self.reported(world)
        assert world.promotions.remind(APP, "round-1/remind-1", "reminder", ["M1"]).changed
        assert not world.promotions.remind(APP, "round-1/remind-1", "reminder", ["M1"]).changed


class TestPromotionsOnPostgres(TestPromotions):
    """The same tests on PostgreSQL (the store's own environment)."""

    persistence: ClassVar[str] = "postgres"

    @pytest.fixture
    def world(self, pg: PostgresSettings) -> Iterator[World]:
        yield from build(application_env(pg))
