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
every step a local activity.

Layout (`--promotions-layout`): `apart` (the default) runs each side's worker in a
process of its own, as the deployment runs `careerflow worker` apart from the API that
starts the workflows, and this process only drives them; `together` runs the worker in
the driving process (the layout of the figures before session 19).

The sides' order alternates (`--promotions-rounds`, each round both sides, the bare
baselines first in every other round) after an untimed warm-up of each, so neither side
always meets a fresh or a fuller server; each figure is the median of its rounds."""

from __future__ import annotations

import asyncio
import statistics
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from temporalio.client import Client

from aggregates.promotion import Stage
from bench.bare import BarePromotion, BareStart
from bench.common import Lab, Report, count, stopwatch
from bench.org import load_org
from bench.stack import ProjectionProcess, wait_caught_up
from bench.workers import Kind, WorkerProcess, running_worker, spec_for
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from projections.runner import PROJECTIONS
from workflows.promotion import PromotionWorkflow

NAME = "promotions"
TITLE = "promotion workflows end to end per second vs bare Temporal workflows"
DEFAULTS: dict[str, Any] = {"applications": 200, "concurrency": 25, "rounds": 3, "layout": "apart"}
SMOKE: dict[str, Any] = {"applications": 4, "concurrency": 4, "rounds": 2, "layout": "apart"}
LAYOUTS = ("apart", "together")
WARM_UP = 10  # untimed workflows per side before the first round
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


@asynccontextmanager
async def _worker(
    client: Client, kind: Kind, queue: str, services: Engine, pg: Any, apart: bool
) -> AsyncIterator[None]:
    """The side's worker: in a process of its own (apart) or in this one (together)."""
    if apart:
        store = pg.model_dump() if kind == "engine" else None
        async with WorkerProcess(spec_for(client, kind, queue, store)):
            yield
    else:
        async with running_worker(client, kind, queue, services):
            yield


def _rejected(pg: Any) -> int:
    return count(pg, "SELECT count(*) FROM rm_application WHERE stage = 'rejected'")


async def _promotions(
    client: Client, services: Engine, pg: Any, queue: str, reps: list[str], concurrency: int
) -> tuple[float, int]:
    """Seconds for `reps`' applications, until the read models have every event; events."""
    process = services.promotion_process(client, queue)
    before, rejected_before = _events(pg), _rejected(pg)

    async def one(employee_id: str) -> None:
        # No role named, as the pages and API allow: the service picks the next rung.
        started = await process.start(DEMO_HR, employee_id)
        target = started.target_role
        handle = client.get_workflow_handle(started.workflow_id)
        while (await handle.query(PromotionWorkflow.status)).stage != Stage.manager_review:
            await asyncio.sleep(POLL)
        await process.decide(DEMO_HR, employee_id, target, False, "not this year")
        await handle.result()

    with stopwatch() as elapsed:
        await _drive(reps, concurrency, one)
        await asyncio.to_thread(wait_caught_up, pg, 600)
    rejected = _rejected(pg) - rejected_before
    assert rejected == len(reps), f"{rejected} of {len(reps)} applications rejected"
    return elapsed(), _events(pg) - before


async def _bare(client: Client, queue: str, n: int, concurrency: int, local: bool) -> float:
    run = uuid.uuid4().hex[:6]

    async def one(ident: str) -> None:
        handle = await client.start_workflow(
            BarePromotion.run, BareStart(workflow_id=ident, local=local), id=ident, task_queue=queue
        )
        while await handle.query(BarePromotion.current) != "manager_review":
            await asyncio.sleep(POLL)
        await handle.execute_update(BarePromotion.decide, "not this year")
        assert await handle.result() == "rejected"

    with stopwatch() as elapsed:
        await _drive([f"bare-{run}-{i}" for i in range(n)], concurrency, one)
    return elapsed()


async def run(lab: Lab, applications: int, concurrency: int, rounds: int, layout: str) -> Report:
    if layout not in LAYOUTS:
        raise ValueError(f"--promotions-layout {layout!r}: choose one of {', '.join(LAYOUTS)}")
    rounds = max(1, rounds)
    apart = layout == "apart"
    params = {"applications": applications, "concurrency": concurrency, "rounds": rounds}
    report = Report(NAME, TITLE, {**params, "layout": layout})
    env = await lab.temporal()
    client = env.client
    pg = lab.database(NAME)
    warm = min(WARM_UP, applications)
    # Every application needs a rep of its own: warm-up and every round's.
    needed = warm + applications * rounds
    engine_queue = f"bench-promotions-{uuid.uuid4().hex[:8]}"
    bare_queue = f"bench-bare-{uuid.uuid4().hex[:8]}"
    engine: list[float] = []
    regular: list[float] = []
    local: list[float] = []
    events = 0
    try:
        org = load_org(pg, needed, max(1, needed // 10))
        reps = org.rep_ids[:needed]
        with Engine(open_store(pg)) as services, ProjectionProcess(pg):
            await asyncio.to_thread(wait_caught_up, pg, 600)
            async with (
                _worker(client, "engine", engine_queue, services, pg, apart),
                _worker(client, "bare", bare_queue, services, pg, apart),
            ):
                await _promotions(client, services, pg, engine_queue, reps[:warm], concurrency)
                await _bare(client, bare_queue, warm, concurrency, local=False)
                await _bare(client, bare_queue, warm, concurrency, local=True)

                async def engine_side(batch: list[str]) -> None:
                    nonlocal events
                    seconds, written = await _promotions(
                        client, services, pg, engine_queue, batch, concurrency
                    )
                    engine.append(len(batch) / seconds)
                    events += written

                async def bare_side() -> None:
                    for is_local, rates in ((False, regular), (True, local)):
                        seconds = await _bare(
                            client, bare_queue, applications, concurrency, is_local
                        )
                        rates.append(applications / seconds)

                for r in range(rounds):
                    batch = reps[warm + r * applications : warm + (r + 1) * applications]
                    # The order alternates: the engine first in even rounds, last in odd.
                    if r % 2 == 0:
                        await engine_side(batch)
                        await bare_side()
                    else:
                        await bare_side()
                        await engine_side(batch)
        name = "promotions end to end (events written, read models updated)"
        median = statistics.median(engine)
        report.add(
            name,
            median,
            "wf/s",
            "bare workflows, same steps as regular activities, no events",
            statistics.median(regular),
        )
        report.add(
            name,
            median,
            "wf/s",
            "bare workflows, same steps as local activities, no events",
            statistics.median(local),
        )
        each = "; ".join(
            f"{e:.2f} vs {b:.2f} ({e / b:.2f}×)" for e, b in zip(engine, regular, strict=True)
        )
        where = (
            "each side's worker in its own process (16 activity threads), this one driving"
            if apart
            else "each side's worker in the driving process (16 activity threads)"
        )
        report.note(
            f"{applications} applications per round, {concurrency} in flight, "
            f"{rounds} round{'s' if rounds > 1 else ''} (the engine first in the 1st, 3rd, …), "
            f"medians; {warm} of each side untimed first. "
            f"Engine vs bare with regular activities, wf/s, round by round: {each}. "
            f"{events / (applications * rounds):.1f} events per application; {where}; "
            "projection runner: its own process; Temporal: dev server, in memory."
        )
    finally:
        lab.drop(pg)
    return report
