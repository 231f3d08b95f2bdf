"""A workflow with one slow step, for tests/workflows/test_heartbeat.py; run as a module it
is a worker process the test can SIGKILL (`python -m tests.workflows.heartbeat_support
ADDRESS QUEUE MARKER_DIR`)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from workflows.steps import ACTIVITY_TIMEOUT, HEARTBEAT, RETRY


@workflow.defn(name="HeartbeatProbe")
class HeartbeatProbeWorkflow:
    @workflow.run
    async def run(self, marker_dir: str) -> int:
        # The options every command runs with (workflows.steps.run), on a plain function.
        attempt: int = await workflow.execute_activity(
            "slow_command",
            marker_dir,
            result_type=int,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            heartbeat_timeout=HEARTBEAT,
            retry_policy=RETRY,
        )
        return attempt


def slow_command_in(hold: timedelta) -> object:
    """An activity that records each attempt and takes `hold` on its first (longer than
    the heartbeat timeout), as a synchronous command on the store would."""

    @activity.defn(name="slow_command")
    def slow_command(marker_dir: str) -> int:
        attempt = activity.info().attempt
        Path(marker_dir, f"attempt-{attempt}").write_text(str(attempt))
        if attempt == 1:
            time.sleep(hold.total_seconds())
        return attempt

    return slow_command


if __name__ == "__main__":
    import asyncio
    import concurrent.futures
    import sys

    from temporalio.client import Client
    from temporalio.worker import Worker

    from tests.conftest import TEST_DATA_CONVERTER
    from worker import INTERCEPTORS

    async def main(address: str, queue: str) -> None:
        # The tests' converter: the dev server's payloads are encrypted.
        client = await Client.connect(address, data_converter=TEST_DATA_CONVERTER)
        with concurrent.futures.ThreadPoolExecutor(4) as executor:
            await Worker(
                client,
                task_queue=queue,
                workflows=[HeartbeatProbeWorkflow],
                activities=[slow_command_in(timedelta(hours=1))],
                activity_executor=executor,
                interceptors=INTERCEPTORS,
            ).run()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
