"""Who is acting: every service call names a principal with a role."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from aggregates.errors import PermissionDeniedError
from aggregates.meta import EventMeta, command_context
from words.messages import Invalid, Message, role_word, role_words


def unknown_role(role: str, roles: Iterable[StrEnum]) -> Invalid:
    """The refusal of a role that is not one of `roles` (an access role, or a rung of the
    career ladder): the CLI and the principal's parse say it alike."""
    return Invalid(
        "unknown role {role!r}; use one of: {valid}",
        role=role,
        valid=", ".join(r.value for r in roles),
    )


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
        """`hr:H001` → HR person H001. The local operator's stack commands take this form
        (`--as`); business commands act as the principal of a token instead."""
        role, sep, person = text.partition(":")
        if not sep or not person:
            raise Invalid("expected ROLE:PERSON_ID (e.g. hr:H001), got {text!r}", text=text)
        try:
            access = AccessRole(role.strip().lower())
        except ValueError:
            raise unknown_role(role, AccessRole) from None
        return cls(person_id=person.strip(), role=access)

    def require(self, *roles: AccessRole, action: Message) -> None:
        if self.role not in roles:
            raise PermissionDeniedError(
                "{role} {person_id} may not {action}; this needs one of these roles: {allowed}",
                role=role_word(self.role.value),
                person_id=self.person_id,
                action=action,
                allowed=role_words(r.value for r in roles),
            )


SYSTEM = Principal(person_id="careerflow", role=AccessRole.system)


def workflow_step(
    principal: Principal | None, workflow_id: str, step: str, reason: str | None = None
) -> AbstractContextManager[EventMeta]:
    """Events recorded inside carry who acted (the engine itself when nobody did) and a
    command id made of the workflow and its step, so a retried step is recognisable."""
    return command_context(
        actor=principal.person_id if principal else "careerflow",
        role=principal.role.value if principal else "system",
        command_id=f"{workflow_id}/{step}",
        workflow_id=workflow_id,
        reason=reason,
    )
