"""kill -9 the worker at random points while 200 promotions run, and start it again each
time: every application finishes, and the event store holds exactly the events of each
application's path (nothing lost, nothing twice), every notification once per key, and
the hash chains verify.

The kill points are drawn by a seeded RNG as fractions of the promotion events the run
will write, so each kill lands while work is in flight whatever the machine's speed. An
activity that a killed worker had started is retried only after its start-to-close
timeout (60 s, workflows/steps.py: activities don't heartbeat), so the kills come in the
first 30% of the run and their timeouts overlap with the rest of the work."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

from temporalio.client import Client

from tests.fault.conftest import (
    PATHS,
    FaultStack,
    PromotionDriver,
    build_org,
    check_promotions,
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
    began = time.monotonic()

    def now() -> str:
        return f"t={time.monotonic() - began:.1f}s"

    with fault_stack.services() as services:
        reps = build_org(services, APPLICANTS, PER_TEAM)
        paths = {rep: PATHS[rng.choice(sorted(PATHS))] for rep in reps}
        expected = sum(len(p.events) for p in paths.values())
        say(
            f"{len(reps)} applicants {dict(Counter(p.name for p in paths.values()))}, "
            f"{expected} promotion events expected; org built, {now()}"
        )
        worker = fault_stack.worker().start()
        say(f"worker started (pid {worker.pid})")
        driver = PromotionDriver(services, temporal_client, fault_stack.queue)
        follower = asyncio.create_task(driver.follow())
        tasks = [
            asyncio.create_task(driver.drive(rep, f"S{i // PER_TEAM + 1:03d}", paths[rep]))
            for i, rep in enumerate(reps)
        ]
        try:
            kills = rng.randint(3, 5)
            points = sorted(rng.uniform(0.03, 0.3) for _ in range(kills))
            for n, point in enumerate(points, 1):
                await run_until(driver, tasks, int(point * expected), log=worker)
                await asyncio.sleep(rng.uniform(0.0, 0.3))
                pid = worker.kill()
                say(
                    f"kill {n}/{kills}: SIGKILL worker pid {pid} at {driver.total}/{expected} "
                    f"promotion events (drawn point {point:.0%}), {now()}"
                )
                await asyncio.sleep(rng.uniform(0.0, 1.0))
                await worker.start_async()
                say(f"worker started again (pid {worker.pid}), {now()}")
            await asyncio.wait_for(asyncio.gather(*tasks), 300)
            say(
                f"every application decided, {now()}; calls refused or cut off and retried: "
                f"{dict(driver.retries)}; calls left waiting once the store had their event: "
                f"{dict(driver.abandoned)}"
            )
            summary = await check_promotions(services, temporal_client, driver, paths)
        finally:
            follower.cancel()
            for task in tasks:
                task.cancel()
            driver.close()
        say(f"kills: {worker.kills}, worker starts: {worker.starts}; {summary}; wall {now()}")
