"""One audit action (a history read, an export, a verification, a replay): auditors
change nothing, but what they looked at is itself on the record."""

from __future__ import annotations

from uuid import UUID, uuid4

from eventsourcing.domain import event

from aggregates.base import Aggregate


class AuditAction(Aggregate):
    @staticmethod
    def create_id(*_: object, **__: object) -> UUID:
        return uuid4()

    @event("Performed")
    def __init__(self, action: str, subject: str, detail: str = "") -> None:
        self.action = action
        self.subject = subject
        self.detail = detail
