"""The base of the query classes that read read models: a connection from the read pool
with rows as dicts, lent for one block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool


class PooledReads:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    @contextmanager
    def _connection(self) -> Iterator[Connection[DictRow]]:
        with self.pool.connection() as conn:
            yield cast(Connection[DictRow], conn)
