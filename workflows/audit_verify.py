"""The event store's verification as a durable workflow (`audit-verify-<uuid>`): one
activity walks every hash chain, heartbeating its progress; the result names the first
tampered event. Started and read by careerflow.services.verify_process."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.steps import HEARTBEAT

with workflow.unsafe.imports_passed_through():
    from activities.audit import AuditActivities, VerifyRequest

ID_PREFIX = "audit-verify-"


@workflow.defn(name="AuditVerify")
class AuditVerifyWorkflow:
    @workflow.run
    async def run(self, request: VerifyRequest) -> dict[str, Any]:
        # A large store takes minutes; a refusal (not an auditor) is not retried.
        report: dict[str, Any] = await workflow.execute_activity_method(
            AuditActivities.verify_event_store,
            request,
            start_to_close_timeout=timedelta(hours=2),
            heartbeat_timeout=HEARTBEAT,
            retry_policy=RetryPolicy(maximum_attempts=3),
        )
        return report
