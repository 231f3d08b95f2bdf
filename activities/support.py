"""Activities of the SupportRequest workflow: each runs one idempotent command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from temporalio import activity

from activities.errors import business_errors_are_final
from careerflow.principal import Principal
from careerflow.services.registry import Services
from careerflow.services.support import SupportCommands, SupportInfo


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
