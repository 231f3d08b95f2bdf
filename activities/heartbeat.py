"""Heartbeats for every activity that asks for them, so a worker that dies mid-activity is
noticed within the heartbeat timeout (seconds), not after the start-to-close timeout.

The engine's activities are synchronous commands on the event store, run in a thread pool.
Rather than sprinkling `activity.heartbeat()` through every command, the worker's
interceptor heartbeats from the event loop while the activity's thread runs: a live worker
keeps its activities alive, a killed one stops heartbeating and Temporal retries the
activity elsewhere after `heartbeat_timeout`. A command that hangs is still bounded by its
start-to-close timeout."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from temporalio.worker import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

# Temporal throttles heartbeats to 80% of the timeout; beating at a third of it keeps one
# in flight well before the server gives up on the attempt.
_BEATS_PER_TIMEOUT = 3


class _RememberingOutbound(ActivityOutboundInterceptor):
    """Keeps the details of the activity's own last heartbeat, so the interceptor's beats
    repeat them (an activity that reports progress keeps it visible between its beats)."""

    last: tuple[Any, ...] = ()

    def heartbeat(self, *details: Any) -> None:
        self.last = details
        super().heartbeat(*details)


class _HeartbeatingInbound(ActivityInboundInterceptor):
    _outbound: _RememberingOutbound

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        self._outbound = _RememberingOutbound(outbound)
        super().init(self._outbound)

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = self._outbound.info()
        timeout = info.heartbeat_timeout
        if info.is_local or not timeout:
            return await super().execute_activity(input)
        beater = asyncio.create_task(self._beat(timeout / _BEATS_PER_TIMEOUT))
        try:
            return await super().execute_activity(input)
        finally:
            beater.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beater

    async def _beat(self, every: timedelta) -> None:
        # The outbound heartbeat schedules the send on this loop: safe here, unlike the
        # activity context's own heartbeat, which a sync activity's wrapper makes blocking.
        while True:
            await asyncio.sleep(every.total_seconds())
            self._outbound.heartbeat(*self._outbound.last)


class HeartbeatInterceptor(Interceptor):
    """Give to every Worker (worker.build_worker does)."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _HeartbeatingInbound(next)
