"""How workflows run their activities: one command each, retried until the store takes
it; business-rule refusals are non-retryable errors raised by the activities.

Activities are called by reference (`run(PromotionActivities.open, request)`): the
registered name, the argument and the result type come from the `@activity.defn` method,
so a renamed or retyped contract fails at type-check time, not in production."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar, overload

from temporalio import workflow
from temporalio.common import RetryPolicy

# A command is alive while its worker heartbeats (activities/heartbeat.py): a killed
# worker's activity is retried elsewhere after HEARTBEAT, not after the start-to-close
# timeout, which only bounds a command that hangs on a live worker.
ACTIVITY_TIMEOUT = timedelta(minutes=5)
HEARTBEAT = timedelta(seconds=5)
RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))
# Local activities run in the workflow's worker and are retried by it: short, pure steps.
LOCAL_TIMEOUT = timedelta(seconds=30)

S = TypeVar("S")
A = TypeVar("A")
R = TypeVar("R")


@overload
async def run(method: Callable[[S, A], Awaitable[R]], arg: A) -> R: ...
@overload
async def run(method: Callable[[S, A], R], arg: A) -> R: ...
async def run(method: Callable[[S, A], Any], arg: A) -> Any:
    """One command as an activity, by reference to its `@activity.defn` method (an async
    method's result is what it returns once awaited, hence the overloads)."""
    return await workflow.execute_activity_method(
        method,
        arg,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        heartbeat_timeout=HEARTBEAT,
        retry_policy=RETRY,
    )


async def run_local(method: Callable[[S, A], R], arg: A) -> R:
    """A short step as a local activity (no history round trip), by reference."""
    result: R = await workflow.execute_local_activity_method(
        method, arg, start_to_close_timeout=LOCAL_TIMEOUT, retry_policy=RETRY
    )
    return result
