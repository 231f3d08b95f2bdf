"""The weekly cycle's Temporal Schedules and the launcher's fan-out on the dev server:
schedules created in the company's time zone with the right next runs (and updated when
the calendar document changes), a triggered schedule really launching the week, and a
launch over many reps in small batches across continue-as-new runs, never twice."""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from aggregates.base import DomainError, PermissionDeniedError
from aggregates.cycle_settings import WeeklyCycleSettings, WeekTime
from aggregates.ladder import Role
from aggregates.weekly_cycle import cycle_uuid
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from careerflow.services.cycle_process import (
    MONTHLY_SCHEDULE_ID,
    WEEKLY_SCHEDULE_ID,
    CycleProcessService,
    launch_preview,
    launch_workflow_id,
)
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.cycle_weeks import batch_ids, week_workflow_id
from worker import build_worker
from workflows.cycle_launcher import CycleLauncherWorkflow, Launch

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPS = [f"R{i:03d}" for i in range(1, 12)]


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(Store(pg)) as s, ReadModels(pg, application_env(pg)) as rm:
        s.policies.seed(DEMO_HR)
        s.people.import_org(
            DEMO_HR,
            OrgImport(
                teams=[TeamIn(team_id="T1", name="Team", manager_id="S1")],
                employees=[
                    EmployeeIn(
                        employee_id="S1",
                        name="Supervisor",
                        role=Role.sales_supervisor,
                        team_id="T1",
                        hire_date=date(2020, 1, 1),
                    ),
                    *(
                        EmployeeIn(
                            employee_id=r,
                            name=f"Rep {r}",
                            role=Role.sales_rep,
                            team_id="T1",
                            manager_id="S1",
                            hire_date=date(2021, 1, 1),
                        )
                        for r in REPS
                    ),
                ],
            ),
        )
        rm.wait_caught_up(s.store.applications(), timeout=60)
        yield s


async def _terminate_cycles(env: WorkflowEnvironment, services: Engine, week: str) -> None:
    opened = (services.store.cycles.find(cycle_uuid(r, week)) for r in REPS)
    for workflow_id in {c.workflow_id for c in opened if c is not None}:
        handle = env.client.get_workflow_handle(workflow_id)
        description = await handle.describe()
        if description.status == WorkflowExecutionStatus.RUNNING:
            await handle.terminate("test over")


async def test_schedules_follow_the_calendar_document(
    dev_env: WorkflowEnvironment, services: Engine
) -> None:
    queue = f"q-{uuid.uuid4().hex[:8]}"
    process = services.cycle_process(dev_env.client, queue)
    employee = Principal(person_id="R001", role=AccessRole.employee)
    with pytest.raises(PermissionDeniedError):
        await process.ensure_schedules(employee)
    states = {s.schedule_id: s for s in await process.ensure_schedules(DEMO_HR)}
    try:
        weekly, monthly = states[WEEKLY_SCHEDULE_ID], states[MONTHLY_SCHEDULE_ID]
        assert weekly.time_zone == monthly.time_zone == "Asia/Shanghai"
        now = datetime.now(UTC)
        runs = [t.astimezone(SHANGHAI) for t in weekly.next_runs[:3]]
        assert runs and all(t > now for t in runs)
        assert all((t.weekday(), t.hour, t.minute) == (0, 8, 0) for t in runs)
        assert [(b - a).days for a, b in itertools.pairwise(runs)] == [7] * (len(runs) - 1)
        month_runs = [t.astimezone(SHANGHAI) for t in monthly.next_runs[:2]]
        assert month_runs and all((t.day, t.hour) == (3, 9) for t in month_runs)

        # A new calendar version moves the schedule when it is ensured again.
        later = WeeklyCycleSettings(
            week_starts=WeekTime(day=0, hour=9),
            plan_reminder=WeekTime(day=0, hour=13),
            feedback_deadline=WeekTime(day=7, hour=9),
        )
        services.policies.publish(
            DEMO_HR, "weekly_cycle", "default", later.model_dump(mode="json"), "start at nine"
        )
        states = {s.schedule_id: s for s in await process.ensure_schedules(DEMO_HR)}
        moved = states[WEEKLY_SCHEDULE_ID].next_runs[0].astimezone(SHANGHAI)
        assert (moved.weekday(), moved.hour) == (0, 9)
    finally:
        for schedule_id in (WEEKLY_SCHEDULE_ID, MONTHLY_SCHEDULE_ID):
            await dev_env.client.get_schedule_handle(schedule_id).delete()


async def _wait_for(check: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.2)


async def test_a_triggered_schedule_launches_the_week(
    dev_env: WorkflowEnvironment, services: Engine
) -> None:
    queue = f"q-{uuid.uuid4().hex[:8]}"
    process = services.cycle_process(dev_env.client, queue)
    with concurrent.futures.ThreadPoolExecutor(8) as executor:
        async with build_worker(dev_env.client, services, queue, executor):
            await process.ensure_schedules(DEMO_HR)
            week = WeeklyCycleSettings().week_of(datetime.now(UTC))
            try:
                await dev_env.client.get_schedule_handle(WEEKLY_SCHEDULE_ID).trigger()
                await _wait_for(
                    lambda: all(
                        services.store.cycles.find(cycle_uuid(r, week)) is not None for r in REPS
                    )
                )
                description = await dev_env.client.get_schedule_handle(
                    WEEKLY_SCHEDULE_ID
                ).describe()
                assert description.info.num_actions == 1
                await _launched_by_the_schedule(services, process, dev_env, week)
            finally:
                for schedule_id in (WEEKLY_SCHEDULE_ID, MONTHLY_SCHEDULE_ID):
                    await dev_env.client.get_schedule_handle(schedule_id).delete()
                await _terminate_cycles(dev_env, services, week)


async def _launched_by_the_schedule(
    services: Engine, process: CycleProcessService, env: WorkflowEnvironment, week: str
) -> None:
    """The schedule's run has a workflow id of its own, yet HR's launch of the same week
    is refused (every face asks check_launch) and the dry run says it is launched."""
    said = f"{week} is already launched; launching it again would start nobody"
    with pytest.raises(DomainError) as refused:
        await process.check_launch(DEMO_HR, "week", week)
    assert str(refused.value) == said
    with pytest.raises(DomainError) as again:
        await process.launch(DEMO_HR, "week", week, "a-new-form")
    assert str(again.value) == said
    with pytest.raises(RPCError):  # nothing was started under the manual launch's id
        await env.client.get_workflow_handle(launch_workflow_id("week", week)).describe()
    preview = launch_preview(services.store.cycles, DEMO_HR, "week", week)
    assert preview.launched and preview.period == week
    # A week nobody launched is not "launched".
    later = launch_preview(services.store.cycles, DEMO_HR, "week", "2030-W20")
    assert not later.launched


async def test_the_launcher_fans_out_in_batches_across_runs(
    dev_env: WorkflowEnvironment, services: Engine
) -> None:
    queue = f"q-{uuid.uuid4().hex[:8]}"
    week = "2030-W10"  # a fixed week: the deadlines are far away, nothing fires meanwhile
    with concurrent.futures.ThreadPoolExecutor(8) as executor:
        async with build_worker(dev_env.client, services, queue, executor):
            try:
                handle = await dev_env.client.start_workflow(
                    CycleLauncherWorkflow.run,
                    Launch(kind="week", period=week, batch_size=3, batches_per_run=2),
                    id=f"launch-{uuid.uuid4().hex[:6]}",
                    task_queue=queue,
                )
                summary = await handle.result()
                # 11 reps in batches of 3, two batches a run: four batches, two new runs.
                assert (summary.period, summary.started, summary.skipped) == (week, 11, 0)
                # The progress the CLI's bar follows: the latest run's counts carry the
                # earlier runs' (a closed run answers too, while a worker runs).
                latest = dev_env.client.get_workflow_handle_for(
                    CycleLauncherWorkflow.run, handle.id
                )
                so_far = await latest.query(CycleLauncherWorkflow.progress)
                assert (so_far.period, so_far.started, so_far.skipped) == (week, 11, 0)
                first_run = dev_env.client.get_workflow_handle_for(
                    CycleLauncherWorkflow.run, handle.id, run_id=handle.first_execution_run_id
                )
                assert (await first_run.query(CycleLauncherWorkflow.progress)).started == 6
                first = await dev_env.client.get_workflow_handle(
                    handle.id, run_id=handle.first_execution_run_id
                ).describe()
                assert first.status == WorkflowExecutionStatus.CONTINUED_AS_NEW
                await _wait_for(
                    lambda: all(
                        services.store.cycles.find(cycle_uuid(r, week)) is not None for r in REPS
                    )
                )
                # Each launcher batch's reps run in one workflow (batches of three here).
                running = {week_workflow_id(services, r, week) for r in REPS}
                assert running == set(batch_ids(week, REPS, batch_size=3))
                assert len(running) == 4
                for workflow_id in running:
                    description = await dev_env.client.get_workflow_handle(workflow_id).describe()
                    assert description.status == WorkflowExecutionStatus.RUNNING
                # The supervisor is not in the cycle's roles.
                assert services.store.cycles.find(cycle_uuid("S1", week)) is None
                again = await dev_env.client.execute_workflow(
                    CycleLauncherWorkflow.run,
                    Launch(kind="week", period=week, batch_size=5),
                    id=f"launch-{uuid.uuid4().hex[:6]}",
                    task_queue=queue,
                )
                assert (again.started, again.skipped) == (0, 11)
            finally:
                await _terminate_cycles(dev_env, services, week)
