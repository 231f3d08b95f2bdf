"""The Access application's commands without servers: on the library's in-memory
persistence (POPO) by default, and the same tests on PostgreSQL in the subclass (the
eventsourcing examples' pattern). Its reads of the read model (the support teams, HR's
token list) are injected query functions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import pytest

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.ladder import Role
from careerflow.applications.access import Access, AuthenticationError
from careerflow.applications.people import EmployeeIn, OrgImport, People, TeamIn
from careerflow.config import PostgresSettings
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env

HR = Principal(person_id="H1", role=AccessRole.hr)
REP = Principal(person_id="E1", role=AccessRole.employee)
TEAMS = {"after_sales": {"lead_id": "X1", "members": ["X2"]}}
ROW = {
    "token_id": "abc",
    "person_id": "E1",
    "role": "employee",
    "label": "phone",
    "issued_by": "H1",
    "issued_at": datetime(2026, 1, 1, tzinfo=UTC),
    "expires_at": None,
    "revoked_at": None,
}


@dataclass
class World:
    access: Access
    people: People


def build(env: dict[str, str]) -> Iterator[World]:
    people = People(env=env)
    people.import_org(
        HR,
        OrgImport(
            teams=[TeamIn(team_id="T1", name="North")],
            employees=[
                EmployeeIn(
                    employee_id="E1",
                    name="E1",
                    role=Role.sales_rep,
                    team_id="T1",
                    hire_date=date(2024, 1, 1),
                )
            ],
        ),
    )

    def token_list() -> list[Any]:
        return [ROW]

    access = Access(env=env, people=people, support_teams=lambda: TEAMS, token_list=token_list)
    try:
        yield World(access, people)
    finally:
        access.close()
        people.close()


class TestAccess:
    """On the library's in-memory persistence (PERSISTENCE_MODULE unset: POPO)."""

    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def world(self) -> Iterator[World]:
        yield from build({})

    def test_runs_on_the_intended_persistence(self, world: World) -> None:
        assert type(world.access.factory).__module__ == f"eventsourcing.{self.persistence}"

    def test_issue_authenticate_revoke(self, world: World) -> None:
        issued = world.access.issue(HR, "E1", AccessRole.employee, "phone", valid_days=30)
        assert issued.token.startswith(f"cf_{issued.token_id}.")
        assert issued.expires_at is not None
        assert world.access.authenticate(issued.token) == REP
        assert world.access.revoke(HR, issued.token_id, "phone lost")
        assert not world.access.revoke(HR, issued.token_id, "again")  # idempotent
        with pytest.raises(AuthenticationError, match="this token was revoked"):
            world.access.authenticate(issued.token)

    def test_hr_tokens_and_support_staff(self, world: World) -> None:
        hr = world.access.issue(HR, "H9", AccessRole.hr, valid_days=None)
        assert hr.expires_at is None
        assert world.access.authenticate(hr.token).role == AccessRole.hr
        # Not in the organisation, but on a support team of the document in force.
        staff = world.access.issue(HR, "X2", AccessRole.employee)
        assert world.access.authenticate(staff.token).person_id == "X2"

    def test_issue_refusals(self, world: World) -> None:
        with pytest.raises(PermissionDeniedError, match="may not issue API tokens"):
            world.access.issue(REP, "E1", AccessRole.employee)
        with pytest.raises(DomainError, match="system tokens are not issued"):
            world.access.issue(HR, "E1", AccessRole.system)
        with pytest.raises(DomainError, match="a token needs the person it acts for"):
            world.access.issue(HR, " ", AccessRole.hr)
        with pytest.raises(DomainError, match="unknown employee 'E9'"):
            world.access.issue(HR, "E9", AccessRole.employee)
        with pytest.raises(DomainError, match="unknown employee 'X2'"):
            world.access.issue(HR, "X2", AccessRole.manager)  # support staff: employee only
        with pytest.raises(DomainError, match="valid_days must be at least 1, got 0"):
            world.access.issue(HR, "E1", AccessRole.employee, valid_days=0)

    def test_authentication_refusals(self, world: World) -> None:
        with pytest.raises(AuthenticationError, match="malformed token"):
            world.access.authenticate("hello")
        issued = world.access.issue(HR, "E1", AccessRole.employee)
        with pytest.raises(AuthenticationError, match="unknown token"):
            world.access.authenticate(issued.token[:-4] + "xxxx")
        with pytest.raises(AuthenticationError, match="unknown token"):
            world.access.authenticate("cf_000000000000." + "a" * 43)

    def test_revoke_refusals(self, world: World) -> None:
        with pytest.raises(NotFoundError, match="no token 'nope'"):
            world.access.revoke(HR, "nope", "?")
        issued = world.access.issue(HR, "E1", AccessRole.employee)
        with pytest.raises(PermissionDeniedError, match="may not revoke API tokens"):
            world.access.revoke(REP, issued.token_id, "mine")
        assert world.access.authenticate(issued.token) == REP

    def test_list_tokens_reads_the_injected_query(self, world: World) -> None:
        listed = world.access.list_tokens(HR)
        assert [(t.token_id, t.person_id, t.label) for t in listed] == [("abc", "E1", "phone")]
        with pytest.raises(PermissionDeniedError, match="may not list API tokens"):
            world.access.list_tokens(REP)


class TestAccessOnPostgres(TestAccess):
    """The same tests on PostgreSQL (the store's own environment)."""

    persistence: ClassVar[str] = "postgres"

    @pytest.fixture
    def world(self, pg: PostgresSettings) -> Iterator[World]:
        yield from build(application_env(pg))
