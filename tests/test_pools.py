"""The engine's connection pools lend the connection returned last first (careerflow.pools),
on the real PostgreSQL: the busy backend stays the busy one, the idle ones stay idle.
If a psycopg_pool release changes how its pools lend, these fail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import pytest
from psycopg_pool import ConnectionPool

from aggregates.base import command_context
from bench.appends import employees, move
from careerflow.config import PostgresSettings
from careerflow.engine import Engine, open_store
from careerflow.pools import most_recent_first
from careerflow.recorders import UnpipelinedApplicationRecorder


def backend(pool: ConnectionPool) -> int:
    with pool.connection() as conn:
        return int(conn.info.backend_pid)


@pytest.fixture
def engine(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(open_store(pg)) as e:
        yield e


def test_a_pool_lends_the_connection_returned_last(pg: PostgresSettings) -> None:
    with ConnectionPool(pg.conninfo(), min_size=3, max_size=3, open=True) as plain:
        plain.wait()
        # Round robin, psycopg_pool's own order: three lends, three backends.
        assert len({backend(plain) for _ in range(3)}) == 3
    pool = ConnectionPool(pg.conninfo(), min_size=3, max_size=3, open=False)
    with most_recent_first(most_recent_first(pool)) as pool:  # twice: changes nothing more
        pool.wait()
        assert len({backend(pool) for _ in range(6)}) == 1
        # Two held at once: `with` returns the second, then the first; the first is lent.
        with pool.connection() as first, pool.connection() as second:
            assert first.info.backend_pid != second.info.backend_pid
        assert backend(pool) == first.info.backend_pid
        assert backend(pool) == first.info.backend_pid


def test_saves_and_reads_stay_on_one_backend(engine: Engine) -> None:
    """An application's saves and the read pool's queries, one after another, each keep
    one backend: every pool the engine opens lends most recent first."""
    people = engine.store.people
    staff = employees(3)
    with command_context(actor="test", role="system"):
        people.save(*staff)
        pids: set[int] = set()
        for _ in range(4):
            move(staff[0])
            people.save(staff[0])
            recorder = cast(UnpipelinedApplicationRecorder, people.recorder)
            with recorder.datastore.get_connection() as conn:
                pids.add(int(conn.info.backend_pid))
    assert len(pids) == 1, pids
    reads = {backend(engine.read_pool) for _ in range(4)}
    assert len(reads) == 1, reads
    pool = engine.read_pool
    with pool.connection() as first, pool.connection(), pool.connection():
        pass
    assert backend(pool) == first.info.backend_pid
