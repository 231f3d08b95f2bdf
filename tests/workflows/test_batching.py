"""`Coalesced` (workflows/batching.py) when its workflow goes away mid-call: the calls'
futures are left alone, so nothing is logged as "never retrieved" and no second error
replaces the first. On a plain asyncio loop: these are the loop's rules, not Temporal's
(the batch workflows' normal path runs on real servers in test_weekly_cycle.py)."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from workflows.batching import Coalesced


class Plain(Coalesced[int, int]):
    async def _others_first(self) -> None:
        await asyncio.sleep(0)  # outside a workflow: let the other callers call


async def _calls(gate: asyncio.Event) -> tuple[Plain, list[asyncio.Task[int]]]:
    async def double_many(args: list[int]) -> list[int]:
        await gate.wait()
        return [a * 2 for a in args]

    coalesced = Plain(double_many)
    calls = [asyncio.ensure_future(coalesced(i)) for i in range(3)]
    for _ in range(3):
        await asyncio.sleep(0)  # every call made, the batch's one run waiting at the gate
    assert coalesced.flushing is not None and not coalesced.flushing.done()
    return coalesced, calls


async def test_the_calls_made_together_are_answered_from_one_run() -> None:
    gate = asyncio.Event()
    coalesced, calls = await _calls(gate)
    assert coalesced.pending == []  # taken as one batch
    gate.set()
    assert await asyncio.gather(*calls) == [0, 2, 4]


async def test_a_closed_flush_leaves_its_callers_futures_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The interpreter closes the coroutines of a workflow collected without an eviction
    (at exit): the flush must let `GeneratorExit` through, not set it on the callers'
    futures, which nobody awaits any more ("Future exception was never retrieved")."""
    coalesced, calls = await _calls(asyncio.Event())
    flushing = coalesced.flushing
    assert flushing is not None
    futures = [call._fut_waiter for call in calls]  # type: ignore[attr-defined]
    assert all(isinstance(f, asyncio.Future) for f in futures)
    flushing.get_coro().close()  # what the collector does: GeneratorExit at its await
    assert not any(f.done() for f in futures)
    for call in calls:
        call.cancel()
    await asyncio.gather(*calls, return_exceptions=True)
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        del futures
        gc.collect()
    assert "never retrieved" not in caplog.text


async def test_an_eviction_cancels_the_flush_after_its_callers_without_a_second_error() -> None:
    """An eviction cancels every task, the callers first: the flush then finds their
    futures cancelled and must not try to fail them (InvalidStateError)."""
    coalesced, calls = await _calls(asyncio.Event())
    flushing = coalesced.flushing
    assert flushing is not None
    for call in calls:
        call.cancel()
    await asyncio.gather(*calls, return_exceptions=True)
    flushing.cancel()
    outcome = await asyncio.gather(flushing, return_exceptions=True)
    assert flushing.done() and not isinstance(outcome[0], asyncio.InvalidStateError)
    assert all(call.cancelled() for call in calls)
