"""Starting and steering development-plan workflows (HR starts one directly; an approved
promotion starts one itself)."""

from __future__ import annotations

from datetime import date
from typing import Any

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from aggregates.ladder import Role
from aggregates.plan_template import Milestone
from aggregates.plan_values import PlanInfo
from careerflow.applications.people import People
from careerflow.applications.plans import Plans, require_plan_starter
from careerflow.principal import Principal
from careerflow.services.updates import execute_update
from words.messages import Message
from workflows.development_plan import (
    AdjustRequest,
    ConfirmRequest,
    DevelopmentPlanWorkflow,
    StartPlan,
    plan_workflow_id,
)


class PlanProcessService:
    def __init__(self, plans: Plans, people: People, client: Client, task_queue: str) -> None:
        self.plans = plans
        self.people = people
        self.client = client
        self.task_queue = task_queue

    async def start(
        self, principal: Principal, employee_id: str, effective_date: date, role: Role | None
    ) -> str:
        require_plan_starter(principal)
        employee = self.people.get(employee_id)
        plan_role = role or Role(employee.role)
        self.plans.template(plan_role)  # a clear error if none exists
        workflow_id = plan_workflow_id(employee_id, effective_date)
        await self.client.start_workflow(
            DevelopmentPlanWorkflow.run,
            StartPlan(
                employee_id=employee_id,
                role=plan_role,
                effective_date=effective_date,
                started_by=principal,
            ),
            id=workflow_id,
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        return workflow_id

    async def confirm(
        self, principal: Principal, plan_id: str, milestone_id: str, comment: str
    ) -> PlanInfo:
        return await self._update(
            plan_id,
            DevelopmentPlanWorkflow.confirm,
            ConfirmRequest(principal=principal, milestone_id=milestone_id, comment=comment),
        )

    async def adjust(
        self,
        principal: Principal,
        plan_id: str,
        action: str,
        reason: str,
        milestone_id: str = "",
        milestone: Milestone | None = None,
        due_month: int | None = None,
    ) -> PlanInfo:
        return await self._update(
            plan_id,
            DevelopmentPlanWorkflow.adjust,
            AdjustRequest(
                principal=principal,
                action=action,
                milestone_id=milestone_id,
                milestone=milestone,
                due_month=due_month,
                reason=reason,
            ),
        )

    async def _update(self, plan_id: str, update: Any, arg: Any) -> PlanInfo:
        result: PlanInfo = await execute_update(
            self.client,
            plan_id,
            update,
            arg,
            PlanInfo,
            Message("no running development plan {plan_id!r}", plan_id=plan_id),
        )
        return result
