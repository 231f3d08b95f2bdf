"""The whole app served over HTTP for a real browser: a fresh database on the test
PostgreSQL, the read models running, the Temporal dev server with a worker, and uvicorn
on a free localhost port in a thread (its own event loop, its own Temporal client)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
import uvicorn
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from careerflow.api.app import create_app
from careerflow.api.context import ApiContext
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.store import application_env
from projections.runner import ReadModels
from tests.api.conftest import CALLERS
from tests.browser.support import Arranged, arrange
from tests.conftest import create_database, drop_database
from tests.workflows.promotion_support import build_org
from worker import build_worker


@dataclass
class Served:
    base_url: str
    services: Engine
    tokens: dict[str, str]
    arranged: Arranged
    temporal: Client
    queue: str


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """uvicorn on 127.0.0.1 and a port the OS picked, until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)
        sock.close()


@pytest.fixture(scope="module")
async def served(
    dev_env: WorkflowEnvironment, pg_server: PostgresSettings
) -> AsyncIterator[Served]:
    pg = create_database(pg_server)
    queue = f"browser-{uuid.uuid4().hex[:8]}"
    target = dev_env.client.service_client.config.target_host
    namespace = dev_env.client.namespace

    async def connect() -> Client:
        # Called on the server's own event loop.
        return await Client.connect(
            target, namespace=namespace, data_converter=dev_env.client.data_converter
        )

    try:
        with (
            Engine(open_store(pg)) as services,
            ReadModels(pg, application_env(pg)) as read_models,
            concurrent.futures.ThreadPoolExecutor(16) as executor,
        ):
            build_org(services)
            tokens = {
                who: services.tokens.issue(DEMO_HR, person, role, "browser test").token
                for who, (role, person) in CALLERS.items()
            }
            app = create_app(ApiContext(services, connect, queue))
            async with build_worker(dev_env.client, services, queue, executor):
                arranged = await arrange(services, read_models, dev_env.client, queue)
                async with serve(app) as base_url:
                    yield Served(base_url, services, tokens, arranged, dev_env.client, queue)
    finally:
        drop_database(pg_server, pg.dbname)
