"""The Support application's commands without servers: on the library's in-memory
persistence (POPO) by default, and the same tests on PostgreSQL in the subclass (the
eventsourcing examples' pattern). No Temporal: the commands are plain method calls."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import pytest

from aggregates.base import DomainError, NotFoundError
from aggregates.ladder import Role
from aggregates.support_request import SupportRequest, support_uuid
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
from careerflow.applications.support import Support
from careerflow.apps import People, Policies
from careerflow.config import PostgresSettings
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env

HR = Principal(person_id="H1", role=AccessRole.hr)
REP = Principal(person_id="E1", role=AccessRole.employee)
OTHER_REP = Principal(person_id="E2", role=AccessRole.employee)
LEAD = Principal(person_id="PD01", role=AccessRole.employee)
MEMBER = Principal(person_id="PD02", role=AccessRole.employee)
OUTSIDER = Principal(person_id="AS01", role=AccessRole.employee)
AUDITOR = Principal(person_id="A1", role=AccessRole.auditor)
REQUEST = "SR-APP-1"
WORKFLOW = f"support-{REQUEST}"
# A Monday morning in the company's office hours.
RAISED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@dataclass
class World:
    support: Support

    def events(self) -> list[Any]:
        return list(self.support.repository.event_store.get(support_uuid(REQUEST)))

    def request(self) -> SupportRequest:
        return self.support.get(REQUEST)


def build(env: dict[str, str]) -> Iterator[World]:
    people_app = People(env=env)
    policies_app = Policies(env=env)
    people = people_app
    policies = policies_app
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
                    ("E1", Role.sales_rep, "M1"),
                    ("E2", Role.sales_rep, "M1"),
                ]
            ],
        ),
    )
    # The bankaccounts shape: collaborators are keyword arguments after env.
    support = Support(env=env, employee=people.get, policies=policies)
    try:
        yield World(support)
    finally:
        for app in (support, policies_app, people_app):
            app.close()


class TestSupport:
    """On the library's in-memory persistence (PERSISTENCE_MODULE unset: POPO)."""

    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def world(self) -> Iterator[World]:
        yield from build({})

    # -- helpers -------------------------------------------------------------------------
    def raised(self, world: World) -> SupportRequest:
        return world.support.raise_request(
            REQUEST, REP, "product", "a customised service?", "ACME", RAISED, WORKFLOW
        )

    def acknowledged(self, world: World) -> SupportRequest:
        self.raised(world)
        return world.support.acknowledge(REQUEST, LEAD, "ack", RAISED + timedelta(minutes=10))

    def answered(self, world: World) -> SupportRequest:
        self.acknowledged(world)
        return world.support.answer(
            REQUEST, MEMBER, "ans", "by Friday", RAISED + timedelta(hours=1)
        )

    # -- tests ---------------------------------------------------------------------------
    def test_runs_on_the_intended_persistence(self, world: World) -> None:
        assert type(world.support.factory).__module__ == f"eventsourcing.{self.persistence}"

    def test_raise_routes_and_is_idempotent_on_retry(self, world: World) -> None:
        request = self.raised(world)
        assert (request.status, request.routing.team, request.routing.lead_id) == (
            "open",
            "product",
            "PD01",
        )
        assert request.routing.response_minutes == 30
        assert request.clock.due_at > RAISED
        assert (request.text, request.customer) == ("a customised service?", "ACME")
        again = self.raised(world)
        assert again.version == request.version
        assert len(world.events()) == 1
        assert world.events()[0].meta.command_id == f"{WORKFLOW}/raise"

    def test_raise_refusals_record_nothing(self, world: World) -> None:
        with pytest.raises(DomainError, match="reps raise, confirm and reopen"):
            world.support.raise_request(REQUEST, HR, "product", "x", None, RAISED, WORKFLOW)
        with pytest.raises(DomainError, match="unknown support category 'legal'"):
            world.support.raise_request(REQUEST, REP, "legal", "x", None, RAISED, WORKFLOW)
        with pytest.raises(DomainError, match="needs text"):
            world.support.raise_request(REQUEST, REP, "product", "  ", None, RAISED, WORKFLOW)
        with pytest.raises(DomainError, match="4-40 letters"):
            world.support.raise_request("x!", REP, "product", "x", None, RAISED, WORKFLOW)
        with pytest.raises(NotFoundError, match="no support request"):
            world.support.get(REQUEST)
        self.raised(world)
        with pytest.raises(DomainError, match="is already taken"):
            world.support.raise_request(REQUEST, OTHER_REP, "product", "x", None, RAISED, WORKFLOW)

    def test_acknowledge_once_by_the_team(self, world: World) -> None:
        self.raised(world)
        later = RAISED + timedelta(minutes=10)
        with pytest.raises(DomainError, match="AS01 is not on the Product team"):
            world.support.acknowledge(REQUEST, OUTSIDER, "k0", later)
        with pytest.raises(DomainError, match="support-team members act as themselves"):
            world.support.acknowledge(REQUEST, AUDITOR, "k0", later)
        request = world.support.acknowledge(REQUEST, LEAD, "ack", later)
        assert (request.status, request.acknowledged_by, request.sla_met) == (
            "acknowledged",
            "PD01",
            True,
        )
        assert request.response_minutes == 10
        recorded = len(world.events())
        # A retried activity (same key) records nothing new.
        world.support.acknowledge(REQUEST, LEAD, "ack", later + timedelta(minutes=1))
        assert len(world.events()) == recorded
        with pytest.raises(DomainError, match="a request is acknowledged once"):
            world.support.acknowledge(REQUEST, MEMBER, "ack-2", later)
        assert len(world.events()) == recorded

    def test_answer_needs_an_acknowledgement_and_text(self, world: World) -> None:
        self.raised(world)
        later = RAISED + timedelta(minutes=20)
        with pytest.raises(DomainError, match="acknowledge it before answering"):
            world.support.answer(REQUEST, LEAD, "a1", "soon", later)
        world.support.acknowledge(REQUEST, LEAD, "ack", later)
        with pytest.raises(DomainError, match="an answer needs text for the rep"):
            world.support.answer(REQUEST, LEAD, "a1", " ", later)
        answered = world.support.answer(REQUEST, MEMBER, "a1", " by Friday ", later)
        assert (answered.status, answered.answer, answered.answers) == ("answered", "by Friday", 1)
        recorded = len(world.events())
        world.support.answer(REQUEST, MEMBER, "a1", "by Friday", later)
        assert len(world.events()) == recorded
        with pytest.raises(DomainError, match="waits for E1 to confirm or reopen it"):
            world.support.answer(REQUEST, LEAD, "a2", "again", later)

    def test_only_the_rep_confirms_or_reopens_an_answer(self, world: World) -> None:
        self.acknowledged(world)
        later = RAISED + timedelta(hours=2)
        with pytest.raises(DomainError, match="has no answer to confirm yet"):
            world.support.confirm(REQUEST, REP, "c1", later)
        with pytest.raises(DomainError, match="has no answer to reopen"):
            world.support.reopen(REQUEST, REP, "r1", "why", later)
        world.support.answer(REQUEST, MEMBER, "a1", "by Friday", later)
        with pytest.raises(DomainError, match="only the rep who raised it may"):
            world.support.confirm(REQUEST, OTHER_REP, "c1", later)
        with pytest.raises(DomainError, match="reps raise, confirm and reopen"):
            world.support.confirm(REQUEST, HR, "c1", later)
        with pytest.raises(DomainError, match="reopening needs a reason"):
            world.support.reopen(REQUEST, REP, "r1", " ", later)
        reopened = world.support.reopen(REQUEST, REP, "r1", "which Friday?", later)
        assert (reopened.status, reopened.reopens) == ("reopened", 1)
        assert world.events()[-1].meta.reason == "which Friday?"
        world.support.answer(REQUEST, MEMBER, "a2", "this Friday", later)
        resolved = world.support.confirm(REQUEST, REP, "c1", later)
        assert (resolved.status, resolved.finished_at) == ("resolved", later)
        recorded = len(world.events())
        world.support.confirm(REQUEST, REP, "c1", later)
        assert len(world.events()) == recorded
        with pytest.raises(DomainError, match=f"support request {REQUEST} is resolved"):
            world.support.reopen(REQUEST, REP, "r2", "no", later)

    def test_the_clock_reminds_breaches_and_closes_once(self, world: World) -> None:
        request = self.raised(world)
        due = request.clock.due_at
        with pytest.raises(DomainError, match="it cannot be breached before"):
            world.support.breach(REQUEST, due - timedelta(minutes=1))
        world.support.remind(REQUEST, "50", 50, ["PD01"], due - timedelta(minutes=15))
        world.support.remind(REQUEST, "50", 50, ["PD01"], due - timedelta(minutes=15))
        breached = world.support.breach(REQUEST, due)
        assert breached.breached_at == due
        world.support.breach(REQUEST, due + timedelta(minutes=1))
        names = [type(e).__name__ for e in world.events()]
        assert names == ["Raised", "Reminded", "Breached"]
        assert world.events()[-1].meta.role == "system"

    def test_an_unconfirmed_answer_closes_once(self, world: World) -> None:
        self.answered(world)
        later = RAISED + timedelta(days=3)
        closed = world.support.close_unconfirmed(REQUEST, later)
        assert (closed.status, closed.finished_at) == ("closed", later)
        recorded = len(world.events())
        world.support.close_unconfirmed(REQUEST, later)
        assert len(world.events()) == recorded
        with pytest.raises(DomainError, match=f"support request {REQUEST} is closed"):
            world.support.confirm(REQUEST, REP, "c1", later)


class TestSupportOnPostgres(TestSupport):
    """The same tests on PostgreSQL (the store's own environment)."""

    persistence: ClassVar[str] = "postgres"

    @pytest.fixture
    def world(self, pg: PostgresSettings) -> Iterator[World]:
        yield from build(application_env(pg))
