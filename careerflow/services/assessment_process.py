"""Steering 360° assessment rounds from outside: HR starts a round (one workflow per
round, `assessment-<round id>`), raters rate through the round's Update."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from pydantic import BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.assessments import RatingReceipt, RoundRequest
from aggregates.assessment_rules import rater_refusal
from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.competency import RatingItem
from careerflow.applications.assessments import Assessments
from careerflow.principal import AccessRole, Principal
from careerflow.services.updates import as_domain_error
from words.messages import Message, role_word
from workflows.assessment_round import (
    BUSY,
    AssessmentRoundWorkflow,
    RateRequest,
    StartRound,
    assessment_workflow_id,
)

HANDOVER_TRIES = 100
HANDOVER_PAUSE = 0.1
"""A round's run hands over to the next in well under a second; a rating sent meanwhile
is sent again (to the new run), for up to ~10 s."""


def _busy(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ApplicationError) and cause.type == BUSY:
            return True
        cause = cause.__cause__ or getattr(cause, "cause", None)
    return False


def require_rater(principal: Principal) -> None:
    """Raters (employees and managers) rate for themselves; every face asks this first
    (the API's route before it reaches Temporal, the rating page before it shows a form)."""
    if principal.role not in (AccessRole.employee, AccessRole.manager):
        raise PermissionDeniedError(
            "{role} {person_id} may not rate in 360° rounds; "
            "raters (employees and managers) rate for themselves",
            role=role_word(principal.role.value),
            person_id=principal.person_id,
        )


class RoundStarted(BaseModel):
    round_id: str
    workflow_id: str
    ratees: int
    deadline: datetime


class AssessmentProcessService:
    def __init__(self, assessments: Assessments, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue
        self.commands = assessments

    async def start_round(
        self, principal: Principal, request: RoundRequest, events_per_run: int | None = None
    ) -> RoundStarted:
        """HR starts a round. The request is checked here first (every reason at once,
        nothing started); starting a running round again returns it. `events_per_run`:
        where a run continues as new (default EVENTS_PER_RUN; tests make it smaller)."""
        principal.require(AccessRole.hr, action=Message("start 360° assessment rounds"))
        existing = self.commands.find_round(request.round_id)
        if existing is not None and existing.closed:
            raise DomainError(
                "round {round_id} already ran and closed; choose another round id",
                round_id=request.round_id,
            )
        if existing is None:
            self.commands.check_request(request, datetime.now(UTC))
        ratees = len(existing.ratees) if existing else len(self.commands.ratees(request))
        workflow_id = assessment_workflow_id(request.round_id)
        try:
            await self.client.start_workflow(
                AssessmentRoundWorkflow.run,
                StartRound(
                    request=request,
                    started_by=principal,
                    bounded=True,
                    **({"events_per_run": events_per_run} if events_per_run else {}),
                ),
                id=workflow_id,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
        except WorkflowAlreadyStartedError:
            raise DomainError(
                "round {round_id} already ran; choose another round id", round_id=request.round_id
            ) from None
        return RoundStarted(
            round_id=request.round_id,
            workflow_id=workflow_id,
            ratees=ratees,
            deadline=existing.deadline if existing else request.deadline,
        )

    async def rate(
        self,
        principal: Principal,
        round_id: str,
        ratee_id: str,
        ratings: dict[str, RatingItem],
    ) -> RatingReceipt:
        """A rater's rating of one person: every competency on the scale, comments
        optional; final once taken."""
        if refusal := rater_refusal(principal.role.value, principal.person_id, round_id):
            raise DomainError(refusal)
        handle = self.client.get_workflow_handle(assessment_workflow_id(round_id))
        request = RateRequest(principal=principal, ratee_id=ratee_id, ratings=ratings)
        for attempt in range(HANDOVER_TRIES):
            last = attempt == HANDOVER_TRIES - 1
            try:
                receipt: RatingReceipt = await handle.execute_update(
                    AssessmentRoundWorkflow.rate, request
                )
                return receipt
            except WorkflowUpdateFailedError as exc:
                if not _busy(exc) or last:
                    raise as_domain_error(exc) from None
            except RPCError as exc:
                if exc.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                    raise
                if last or not self._handing_over(round_id):
                    # A finished round: say why from its record rather than "not running".
                    self.commands.explain_closed(round_id, principal, ratee_id)
                    raise NotFoundError(
                        Message("no open assessment round {round_id!r}", round_id=round_id)
                    ) from None
            await asyncio.sleep(HANDOVER_PAUSE)
        raise AssertionError("unreachable")

    def _handing_over(self, round_id: str) -> bool:
        """The round is open in the store, so its workflow is between two runs."""
        rnd = self.commands.find_round(round_id)
        return rnd is not None and not rnd.closed and datetime.now(UTC) < rnd.close_at
