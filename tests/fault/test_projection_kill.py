"""The projection runner process killed (-9) while it projects a large import resumes
where it stopped: no event skipped, none applied twice. Each read-model change and its
tracking record are one transaction per batch of events, so a kill mid-batch loses at most
the uncommitted batch, and the restarted runner takes it again.

The proof is the projection check (careerflow/audit/projection_check.py): every read
model rebuilt from scratch from the same events must equal the live one row by row, and
every projection's position must be its application's last event."""

from __future__ import annotations

import random
import time
from typing import Any

from careerflow.audit.projection_check import check_projections
from careerflow.engine import Engine
from careerflow.principal import SYSTEM
from tests.fault.conftest import (
    HR,
    Clock,
    FaultStack,
    build_org,
    heads,
    projection_positions,
    say,
    wait_projected,
)

SEED = 7
REPS = 400
MONTHLY_BATCHES = 8
BATCH = 20


def import_months(services: Engine, reps: list[str], months: list[str]) -> int:
    """One metric export per month for every rep: a ledger event per rep and month.
    Returns the rows imported."""
    events = 0
    for month in months:
        lines = ["employee_id,period,metric,value,source,item"]
        for i, rep in enumerate(reps):
            lines += [
                f"{rep},{month},sales_amount,{100000 + 7 * i},crm,",
                f"{rep},{month},new_customers,{3 + i % 5},crm,",
                f"{rep},{month},customer_visits,{20 + i % 11},crm,",
            ]
        result: Any = services.ingest.ingest(
            HR, ("\n".join(lines) + "\n").encode(), "csv", services.catalog(), f"crm-{month}"
        )
        events += 3 * len(reps) if result is not None else 0
    return events


def test_projection_runner_killed_mid_batch_resumes_without_gaps_or_double_applies(
    fault_stack: FaultStack,
) -> None:
    rng = random.Random(SEED)
    now = Clock()
    with fault_stack.services() as services:
        reps = build_org(services, REPS, metrics=False)
        months = [f"2025-{m:02d}" for m in range(1, MONTHLY_BATCHES + 1)]
        imported = import_months(services, reps, months)
        target = heads(services)
        # Started only now, so every kill point lies in a projection still under way.
        runner = fault_stack.projection_runner()
        # Small batches, so that there are many transactions for a kill to fall between
        # (and into): at the default 500 the 3,600 metric events are eight commits.
        runner.env["CAREERFLOW_PROJECTION_BATCH"] = str(BATCH)
        runner.start()
        say(f"projection runner started (pid {runner.pid})")
        say(
            f"imported {REPS} reps and {MONTHLY_BATCHES} monthly exports ({imported} rows): "
            f"heads {target}, {now}"
        )
        metrics_head = target["metrics"]

        kills = rng.randint(3, 4)
        points = sorted(rng.uniform(0.1, 0.9) for _ in range(kills))
        for n, point in enumerate(points, 1):
            deadline = time.monotonic() + 120
            while projection_positions(services).get("metrics", 0) < point * metrics_head:
                assert runner.alive(), runner.tail()
                assert time.monotonic() < deadline, f"projection stalled\n{runner.tail()}"
                time.sleep(0.01)
            pid = runner.kill()
            at = projection_positions(services).get("metrics", 0)
            assert at < metrics_head, "the kill came after the last metrics event"
            say(
                f"kill {n}/{kills}: SIGKILL projection runner pid {pid} mid-batch, metrics "
                f"projected to {at}/{metrics_head} (drawn point {point:.0%}), {now}"
            )
            runner.start()
            say(f"projection runner started again (pid {runner.pid}), {now}")

        wait_projected(services, target, runner)
        say(f"caught up: positions {projection_positions(services)}, {now}")

        report = check_projections(services.store, services.history, SYSTEM)
        assert report.ok, report.differences[:20]
        assert report.live_positions == report.rebuilt_positions
        assert runner.kills == kills
        say(
            f"kills: {runner.kills}, runner starts: {runner.starts}; read model equals a "
            f"from-scratch rebuild: {sum(report.rows_compared.values())} rows in "
            f"{len(report.rows_compared)} tables ({report.rows_compared}); wall {now}"
        )
