"""The promotion service reads the store off the event loop: while a start waits on
the database, the loop it was called on (the API's other requests and, in one
process, a worker) goes on."""

from __future__ import annotations

import asyncio
import threading
import uuid

import psycopg
from temporalio.testing import WorkflowEnvironment

from aggregates.ladder import Role
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine
from careerflow.store import Store
from tests.workflows.promotion_support import build_org


async def test_a_start_waiting_on_the_store_leaves_the_event_loop_free(
    pg: PostgresSettings, env: WorkflowEnvironment
) -> None:
    with Engine(Store(pg)) as services:
        build_org(services)
        process = services.promotion_process(env.client, f"loop-{uuid.uuid4().hex[:8]}")
        with psycopg.connect(pg.conninfo()) as locker:
            # Every read of an employee now waits for this transaction.
            locker.execute("LOCK TABLE people_events IN ACCESS EXCLUSIVE MODE")
            # Only if the loop were blocked (the test would otherwise hang): let go.
            safety = threading.Timer(20.0, locker.rollback)
            safety.start()
            try:
                start = asyncio.create_task(process.start(DEMO_HR, "E3"))
                for _ in range(20):  # the loop keeps turning while the start waits
                    await asyncio.sleep(0.01)
                # A start that read on the loop would have held it until the safety
                # timer let go, and be done by now.
                assert not start.done()
                locker.rollback()
            finally:
                safety.cancel()
        started = await start
        assert (started.employee_id, started.target_role) == ("E3", Role.senior_sales_rep)
        await env.client.get_workflow_handle(started.workflow_id).terminate("test over")
