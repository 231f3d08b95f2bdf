"""Starting and steering promotion workflows on Temporal: the one path the CLI and the
API use. Input is checked against the event store before anything starts, and
decisions go through the workflow's validated Updates."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from aggregates.ladder import Role
from careerflow.messages import Message
from careerflow.principal import Principal
from careerflow.services.promotions import PromotionCommands, check_can_apply
from careerflow.services.registry import Services
from careerflow.services.updates import execute_update
from workflows.promotion import (
    HrReview,
    ManagerDecision,
    PromotionStatus,
    PromotionWorkflow,
    Resubmit,
    StartPromotion,
    Withdraw,
    promotion_workflow_id,
)


class StartedApplication(BaseModel):
    workflow_id: str
    application_id: str
    employee_id: str
    target_role: Role


class PromotionProcessService:
    def __init__(
        self,
        services: Services,
        client: Client,
        task_queue: str,
        use_search_attributes: bool = True,
    ) -> None:
        self.services = services
        self.client = client
        self.task_queue = task_queue
        self.use_search_attributes = use_search_attributes

    async def start(
        self, principal: Principal, employee_id: str, target: Role
    ) -> StartedApplication:
        """Starts the application, or returns the open one for this employee and role."""
        employee = self.services.people.get(employee_id)
        check_can_apply(principal, employee, target)
        commands = PromotionCommands(self.services)
        commands.policy_set(target)  # fails clearly when no criteria are published
        process, version = self.services.policies.promotion_process()
        workflow_id = promotion_workflow_id(employee_id, target)
        handle = await self.client.start_workflow(
            PromotionWorkflow.run,
            StartPromotion(
                employee_id=employee_id,
                target_role=target,
                started_by=principal,
                process=process,
                process_version=version,
                use_search_attributes=self.use_search_attributes,
            ),
            id=workflow_id,
            task_queue=self.task_queue,
            # One open application per employee and role; a later one after it closed.
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        return StartedApplication(
            workflow_id=workflow_id,
            application_id=handle.first_execution_run_id or handle.run_id or "",
            employee_id=employee_id,
            target_role=target,
        )

    async def decide(
        self, principal: Principal, employee_id: str, target: Role, approve: bool, comment: str
    ) -> PromotionStatus:
        return await self._update(
            employee_id,
            target,
            PromotionWorkflow.decide,
            ManagerDecision(principal=principal, approve=approve, comment=comment),
        )

    async def resubmit(
        self, principal: Principal, employee_id: str, target: Role
    ) -> PromotionStatus:
        return await self._update(
            employee_id, target, PromotionWorkflow.resubmit, Resubmit(principal=principal)
        )

    async def withdraw(
        self, principal: Principal, employee_id: str, target: Role, reason: str
    ) -> PromotionStatus:
        return await self._update(
            employee_id,
            target,
            PromotionWorkflow.withdraw,
            Withdraw(principal=principal, reason=reason),
        )

    async def hr_review(
        self,
        principal: Principal,
        employee_id: str,
        target: Role,
        action: str,
        approve: bool,
        text: str,
    ) -> PromotionStatus:
        return await self._update(
            employee_id,
            target,
            PromotionWorkflow.hr_review,
            HrReview(principal=principal, action=action, approve=approve, text=text),
        )

    async def _update(
        self, employee_id: str, target: Role, update: Any, arg: Any
    ) -> PromotionStatus:
        result: PromotionStatus = await execute_update(
            self.client,
            promotion_workflow_id(employee_id, target),
            update,
            arg,
            PromotionStatus,
            Message(
                "no open {target} application for {employee_id!r}",
                target=target.value,
                employee_id=employee_id,
            ),
        )
        return result
