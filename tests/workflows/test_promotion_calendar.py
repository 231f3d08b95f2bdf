"""The manager's reminder and the escalation of a promotion application, on the time-
skipping test server with the real event store, across the 2027 National Day week: a
year chinese-calendar has no schedule for, covered by the days HR published in the
promotion_process document (the version the application was started under)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
from temporalio.testing import WorkflowEnvironment

from aggregates.ladder import Role
from aggregates.promotion import Stage
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.workflows.promotion_support import build_org, ingest, year_of_metrics
from tests.workflows.test_promotion import (
    HR,
    SHANGHAI,
    application,
    move_to,
    run_worker,
    until_stage,
)
from workflows.promotion import PromotionWorkflow, StartPromotion, promotion_workflow_id

# As the State Council's notice would publish it: Friday 1 to Thursday 7 October off,
# Sunday 26 September and Saturday 9 October worked.
NATIONAL_DAY_2027 = {
    "extra_holidays": [f"2027-10-0{d}" for d in range(1, 8)],
    "extra_working_days": ["2027-09-26", "2027-10-09"],
}


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(Store(pg)) as s, ReadModels(pg, application_env(pg)):
        build_org(s)
        yield s


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=SHANGHAI)


async def reminded(services: Engine, status: object, expected: list[str]) -> list[str]:
    """The application's reminders once the activities after a timer have written."""
    found: list[str] = []
    for _ in range(100):
        found = application(services, status).reminded  # type: ignore[arg-type]
        if found == expected:
            break
        await asyncio.sleep(0.05)
    return found


async def test_reminder_and_escalation_across_the_2027_national_day_week(
    env: WorkflowEnvironment, services: Engine
) -> None:
    began = at(9, 30, 10)  # Thursday, the last working day before the holiday
    if await env.get_current_time() > began:
        pytest.skip("the test server's clock is past 30 September 2027")
    await move_to(env, began)
    document = services.policies.current("promotion_process", "default").document
    version = services.policies.publish(
        DEMO_HR, "promotion_process", "default", {**document, **NATIONAL_DAY_2027}, "notice"
    )
    process, in_force = services.policies.promotion_process()
    assert in_force == version and process.escalate_after_working_days == 3
    ingest(services, year_of_metrics("E1", "2027-08", {}, mentored=2))
    queue = f"q-{uuid.uuid4()}"
    async with run_worker(env.client, services, queue):
        # Started as the service starts it: with the process version in force.
        handle = await env.client.start_workflow(
            PromotionWorkflow.run,
            StartPromotion(
                employee_id="E1",
                target_role=Role.sales_supervisor,
                started_by=HR,
                process=process,
                process_version=version,
                use_search_attributes=False,
            ),
            id=f"{promotion_workflow_id('E1', Role.sales_supervisor)}-{uuid.uuid4().hex[:6]}",
            task_queue=queue,
        )
        status = await until_stage(handle, Stage.manager_review)
        try:
            # Guessed from the holidays library, the reminder came on Thursday 7 October
            # and the escalation on Friday 8 (both during or right after the holiday).
            await move_to(env, at(10, 8, 12))
            assert await reminded(services, status, []) == []
            await move_to(env, at(10, 9, 9, 55))
            assert await reminded(services, status, []) == []
            # Two working days: Friday 8 and the make-up Saturday 9 October.
            await move_to(env, at(10, 9, 10, 5))
            assert await reminded(services, status, ["round-1/reminder"]) == ["round-1/reminder"]
            # The third: Monday 11 October (Sunday 10 is off).
            await move_to(env, at(10, 11, 9, 55))
            assert await reminded(services, status, ["round-1/reminder"]) == ["round-1/reminder"]
            await move_to(env, at(10, 11, 10, 5))
            both = ["round-1/reminder", "round-1/escalation"]
            assert await reminded(services, status, both) == both
            assert (await handle.query(PromotionWorkflow.status)).stage == Stage.manager_review
        finally:
            await handle.terminate("test over")
