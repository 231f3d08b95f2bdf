"""Activities that change the metric ledgers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel
from temporalio import activity

from aggregates.metric_rules import IngestResult as IngestResult
from careerflow.principal import Principal

if TYPE_CHECKING:
    from careerflow.services.registry import Services


class IngestRequest(BaseModel):
    principal: Principal
    data: str
    format: str
    source_name: str
    batch_id: str | None = None


class OpenPlansRequest(BaseModel):
    employee_ids: list[str]


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

    @activity.defn(name="open_plans_of")
    def open_plans_of(self, request: OpenPlansRequest) -> list[str]:
        """The running development plans of these employees (from the read model)."""
        # Imported here, not at the top: workflows import this module for its contracts,
        # and the database driver has no place in their sandbox.
        import psycopg

        if not request.employee_ids:
            return []
        from projections.plans import open_plan_ids

        with self.services.read_pool.connection() as conn:
            try:
                return open_plan_ids(conn, request.employee_ids)
            except psycopg.errors.UndefinedTable:
                return []  # no projection has run yet, so no plan is known
