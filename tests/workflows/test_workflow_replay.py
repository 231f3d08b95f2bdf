"""Replaying live histories from the server against the worker code before a deploy: the
current code replays them; a changed workflow is reported with the run and the error."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.testing import WorkflowEnvironment

from activities.cycles import StartCycleBatch
from aggregates.base import PermissionDeniedError
from aggregates.weekly_cycle import cycle_uuid
from careerflow.audit.workflow_replay import replay_query, replay_workflows
from careerflow.config import PostgresSettings
from careerflow.engine import Engine, open_store
from careerflow.principal import SYSTEM, AccessRole, Principal
from careerflow.store import application_env
from projections.runner import ReadModels
from tests.cli_tokens import CliTokens
from tests.workflows.promotion_support import build_org
from tests.workflows.test_promotion_e2e import cli
from worker import WORKFLOWS, build_worker
from workflows.cycle_launcher import CycleLauncherWorkflow, Launch
from workflows.weekly_cycle_batch import WeeklyCycleBatchWorkflow
from workflows.weekly_cycle_io import CycleBatchOutcome


@workflow.defn(name="WeeklyCycleBatch", sandboxed=False)
class ReorderedBatch(WeeklyCycleBatchWorkflow):
    """A careless change: the batch now defaults a plan before running the weeks."""

    @workflow.run
    async def run(self, start: StartCycleBatch) -> CycleBatchOutcome:
        from activities.cycles import CycleActivities, CycleRef
        from workflows.steps import run

        first = start.weeks[0]
        await run(
            CycleActivities.default_plan,
            CycleRef(employee_id=first.employee_id, week=start.week),
        )
        return await super().run(start)


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(open_store(pg)) as s, ReadModels(pg, application_env(pg)) as rm:
        build_org(s)
        rm.wait_caught_up(s.store.applications())
        yield s


async def test_live_histories_replay_and_a_change_is_caught(
    dev_env: WorkflowEnvironment, services: Engine, pg: PostgresSettings, tmp_path: Path
) -> None:
    queue = f"q-{uuid.uuid4().hex[:8]}"
    week = "2031-W10"  # far ahead: the weeks stay open, waiting on their timers
    client = dev_env.client
    with concurrent.futures.ThreadPoolExecutor(8) as executor:
        async with build_worker(client, services, queue, executor):
            summary = await client.execute_workflow(
                CycleLauncherWorkflow.run,
                Launch(kind="week", period=week),
                id=f"launch-{uuid.uuid4().hex[:6]}",
                task_queue=queue,
            )
            assert summary.started == 3
            # Visibility is eventually consistent: wait until the server lists them all.
            deadline = time.monotonic() + 30
            while True:
                listed = [e async for e in client.list_workflows(replay_query_now())]
                if len(listed) >= 2 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.3)
            # Let each week finish its first workflow task (open the cycle).
            await asyncio.sleep(1.0)
            report = await replay_workflows(SYSTEM, client)
            assert report.ok, report.failures
            # The three reps' weeks run in one batch workflow.
            assert report.by_type.get("WeeklyCycleBatch") == 1
            assert report.by_type.get("CycleLauncher") == 1

            changed = [w for w in WORKFLOWS if w is not WeeklyCycleBatchWorkflow]
            report = await replay_workflows(SYSTEM, client, workflows=[*changed, ReorderedBatch])
            assert {f.workflow_type for f in report.failures} == {"WeeklyCycleBatch"}
            assert len(report.failures) == 1
            assert all("nondetermin" in f.error.lower() for f in report.failures)

            # The same from the command line, as an auditor: exit 0 and the counts.
            shown = await cli(
                pg, client.service_client.config.target_host, queue, tmp_path,
                "audit", "replay-workflows", "--json", *CliTokens(pg).args("auditor:A001"),
            )  # fmt: skip
            assert shown.returncode == 0, shown.stderr
            assert json.loads(shown.stdout)["failures"] == []
            with pytest.raises(PermissionDeniedError):
                await replay_workflows(Principal(person_id="E1", role=AccessRole.employee), client)
            auditor = Principal(person_id="A001", role=AccessRole.auditor)
            assert (await replay_workflows(auditor, client, limit=1)).replayed == 1
            batch = services.store.cycles.repository.get(cycle_uuid("E1", week)).workflow_id
            await client.get_workflow_handle(batch).terminate("test over")


def replay_query_now() -> str:
    return replay_query(timedelta(days=1), datetime.now(UTC))
