"""Starting and steering promotion workflows on Temporal: the one path the CLI and the
API use. Input is checked against the event store before anything starts, and
decisions go through the workflow's validated Updates."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from psycopg_pool import ConnectionPool
from pydantic import BaseModel
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.ladder import Role, next_role
from aggregates.not_found import application_not_visible
from aggregates.process import PromotionProcess
from aggregates.promotion import (
    CLOSED,
    PromotionApplication,
    Stage,
    StepKind,
    application_uuid,
    recorded_steps,
    repeated_step,
)
from aggregates.promotion_rules import closed_refusal
from careerflow.applications.people import People
from careerflow.applications.policies import Policies
from careerflow.applications.promotions import Promotions, check_can_apply
from careerflow.principal import AccessRole, Principal
from careerflow.services.updates import command_id_or_new, execute_update, update_id
from projections.visibility import can_see
from words.messages import Message, role_word
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

APPLICANTS = (AccessRole.employee, AccessRole.manager, AccessRole.hr)
START = Message("start promotion applications")  # what a refused starter may not do
# HR's review as every face sends it (the API's `outcome`, the page's form): the
# workflow's action and whether it approves.
REVIEW_OUTCOMES: dict[str, tuple[str, bool]] = {
    "confirm": ("confirm", True),
    "override_approve": ("override", True),
    "override_decline": ("override", False),
}


class SteeredApplication(PromotionStatus):
    """Where a person's step led, with the command id it was sent under: the same
    command sent again with this id (after a lost answer) is answered the same."""

    command_id: str


class StartedApplication(BaseModel):
    workflow_id: str
    application_id: str
    employee_id: str
    target_role: Role


def steerable_application(
    promotions: Promotions,
    read_pool: ConnectionPool,
    principal: Principal,
    application_id: str,
    *roles: AccessRole,
    action: Message,
    applicant_or_hr: bool = False,
    closed_ok: bool = False,
) -> PromotionApplication:
    """The one check before an application is steered, whichever face asks (API, pages,
    CLI): the role may `action` at all (403, before any lookup), the caller can see the
    application (404 exactly like an unknown id), the applicant or HR where it must be
    theirs (403), and it is still open (422). Read from the event store: no lag."""
    principal.require(*roles, action=action)
    # The read model's words, so an unknown and a hidden application look alike.
    missing = application_not_visible(application_id)
    try:
        application = promotions.get(application_id)
    except NotFoundError:
        raise missing from None
    with read_pool.connection() as conn:
        if not can_see(conn, principal, application.employee_id):  # type: ignore[arg-type]
            raise missing
    if (
        applicant_or_hr
        and principal.role != AccessRole.hr
        and principal.person_id != application.employee_id
    ):
        raise PermissionDeniedError(
            "{role} {person_id} may not {action}: only the applicant ({employee_id}) or HR may",
            role=role_word(principal.role.value),
            person_id=principal.person_id,
            action=action,
            employee_id=application.employee_id,
        )
    if application.stage in CLOSED and not closed_ok:
        raise closed(application)
    return application


def closed(application: PromotionApplication) -> DomainError:
    # A later application for the same role would share the workflow: never steer it
    # through an old id.
    refusal = closed_refusal(Stage(application.stage))
    assert refusal is not None  # called for a closed application only
    return DomainError(refusal)


class PromotionProcessService:
    def __init__(
        self,
        promotions: Promotions,
        people: People,
        policies: Policies,
        read_pool: ConnectionPool,
        client: Client,
        task_queue: str,
        use_search_attributes: bool = True,
    ) -> None:
        self.promotions = promotions
        self.people = people
        self.policies = policies
        self.read_pool = read_pool
        self.client = client
        self.task_queue = task_queue
        self.use_search_attributes = use_search_attributes

    async def start(
        self, principal: Principal, employee_id: str, target: Role | None = None
    ) -> StartedApplication:
        """Starts the application (for the next rung unless `target` says), or returns
        the open one for this employee and role. The same checks and words for every
        face: the role (403), whose application (403), the employee (404), the rung and
        the published criteria (422)."""
        # The checks read the store (synchronous): off the event loop, which the API's
        # other requests and, in one process, the worker share.
        rung, process, version = await asyncio.to_thread(
            self._checked_start, principal, employee_id, target
        )
        workflow_id = promotion_workflow_id(employee_id, rung)
        handle = await self.client.start_workflow(
            PromotionWorkflow.run,
            StartPromotion(
                employee_id=employee_id,
                target_role=rung,
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
            target_role=rung,
        )

    def _checked_start(
        self, principal: Principal, employee_id: str, target: Role | None
    ) -> tuple[Role, PromotionProcess, int | None]:
        """What a start checks and reads before anything starts: the rung applied for,
        and the process settings in force with their version."""
        if principal.role != AccessRole.system:  # the engine itself may start one too
            principal.require(*APPLICANTS, action=START)
        if principal.role not in (AccessRole.hr, AccessRole.system) and (
            employee_id != principal.person_id
        ):
            raise PermissionDeniedError(
                "{role} {person_id} may not start an application for "
                "{employee_id}: employees apply for themselves, HR for anyone",
                role=role_word(principal.role.value),
                person_id=principal.person_id,
                employee_id=employee_id,
            )
        employee = self.people.get(employee_id)  # 404 for an unknown employee
        target = target or next_role(employee.role)
        if target is None:
            raise DomainError(
                "{employee_id} is on the top rung; there is no next role", employee_id=employee_id
            )
        check_can_apply(principal, employee, target)
        try:
            self.promotions.policy_set(target)  # fails clearly when no criteria are published
        except NotFoundError as exc:  # the employee exists: a rule says no (422)
            raise DomainError(exc.message) from None
        process, version = self.policies.promotion_process()
        return target, process, version

    async def decide(
        self,
        principal: Principal,
        employee_id: str,
        target: Role,
        approve: bool,
        comment: str,
        command_id: str | None = None,
    ) -> PromotionStatus:
        return await self._update(
            employee_id,
            target,
            PromotionWorkflow.decide,
            ManagerDecision(
                principal=principal, approve=approve, comment=comment, command_id=command_id
            ),
        )

    async def resubmit(
        self, principal: Principal, employee_id: str, target: Role, command_id: str | None = None
    ) -> PromotionStatus:
        return await self._update(
            employee_id,
            target,
            PromotionWorkflow.resubmit,
            Resubmit(principal=principal),
            command_id,
        )

    async def withdraw(
        self,
        principal: Principal,
        employee_id: str,
        target: Role,
        reason: str,
        command_id: str | None = None,
    ) -> PromotionStatus:
        return await self._update(
            employee_id,
            target,
            PromotionWorkflow.withdraw,
            Withdraw(principal=principal, reason=reason, command_id=command_id),
        )

    async def hr_review(
        self,
        principal: Principal,
        employee_id: str,
        target: Role,
        action: str,
        approve: bool,
        text: str,
        command_id: str | None = None,
    ) -> PromotionStatus:
        return await self._update(
            employee_id,
            target,
            PromotionWorkflow.hr_review,
            HrReview(
                principal=principal,
                action=action,
                approve=approve,
                text=text,
                command_id=command_id,
            ),
        )

    # -- by application id, after the one check (what the API, pages and CLI call) --------
    # Each takes the caller's command id (a fresh one when none is given) and answers with
    # it. Sent again after a lost answer, the same command is answered with its recorded
    # outcome: by Temporal while the Update is in the workflow's history, by the workflow
    # while the step is its current one, else from the event store (services below).
    async def decide_application(
        self,
        principal: Principal,
        application_id: str,
        approve: bool,
        comment: str,
        command_id: str | None = None,
    ) -> SteeredApplication:
        """The manager's decision (or HR's for them)."""
        return await self._steer(
            principal,
            application_id,
            (AccessRole.manager, AccessRole.hr),
            Message("decide on promotion applications"),
            command_id,
            "decision",
            {"approve": approve, "comment": comment},
            lambda employee_id, target, cid: self.decide(
                principal, employee_id, target, approve, comment, cid
            ),
        )

    async def resubmit_application(
        self, principal: Principal, application_id: str, command_id: str | None = None
    ) -> SteeredApplication:
        return await self._steer(
            principal,
            application_id,
            APPLICANTS,
            Message("resubmit this application"),
            command_id,
            None,  # recorded as the next round's report: Temporal's dedup answers a retry
            {},
            lambda employee_id, target, cid: self.resubmit(principal, employee_id, target, cid),
            applicant_or_hr=True,
        )

    async def withdraw_application(
        self,
        principal: Principal,
        application_id: str,
        reason: str,
        command_id: str | None = None,
    ) -> SteeredApplication:
        return await self._steer(
            principal,
            application_id,
            APPLICANTS,
            Message("withdraw this application"),
            command_id,
            "withdrawal",
            {"reason": reason},
            lambda employee_id, target, cid: self.withdraw(
                principal, employee_id, target, reason, cid
            ),
            applicant_or_hr=True,
        )

    async def review_application(
        self,
        principal: Principal,
        application_id: str,
        action: str,
        approve: bool,
        text: str,
        command_id: str | None = None,
    ) -> SteeredApplication:
        """HR confirms, or overrides with a reason."""
        approve = approve or action == "confirm"  # a confirmation approves
        return await self._steer(
            principal,
            application_id,
            (AccessRole.hr,),
            Message("review promotion applications"),
            command_id,
            "hr_review",
            {"action": action, "approve": approve, "text": text},
            lambda employee_id, target, cid: self.hr_review(
                principal, employee_id, target, action, approve, text, cid
            ),
        )

    async def _steer(
        self,
        principal: Principal,
        application_id: str,
        roles: tuple[AccessRole, ...],
        action: Message,
        command_id: str | None,
        kind: StepKind | None,
        content: dict[str, Any],
        send: Callable[[str, Role, str], Awaitable[PromotionStatus]],
        applicant_or_hr: bool = False,
    ) -> SteeredApplication:
        """The one check, then the Update under the command id; when the workflow refuses
        (or has closed), a command the store recorded under that id by this person,
        saying the same, is answered with its recorded outcome instead."""
        command_id = command_id_or_new(command_id)
        application = await asyncio.to_thread(
            steerable_application,
            self.promotions,
            self.read_pool,
            principal,
            application_id,
            *roles,
            action=action,
            applicant_or_hr=applicant_or_hr,
            closed_ok=True,
        )
        employee_id, target = application.employee_id, Role(application.target_role)
        try:
            if application.stage in CLOSED:
                raise closed(application)
            status = await send(employee_id, target, command_id)
        except DomainError:
            if kind is None:
                raise
            recorded = await asyncio.to_thread(
                self.recorded, principal, application_id, kind, command_id, content
            )
            if recorded is None:
                raise
            return recorded
        return SteeredApplication(**status.model_dump(), command_id=command_id)

    def recorded(
        self,
        principal: Principal,
        application_id: str,
        kind: StepKind,
        command_id: str,
        content: dict[str, Any],
    ) -> SteeredApplication | None:
        """The outcome the store recorded for this command (the same id, person and
        content), None when it recorded none; the same person's id with another content
        is refused (aggregates.promotion.repeated_step)."""
        application = self.promotions.get(application_id)
        events = self.promotions.events.get(application_uuid(application_id))
        step = repeated_step(
            recorded_steps(events),  # type: ignore[arg-type]
            kind,
            command_id,
            principal.person_id,
            principal.role.value,
            content,
        )
        if step is None:
            return None
        return SteeredApplication(
            application_id=application.application_id,
            workflow_id=application.workflow_id,
            employee_id=application.employee_id,
            stage=step.outcome,
            round=step.round,
            manager_id=step.manager_id,
            command_id=command_id,
        )

    async def _update(
        self, employee_id: str, target: Role, update: Any, arg: Any, command_id: str | None = None
    ) -> PromotionStatus:
        """The Update, under an id made of the command id when there is one (so Temporal
        answers a retry with the first answer while the Update is in the history)."""
        command_id = command_id or getattr(arg, "command_id", None)
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
            update_id(command_id, update.__name__, arg.model_dump(mode="json"))
            if command_id
            else None,
        )
        return result
