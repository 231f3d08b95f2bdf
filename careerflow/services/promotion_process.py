"""Starting and steering promotion workflows on Temporal: the one path the CLI and the
API use. Input is checked against the event store before anything starts, and
decisions go through the workflow's validated Updates."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.ladder import Role, next_role
from aggregates.promotion import CLOSED, PromotionApplication, Stage
from careerflow.messages import Message
from careerflow.principal import AccessRole, Principal
from careerflow.services.access import can_see
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

APPLICANTS = (AccessRole.employee, AccessRole.manager, AccessRole.hr)


class StartedApplication(BaseModel):
    workflow_id: str
    application_id: str
    employee_id: str
    target_role: Role


def steerable_application(
    services: Services,
    principal: Principal,
    application_id: str,
    *roles: AccessRole,
    action: Message,
    applicant_or_hr: bool = False,
) -> PromotionApplication:
    """The one check before an application is steered, whichever face asks (API, pages,
    CLI): the role may `action` at all (403, before any lookup), the caller can see the
    application (404 exactly like an unknown id), the applicant or HR where it must be
    theirs (403), and it is still open (422). Read from the event store: no lag."""
    principal.require(*roles, action=action)
    missing = NotFoundError(  # the read model's words, so unknown and hidden look alike
        "no application {application_id!r} that you can see", application_id=application_id
    )
    try:
        application = PromotionCommands(services).get(application_id)
    except NotFoundError:
        raise missing from None
    with services.read_pool.connection() as conn:
        if not can_see(conn, principal, application.employee_id):  # type: ignore[arg-type]
            raise missing
    if (
        applicant_or_hr
        and principal.role != AccessRole.hr
        and principal.person_id != application.employee_id
    ):
        raise PermissionDeniedError(
            "{role} {person_id} may not {action}: only the applicant ({employee_id}) or HR may",
            role=principal.role.value,
            person_id=principal.person_id,
            action=action,
            employee_id=application.employee_id,
        )
    if application.stage in CLOSED:
        # A later application for the same role would share the workflow: never steer
        # it through an old id.
        raise DomainError(
            "the application is closed ({stage})", stage=Stage(application.stage).value
        )
    return application


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
        self, principal: Principal, employee_id: str, target: Role | None = None
    ) -> StartedApplication:
        """Starts the application (for the next rung unless `target` says), or returns
        the open one for this employee and role. The same checks and words for every
        face: the role (403), whose application (403), the employee (404), the rung and
        the published criteria (422)."""
        if principal.role != AccessRole.system:  # the engine itself may start one too
            principal.require(*APPLICANTS, action=Message("start promotion applications"))
        if principal.role not in (AccessRole.hr, AccessRole.system) and (
            employee_id != principal.person_id
        ):
            raise PermissionDeniedError(
                "{role} {person_id} may not start an application for "
                "{employee_id}: employees apply for themselves, HR for anyone",
                role=principal.role.value,
                person_id=principal.person_id,
                employee_id=employee_id,
            )
        employee = self.services.people.get(employee_id)  # 404 for an unknown employee
        target = target or next_role(employee.role)
        if target is None:
            raise DomainError(
                "{employee_id} is on the top rung; there is no next role", employee_id=employee_id
            )
        check_can_apply(principal, employee, target)
        commands = PromotionCommands(self.services)
        try:
            commands.policy_set(target)  # fails clearly when no criteria are published
        except NotFoundError as exc:  # the employee exists: a rule says no (422)
            raise DomainError(exc.message) from None
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

    # -- by application id, after the one check (what the API, pages and CLI call) --------
    def _steerable(
        self,
        principal: Principal,
        application_id: str,
        *roles: AccessRole,
        action: Message,
        applicant_or_hr: bool = False,
    ) -> tuple[str, Role]:
        a = steerable_application(
            self.services,
            principal,
            application_id,
            *roles,
            action=action,
            applicant_or_hr=applicant_or_hr,
        )
        return a.employee_id, Role(a.target_role)

    async def decide_application(
        self, principal: Principal, application_id: str, approve: bool, comment: str
    ) -> PromotionStatus:
        """The manager's decision (or HR's for them)."""
        employee_id, target = self._steerable(
            principal,
            application_id,
            AccessRole.manager,
            AccessRole.hr,
            action=Message("decide on promotion applications"),
        )
        return await self.decide(principal, employee_id, target, approve, comment)

    async def resubmit_application(
        self, principal: Principal, application_id: str
    ) -> PromotionStatus:
        employee_id, target = self._steerable(
            principal,
            application_id,
            *APPLICANTS,
            action=Message("resubmit this application"),
            applicant_or_hr=True,
        )
        return await self.resubmit(principal, employee_id, target)

    async def withdraw_application(
        self, principal: Principal, application_id: str, reason: str
    ) -> PromotionStatus:
        employee_id, target = self._steerable(
            principal,
            application_id,
            *APPLICANTS,
            action=Message("withdraw this application"),
            applicant_or_hr=True,
        )
        return await self.withdraw(principal, employee_id, target, reason)

    async def review_application(
        self, principal: Principal, application_id: str, action: str, approve: bool, text: str
    ) -> PromotionStatus:
        """HR confirms, or overrides with a reason."""
        employee_id, target = self._steerable(
            principal,
            application_id,
            AccessRole.hr,
            action=Message("review promotion applications"),
        )
        return await self.hr_review(principal, employee_id, target, action, approve, text)

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
