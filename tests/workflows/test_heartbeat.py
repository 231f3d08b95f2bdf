"""Activities heartbeat (activities/heartbeat.py): a worker killed mid-activity is noticed
by the heartbeat timeout, so the command is retried in seconds rather than after its
start-to-close timeout; a live worker's long command is not retried at all."""

from __future__ import annotations

import asyncio
import concurrent.futures
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.conftest import ROOT
from tests.workflows.heartbeat_support import HeartbeatProbeWorkflow, slow_command_in
from worker import INTERCEPTORS
from workflows.steps import ACTIVITY_TIMEOUT, HEARTBEAT


def probe_worker(env: WorkflowEnvironment, queue: str, hold: timedelta) -> Worker:
    return Worker(
        env.client,
        task_queue=queue,
        workflows=[HeartbeatProbeWorkflow],
        activities=[slow_command_in(hold)],
        activity_executor=concurrent.futures.ThreadPoolExecutor(4),
        interceptors=INTERCEPTORS,
    )


async def test_a_long_command_on_a_live_worker_is_kept_alive(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    queue = f"hb-{uuid.uuid4().hex[:8]}"
    async with probe_worker(dev_env, queue, HEARTBEAT * 2):
        attempt = await dev_env.client.execute_workflow(
            HeartbeatProbeWorkflow.run, str(tmp_path), id=queue, task_queue=queue
        )
    assert attempt == 1  # twice the heartbeat timeout, yet never timed out


async def test_a_killed_workers_command_is_retried_on_the_heartbeat_timeout(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    assert HEARTBEAT < ACTIVITY_TIMEOUT
    queue = f"hb-{uuid.uuid4().hex[:8]}"
    address = dev_env.client.service_client.config.target_host
    doomed = subprocess.Popen(
        [sys.executable, "-m", "tests.workflows.heartbeat_support", address, queue],
        cwd=ROOT,
    )
    try:
        handle = await dev_env.client.start_workflow(
            HeartbeatProbeWorkflow.run, str(tmp_path), id=queue, task_queue=queue
        )
        for _ in range(600):
            if (tmp_path / "attempt-1").exists():
                break
            await asyncio.sleep(0.1)
        assert (tmp_path / "attempt-1").exists(), "the worker process never ran the command"
    finally:
        doomed.kill()
        doomed.wait()
    async with probe_worker(dev_env, queue, timedelta(0)):
        assert await handle.result() == 2
    history = await handle.fetch_history()
    (retried,) = [
        e.activity_task_started_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    assert retried.attempt == 2
    timeout = retried.last_failure.timeout_failure_info.timeout_type
    assert timeout == TimeoutType.TIMEOUT_TYPE_HEARTBEAT, retried.last_failure
