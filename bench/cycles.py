"""A full weekly cycle launch: `CycleLauncher` reads the roster in batches; each batch
opens its reps' weeks (`Cycles.open_weeks`: the reps checked against the event store,
targets derived from the ledger and the goal cascade, deadlines, one event each; one save
per 50 reps) and starts one `WeeklyCycleBatch` workflow per 50 reps. The clock runs
from starting the launcher until the launcher has finished and
every rep's week is opened in the event store ("opened"), then until every batch's
workflow has settled (no workflow task or activity pending: waiting on its Monday
timers), then until projected; the projection runner runs meanwhile in its own process,
as deployed. A week opened by the launcher's batch is in the store before its workflow
has run at all, hence "settled": the same end point before and after that change.

Cost must grow linearly: the per-rep time at each size is printed against the per-rep
time at the smallest size, measured in the same run."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
import uuid
from typing import Any

from temporalio.client import Client

from activities.cycles import batch_workflow_ids
from bench.common import Lab, Report, count, stopwatch
from bench.org import shared_org
from bench.stack import ProjectionProcess, wait_caught_up
from careerflow.engine import Engine, open_store
from worker import build_worker
from workflows.cycle_launcher import CycleLauncherWorkflow, Launch

NAME = "cycles"
TITLE = "a full weekly cycle launch (fan-out + opening): per-rep cost at two sizes"
DEFAULTS: dict[str, Any] = {"small": 1000, "large": 10000}
SMOKE: dict[str, Any] = {"small": 5, "large": 10}
OPENED = "SELECT count(*) FROM cycles_events WHERE topic LIKE %s"
DESCRIBES_AT_ONCE = 32


async def settled(client: Client, workflow_id: str) -> bool:
    """Whether the workflow has run its first steps and now waits (on timers, updates):
    no workflow task and no activity pending."""
    raw = (await client.get_workflow_handle(workflow_id).describe()).raw_description
    return (
        raw.workflow_execution_info.history_length > 3
        and not raw.HasField("pending_workflow_task")
        and not raw.pending_activities
    )


async def wait_settled(client: Client, workflow_ids: list[str], timeout: float = 3600) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(workflow_ids)
    while waiting:
        done: list[bool] = []
        for offset in range(0, len(waiting), DESCRIBES_AT_ONCE):
            chunk = waiting[offset : offset + DESCRIBES_AT_ONCE]
            done += await asyncio.gather(*(settled(client, w) for w in chunk))
        waiting = [w for w, ok in zip(waiting, done, strict=True) if not ok]
        if waiting:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(waiting)} weekly cycles not settled")
            await asyncio.sleep(0.1)


async def launch(lab: Lab, reps: int, week: str) -> tuple[float, float, float, int]:
    """Seconds until launched and opened, until every workflow settled, until also
    projected; reps started."""
    env = await lab.temporal()
    org = shared_org(lab, reps, max(1, reps // 10))
    pg = org.pg
    queue = f"bench-cycles-{uuid.uuid4().hex[:8]}"
    pattern = "%WeeklyCycle.Opened"
    before = count(pg, OPENED, (pattern,))
    with (
        Engine(open_store(pg)) as services,
        ProjectionProcess(pg),
        concurrent.futures.ThreadPoolExecutor(16) as executor,
    ):
        await asyncio.to_thread(wait_caught_up, pg, 600)
        # The workflows that run the weeks: one per launch batch of STARTS_AT_ONCE reps.
        settings, _ = services.store.cycles.settings()
        ids = batch_workflow_ids("week", week, sorted(org.rep_ids), settings.batch_size)
        async with build_worker(env.client, services, queue, executor):
            with stopwatch() as elapsed:
                handle = await env.client.start_workflow(
                    CycleLauncherWorkflow.run,
                    Launch(kind="week", period=week),
                    id=f"bench-launch-{uuid.uuid4().hex[:8]}",
                    task_queue=queue,
                )
                summary = await handle.result()
                deadline = time.monotonic() + 3600
                while count(pg, OPENED, (pattern,)) - before < summary.started:
                    if time.monotonic() > deadline:
                        raise TimeoutError("weekly cycles not opened within an hour")
                    await asyncio.sleep(0.1)
                opened = elapsed()
                await wait_settled(env.client, ids)
                steady = elapsed()
                await asyncio.to_thread(wait_caught_up, pg, 3600, readiness=False)
            projected = elapsed()
    assert summary.started == len(org.rep_ids), (summary.started, len(org.rep_ids))
    return opened, steady, projected, summary.started


async def run(lab: Lab, small: int, large: int) -> Report:
    report = Report(NAME, TITLE, {"small": small, "large": large})
    runs = {}
    for i, reps in enumerate((small, large)):
        runs[reps] = await launch(lab, reps, f"2030-W{10 + i:02d}")
    s_open, s_steady, s_proj, s_n = runs[small]
    l_open, l_steady, l_proj, l_n = runs[large]
    report.add(
        f"launch + open, per rep, {l_n:,} reps",
        l_open / l_n * 1000,
        "ms",
        f"the same per rep at {s_n:,} reps",
        s_open / s_n * 1000,
        higher_is_better=False,
    )
    report.add(
        f"launch + open + every workflow settled, per rep, {l_n:,} reps",
        l_steady / l_n * 1000,
        "ms",
        f"the same per rep at {s_n:,} reps",
        s_steady / s_n * 1000,
        higher_is_better=False,
    )
    report.add(
        f"launch + open + settled + projected, per rep, {l_n:,} reps",
        l_proj / l_n * 1000,
        "ms",
        f"the same per rep at {s_n:,} reps",
        s_proj / s_n * 1000,
        higher_is_better=False,
    )
    report.note(
        f"totals: {s_n:,} reps opened in {s_open:.1f} s (settled {s_steady:.1f} s, "
        f"projected {s_proj:.1f} s); {l_n:,} reps opened in {l_open:.1f} s (settled "
        f"{l_steady:.1f} s, projected {l_proj:.1f} s). A ratio near 1.00 is linear growth."
    )
    return report
