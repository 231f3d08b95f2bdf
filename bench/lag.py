"""Projection lag: from an event committed to the event store to its row visible in the
read model, p50/p95, with the projection runner in its own process (as deployed).

A probe moves an employee to another team (`people` application, one event) and polls
`rm_employee` until the new team shows. Under load, a writer appends weekly-cycle events
(four per rep, `cycles`, one save a round) and one-day metric batches (`metrics`, which
also mark the employee's readiness for a recompute) at `rate` events per second
meanwhile. The baseline is the same probe with nothing else writing."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

import psycopg

from aggregates.base import command_context
from aggregates.documents import Measurement
from aggregates.employee import Employee, employee_uuid
from aggregates.metric_ledger import MetricLedger, ledger_uuid
from bench.common import Lab, Report, p50, percentile
from bench.org import load_org
from bench.rebuild import write_cycles
from bench.stack import ProjectionProcess, wait_caught_up
from careerflow.config import PostgresSettings
from careerflow.engine import Engine, open_store
from careerflow.store import Store

NAME = "lag"
TITLE = "projection lag (event appended → visible in the read model) under load"
DEFAULTS: dict[str, Any] = {"reps": 200, "samples": 200, "rate": 1000}
SMOKE: dict[str, Any] = {"reps": 10, "samples": 10, "rate": 20}
PROBE_INTERVAL = 0.05


class Load(threading.Thread):
    """Appends about `rate` events per second until stopped."""

    def __init__(self, services: Engine, rep_ids: list[str], rate: float) -> None:
        super().__init__(name="bench-load", daemon=True)
        self.services = services
        self.rep_ids = rep_ids
        self.rate = rate
        self.stop = threading.Event()
        self.written = 0
        self.seconds = 0.0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by the measuring thread
            self.error = exc

    def _run(self) -> None:
        started = time.perf_counter()
        week = 0
        day = 0
        # A round: one week's cycle for `size` reps (4 events each) and a day's figures for
        # them (1 event each), ~10 rounds a second at the offered rate. The writer keeps
        # the ledgers it wrote (nobody else writes them) and each rep's employee and
        # targets rather than reading them again.
        size = max(10, round(self.rate / 50))
        ledgers: dict[str, MetricLedger] = {}
        known: dict[str, tuple[Any, Any]] = {}
        while not self.stop.is_set():
            week += 1
            reps = [self.rep_ids[(week * size + i) % len(self.rep_ids)] for i in range(size)]
            self.written += write_cycles(
                self.services, reps, [f"{2027 + week // 52}-W{week % 52 + 1:02d}"], known
            )
            day += 1
            changed = []
            with command_context(actor="bench", role="integration"):
                for employee_id in reps:
                    ledger = ledgers.get(employee_id) or self.services.store.metrics.find(
                        ledger_uuid(employee_id)
                    )
                    ledger = ledger or MetricLedger(employee_id=employee_id)
                    ledgers[employee_id] = ledger
                    stamp = date.fromordinal(date(2026, 11, 1).toordinal() + day % 300)
                    ledger.record(
                        f"load-{week}-{employee_id}",
                        [
                            Measurement(
                                employee_id=employee_id,
                                period=stamp.isoformat(),
                                metric="customer_visits",
                                value=float(week % 9),
                                source="crm",
                            )
                        ],
                    )
                    changed.append(ledger)
            self.services.store.metrics.save(*changed)
            self.written += len(changed)
            due = started + self.written / self.rate
            pause = due - time.perf_counter()
            if pause > 0:
                self.stop.wait(pause)
        self.seconds = time.perf_counter() - started


def _probe(
    store: Store, pg: PostgresSettings, employee_ids: list[str], samples: int
) -> list[float]:
    lags: list[float] = []
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        for i in range(samples):
            employee_id = employee_ids[i % len(employee_ids)]
            employee: Employee = store.people.repository.get(employee_uuid(employee_id))
            team = employee.team_id
            target = f"{team}-x" if not team.endswith("-x") else team[:-2]
            with command_context(actor="bench", role="hr"):
                employee.move(target, employee.manager_id)
            store.people.save(employee)
            committed = time.perf_counter()
            while True:
                row = conn.execute(
                    "SELECT team_id FROM rm_employee WHERE employee_id = %s", (employee_id,)
                ).fetchone()
                if row and row[0] == target:
                    break
                if time.perf_counter() - committed > 60:
                    raise TimeoutError(f"{employee_id} not projected within 60 s")
                time.sleep(0.001)
            lags.append(time.perf_counter() - committed)
            time.sleep(PROBE_INTERVAL)
    return lags


async def run(lab: Lab, reps: int, samples: int, rate: float) -> Report:
    report = Report(NAME, TITLE, {"reps": reps, "samples": samples, "rate": rate})
    pg = lab.database(NAME)
    try:
        org = load_org(pg, reps, max(1, reps // 10))
        probes = org.supervisor_ids  # moved back and forth; nobody else writes them
        with Engine(open_store(pg)) as services, ProjectionProcess(pg):
            wait_caught_up(pg, 300)
            idle = _probe(services.store, pg, probes, samples)
            load = Load(services, org.rep_ids, rate)
            load.start()
            try:
                time.sleep(2.0)  # the load reaches its pace first
                busy = _probe(services.store, pg, probes, samples)
            finally:
                load.stop.set()
                load.join(timeout=60)
            if load.error is not None:
                raise load.error
            achieved = load.written / load.seconds if load.seconds else 0.0
            with_backlog = time.perf_counter()
            wait_caught_up(pg, 600)
            drain = time.perf_counter() - with_backlog
        for label, stat in (("p50", p50), ("p95", lambda s: percentile(s, 95))):
            report.add(
                f"lag {label} under load ({achieved:.0f} ev/s offered)",
                stat(busy) * 1000,
                "ms",
                "the same probe, no other writer",
                stat(idle) * 1000,
                higher_is_better=False,
            )
        report.note(
            f"load: weekly-cycle and metric events at {achieved:.0f} ev/s (asked {rate}); "
            f"after the load stopped the read models (readiness included) caught up in "
            f"{drain:.1f} s"
        )
    finally:
        lab.drop(pg)
    return report
