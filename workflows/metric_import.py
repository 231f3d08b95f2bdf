"""A metric export ingested as a durable workflow (for integrations that push files and
come back for the result): retried until the store has it, exactly once."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from workflows.steps import HEARTBEAT

with workflow.unsafe.imports_passed_through():
    from activities.metrics import IngestRequest, IngestResult, MetricActivities, OpenPlansRequest


@workflow.defn(name="MetricImport")
class MetricImportWorkflow:
    @workflow.run
    async def run(self, request: IngestRequest) -> IngestResult:
        # Its own options, not steps.run's: a large file may take minutes, and a bad one
        # is the sender's to fix (retrying cannot help).
        result: IngestResult = await workflow.execute_activity_method(
            MetricActivities.ingest_metrics,
            request,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=HEARTBEAT,
            retry_policy=RetryPolicy(
                non_retryable_error_types=["IngestError", "PermissionDeniedError"]
            ),
        )
        # Development plans re-evaluate as soon as their employee's metrics arrive.
        plans: list[str] = await workflow.execute_activity_method(
            MetricActivities.open_plans_of,
            OpenPlansRequest(employee_ids=result.employee_ids),
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=HEARTBEAT,
        )
        for plan_id in plans:
            try:
                await workflow.get_external_workflow_handle(plan_id).signal("metrics_arrived")
            except ApplicationError:
                workflow.logger.info("plan %s is no longer running", plan_id)
        return result
