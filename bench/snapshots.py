"""Reconstructing one employee's year: a metric ledger of ~1,000 events (a year of daily
figures, one ingested batch per metric and day), loaded through the `metrics`
application with its snapshots (every 12 versions) and, from the very same events
table, by an application without snapshots (every event replayed)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aggregates.base import command_context
from aggregates.documents import Measurement
from aggregates.metric_ledger import MetricLedger, ledger_uuid
from bench.common import Lab, Report, p50, percentile, stopwatch
from careerflow.apps import Metrics
from careerflow.engine import open_store
from careerflow.eventstore import PydanticApplication
from careerflow.store import Store

NAME = "snapshots"
TITLE = "reconstructing one employee's year (~1,000 events): with vs without snapshots"
DEFAULTS: dict[str, Any] = {"events": 1000, "repeats": 30}
SMOKE: dict[str, Any] = {"events": 60, "repeats": 3}
METRICS = ("customer_visits", "new_customers", "sales_amount")
EMPLOYEE = "E00001"


class MetricsWithoutSnapshots(PydanticApplication):
    """The `metrics` table, read without its snapshots."""

    name = Metrics.name


def _build(store: Store, events: int) -> MetricLedger:
    start = date(2025, 1, 1)
    ledger = MetricLedger(employee_id=EMPLOYEE)
    with command_context(actor="bench", role="integration"):
        store.metrics.save(ledger)  # version 1: opened
        for i in range(events - 1):
            day = start + timedelta(days=i // len(METRICS))
            metric = METRICS[i % len(METRICS)]
            m = Measurement(
                employee_id=EMPLOYEE,
                period=day.isoformat(),
                metric=metric,
                value=float(i % 17 + 1),
                source="crm",
            )
            ledger.record(f"daily-{day.isoformat()}-{metric}", [m])
            store.metrics.save(ledger)  # one save per batch, as the ingest does
    return ledger


def _time_loads(app: PydanticApplication, repeats: int, version: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        with stopwatch() as elapsed:
            ledger: MetricLedger = app.repository.get(ledger_uuid(EMPLOYEE))
        assert ledger.version == version
        samples.append(elapsed())
    return samples


async def run(lab: Lab, events: int, repeats: int) -> Report:
    report = Report(NAME, TITLE, {"events": events, "repeats": repeats})
    pg = lab.database(NAME)
    try:
        with open_store(pg) as store:
            built = _build(store, events)
            bare = MetricsWithoutSnapshots(env=store.env)
            try:
                assert bare.snapshots is None
                without = _time_loads(bare, repeats, built.version)
                with_snap = _time_loads(store.metrics, repeats, built.version)
            finally:
                bare.close()
            for label, stat in (("p50", p50), ("p95", lambda s: percentile(s, 95))):
                report.add(
                    f"load one ledger of {built.version} events, {label} (with snapshots)",
                    stat(with_snap) * 1000,
                    "ms",
                    "the same ledger without snapshots (replays every event)",
                    stat(without) * 1000,
                    higher_is_better=False,
                )
            entries = len(built.entries)
        report.note(
            f"the snapshot holds the whole ledger ({entries} measurements): loading it costs "
            "decoding that state plus at most 11 events after it; without snapshots every "
            "event is read, decoded and applied."
        )
    finally:
        lab.drop(pg)
    return report
