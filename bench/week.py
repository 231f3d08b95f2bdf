"""A whole weekly cycle for every rep, end to end, on the Temporal time-skipping test
server (encrypted payloads, as the engine runs; the week's timers fire as time is
skipped), with the worker as deployed and the projection runner in its own process:

1. *launch*: Monday 08:05 (the cycle's time zone), `CycleLauncher` fans out and opens
   every rep's week; until the launcher finished and every week is opened;
2. *plans*: half the reps submit their plan (the `submit_plan` Update through the
   service, 16 at a time); time skips past the plan deadline: the others are reminded at
   noon and get their targets as the plan; until every week has a plan and every
   reminder and notice is created;
3. *report*: time skips to Friday's report; until every report is built and sent;
4. *feedback*: managers give feedback on half the weeks (the `give_feedback` Update, 16
   at a time); time skips past the feedback deadline: the other managers are reminded
   and the feedback recorded as missed; until every week's workflow has completed;
5. *month close*: the month of the week is launched (`CycleLauncher`, kind month) and
   closed for every rep (bonus, commission, training, statements); until every close's
   workflow has completed.

Each phase is timed per rep at `reps` beside the same phase per rep at `small` reps in
the same run (each size on a fresh test server): a ratio near 1.00 is linear growth."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from temporalio.testing import WorkflowEnvironment

from activities.cycles import batch_workflow_ids
from aggregates.calendar_periods import month_of
from bench.common import Lab, Report, count, venv_binary
from bench.org import shared_org
from bench.stack import ProjectionProcess, wait_caught_up
from careerflow.codec import CodecKeys, EncryptionCodec, data_converter
from careerflow.config import PostgresSettings
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal
from worker import build_worker
from workflows.cycle_launcher import CycleLauncherWorkflow, Launch

NAME = "week"
TITLE = "a whole weekly cycle for every rep (launch, plans, report, feedback, month close)"
DEFAULTS: dict[str, Any] = {"reps": 1000, "small": 100}
SMOKE: dict[str, Any] = {"reps": 10, "small": 5}
AT_ONCE = 16
PHASES = ("launch", "plans", "report", "feedback", "month close")
CYCLE_EVENTS = "SELECT count(*) FROM cycles_events WHERE topic LIKE %s"
NOTICES = "SELECT count(*) FROM notifications_events WHERE topic LIKE '%%Notification.Created'"


@dataclass
class WeekRun:
    reps: int
    seconds: dict[str, float]
    notices: int
    submitted: int
    fed_back: int


class Counter:
    """Events of a kind written since the run began (the organisation's database may hold
    other benchmarks' weeks)."""

    def __init__(self, pg: PostgresSettings) -> None:
        self.pg = pg
        self.base = {what: self.now(what) for what in ("notices", *EVENTS)}

    def now(self, what: str) -> int:
        if what == "notices":
            return count(self.pg, NOTICES)
        return count(self.pg, CYCLE_EVENTS, (f"%WeeklyCycle.{what}",))

    def __call__(self, what: str) -> int:
        return self.now(what) - self.base[what]


EVENTS = ("Opened", "PlanSubmitted", "PlanDefaulted", "ReportBuilt", "FeedbackGiven")


async def until(check: Callable[[], bool], what: str, timeout: float = 3600) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached in {timeout:.0f} s")
        await asyncio.sleep(0.1)


async def move_to(env: WorkflowEnvironment, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


async def in_chunks(calls: list[Callable[[], Awaitable[Any]]]) -> None:
    for offset in range(0, len(calls), AT_ONCE):
        await asyncio.gather(*(call() for call in calls[offset : offset + AT_ONCE]))


async def launched(env: WorkflowEnvironment, launch: Launch, queue: str) -> Any:
    """Runs a launcher to its end without letting the test server skip time meanwhile (a
    handle from `start_workflow` unlocks time skipping while its result is awaited)."""
    ident = f"bench-week-{launch.kind}-{uuid.uuid4().hex[:8]}"
    await env.client.start_workflow(CycleLauncherWorkflow.run, launch, id=ident, task_queue=queue)
    return await env.client.get_workflow_handle_for(CycleLauncherWorkflow.run, ident).result()


async def completed(env: WorkflowEnvironment, workflow_ids: list[str]) -> None:
    for offset in range(0, len(workflow_ids), AT_ONCE * 4):
        chunk = workflow_ids[offset : offset + AT_ONCE * 4]
        await asyncio.gather(*(env.client.get_workflow_handle(w).result() for w in chunk))


async def one_week(lab: Lab, reps: int) -> WeekRun:
    org = shared_org(lab, reps, max(1, reps // 10))
    pg = org.pg
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"),
        data_converter=data_converter(EncryptionCodec(CodecKeys.generate())),
    )
    queue = f"bench-week-{uuid.uuid4().hex[:8]}"
    seconds: dict[str, float] = {}
    try:
        with (
            Engine(open_store(pg)) as services,
            ProjectionProcess(pg),
            concurrent.futures.ThreadPoolExecutor(16) as executor,
        ):
            await asyncio.to_thread(wait_caught_up, pg, 600)
            process = services.cycle_process(env.client, queue)
            settings = services.store.cycles.settings()[0]
            zone = ZoneInfo(settings.time_zone)
            now = (await env.get_current_time()).astimezone(zone)
            day = now.date() + timedelta(days=(7 - now.weekday()) % 7 or 7)
            monday = datetime(day.year, day.month, day.day, 8, 5, tzinfo=zone)
            iso = day.isocalendar()
            week = f"{iso.year}-W{iso.week:02d}"
            ids = org.rep_ids
            n = len(ids)
            # The workflows that run the weeks: one per launch batch of 50 reps.
            batches = batch_workflow_ids("week", week, sorted(ids), settings.batch_size)
            counter = Counter(pg)
            async with build_worker(env.client, services, queue, executor):
                await move_to(env, monday)

                # 1. Monday morning: the launch opens every rep's week.
                started = time.perf_counter()
                summary = await launched(env, Launch(kind="week", period=week), queue)
                assert summary.started == n, (summary.started, n)
                await until(lambda: counter("Opened") >= n, "every week opened")
                seconds["launch"] = time.perf_counter() - started
                first = services.store.cycles.get(ids[0], week)
                deadlines = first.deadlines

                # 2. Half the reps plan; the others are reminded and get their targets.
                planners = ids[::2]
                started = time.perf_counter()

                def plan(e: str) -> Callable[[], Awaitable[Any]]:
                    def call() -> Awaitable[Any]:
                        info = services.store.cycles.info(services.store.cycles.get(e, week))
                        rep = Principal(person_id=e, role=AccessRole.employee)
                        # Whole numbers (counts must be), at most the targets.
                        items = {i: float(int(info.targets.get(i, 0.0))) for i in info.plan_items}
                        return process.submit_plan(rep, e, week, items)

                    return call

                await in_chunks([plan(e) for e in planners])
                await move_to(env, deadlines.plan_deadline + timedelta(minutes=30))
                unplanned = n - len(planners)
                await until(
                    lambda: (
                        counter("PlanSubmitted") >= len(planners)
                        and counter("PlanDefaulted") >= unplanned
                        and counter("notices") >= 2 * unplanned
                    ),
                    "every week planned",
                )
                seconds["plans"] = time.perf_counter() - started

                # 3. Friday: every report built and sent.
                started = time.perf_counter()
                await move_to(env, deadlines.report_at + timedelta(minutes=30))
                await until(
                    lambda: counter("ReportBuilt") >= n and counter("notices") >= 2 * unplanned + n,
                    "every week reported",
                )
                seconds["report"] = time.perf_counter() - started

                # 4. The weekend: half the managers give feedback; the rest is missed.
                given = ids[::2]
                managers = {e: services.store.cycles.get(e, week).manager_id for e in given}
                started = time.perf_counter()

                def feedback(e: str) -> Callable[[], Awaitable[Any]]:
                    manager = Principal(person_id=managers[e] or "", role=AccessRole.manager)
                    return lambda: process.give_feedback(manager, e, week, "bench: well done")

                await in_chunks([feedback(e) for e in given if managers[e]])
                await move_to(env, deadlines.feedback_deadline + timedelta(minutes=30))
                await completed(env, batches)
                seconds["feedback"] = time.perf_counter() - started
                fed_back = counter("FeedbackGiven")

                # 5. The month of the week closes for everyone.
                month = month_of(week)
                started = time.perf_counter()
                closing = await launched(env, Launch(kind="month", period=month), queue)
                assert closing.started == n, (closing.started, n)
                closes = batch_workflow_ids("month", month, sorted(ids), settings.batch_size)
                await completed(env, closes)
                seconds["month close"] = time.perf_counter() - started
                notices = counter("notices")
    finally:
        await env.shutdown()
    return WeekRun(n, seconds, notices, len(planners), fed_back)


async def run(lab: Lab, reps: int, small: int) -> Report:
    report = Report(NAME, TITLE, {"reps": reps, "small": small})
    base = await one_week(lab, small)
    big = await one_week(lab, reps)
    for phase in PHASES:
        report.add(
            f"{phase}, per rep, {big.reps:,} reps",
            big.seconds[phase] / big.reps * 1000,
            "ms",
            f"the same per rep at {base.reps:,} reps",
            base.seconds[phase] / base.reps * 1000,
            higher_is_better=False,
        )
    total, base_total = sum(big.seconds.values()), sum(base.seconds.values())
    report.add(
        f"the whole week, per rep, {big.reps:,} reps",
        total / big.reps * 1000,
        "ms",
        f"the same per rep at {base.reps:,} reps",
        base_total / base.reps * 1000,
        higher_is_better=False,
    )
    report.note(
        f"{big.reps:,} reps: {total:.1f} s in all ("
        + ", ".join(f"{p} {big.seconds[p]:.1f} s" for p in PHASES)
        + f"); {big.submitted:,} plans submitted, {big.fed_back:,} feedbacks given, "
        f"{big.notices:,} notifications. {base.reps:,} reps: {base_total:.1f} s. A ratio "
        "near 1.00 is linear growth; time skipped on the test server costs nothing."
    )
    return report
