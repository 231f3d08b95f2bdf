"""kill -9 the worker at random points while 200 promotions run, and start it again each
time: every application finishes, and the event store holds exactly the events of each
application's path (nothing lost, nothing twice), every notification once per key, and
the hash chains verify.

The kill points are drawn by a seeded RNG as fractions of the promotion events the run
will write, so each kill lands while work is in flight whatever the machine's speed. An
activity that a killed worker had started is retried after its heartbeat timeout (5 s,
workflows/steps.py); the kills come in the first 30% of the run so that the retries
overlap with the rest of the work."""

from __future__ import annotations

import asyncio
import random

from temporalio.client import Client

from tests.fault.conftest import (
    Clock,
    FaultStack,
    PromotionDriver,
    check_promotions,
    draw_applicants,
    run_until,
    say,
)

SEED = 20261122
APPLICANTS = 200
PER_TEAM = 20


async def test_worker_killed_at_random_points_loses_and_duplicates_nothing(
    fault_stack: FaultStack, temporal_client: Client
) -> None:
    rng = random.Random(SEED)
    now = Clock()
    with fault_stack.services() as services:
        applicants = draw_applicants(services, rng, APPLICANTS, PER_TEAM)
        expected = applicants.expected
        say(f"{applicants}; org built, {now}")
        worker = fault_stack.worker().start()
        say(f"worker started (pid {worker.pid})")
        async with PromotionDriver(services, temporal_client, fault_stack.queue) as driver:
            driver.start(applicants.reps, applicants)
            kills = rng.randint(3, 5)
            points = sorted(rng.uniform(0.03, 0.3) for _ in range(kills))
            for n, point in enumerate(points, 1):
                await run_until(driver, int(point * expected), log=worker)
                await asyncio.sleep(rng.uniform(0.0, 0.3))
                pid = worker.kill()
                say(
                    f"kill {n}/{kills}: SIGKILL worker pid {pid} at {driver.total}/{expected} "
                    f"promotion events (drawn point {point:.0%}), {now}"
                )
                await asyncio.sleep(rng.uniform(0.0, 1.0))
                await worker.start_async()
                say(f"worker started again (pid {worker.pid}), {now}")
            await driver.finish()
            say(
                f"every application decided, {now}; calls refused or cut off and retried: "
                f"{dict(driver.retries)}; calls left waiting once the store had their event: "
                f"{dict(driver.abandoned)}"
            )
            summary = await check_promotions(services, temporal_client, driver, applicants.paths)
        say(f"kills: {worker.kills}, worker starts: {worker.starts}; {summary}; wall {now}")
