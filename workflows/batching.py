"""Calls that many coroutines of one workflow make at the same moment, run as one
activity: a batch's reps all reach Friday's report on the same timer, and one activity
builds every report instead of fifty local activities holding one workflow task open.

Deterministic: the calls are gathered until the workflow's coroutines have all run for
this activation (`wait_condition(lambda: True)` resolves once nothing else is ready),
in the order they were made, and the answers go back in that order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from temporalio import workflow

A = TypeVar("A")
R = TypeVar("R")


class Coalesced(Generic[A, R]):
    """`await coalesced(arg)`: answered from one `run_many(args)` with the calls made
    alongside it. A failure of `run_many` fails every call it answers."""

    def __init__(self, run_many: Callable[[list[A]], Awaitable[list[R]]]) -> None:
        self.run_many = run_many
        self.pending: list[tuple[A, asyncio.Future[R]]] = []
        self.flushing: asyncio.Task[None] | None = None

    async def __call__(self, arg: A) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self.pending.append((arg, future))
        if len(self.pending) == 1:
            self.flushing = asyncio.ensure_future(self._flush())
        return await future

    async def _others_first(self) -> None:
        """Returns once the workflow's other coroutines woken now have run (and called)."""
        await workflow.wait_condition(lambda: True)

    async def _flush(self) -> None:
        await self._others_first()
        batch, self.pending = self.pending, []
        try:
            answers = await self.run_many([arg for arg, _ in batch])
        except GeneratorExit:
            # The coroutine is being closed (collected with its workflow, no eviction):
            # nobody awaits the callers' futures any more, so nothing to answer.
            raise
        except BaseException as exc:
            for _, future in batch:
                # On an eviction the callers are cancelled first: theirs are done.
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), answer in zip(batch, answers, strict=True):
            if not future.done():
                future.set_result(answer)
