"""A support request from the field (seed 004): a rep raises it, the support_process
document routes it to a team with a response SLA, a team member acknowledges it (the
response time and whether the SLA was met are recorded), answers it, and the rep confirms
the answer resolved it or reopens it with a reason. Reminders before the SLA is breached
and the escalation on a breach are events too.

Every moment a rule depends on (`at`) is the workflow's time, passed in by the command,
so the SLA arithmetic is the same on replay and on the time-skipping test server; the
events' own timestamps remain when they were written.

Commands are idempotent: each carries a key, and a key already taken changes nothing.
Refusals raise DomainError with what to do instead, and record nothing."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import event
from pydantic import Field

from aggregates.base import Aggregate, DomainError, Immutable, stable_id
from aggregates.support_process import OfficeHours
from aggregates.support_rules import (
    ACTIONS,
    FINISHED,
    WITH_TEAM,
    RequestFacts,
    SlaClock,
    SlaReminder,
    SupportStatus,
    acknowledge_refusal,
    answer_refusal,
    confirm_refusal,
    reopen_refusal,
)

# The plain values live in support_rules (pure, for the workflow's contracts).
__all__ = [
    "ACTIONS",
    "FINISHED",
    "WITH_TEAM",
    "Routing",
    "SlaClock",
    "SlaReminder",
    "SupportRequest",
    "SupportStatus",
    "support_uuid",
]


def support_uuid(request_id: str) -> UUID:
    return stable_id("support-request", request_id)


class Routing(Immutable):
    """Where the support_process version in force sent the request, and its SLA."""

    category: str
    category_label: dict[str, str]
    team: str
    team_label: dict[str, str]
    lead_id: str
    members: list[str]
    response_minutes: int
    escalate_to: list[str]
    office_hours: OfficeHours | None
    country: str
    time_zone: str
    # The company's published extra days when it was raised (promotion_process), so the
    # clock counts the same days at acknowledgement (absent in requests raised before).
    extra_holidays: list[date] = Field(default_factory=list)
    extra_working_days: list[date] = Field(default_factory=list)
    close_unconfirmed_after_hours: int
    process_version: int

    def on_team(self, person_id: str) -> bool:
        return person_id == self.lead_id or person_id in self.members

    def people(self) -> list[str]:
        return [self.lead_id, *(m for m in self.members if m != self.lead_id)]


class SupportRequest(Aggregate):
    @staticmethod
    def create_id(request_id: str, *_: object, **__: object) -> UUID:
        return support_uuid(request_id)

    @event("Raised")
    def __init__(
        self,
        request_id: str,
        employee_id: str,
        text: str,
        customer: str | None,
        routing: Routing,
        clock: SlaClock,
        workflow_id: str,
    ) -> None:
        self.request_id = request_id
        self.employee_id = employee_id
        self.text = text
        self.customer = customer
        self.routing = routing
        self.clock = clock
        self.workflow_id = workflow_id
        self.status: SupportStatus = "open"
        self.commands: list[str] = []
        self.reminded: list[str] = []
        self.breached_at: datetime | None = None
        self.acknowledged_by: str | None = None
        self.acknowledged_at: datetime | None = None
        self.response_minutes: float | None = None
        self.sla_met: bool | None = None
        self.answer: str | None = None
        self.answered_by: str | None = None
        self.answered_at: datetime | None = None
        self.answers = 0
        self.reopens = 0
        self.finished_at: datetime | None = None

    # -- who may do what (support_rules decides; the workflow's validators ask the same) --
    def facts(self) -> RequestFacts:
        r = self.routing
        return RequestFacts(
            request_id=self.request_id,
            employee_id=self.employee_id,
            status=self.status,
            team_label=r.team_label,
            lead_id=r.lead_id,
            members=r.members,
            acknowledged_by=self.acknowledged_by,
            acknowledged_at=self.acknowledged_at,
        )

    def check_acknowledge(self, person_id: str) -> None:
        if refusal := acknowledge_refusal(self.facts(), person_id):
            raise DomainError(refusal)

    def check_answer(self, person_id: str, text: str) -> None:
        if refusal := answer_refusal(self.facts(), person_id, text):
            raise DomainError(refusal)

    def check_confirm(self, person_id: str) -> None:
        if refusal := confirm_refusal(self.facts(), person_id):
            raise DomainError(refusal)

    def check_reopen(self, person_id: str, reason: str) -> None:
        if refusal := reopen_refusal(self.facts(), person_id, reason):
            raise DomainError(refusal)

    # -- the team ----------------------------------------------------------------------
    def acknowledge(
        self, key: str, by: str, role: str, at: datetime, response_minutes: float
    ) -> bool:
        if key in self.commands:
            return False
        self.check_acknowledge(by)
        waited = round((at - self.clock.raised_at).total_seconds() / 60, 2)
        self._acknowledged(
            key=key,
            by=by,
            role=role,
            at=at,
            response_minutes=response_minutes,
            waited_minutes=max(waited, 0.0),
            sla_met=at <= self.clock.due_at,
        )
        return True

    @event("Acknowledged")
    def _acknowledged(
        self,
        key: str,
        by: str,
        role: str,
        at: datetime,
        response_minutes: float,
        waited_minutes: float,
        sla_met: bool,
    ) -> None:
        self.commands = [*self.commands, key]
        self.status = "acknowledged"
        self.acknowledged_by = by
        self.acknowledged_at = at
        self.response_minutes = response_minutes
        self.sla_met = sla_met

    def give_answer(self, key: str, by: str, text: str, at: datetime) -> bool:
        if key in self.commands:
            return False
        self.check_answer(by, text)
        self._answered(key=key, by=by, text=text, at=at, round=self.answers + 1)
        return True

    @event("Answered")
    def _answered(self, key: str, by: str, text: str, at: datetime, round: int) -> None:
        self.commands = [*self.commands, key]
        self.status = "answered"
        self.answer = text
        self.answered_by = by
        self.answered_at = at
        self.answers = round

    # -- the rep -----------------------------------------------------------------------
    def confirm(self, key: str, by: str, at: datetime) -> bool:
        if key in self.commands:
            return False
        self.check_confirm(by)
        self._confirmed(key=key, by=by, at=at, round=self.answers)
        return True

    @event("Confirmed")
    def _confirmed(self, key: str, by: str, at: datetime, round: int) -> None:
        self.commands = [*self.commands, key]
        self.status = "resolved"
        self.finished_at = at

    def reopen(self, key: str, by: str, reason: str, at: datetime) -> bool:
        if key in self.commands:
            return False
        self.check_reopen(by, reason)
        self._reopened(key=key, by=by, reason=reason, at=at, round=self.answers)
        return True

    @event("Reopened")
    def _reopened(self, key: str, by: str, reason: str, at: datetime, round: int) -> None:
        self.commands = [*self.commands, key]
        self.status = "reopened"
        self.reopens += 1

    # -- the SLA clock -----------------------------------------------------------------
    def remind(self, key: str, percent: int, recipients: list[str], at: datetime) -> bool:
        """A reminder before the breach, once per key; none once acknowledged."""
        if key in self.reminded or self.acknowledged_at is not None:
            return False
        self._reminded(key=key, percent=percent, recipients=recipients, at=at)
        return True

    @event("Reminded")
    def _reminded(self, key: str, percent: int, recipients: list[str], at: datetime) -> None:
        self.reminded = [*self.reminded, key]

    def breach(self, at: datetime) -> bool:
        """The SLA passed without an acknowledgement: escalated, once."""
        if self.breached_at is not None or self.acknowledged_at is not None:
            return False
        if at < self.clock.due_at:
            raise DomainError(
                "support request {request_id} is due {due_at}; it cannot be breached before",
                request_id=self.request_id,
                due_at=self.clock.due_at.isoformat(),
            )
        self._breached(at=at, escalated_to=list(self.routing.escalate_to))
        return True

    @event("Breached")
    def _breached(self, at: datetime, escalated_to: list[str]) -> None:
        self.breached_at = at

    def close_unconfirmed(self, at: datetime) -> bool:
        """The rep neither confirmed nor reopened the answer in time."""
        if self.status != "answered":
            return False
        self._closed(at=at, after_hours=self.routing.close_unconfirmed_after_hours)
        return True

    @event("ClosedUnconfirmed")
    def _closed(self, at: datetime, after_hours: int) -> None:
        self.status = "closed"
        self.finished_at = at
