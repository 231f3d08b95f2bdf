"""Per-employee metric ledger: every ingested measurement is an event, with its source,
period and ingestion batch, so a decision can name exactly which data it used."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from aggregates.base import (
    Aggregate,
    AggregateSnapshot,
    DomainError,
    Immutable,
    SnapshotState,
    stable_id,
)
from aggregates.documents import Measurement


def ledger_uuid(employee_id: str) -> UUID:
    return stable_id("metric-ledger", employee_id)


def measurement_key(m: Measurement) -> str:
    return f"{m.period}|{m.metric}|{m.item or ''}"


class LedgerEntry(Immutable):
    """A measurement as recorded: the ledger version that recorded it is its reference."""

    measurement: Measurement
    batch_id: str
    version: int


class MetricLedgerState(SnapshotState):
    employee_id: str
    entries: dict[str, LedgerEntry]
    batches: list[str]


class MetricLedger(Aggregate):
    class Snapshot(AggregateSnapshot):
        state: MetricLedgerState

    @staticmethod
    def create_id(employee_id: str, *_: object, **__: object) -> UUID:
        return ledger_uuid(employee_id)

    @event("Opened")
    def __init__(self, employee_id: str) -> None:
        self.employee_id = employee_id
        self.entries: dict[str, LedgerEntry] = {}
        self.batches: list[str] = []

    def record(self, batch_id: str, measurements: list[Measurement]) -> bool:
        """Idempotent per batch: a batch already recorded is skipped, not duplicated."""
        if batch_id in self.batches:
            return False
        if not measurements:
            return False
        strangers = {m.employee_id for m in measurements} - {self.employee_id}
        if strangers:
            raise DomainError(
                "measurements for {strangers} cannot go in {employee_id}'s ledger",
                strangers=sorted(strangers),
                employee_id=self.employee_id,
            )
        self._recorded(batch_id=batch_id, measurements=measurements)
        return True

    @event("MetricsRecorded")
    def _recorded(self, batch_id: str, measurements: list[Measurement]) -> None:
        # `version` is not bumped yet while the event applies: the new version is +1.
        entries = dict(self.entries)
        for m in measurements:
            entries[measurement_key(m)] = LedgerEntry(
                measurement=m, batch_id=batch_id, version=self.version + 1
            )
        self.entries = entries
        self.batches = [*self.batches, batch_id]

    def measurements(self) -> list[Measurement]:
        """Current measurements, oldest recording first (later corrections win)."""
        ordered = sorted(self.entries.values(), key=lambda e: e.version)
        return [e.measurement for e in ordered]
