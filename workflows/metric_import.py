"""A metric export ingested as a durable workflow (for integrations that push files and
come back for the result): retried until the store has it, exactly once."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.metrics import IngestRequest
    from careerflow.services.ingest import IngestResult


@workflow.defn(name="MetricImport")
class MetricImportWorkflow:
    @workflow.run
    async def run(self, request: IngestRequest) -> IngestResult:
        return await workflow.execute_activity(
            "ingest_metrics",
            request,
            result_type=IngestResult,
            start_to_close_timeout=timedelta(minutes=10),
            # A bad file is the sender's to fix: retrying cannot help.
            retry_policy=RetryPolicy(
                non_retryable_error_types=["IngestError", "PermissionDeniedError"]
            ),
        )
