"""The cycles fold of a rebuild split over processes: each folds the events of its own
aggregates (a hash of the aggregate id) into the same shadow tables with its own COPY
streams, so a large log uses every core (the fold is Python, bound to one core a
process). Indexes are dropped before and built once after; the few events the folds leave
to the handlers are applied afterwards in log order, as a single fold does.

Used from `CAREERFLOW_REBUILD_PARALLEL_FROM` events (default 100,000) with
`CAREERFLOW_REBUILD_PROCESSES` processes (default: half the cores, at most 4; 1 means no
split). Half: every fold process keeps the server busy with its COPY and reads too. On
a 2-core machine with the server beside it, two processes took 46.9 s for a million
events where one took 41.0 s (bench/README.md), so there the default is no split."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from careerflow.eventstore import PydanticApplication
from projections.cycle_fold import fold_into, reindexed, unindexed
from projections.cycles import CyclesProjection
from projections.log_reading import SECTION, notifications_of

PARALLEL_FROM_ENV = "CAREERFLOW_REBUILD_PARALLEL_FROM"
PROCESSES_ENV = "CAREERFLOW_REBUILD_PROCESSES"
PARALLEL_FROM = 100_000
MAX_PROCESSES = 4
T = TypeVar("T")


def processes_for(env: Mapping[str, str], events: int) -> int:
    """How many processes fold a log of `events` events (1: in this process); the
    variables are read from `env`, else from the process environment."""
    named = {**os.environ, **env}
    start = int(named.get(PARALLEL_FROM_ENV) or PARALLEL_FROM)
    wanted = int(named.get(PROCESSES_ENV) or min((os.cpu_count() or 1) // 2, MAX_PROCESSES))
    return wanted if events >= start and wanted > 1 else 1


_done: Any = None  # the shared count of events folded, in a part's process


def _remember(counter: Any) -> None:
    global _done
    _done = counter


def _counted(events: Iterator[T]) -> Iterator[T]:
    n = 0
    for item in events:
        yield item
        n += 1
        if n == SECTION:
            with _done.get_lock():
                _done.value += n
            n = 0
    with _done.get_lock():
        _done.value += n


def _fold_part(
    app_cls: type[PydanticApplication],
    env: dict[str, str],
    conninfo: str,
    schema: str,
    head: int,
    part: int,
    parts: int,
) -> tuple[int, list[int]]:
    """In a part's process: rows loaded and the notification ids left to the handlers."""
    # The tables exist (the parent's application made them): several processes running
    # the library's CREATE OR REPLACE FUNCTION at once fail ("tuple concurrently updated").
    app = app_cls({**env, "CREATE_TABLE": "no"})
    try:
        # The fold asks the projection only whether an event has a handler: the changes
        # it makes are run by the parent's projection, which has the shadow view.
        projection = CyclesProjection(view=cast(Any, None))
        stored = _counted(notifications_of(app, 1, head, part, parts))
        rows, late = fold_into(conninfo, schema, projection, stored, app.mapper)
        return rows, [nid for nid, _ in late]
    finally:
        app.close()


@dataclass
class Parts:
    """A split fold under way; `finish` waits for it and builds the indexes."""

    pool: ProcessPoolExecutor
    futures: list[Future[tuple[int, list[int]]]]
    counter: Any
    conninfo: str
    again: dict[str, list[str]]
    reported: int = 0

    def finish(self, progress: Callable[[int], None]) -> tuple[int, list[int]]:
        """(rows loaded, notification ids left to the handlers, ascending)."""
        try:
            pending = set(self.futures)
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
                self._report(progress)
                for future in done:
                    future.result()  # a part's error stops the rebuild here
            self._report(progress)
        finally:
            self.pool.shutdown(cancel_futures=True)
        results = [f.result() for f in self.futures]
        reindexed(self.conninfo, self.again)
        return sum(rows for rows, _ in results), sorted(n for _, ids in results for n in ids)

    def _report(self, progress: Callable[[int], None]) -> None:
        now = int(self.counter.value)
        if now > self.reported:
            progress(now - self.reported)
            self.reported = now


def start_parts(
    app_cls: type[PydanticApplication],
    env: dict[str, str],
    conninfo: str,
    schema: str,
    head: int,
    parts: int,
) -> Parts:
    """Drops the shadow tables' indexes and starts `parts` processes folding into them."""
    again = unindexed(conninfo, schema)
    # spawn, not fork: the parent has threads (pools, LISTEN) that a fork would copy mid-use.
    context = multiprocessing.get_context("spawn")
    counter = context.Value("q", 0)
    pool = ProcessPoolExecutor(
        parts, mp_context=context, initializer=_remember, initargs=(counter,)
    )
    futures = [
        pool.submit(_fold_part, app_cls, env, conninfo, schema, head, part, parts)
        for part in range(parts)
    ]
    return Parts(pool, futures, counter, conninfo, again)
