"""An employee: place on the ladder, manager and team."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from aggregates.base import Aggregate, DomainError, stable_id
from aggregates.ladder import Role
from words.messages import LANGUAGES  # a profile chooses one


def employee_uuid(employee_id: str) -> UUID:
    return stable_id("employee", employee_id)


class Employee(Aggregate):
    @staticmethod
    def create_id(employee_id: str, *_: object, **__: object) -> UUID:
        return employee_uuid(employee_id)

    @event("Hired")
    def __init__(
        self,
        employee_id: str,
        name: str,
        role: Role,
        team_id: str,
        manager_id: str | None,
        hire_date: date,
        email: str | None = None,
        locale: str = "zh",
    ) -> None:
        self.employee_id = employee_id
        self.name = name
        self.role = role
        self.team_id = team_id
        self.manager_id = manager_id
        self.hire_date = hire_date
        self.email = email
        self.locale = locale
        self.active = True
        self.role_history: list[tuple[Role, date]] = [(role, hire_date)]

    def change_role(self, role: Role, effective_date: date, reference: str) -> bool:
        """Idempotent: promoting to the role already held (same reference) does nothing."""
        if self.role == role:
            return False
        self._role_changed(role=role, effective_date=effective_date, reference=reference)
        return True

    @event("RoleChanged")
    def _role_changed(self, role: Role, effective_date: date, reference: str) -> None:
        self.role = role
        self.role_history.append((role, effective_date))

    def move(self, team_id: str, manager_id: str | None) -> bool:
        if (team_id, manager_id) == (self.team_id, self.manager_id):
            return False
        if manager_id == self.employee_id:
            raise DomainError(
                "{employee_id} cannot be their own manager", employee_id=self.employee_id
            )
        self._moved(team_id=team_id, manager_id=manager_id)
        return True

    @event("Moved")
    def _moved(self, team_id: str, manager_id: str | None) -> None:
        self.team_id = team_id
        self.manager_id = manager_id

    def set_language(self, language: str) -> bool:
        """The profile's language (notifications, and pages, API answers and CLI messages
        when the person has not switched). Idempotent: the language already set does
        nothing."""
        if language not in LANGUAGES:
            raise DomainError(
                "unknown language {language!r}; choose one of: {choices}",
                language=language,
                choices=", ".join(LANGUAGES),
            )
        if self.locale == language:
            return False
        self._language_set(locale=language)
        return True

    @event("LanguageSet")
    def _language_set(self, locale: str) -> None:
        self.locale = locale

    def leave(self, last_day: date) -> bool:
        if not self.active:
            return False
        self._left(last_day=last_day)
        return True

    @event("Left")
    def _left(self, last_day: date) -> None:
        self.active = False
