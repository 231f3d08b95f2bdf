"""The organisation's commands on the event store: teams and employees, imported and
moved by HR, and each person's profile language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from aggregates.base import DomainError, PermissionDeniedError, command_context
from aggregates.employee import Employee, employee_uuid
from aggregates.ladder import Role
from aggregates.not_found import unknown_employee
from aggregates.organisation import ORGANISATION_ID, Organisation
from careerflow.applications.files import file_problem, one_a_line
from careerflow.eventstore import PydanticApplication
from careerflow.principal import AccessRole, Principal
from words.messages import Message, role_word


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    manager_id: str | None = None
    parent_team_id: str | None = None


class EmployeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employee_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    role: Role
    team_id: str = Field(min_length=1)
    manager_id: str | None = None
    hire_date: date
    email: str | None = None
    locale: str = "zh"


class OrgImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: str = "careerflow demo"
    teams: list[TeamIn] = []
    employees: list[EmployeeIn] = []


class ImportResult(BaseModel):
    teams_changed: int
    employees_added: int
    employees_moved: int
    notification_id: int | None


class LanguageSetting(BaseModel):
    """A profile's language after a change (`changed` is false when it was already set)."""

    employee_id: str
    language: str
    changed: bool


class OrgImportRefused(DomainError):
    """An organisation import with problems (`messages`, one each): nothing was written."""

    def __init__(self, template: str | Message, /, **params: Any) -> None:
        super().__init__(template, **params)
        self.messages: list[Message] = []


def require_org_importer(principal: Principal) -> None:
    """HR changes the organisation (and the system, loading the demo)."""
    principal.require(AccessRole.hr, AccessRole.system, action=Message("change the organisation"))


class People(PydanticApplication):
    """Employees and the organisation's teams."""

    name = "people"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Organisation: 50}

    def get(self, employee_id: str) -> Employee:
        employee: Employee | None = self.find(employee_uuid(employee_id))
        if employee is None:
            raise unknown_employee(employee_id)
        return employee

    def get_many(self, employee_ids: list[str]) -> dict[str, Employee]:
        """The employees among `employee_ids` who exist, read at once (a batch)."""
        found = self.find_many(employee_uuid(e) for e in employee_ids)
        return {e: found[employee_uuid(e)] for e in employee_ids if employee_uuid(e) in found}

    def exists(self, employee_id: str) -> bool:
        return employee_uuid(employee_id) in self.repository

    def import_org(
        self,
        principal: Principal,
        data: OrgImport,
        lines: Mapping[str, int] | None = None,
    ) -> ImportResult:
        """Creates or updates teams and employees in one transaction; re-importing the same
        data writes nothing. `lines`: the file line of each employee id (an uploaded
        table), so that a refusal names the line and field of each problem."""
        require_org_importer(principal)
        ids = {e.employee_id for e in data.employees}
        team_ids = {t.team_id for t in data.teams}
        org = self._organisation()
        known_teams = set(org.teams) if org else set()
        problems: list[Message] = []
        for e in data.employees:
            line = (lines or {}).get(e.employee_id)
            if e.manager_id and e.manager_id not in ids and not self.exists(e.manager_id):
                problems.append(
                    Message(
                        "employee {employee_id}: manager {manager_id!r} is unknown",
                        employee_id=e.employee_id,
                        manager_id=e.manager_id,
                    )
                    if line is None
                    else file_problem(
                        line,
                        "manager_id",
                        Message("unknown manager {manager_id!r}", manager_id=e.manager_id),
                    )
                )
            if e.team_id not in team_ids and e.team_id not in known_teams:
                problems.append(
                    Message(
                        "employee {employee_id}: team {team_id!r} is unknown",
                        employee_id=e.employee_id,
                        team_id=e.team_id,
                    )
                    if line is None
                    else file_problem(
                        line, "team_id", Message("unknown team {team_id!r}", team_id=e.team_id)
                    )
                )
        if problems:
            refused = OrgImportRefused(
                "nothing was imported:\n{problems}", problems=one_a_line(problems)
            )
            refused.messages = problems
            raise refused
        changed: list[Organisation | Employee] = []
        added = moved = teams_changed = 0
        with command_context(actor=principal.person_id, role=principal.role.value):
            if org is None:
                org = Organisation(name=data.organisation)
            for t in data.teams:
                teams_changed += org.upsert_team(t.team_id, t.name, t.manager_id, t.parent_team_id)
            if org.pending_events:
                changed.append(org)
            for e in data.employees:
                employee: Employee | None = self.find(employee_uuid(e.employee_id))
                if employee is not None:
                    if employee.move(e.team_id, e.manager_id):
                        moved += 1
                        changed.append(employee)
                    continue
                changed.append(Employee(**e.model_dump()))
                added += 1
        recordings = self.save(*changed) if changed else []
        return ImportResult(
            teams_changed=teams_changed,
            employees_added=added,
            employees_moved=moved,
            notification_id=recordings[-1].notification.id if recordings else None,
        )

    def set_language(
        self, principal: Principal, employee_id: str, language: str
    ) -> LanguageSetting:
        """A person's own profile language (HR may set anyone's): the language of their
        notifications, and of pages, API answers and CLI messages unless they switched."""
        own = principal.person_id == employee_id and principal.role in (
            AccessRole.employee,
            AccessRole.manager,
        )
        if not own and principal.role not in (AccessRole.hr, AccessRole.system):
            raise PermissionDeniedError(
                "{role} {person_id} may not change {employee_id}'s language: people set "
                "their own, HR anyone's",
                role=role_word(principal.role.value),
                person_id=principal.person_id,
                employee_id=employee_id,
            )
        employee = self.get(employee_id)
        with command_context(actor=principal.person_id, role=principal.role.value):
            changed = employee.set_language(language)
        if changed:
            self.save(employee)
        return LanguageSetting(employee_id=employee_id, language=employee.locale, changed=changed)

    def organisation_exists(self) -> bool:
        return ORGANISATION_ID in self.repository

    def _organisation(self) -> Organisation | None:
        org: Organisation | None = self.find(ORGANISATION_ID)
        return org
