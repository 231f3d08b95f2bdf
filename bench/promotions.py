"""Promotion workflows end to end per second, against bare Temporal workflows of the
same shape.

Each application runs the whole rejected path of `PromotionApplication` on the dev
server with the real worker: started by HR through `PromotionProcessService`, the report
built from the ledger and evaluated (saved with the opening), the manager notified
(created with both channels skipped: no SMTP or webhook here), the decision sent as an
Update once the workflow is at manager review, the applicant told; the workflow
completes. Those steps are local activities since the workflow's patches. The clock
stops when every workflow has finished and the projection runner (a separate process)
has every event in the read models, readiness included. (The approved path ends with
a timer until the 1st of next month, which the dev server does not skip; the rejected
path is the longest one that completes.)

The baselines run `bench.bare.BarePromotion` through the same driver: the same seven
steps, local activity, timer, query polling and Update, with no-op activities — no
event written, no read model — once with every step a regular activity and once with
every step a local activity."""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from aggregates.promotion import Stage
from bench.bare import BarePromotion, BareStart, noop, noop_local
from bench.common import Lab, Report, count, stopwatch
from bench.org import load_org
from bench.stack import ProjectionProcess, wait_caught_up
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from projections.runner import PROJECTIONS
from worker import WORKFLOW_RUNNER, build_worker
from workflows.promotion import PromotionWorkflow

NAME = "promotions"
TITLE = "promotion workflows end to end per second vs bare Temporal workflows"
DEFAULTS: dict[str, Any] = {"applications": 200, "concurrency": 25}
SMOKE: dict[str, Any] = {"applications": 4, "concurrency": 4}
POLL = 0.05


async def _drive(ids: list[str], concurrency: int, one: Callable[[str], Awaitable[None]]) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def gated(ident: str) -> None:
        async with gate:
            await one(ident)

    await asyncio.gather(*(gated(i) for i in ids))


def _events(pg: Any) -> int:
    return sum(
        count(pg, f"SELECT coalesce(max(notification_id), 0) FROM {app.name}_events")
        for app, _ in PROJECTIONS
    )


async def _promotions(
    client: Client, services: Engine, pg: Any, reps: list[str], concurrency: int
) -> tuple[float, int]:
    queue = f"bench-promotions-{uuid.uuid4().hex[:8]}"
    process = services.promotion_process(client, queue)
    before = _events(pg)

    async def one(employee_id: str) -> None:
        # No role named, as the pages and API allow: the service picks the next rung.
        started = await process.start(DEMO_HR, employee_id)
        target = started.target_role
        handle = client.get_workflow_handle(started.workflow_id)
        while (await handle.query(PromotionWorkflow.status)).stage != Stage.manager_review:
            await asyncio.sleep(POLL)
        await process.decide(DEMO_HR, employee_id, target, False, "not this year")
        await handle.result()

    with concurrent.futures.ThreadPoolExecutor(16) as executor:
        async with build_worker(client, services, queue, executor):
            with stopwatch() as elapsed:
                await _drive(reps, concurrency, one)
                await asyncio.to_thread(wait_caught_up, pg, 600)
    rejected = count(pg, "SELECT count(*) FROM rm_application WHERE stage = 'rejected'")
    assert rejected == len(reps), f"{rejected} of {len(reps)} applications rejected"
    return elapsed(), _events(pg) - before


async def _bare(client: Client, n: int, concurrency: int, local: bool) -> float:
    queue = f"bench-bare-{uuid.uuid4().hex[:8]}"
    run = uuid.uuid4().hex[:6]

    async def one(ident: str) -> None:
        handle = await client.start_workflow(
            BarePromotion.run, BareStart(workflow_id=ident, local=local), id=ident, task_queue=queue
        )
        while await handle.query(BarePromotion.current) != "manager_review":
            await asyncio.sleep(POLL)
        await handle.execute_update(BarePromotion.decide, "not this year")
        assert await handle.result() == "rejected"

    with concurrent.futures.ThreadPoolExecutor(16) as executor:
        async with Worker(
            client,
            task_queue=queue,
            workflows=[BarePromotion],
            activities=[noop, noop_local],
            activity_executor=executor,
            workflow_runner=WORKFLOW_RUNNER,
        ):
            with stopwatch() as elapsed:
                await _drive([f"bare-{run}-{i}" for i in range(n)], concurrency, one)
    return elapsed()


async def run(lab: Lab, applications: int, concurrency: int) -> Report:
    report = Report(NAME, TITLE, {"applications": applications, "concurrency": concurrency})
    env = await lab.temporal()
    pg = lab.database(NAME)
    try:
        org = load_org(pg, applications, max(1, applications // 10))
        reps = org.rep_ids[:applications]
        with Engine(open_store(pg)) as services, ProjectionProcess(pg):
            await asyncio.to_thread(wait_caught_up, pg, 600)
            seconds, events = await _promotions(env.client, services, pg, reps, concurrency)
        bare_seconds = await _bare(env.client, len(reps), concurrency, local=False)
        local_seconds = await _bare(env.client, len(reps), concurrency, local=True)
        engine = "promotions end to end (events written, read models updated)"
        report.add(
            engine,
            len(reps) / seconds,
            "wf/s",
            "bare workflows, same steps as regular activities, no events",
            len(reps) / bare_seconds,
        )
        report.add(
            engine,
            len(reps) / seconds,
            "wf/s",
            "bare workflows, same steps as local activities, no events",
            len(reps) / local_seconds,
        )
        report.note(
            f"{len(reps)} applications, {concurrency} in flight; {events / len(reps):.1f} "
            f"events per application; worker: one process, 16 activity threads; projection "
            "runner: its own process; Temporal: dev server, in memory."
        )
    finally:
        lab.drop(pg)
    return report
