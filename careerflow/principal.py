"""Who is acting: every service call names a principal with a role."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from aggregates.base import PermissionDeniedError


class AccessRole(StrEnum):
    employee = "employee"
    manager = "manager"
    hr = "hr"
    auditor = "auditor"
    integration = "integration"  # machine ingestion of metric exports
    system = "system"  # the engine itself (workflows, demo loader)


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    role: AccessRole

    @classmethod
    def parse(cls, text: str) -> Principal:
        """`hr:H001` → HR person H001. The CLI's `--as` takes this form."""
        role, sep, person = text.partition(":")
        valid = ", ".join(r.value for r in AccessRole)
        if not sep or not person:
            raise ValueError(f"expected ROLE:PERSON_ID (e.g. hr:H001), got {text!r}")
        try:
            access = AccessRole(role.strip().lower())
        except ValueError:
            raise ValueError(f"unknown role {role!r}; use one of: {valid}") from None
        return cls(person_id=person.strip(), role=access)

    def require(self, *roles: AccessRole, action: str) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise PermissionDeniedError(
                f"{self.role.value} {self.person_id} may not {action}; "
                f"this needs one of these roles: {allowed}"
            )


SYSTEM = Principal(person_id="careerflow", role=AccessRole.system)
