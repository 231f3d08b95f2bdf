"""Activities that change the metric ledgers."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from careerflow.principal import Principal
from careerflow.services.ingest import IngestResult
from careerflow.services.registry import Services


class IngestRequest(BaseModel):
    principal: Principal
    data: str
    format: str
    source_name: str
    batch_id: str | None = None


class MetricActivities:
    def __init__(self, services: Services) -> None:
        self.services = services

    @activity.defn(name="ingest_metrics")
    def ingest_metrics(self, request: IngestRequest) -> IngestResult:
        # Idempotent: the batch id is the content hash (or the caller's id), and a ledger
        # skips a batch it already holds, so a retry after a crash writes nothing twice.
        return self.services.ingest.ingest(
            request.principal,
            request.data.encode("utf-8"),
            request.format,
            self.services.catalog(),
            source_name=request.source_name,
            batch_id=request.batch_id,
        )
