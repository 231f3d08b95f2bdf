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
from aggregates.support_rules import local_label as local_label
from careerflow.principal import Principal

if TYPE_CHECKING:
    from aggregates.support_request import SupportRequest
    from careerflow.applications.support import Support


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


def support_info(request: SupportRequest) -> SupportInfo:
    """The contract's view of the aggregate the Support application returns."""
    r, c = request.routing, request.clock
    return SupportInfo(
        request_id=request.request_id,
        workflow_id=request.workflow_id,
        employee_id=request.employee_id,
        text=request.text,
        customer=request.customer,
        category=r.category,
        category_label=r.category_label,
        team=r.team,
        team_label=r.team_label,
        lead_id=r.lead_id,
        members=list(r.members),
        escalate_to=list(r.escalate_to),
        response_minutes_allowed=r.response_minutes,
        process_version=r.process_version,
        close_unconfirmed_after_hours=r.close_unconfirmed_after_hours,
        status=request.status,
        raised_at=c.raised_at,
        week=c.week,
        due_at=c.due_at,
        due_label=local_label(c.due_at, r.time_zone),
        time_zone=r.time_zone,
        reminders=list(c.reminders),
        breached_at=request.breached_at,
        acknowledged_by=request.acknowledged_by,
        acknowledged_at=request.acknowledged_at,
        response_minutes=request.response_minutes,
        sla_met=request.sla_met,
        answer=request.answer,
        answered_by=request.answered_by,
        answered_at=request.answered_at,
        answers=request.answers,
        reopens=request.reopens,
        finished_at=request.finished_at,
    )


class SupportActivities:
    """Built on the Support application (careerflow.applications.support), wired with
    its collaborators by whoever opens the engine (worker.py, the tests)."""

    def __init__(self, support: Support) -> None:
        self.support = support

    @activity.defn(name="support_raise")
    @business_errors_are_final
    def raise_request(self, request: RaiseSupport) -> SupportInfo:
        return support_info(
            self.support.raise_request(
                request.request_id,
                request.principal,
                request.category,
                request.text,
                request.customer,
                request.now,
                request.workflow_id,
            )
        )

    @activity.defn(name="support_act")
    @business_errors_are_final
    def act(self, request: SupportAction) -> SupportInfo:
        s, r = self.support, request
        if r.action == "acknowledge":
            done = s.acknowledge(r.request_id, r.principal, r.key, r.now)
        elif r.action == "answer":
            done = s.answer(r.request_id, r.principal, r.key, r.text, r.now)
        elif r.action == "confirm":
            done = s.confirm(r.request_id, r.principal, r.key, r.now)
        else:
            done = s.reopen(r.request_id, r.principal, r.key, r.text, r.now)
        return support_info(done)

    @activity.defn(name="support_remind")
    @business_errors_are_final
    def remind(self, request: SupportReminder) -> SupportInfo:
        return support_info(
            self.support.remind(
                request.request_id, request.key, request.percent, request.recipients, request.now
            )
        )

    @activity.defn(name="support_breach")
    @business_errors_are_final
    def breach(self, request: SupportClockStep) -> SupportInfo:
        return support_info(self.support.breach(request.request_id, request.now))

    @activity.defn(name="support_close_unconfirmed")
    @business_errors_are_final
    def close_unconfirmed(self, request: SupportClockStep) -> SupportInfo:
        return support_info(self.support.close_unconfirmed(request.request_id, request.now))

    def all(self) -> list[Callable[..., Any]]:
        return [self.raise_request, self.act, self.remind, self.breach, self.close_unconfirmed]
