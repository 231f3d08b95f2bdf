"""Creates every table the engine uses, once, under a lock.

Each process (worker, projection runner, CLI, demo loader) may be the first to touch a new
database; the library creates tables lazily, and two processes doing that at the same
moment collide in PostgreSQL's catalog. So each process prepares the database first,
serialised by an advisory lock; afterwards the lazy creation finds everything there."""

from __future__ import annotations

import psycopg

from careerflow.config import PostgresSettings

SCHEMA_LOCK_KEY = 0x6361726565720003


def prepare_database(pg: PostgresSettings, cipher_key: str = "") -> None:
    from careerflow.store import Store
    from projections.runner import create_read_models

    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            Store(pg, cipher_key).close()
            create_read_models(pg, Store.env_for(pg, cipher_key))
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))
