"""What a metric import reports back (the Metrics application returns it, the activity
contract re-exports it). Apart from aggregates.metric_ledger so that the workflow and the
contracts need not import eventsourcing."""

from __future__ import annotations

from pydantic import BaseModel


class IngestResult(BaseModel):
    batch_id: str
    rows: int
    employees: int
    events_written: int
    already_ingested: bool
    notification_id: int | None
    employee_ids: list[str] = []
