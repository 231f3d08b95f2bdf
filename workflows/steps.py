"""How workflows run their activities: one command each, retried until the store takes
it; business-rule refusals are non-retryable errors raised by the activities."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

# A command is alive while its worker heartbeats (activities/heartbeat.py): a killed
# worker's activity is retried elsewhere after HEARTBEAT, not after the start-to-close
# timeout, which only bounds a command that hangs on a live worker.
ACTIVITY_TIMEOUT = timedelta(minutes=5)
HEARTBEAT = timedelta(seconds=5)
RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))


async def step(name: str, arg: object, result_type: type) -> Any:
    return await workflow.execute_activity(
        name,
        arg,
        result_type=result_type,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        heartbeat_timeout=HEARTBEAT,
        retry_policy=RETRY,
    )
