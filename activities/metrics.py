"""Activities that change the metric ledgers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel
from temporalio import activity

from aggregates.metric_rules import IngestResult as IngestResult
from careerflow.principal import Principal

if TYPE_CHECKING:
    from aggregates.documents import MetricCatalog
    from careerflow.applications.metrics import Metrics


class IngestRequest(BaseModel):
    principal: Principal
    data: str
    format: str
    source_name: str
    batch_id: str | None = None


class OpenPlansRequest(BaseModel):
    employee_ids: list[str]


class MetricActivities:
    def __init__(
        self,
        metrics: Metrics,
        catalog: Callable[[], MetricCatalog],
        open_plans: Callable[[list[str]], list[str]],
    ) -> None:
        # The metric catalog in force and the running plans (a read-model query) come in as
        # functions: this module is imported by workflows for its contracts.
        self.metrics = metrics
        self.catalog = catalog
        self.open_plans = open_plans

    @activity.defn(name="ingest_metrics")
    def ingest_metrics(self, request: IngestRequest) -> IngestResult:
        # Idempotent: the batch id is the content hash (or the caller's id), and a ledger
        # skips a batch it already holds, so a retry after a crash writes nothing twice.
        return self.metrics.ingest(
            request.principal,
            request.data.encode("utf-8"),
            request.format,
            self.catalog(),
            source_name=request.source_name,
            batch_id=request.batch_id,
        )

    @activity.defn(name="open_plans_of")
    def open_plans_of(self, request: OpenPlansRequest) -> list[str]:
        """The running development plans of these employees (from the read model)."""
        if not request.employee_ids:
            return []
        return self.open_plans(request.employee_ids)
