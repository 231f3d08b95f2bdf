"""Real parts for the tests: an embedded PostgreSQL started by the tests themselves
(or the one named by POSTGRES_HOST), a fresh database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from careerflow.config import PostgresSettings
from careerflow.embedded import EmbeddedPostgres

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresSettings]:
    external = PostgresSettings.from_env()
    if external is not None:
        yield external
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", delete_on_stop=True)
    try:
        settings = server.start()
    except Exception as exc:  # pragma: no cover - depends on the machine
        if os.environ.get("CI"):
            raise  # in CI a missing real part is a failure, not a skip
        pytest.skip(f"embedded PostgreSQL could not start here: {exc!r}")
    try:
        yield settings
    finally:
        server.stop()


def create_database(server: PostgresSettings) -> PostgresSettings:
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.model_copy(update={"dbname": name})


def drop_database(server: PostgresSettings, name: str) -> None:
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg(pg_server: PostgresSettings) -> Iterator[PostgresSettings]:
    """A fresh, empty database on the real server for one test."""
    settings = create_database(pg_server)
    try:
        yield settings
    finally:
        drop_database(pg_server, settings.dbname)


@pytest.fixture(autouse=True)
def _no_ambient_postgres_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The library reads os.environ too; keep tests on the database they were given.
    for key in list(os.environ):
        if key.startswith(("POSTGRES_", "CIPHER_", "PERSISTENCE_")):
            monkeypatch.delenv(key, raising=False)
