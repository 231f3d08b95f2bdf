"""Activities of the development-plan workflow: each runs one idempotent command.

The inputs and results here are the workflow's contract: the workflow imports only this
module's models (not the services), so they stay free of the event store and database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from temporalio import activity

from activities.errors import business_errors_are_final
from aggregates.ladder import Role
from aggregates.plan_template import Milestone
from aggregates.plan_values import PlanInfo as PlanInfo
from aggregates.plan_values import PlanOutcome as PlanOutcome
from aggregates.plan_values import PlanReminder as PlanReminder
from careerflow.principal import Principal

if TYPE_CHECKING:
    from careerflow.applications.plans import Plans


class OpenPlan(BaseModel):
    principal: Principal
    plan_id: str
    employee_id: str
    role: Role
    effective_date: date
    workflow_id: str
    source_application_id: str | None = None


class EvaluatePlan(BaseModel):
    plan_id: str
    now: datetime  # the workflow's clock; the company's local date is taken from it


class ConfirmMilestone(BaseModel):
    plan_id: str
    principal: Principal
    milestone_id: str
    comment: str = ""


class AdjustPlan(BaseModel):
    plan_id: str
    principal: Principal
    key: str
    action: Literal["add", "move", "drop"]
    milestone_id: str = ""
    milestone: Milestone | None = None
    due_month: int | None = None
    reason: str


class PlanActivities:
    def __init__(self, plans: Plans) -> None:
        # The commands are the Plans application's (careerflow.applications.plans), its
        # collaborators wired by the caller; this module only maps contracts to them.
        self.commands = plans

    @activity.defn(name="plan_open")
    @business_errors_are_final
    def open(self, request: OpenPlan) -> PlanInfo:
        return self.commands.open_plan(
            request.principal,
            request.plan_id,
            request.employee_id,
            request.role,
            request.effective_date,
            request.workflow_id,
            request.source_application_id,
        )

    @activity.defn(name="plan_evaluate")
    @business_errors_are_final
    def evaluate(self, request: EvaluatePlan) -> PlanOutcome:
        return self.commands.evaluate(request.plan_id, self.commands.local_date(request.now))

    @activity.defn(name="plan_confirm")
    @business_errors_are_final
    def confirm(self, request: ConfirmMilestone) -> PlanInfo:
        return self.commands.confirm(
            request.plan_id, request.principal, request.milestone_id, request.comment
        )

    @activity.defn(name="plan_adjust")
    @business_errors_are_final
    def adjust(self, request: AdjustPlan) -> PlanInfo:
        return self.commands.adjust(
            request.plan_id,
            request.principal,
            request.key,
            request.action,
            request.milestone_id,
            request.milestone,
            request.due_month,
            request.reason,
        )

    @activity.defn(name="plan_close")
    @business_errors_are_final
    def close(self, request: EvaluatePlan) -> PlanOutcome:
        return self.commands.close_plan(request.plan_id, self.commands.local_date(request.now))

    def all(self) -> list[Callable[..., Any]]:
        return [self.open, self.evaluate, self.confirm, self.adjust, self.close]
