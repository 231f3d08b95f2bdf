"""Raising and steering support requests on Temporal: the one path the CLI and the API
use. A request is checked before its workflow starts; each person's step is a workflow
Update (validated, then recorded by an activity that checks again)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Protocol

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.support import SupportInfo, support_info
from aggregates.base import NotFoundError, PermissionDeniedError
from aggregates.not_found import no_support_request
from aggregates.support_rules import ACTIONS, not_on_team, not_the_rep
from careerflow.applications.support import Support, taken
from careerflow.principal import AccessRole, Principal
from careerflow.services.updates import as_domain_error, execute_update
from words.messages import Message
from workflows.support_request import (
    RepStep,
    StartSupport,
    SupportRequestWorkflow,
    TeamStep,
    support_workflow_id,
)


def new_request_id() -> str:
    return "SR" + uuid.uuid4().hex[:10].upper()


class VisibleRequests(Protocol):
    """The read side's answer to "may this person see this request" (SupportQueries)."""

    def visible(self, principal: Principal, request_id: str) -> dict[str, Any] | None: ...


def require_acting_role(principal: Principal, action: str) -> None:
    """Auditors, integrations and the engine's own reads change no support request."""
    if principal.role in (AccessRole.auditor, AccessRole.integration, AccessRole.system):
        raise PermissionDeniedError(
            "{role} {person_id} may not {action} support requests; "
            "this role changes no support request",
            role=principal.role.value,
            person_id=principal.person_id,
            action=ACTIONS[action],
        )


def require_actor(
    requests: VisibleRequests, principal: Principal, request_id: str, action: str
) -> None:
    """The caller must be the person who may take this step (403): a team member for
    acknowledge/answer, the rep who raised it for confirm/reopen. Without a read-model row
    the caller may see, the workflow answers. Every face (API, pages, CLI) gets this
    through the service's steps; the API and the pages first ask the read model whether
    the caller sees the request at all (404 otherwise)."""
    require_acting_role(principal, action)
    try:
        row = requests.visible(principal, request_id)
    except NotFoundError:
        row = None  # a face that hides requests asks visible() first; else the engine says
    if row is None:
        return
    if action in ("acknowledge", "answer"):
        people = [row["lead_id"], *(m for m in row["members"] if m != row["lead_id"])]
        if principal.person_id not in people:
            team = row.get("team_label") or row["team"]
            refusal = not_on_team(principal.person_id, team, people, action)
            raise PermissionDeniedError(refusal)
    elif principal.role != AccessRole.employee or principal.person_id != row["employee_id"]:
        refusal = not_the_rep(principal.person_id, action, row["employee_id"], request_id)
        raise PermissionDeniedError(refusal)


def require_raiser(principal: Principal) -> None:
    """Reps (employees) raise support requests; every face asks this."""
    principal.require(AccessRole.employee, action=Message("raise support requests"))


class SupportProcessService:
    def __init__(
        self,
        support: Support,
        client: Client,
        task_queue: str,
        requests: VisibleRequests | None = None,
    ) -> None:
        self.client = client
        self.task_queue = task_queue
        self.commands = support
        self.requests = requests

    async def raise_request(
        self,
        principal: Principal,
        category: str,
        text: str,
        customer: str | None = None,
        request_id: str | None = None,
    ) -> SupportInfo:
        """Raises a request and returns it as recorded (routing, SLA due time). Raising
        again with the same `request_id` returns the same request (a retry is safe)."""
        require_raiser(principal)
        rid = request_id or new_request_id()
        existing = self.commands.claim(rid, principal)
        if existing is not None:
            return support_info(existing)
        self.commands.check_raise(principal, category, text, customer)
        try:
            handle = await self.client.start_workflow(
                SupportRequestWorkflow.run,
                StartSupport(
                    request_id=rid,
                    principal=principal,
                    category=category,
                    text=text,
                    customer=customer,
                ),
                id=support_workflow_id(rid),
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            raise taken(rid) from None
        try:
            info = await handle.execute_update(SupportRequestWorkflow.raised)
        except WorkflowUpdateFailedError as exc:
            raise as_domain_error(exc) from None
        if info.employee_id != principal.person_id:
            raise taken(rid)
        return info

    async def acknowledge(self, principal: Principal, request_id: str) -> SupportInfo:
        return await self._update(
            request_id,
            SupportRequestWorkflow.acknowledge,
            TeamStep(principal=principal),
            "acknowledge",
        )

    async def answer(self, principal: Principal, request_id: str, text: str) -> SupportInfo:
        return await self._update(
            request_id,
            SupportRequestWorkflow.answer,
            TeamStep(principal=principal, text=text),
            "answer",
        )

    async def confirm(self, principal: Principal, request_id: str) -> SupportInfo:
        return await self._update(
            request_id, SupportRequestWorkflow.confirm, RepStep(principal=principal), "confirm"
        )

    async def reopen(self, principal: Principal, request_id: str, reason: str) -> SupportInfo:
        return await self._update(
            request_id,
            SupportRequestWorkflow.reopen,
            RepStep(principal=principal, text=reason),
            "reopen",
        )

    async def _update(
        self, request_id: str, update: Any, arg: TeamStep | RepStep, action: str
    ) -> SupportInfo:
        if self.requests is not None:
            await asyncio.to_thread(require_actor, self.requests, arg.principal, request_id, action)
        try:
            result: SupportInfo = await execute_update(
                self.client,
                support_workflow_id(request_id),
                update,
                arg,
                SupportInfo,
                no_support_request(request_id).message,
            )
        except NotFoundError:
            # A finished request: say why from its record rather than "not running".
            request = self.commands.find_request(request_id)
            if request is not None:
                self.commands.check(request, arg.principal, action, arg.text)
            raise
        return result
