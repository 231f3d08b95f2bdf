"""Activities of the SupportRequest workflow: each runs one idempotent command.

The inputs and results here are the workflow's contract: the workflow imports only this
module's models (not the services), so they stay free of the event store and database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from temporalio import activity

from activities.errors import business_errors_are_final
from aggregates.support_rules import SlaReminder, SupportStatus
from careerflow.principal import Principal

if TYPE_CHECKING:
    from careerflow.services.registry import Services


class SupportInfo(BaseModel):
    """What the workflow, its validators and the callers need to know about a request."""

    request_id: str
    workflow_id: str
    employee_id: str
    text: str
    customer: str | None
    category: str
    category_label: dict[str, str]
    team: str
    team_label: dict[str, str]
    lead_id: str
    members: list[str]
    escalate_to: list[str]
    response_minutes_allowed: int
    process_version: int
    close_unconfirmed_after_hours: int
    status: SupportStatus
    raised_at: datetime
    week: str
    due_at: datetime
    due_label: str
    """`due_at` in the company's local time, for people."""
    time_zone: str
    reminders: list[SlaReminder]
    breached_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    response_minutes: float | None
    sla_met: bool | None
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    answers: int
    reopens: int
    finished_at: datetime | None

    def on_team(self, person_id: str) -> bool:
        return person_id == self.lead_id or person_id in self.members

    def team_people(self) -> list[str]:
        return [self.lead_id, *(m for m in self.members if m != self.lead_id)]


class RaiseSupport(BaseModel):
    request_id: str
    principal: Principal
    category: str
    text: str
    customer: str | None = None
    now: datetime
    workflow_id: str


Action = Literal["acknowledge", "answer", "confirm", "reopen"]


class SupportAction(BaseModel):
    """A person's step: acknowledge, answer (text), confirm, reopen (text: the reason)."""

    request_id: str
    action: Action
    principal: Principal
    key: str
    text: str = ""
    now: datetime


class SupportReminder(BaseModel):
    request_id: str
    key: str
    percent: int
    recipients: list[str]
    now: datetime


class SupportClockStep(BaseModel):
    request_id: str
    now: datetime


class SupportActivities:
    def __init__(self, services: Services) -> None:
        # Imported here: the commands bring the event store, which the workflow (importing
        # this module's contracts) must not load.
        from careerflow.services.support import SupportCommands

        self.commands = SupportCommands(services)

    @activity.defn(name="support_raise")
    @business_errors_are_final
    def raise_request(self, request: RaiseSupport) -> SupportInfo:
        return self.commands.raise_request(
            request.request_id,
            request.principal,
            request.category,
            request.text,
            request.customer,
            request.now,
            request.workflow_id,
        )

    @activity.defn(name="support_act")
    @business_errors_are_final
    def act(self, request: SupportAction) -> SupportInfo:
        c, r = self.commands, request
        if r.action == "acknowledge":
            return c.acknowledge(r.request_id, r.principal, r.key, r.now)
        if r.action == "answer":
            return c.answer(r.request_id, r.principal, r.key, r.text, r.now)
        if r.action == "confirm":
            return c.confirm(r.request_id, r.principal, r.key, r.now)
        return c.reopen(r.request_id, r.principal, r.key, r.text, r.now)

    @activity.defn(name="support_remind")
    @business_errors_are_final
    def remind(self, request: SupportReminder) -> SupportInfo:
        return self.commands.remind(
            request.request_id, request.key, request.percent, request.recipients, request.now
        )

    @activity.defn(name="support_breach")
    @business_errors_are_final
    def breach(self, request: SupportClockStep) -> SupportInfo:
        return self.commands.breach(request.request_id, request.now)

    @activity.defn(name="support_close_unconfirmed")
    @business_errors_are_final
    def close_unconfirmed(self, request: SupportClockStep) -> SupportInfo:
        return self.commands.close_unconfirmed(request.request_id, request.now)

    def all(self) -> list[Callable[..., Any]]:
        return [self.raise_request, self.act, self.remind, self.breach, self.close_unconfirmed]
