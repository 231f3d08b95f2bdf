"""The event store's verification with progress, for the pages (and any face that wants
it): started as the `audit-verify-<uuid>` workflow, followed through the workflow itself
(its pending activity's heartbeat while it walks, its result when done), so every API
replica answers for every verification (docs/scale-out.md) and nothing is kept here."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, computed_field
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from activities.audit import VerifyProgress, VerifyRequest
from aggregates.base import NotFoundError
from careerflow.audit.integrity import VerifyReport, require_verifier
from careerflow.principal import Principal
from careerflow.services import updates
from workflows.audit_verify import ID_PREFIX, AuditVerifyWorkflow

State = Literal["running", "done", "failed"]


class VerifyStatus(BaseModel):
    """Running (events checked of the total), done (the report, the same as a synchronous
    verification's) or failed (the workflow ended without a report)."""

    verify_id: str
    state: State
    checked: int = 0
    total: int = 0
    report: VerifyReport | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return min(99, self.checked * 100 // self.total) if self.total else 0


def _known(verify_id: str) -> str:
    if not verify_id.startswith(ID_PREFIX):
        raise NotFoundError("no verification {verify_id!r}", verify_id=verify_id)
    return verify_id


class VerifyProcess:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def start(self, principal: Principal) -> str:
        """Starts a verification; its id names it for `status`."""
        require_verifier(principal)
        verify_id = f"{ID_PREFIX}{uuid.uuid4()}"
        await self.client.start_workflow(
            AuditVerifyWorkflow.run,
            VerifyRequest(principal=principal),
            id=verify_id,
            task_queue=self.task_queue,
        )
        return verify_id

    async def status(self, principal: Principal, verify_id: str) -> VerifyStatus:
        """Running (events checked of the total, from the activity's last heartbeat),
        done (the report) or failed."""
        require_verifier(principal)
        handle = self.client.get_workflow_handle(_known(verify_id))
        try:
            described = await handle.describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise NotFoundError("no verification {verify_id!r}", verify_id=verify_id) from None
            raise
        if described.status == WorkflowExecutionStatus.RUNNING:
            progress = VerifyProgress()
            for pending in described.raw_description.pending_activities:
                if pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED:
                    continue
                if pending.heartbeat_details.payloads:
                    (progress,) = await self.client.data_converter.decode(
                        pending.heartbeat_details.payloads, [VerifyProgress]
                    )
            return VerifyStatus(
                verify_id=verify_id,
                state="running",
                checked=progress.checked,
                total=progress.total,
            )
        try:
            found = await handle.result()
        except WorkflowFailureError as exc:
            refusal = updates.refusal(exc)
            if refusal is None:
                return VerifyStatus(verify_id=verify_id, state="failed")
            raise refusal from None
        report = VerifyReport.model_validate(found)
        return VerifyStatus(
            verify_id=verify_id,
            state="done",
            checked=report.events,
            total=report.events,
            report=report,
        )
