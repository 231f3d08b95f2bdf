"""Creates every table the engine uses, once, under a lock.

Each process (worker, projection runner, CLI, demo loader) may be the first to touch a new
database; the library creates tables lazily, and two processes doing that at the same
moment collide in PostgreSQL's catalog. So table creation is serialised by an advisory
lock; afterwards the lazy creation finds everything there."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from careerflow.config import PostgresSettings

SCHEMA_LOCK_KEY = 0x6361726565720003


@contextmanager
def schema_lock(pg: PostgresSettings) -> Iterator[None]:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))
