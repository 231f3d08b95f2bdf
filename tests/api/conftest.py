"""The API on the real stack: a real PostgreSQL database, the read models running, a
Temporal dev server with a worker, and the FastAPI app called over ASGI by httpx. One
stack per test module; tokens for every role of the small test organisation."""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from careerflow.api.app import create_app
from careerflow.api.context import ApiContext
from careerflow.api.errors import LANG_COOKIE
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole
from careerflow.store import application_env
from projections.runner import ReadModels
from tests.conftest import create_database, drop_database
from tests.workflows.promotion_support import build_org
from worker import build_worker

# Who calls, as "role:person". The org (promotion_support): M001 manages S001, S001
# manages E1, E2, E3; H001 is HR, A001 an auditor, crm the CRM integration.
CALLERS: dict[str, tuple[AccessRole, str]] = {
    "employee:E1": (AccessRole.employee, "E1"),
    "employee:E2": (AccessRole.employee, "E2"),
    "manager:S001": (AccessRole.manager, "S001"),
    "manager:M001": (AccessRole.manager, "M001"),
    "hr:H001": (AccessRole.hr, "H001"),
    "auditor:A001": (AccessRole.auditor, "A001"),
    "integration:crm": (AccessRole.integration, "crm"),
}


@dataclass
class ApiStack:
    services: Engine
    read_models: ReadModels
    http: httpx.AsyncClient
    temporal: Client
    queue: str
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    async def call(self, who: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers(who), **kwargs.pop("headers", {})}
        return await self.http.request(method, path, headers=headers, **kwargs)

    def caught_up(self) -> None:
        """Read-your-writes for tests: the read models have every stored event."""
        self.read_models.wait_caught_up(self.services.store.applications(), timeout=60)


@pytest.fixture(scope="module")
async def api(dev_env: WorkflowEnvironment, pg_server: PostgresSettings) -> AsyncIterator[ApiStack]:
    pg = create_database(pg_server)
    queue = f"api-{uuid.uuid4().hex[:8]}"
    try:
        with (
            Engine(open_store(pg)) as services,
            ReadModels(pg, application_env(pg)) as read_models,
            concurrent.futures.ThreadPoolExecutor(16) as executor,
        ):
            build_org(services)
            tokens = {
                who: services.tokens.issue(DEMO_HR, person, role, "tests").token
                for who, (role, person) in CALLERS.items()
            }

            async def connect() -> Client:
                return dev_env.client

            app = create_app(ApiContext(services, connect, queue))
            async with (
                build_worker(dev_env.client, services, queue, executor),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://careerflow.test",
                    # Errors in English, as the tests' assertions are written: the
                    # language switch's cookie wins over the callers' profile locale
                    # (Chinese); tests/api/test_api_languages.py drives the choice itself.
                    cookies={LANG_COOKIE: "en"},
                ) as http,
            ):
                stack = ApiStack(services, read_models, http, dev_env.client, queue, tokens)
                stack.caught_up()
                yield stack
    finally:
        drop_database(pg_server, pg.dbname)
