"""The People application's commands without servers: on the library's in-memory
persistence (POPO) by default, and the same tests on PostgreSQL in the subclass (the
eventsourcing examples' pattern)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import ClassVar

import pytest

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.ladder import Role
from careerflow.applications.people import EmployeeIn, OrgImport, People, TeamIn
from careerflow.config import PostgresSettings
from careerflow.principal import SYSTEM, AccessRole, Principal
from careerflow.store import application_env

HR = Principal(person_id="H1", role=AccessRole.hr)
MANAGER = Principal(person_id="M1", role=AccessRole.manager)
REP = Principal(person_id="E1", role=AccessRole.employee)


def employee(person: str, role: Role, team: str = "T1", manager: str | None = "M1") -> EmployeeIn:
    return EmployeeIn(
        employee_id=person,
        name=person,
        role=role,
        team_id=team,
        manager_id=manager,
        hire_date=date(2024, 1, 1),
    )


ORG = OrgImport(
    teams=[
        TeamIn(team_id="T1", name="North", manager_id="M1"),
        TeamIn(team_id="T2", name="South", manager_id="M1"),
    ],
    employees=[
        employee("M1", Role.sales_manager, manager=None),
        employee("E1", Role.sales_rep),
        employee("E2", Role.sales_rep),
    ],
)


class TestPeople:
    """On the library's in-memory persistence (PERSISTENCE_MODULE unset: POPO)."""

    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def people(self) -> Iterator[People]:
        with People(env={}) as app:
            yield app

    def test_runs_on_the_intended_persistence(self, people: People) -> None:
        assert type(people.factory).__module__ == f"eventsourcing.{self.persistence}"

    def test_import_creates_the_organisation_once(self, people: People) -> None:
        assert not people.organisation_exists()
        first = people.import_org(HR, ORG)
        assert (first.teams_changed, first.employees_added, first.employees_moved) == (2, 3, 0)
        assert first.notification_id is not None
        assert people.organisation_exists()
        assert people.exists("E1") and not people.exists("E9")
        assert people.get("E1").manager_id == "M1"

        again = people.import_org(SYSTEM, ORG)  # the same data again writes nothing
        assert (again.teams_changed, again.employees_added, again.employees_moved) == (0, 0, 0)
        assert again.notification_id is None

    def test_import_moves_known_employees(self, people: People) -> None:
        people.import_org(HR, ORG)
        moved = people.import_org(HR, OrgImport(employees=[employee("E2", Role.sales_rep, "T2")]))
        assert (moved.employees_added, moved.employees_moved) == (0, 1)
        assert people.get("E2").team_id == "T2"

    def test_import_refusals_write_nothing(self, people: People) -> None:
        with pytest.raises(PermissionDeniedError, match="may not change the organisation"):
            people.import_org(MANAGER, ORG)
        bad = OrgImport(
            teams=[TeamIn(team_id="T1", name="North")],
            employees=[
                employee("E1", Role.sales_rep, manager="M9"),
                employee("E2", Role.sales_rep, "T9", manager=None),
            ],
        )
        with pytest.raises(DomainError) as refused:
            people.import_org(HR, bad)
        assert str(refused.value) == (
            "nothing was imported:\n"
            "employee E1: manager 'M9' is unknown\n"
            "employee E2: team 'T9' is unknown"
        )
        assert not people.organisation_exists() and not people.exists("E1")

    def test_unknown_employee(self, people: People) -> None:
        with pytest.raises(NotFoundError, match="unknown employee 'E1'"):
            people.get("E1")

    def test_set_language_own_or_by_hr_idempotent(self, people: People) -> None:
        people.import_org(HR, ORG)
        assert people.get("E1").locale == "zh"
        first = people.set_language(REP, "E1", "en")
        again = people.set_language(REP, "E1", "en")
        assert (first.language, first.changed) == ("en", True)
        assert (again.language, again.changed) == ("en", False)
        assert people.get("E1").locale == "en"
        assert people.set_language(HR, "E2", "en").changed

    def test_set_language_refusals(self, people: People) -> None:
        people.import_org(HR, ORG)
        with pytest.raises(PermissionDeniedError, match="may not change E1's language"):
            people.set_language(MANAGER, "E1", "en")
        with pytest.raises(DomainError, match="unknown language 'fr'"):
            people.set_language(REP, "E1", "fr")
        with pytest.raises(NotFoundError):
            people.set_language(HR, "E9", "en")
        assert people.get("E1").locale == "zh"


class TestPeopleOnPostgres(TestPeople):
    """The same tests on PostgreSQL (the store's own environment)."""

    persistence: ClassVar[str] = "postgres"

    @pytest.fixture
    def people(self, pg: PostgresSettings) -> Iterator[People]:
        with People(env=application_env(pg)) as app:
            yield app
