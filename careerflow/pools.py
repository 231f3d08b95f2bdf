"""Connection pools that lend the connection returned last first.

psycopg_pool lends round robin: it takes from the left of its deque and returns to the
right, so with a pool of two every other save ran on the backend that had been idle the
longest. On this machine that cost ~150 µs more per one-event save than reusing the
backend just used (`python -m bench appends`; notes in bench/README.md). Most recent first
is what SQLAlchemy's `pool_use_lifo` and the Rails and npgsql pools do: the busy backend
stays hot and the idle ones are left for the pool to shrink. psycopg_pool has no such
option, so its deque is swapped for one that lends from the right;
tests/test_pools.py fails if a psycopg_pool release changes how it lends."""

from __future__ import annotations

from collections import deque
from typing import Any, TypeVar

from psycopg_pool import ConnectionPool

P = TypeVar("P", bound=ConnectionPool[Any])


class _MostRecentFirst(deque[Any]):
    """psycopg_pool lends with `popleft` and takes back with `append`: lend the right end."""

    def popleft(self) -> Any:
        return self.pop()


def most_recent_first(pool: P) -> P:
    """`pool`, lending the connection returned last first (idempotent; open or not)."""
    with pool._lock:
        held = getattr(pool, "_pool", None)
        if isinstance(held, deque) and not isinstance(held, _MostRecentFirst):
            pool._pool = _MostRecentFirst(held)
    return pool
