"""A metric export imported through its Temporal workflow, for the API, the pages and
anyone else with a file: who may ingest, the file checked with every problem named by
line before anything starts, a GBK CSV or a workbook carried as UTF-8 text, one batch per
content (the same file twice is one import), and the workflow's refusal said as the
engine's error."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable

from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy

from activities.metrics import IngestRequest
from aggregates.documents import MetricCatalog
from aggregates.metric_rules import IngestResult
from careerflow.applications.files import as_utf8
from careerflow.applications.metrics import Metrics, require_ingester
from careerflow.principal import Principal
from careerflow.services import updates
from workflows.metric_import import MetricImportWorkflow


class MetricImportProcess:
    def __init__(
        self,
        metrics: Metrics,
        catalog: Callable[[], MetricCatalog],
        client: Client,
        task_queue: str,
    ) -> None:
        self.metrics = metrics
        self.catalog = catalog
        self.client = client
        self.task_queue = task_queue

    async def import_file(
        self,
        principal: Principal,
        data: bytes,
        fmt: str,
        source_name: str = "upload",
        batch_id: str | None = None,
    ) -> IngestResult:
        """All rows or none; raises IngestError (its lines) before the workflow starts."""
        require_ingester(principal)
        catalog = await asyncio.to_thread(self.catalog)
        await asyncio.to_thread(self.metrics.validate, data, fmt, catalog, source_name)
        data, fmt = await asyncio.to_thread(as_utf8, data, fmt)
        key = hashlib.sha256((batch_id or "").encode() + b"\0" + data).hexdigest()[:32]
        handle = await self.client.start_workflow(
            MetricImportWorkflow.run,
            IngestRequest(
                principal=principal,
                data=data.decode("utf-8"),
                format=fmt,
                source_name=source_name,
                batch_id=batch_id,
            ),
            id=f"metric-import-{key}",
            task_queue=self.task_queue,
            # The same export pushed twice at once waits for the one import.
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        try:
            result: IngestResult = await handle.result()
        except WorkflowFailureError as exc:
            refusal = updates.refusal(exc)
            if refusal is None:
                raise
            raise refusal from None
        return result
