"""Starting and steering development-plan workflows (HR starts one directly; an approved
promotion starts one itself)."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Any

from psycopg_pool import ConnectionPool
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from aggregates.base import DomainError, NotFoundError
from aggregates.development_plan import DevelopmentPlan
from aggregates.ladder import Role
from aggregates.not_found import plan_not_visible
from aggregates.plan_rules import setting_up_refusal
from aggregates.plan_template import Milestone
from aggregates.plan_values import PlanInfo
from careerflow.applications.people import People
from careerflow.applications.plans import Plans, require_plan_starter
from careerflow.principal import AccessRole, Principal
from careerflow.services.updates import command_id_or_new, execute_update, update_id
from projections.visibility import can_see
from words.messages import Message
from workflows.development_plan import (
    AdjustRequest,
    ConfirmRequest,
    DevelopmentPlanWorkflow,
    StartPlan,
    plan_workflow_id,
)

# Who steers a running plan (the workflow decides which manager: the employee's own).
STEERERS = (AccessRole.manager, AccessRole.hr)
# A plan's workflow id: plan-<employee id>-<first day> (workflows.plan_start).
PLAN_ID = re.compile(r"plan-(.+)-\d{4}-\d{2}-\d{2}")
CONFIRM = Message("confirm milestones")
ADJUST = Message("adjust development plans")


def visible_plan(
    plans: Plans,
    read_pool: ConnectionPool,
    principal: Principal,
    plan_id: str,
    *roles: AccessRole,
    action: Message,
    open_only: bool = False,
) -> DevelopmentPlan:
    """The plan, from the event store (no read-model lag), when the caller's role may
    `action` (403 before any lookup) and the caller can see the plan's employee (404
    otherwise, like a plan that does not exist); to steer it, the plan is still running."""
    principal.require(*roles, action=action)
    try:
        plan = plans.get(plan_id)
    except NotFoundError:
        raise plan_not_visible(plan_id) from None
    with read_pool.connection() as conn:
        if not can_see(conn, principal, plan.employee_id):  # type: ignore[arg-type]
            raise plan_not_visible(plan_id)
    if open_only and plan.closed:
        raise DomainError("the development plan {plan_id!r} is closed", plan_id=plan_id)
    return plan


class PlanProcessService:
    def __init__(
        self,
        plans: Plans,
        people: People,
        client: Client,
        task_queue: str,
        read_pool: ConnectionPool | None = None,
    ) -> None:
        self.plans = plans
        self.people = people
        self.client = client
        self.task_queue = task_queue
        self.read_pool = read_pool

    def visible(
        self,
        principal: Principal,
        plan_id: str,
        *roles: AccessRole,
        action: Message,
        open_only: bool = False,
    ) -> DevelopmentPlan:
        """`visible_plan` on this service's read model (every face's one check)."""
        assert self.read_pool is not None, "PlanProcessService needs read_pool= to check access"
        return visible_plan(
            self.plans,
            self.read_pool,
            principal,
            plan_id,
            *roles,
            action=action,
            open_only=open_only,
        )

    async def _steerable(self, principal: Principal, plan_id: str, action: Message) -> None:
        if self.read_pool is None:  # the workflow's validator still decides who steers
            principal.require(*STEERERS, action=action)
            return
        try:
            await asyncio.to_thread(
                self.visible, principal, plan_id, *STEERERS, action=action, open_only=True
            )
        except NotFoundError:
            if await self._setting_up(principal, plan_id):
                refusal = setting_up_refusal()
                raise DomainError(refusal) from None
            raise

    async def _setting_up(self, principal: Principal, plan_id: str) -> bool:
        """The plan's workflow runs but has not stored the plan yet (its first moments),
        for a caller who may see the plan's employee: they are told to try again; anyone
        else hears that there is no such plan."""
        match = PLAN_ID.fullmatch(plan_id)
        if match is None or self.read_pool is None:
            return False
        try:
            described = await self.client.get_workflow_handle(plan_id).describe()
        except RPCError:
            return False
        if described.status != WorkflowExecutionStatus.RUNNING:
            return False
        pool = self.read_pool

        def visible() -> bool:
            with pool.connection() as conn:
                return can_see(conn, principal, match.group(1))  # type: ignore[arg-type]

        return await asyncio.to_thread(visible)

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
        self,
        principal: Principal,
        plan_id: str,
        milestone_id: str,
        comment: str,
        command_id: str | None = None,
    ) -> PlanInfo:
        """The employee's manager (or HR) confirms a milestone by hand; a command id sent
        again (a retried form) is answered once."""
        await self._steerable(principal, plan_id, CONFIRM)
        request = ConfirmRequest(principal=principal, milestone_id=milestone_id, comment=comment)
        return await self._update(
            plan_id, DevelopmentPlanWorkflow.confirm, request, "confirm", command_id
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
        command_id: str | None = None,
    ) -> PlanInfo:
        """Add, move or drop a milestone with a reason (the manager or HR)."""
        await self._steerable(principal, plan_id, ADJUST)
        request = AdjustRequest(
            principal=principal,
            action=action,
            milestone_id=milestone_id,
            milestone=milestone,
            due_month=due_month,
            reason=reason,
        )
        return await self._update(
            plan_id, DevelopmentPlanWorkflow.adjust, request, "adjust", command_id
        )

    async def _update(
        self, plan_id: str, update: Any, arg: Any, name: str, command_id: str | None
    ) -> PlanInfo:
        the_id = None
        if command_id is not None and command_id.strip():
            content = arg.model_dump(mode="json")
            the_id = update_id(command_id_or_new(command_id), f"plan-{name}", content)
        result: PlanInfo = await execute_update(
            self.client,
            plan_id,
            update,
            arg,
            PlanInfo,
            Message("no running development plan {plan_id!r}", plan_id=plan_id),
            update_id=the_id,
        )
        return result
