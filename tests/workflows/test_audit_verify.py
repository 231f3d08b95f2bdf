"""The event store's verification as the AuditVerify workflow on the Temporal dev server
and the real event store: the activity heartbeats its progress (events checked of the
total), VerifyProcess follows it from the workflow alone (any API replica can) and
returns the report; a row tampered in SQL is named; who may not verify is refused
before anything starts."""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.audit import AuditActivities, Progress, VerifyProgress, VerifyRequest
from aggregates.base import NotFoundError, PermissionDeniedError
from careerflow.audit.integrity import VerifyReport
from careerflow.config import PostgresSettings
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal
from careerflow.services.verify_process import VerifyProcess, VerifyStatus
from tests.workflows.promotion_support import build_org
from worker import build_worker

AUDITOR = Principal(person_id="A001", role=AccessRole.auditor)


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(open_store(pg)) as s:
        build_org(s)
        yield s


def test_the_activity_heartbeats_its_progress() -> None:
    beats: list[VerifyProgress] = []

    def verify(principal: Principal, progress: Progress) -> dict[str, Any]:
        progress("people", 40)
        progress("people", 60)
        progress("cycles", 30)
        return {"ok": True, "events": 90, "applications": []}

    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details[0])
    activities = AuditActivities(verify, lambda: {"people": 60, "cycles": 40})
    report = env.run(activities.verify_event_store, VerifyRequest(principal=AUDITOR))
    assert report["events"] == 90
    assert [(b.checked, b.total) for b in beats] == [(0, 100), (40, 100), (60, 100), (90, 100)]
    assert beats[-1].application == "cycles"


async def follow(process: VerifyProcess, verify_id: str) -> list[VerifyStatus]:
    seen = [await process.status(AUDITOR, verify_id)]
    for _ in range(300):
        if seen[-1].state != "running":
            break
        await asyncio.sleep(0.2)
        seen.append(await process.status(AUDITOR, verify_id))
    return seen


async def test_verify_runs_as_a_workflow_and_names_a_tampered_event(
    dev_env: WorkflowEnvironment, services: Engine
) -> None:
    queue = f"test-{uuid.uuid4()}"
    process = VerifyProcess(dev_env.client, queue)
    employee = Principal(person_id="E1", role=AccessRole.employee)
    with pytest.raises(PermissionDeniedError):
        await process.start(employee)
    with pytest.raises(NotFoundError):
        await process.status(AUDITOR, "not-a-verification")
    with concurrent.futures.ThreadPoolExecutor(4) as executor:
        async with build_worker(dev_env.client, services, queue, executor):
            verify_id = await process.start(AUDITOR)
            assert verify_id.startswith("audit-verify-")
            seen = await follow(process, verify_id)
            done = seen[-1]
            assert done.state == "done" and done.report is not None, seen
            assert done.report.ok and done.percent == 100
            assert done.checked == done.total == done.report.events > 0
            assert all(s.checked <= s.total for s in seen if s.state == "running")
            with pytest.raises(PermissionDeniedError):
                await process.status(employee, verify_id)

            with psycopg.connect(services.store.pg.conninfo()) as conn:
                row = conn.execute(
                    "SELECT notification_id, originator_id FROM people_events "
                    "ORDER BY notification_id OFFSET 2 LIMIT 1"
                ).fetchone()
                assert row is not None
                conn.execute(
                    "UPDATE people_events SET state = state || '\\x20'::bytea "
                    "WHERE notification_id = %s",
                    (row[0],),
                )
            tampered = (await follow(process, await process.start(AUDITOR)))[-1]
    assert tampered.report is not None and not tampered.report.ok
    finding = tampered.report.first_finding
    assert finding is not None
    assert (finding.application, finding.problem, finding.notification_id) == (
        "people",
        "edited",
        row[0],
    )
    assert finding.originator_id == row[1]


async def test_the_progress_stays_visible_between_the_activitys_own_beats(
    dev_env: WorkflowEnvironment, services: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's interceptor beats every few seconds on its own; its beats repeat the
    activity's last details instead of blanking them (activities/heartbeat.py)."""
    import time

    import worker

    def one_step_then_a_long_one(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
        progress("people", 7)
        time.sleep(7)  # longer than the heartbeat timeout: only the interceptor beats
        return VerifyReport(ok=True, events=7, applications=[])

    monkeypatch.setattr(worker, "verify_store", one_step_then_a_long_one)
    queue = f"test-{uuid.uuid4()}"
    process = VerifyProcess(dev_env.client, queue)
    with concurrent.futures.ThreadPoolExecutor(4) as executor:
        async with build_worker(dev_env.client, services, queue, executor):
            verify_id = await process.start(AUDITOR)
            await asyncio.sleep(5.5)  # past the SDK's throttle and several interceptor beats
            midway = await process.status(AUDITOR, verify_id)
            seen = await follow(process, verify_id)
    assert midway.state == "running" and midway.checked == 7 and midway.total > 7, midway
    assert seen[-1].state == "done" and seen[-1].report is not None
