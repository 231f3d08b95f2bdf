"""Reaching a rep's week in Temporal from tests: the workflow that runs it is the one its
record names (a launch batch's `WeeklyCycleBatch`, or a week's own `WeeklyCycle`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from temporalio.client import Client

from activities.cycles import batch_workflow_ids
from aggregates.weekly_cycle import WeeklyCycle, cycle_uuid
from careerflow.engine import Engine
from workflows.weekly_cycle_batch import WeeklyCycleBatchWorkflow
from workflows.weekly_cycle_io import CycleOutcome, FeedbackRequest, PlanRequest


def batch_ids(period: str, employee_ids: Sequence[str], batch_size: int = 200) -> list[str]:
    """The batch workflows (weeks or month closes) a launch starts for these reps (in
    roster order: the launcher's batches of `batch_size`, the weekly_cycle document's)."""
    kind = "week" if "-W" in period else "month"
    return batch_workflow_ids(kind, period, sorted(employee_ids), batch_size)


def week_workflow_id(services: Engine, employee_id: str, week: str) -> str:
    cycle: WeeklyCycle = services.store.cycles.repository.get(cycle_uuid(employee_id, week))
    return cycle.workflow_id


async def week_ready(
    client: Client, services: Engine, employee_id: str, week: str, timeout: float = 60
) -> str:
    """Waits until the rep's week is open and its workflow has taken it on (Updates are
    taken from then on); the workflow's id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = services.store.cycles.find(cycle_uuid(employee_id, week))
        if found is not None:
            handle = client.get_workflow_handle(found.workflow_id)
            batch = found.workflow_id.startswith("cycle-batch-")
            args: list[Any] = [employee_id] if batch else []
            if await handle.query("current", *args) is not None:
                return str(found.workflow_id)
        await asyncio.sleep(0.2)
    raise AssertionError(f"{employee_id}'s week {week} did not open")


class RepHandle:
    """One rep's week in its batch workflow, as a test drives it."""

    def __init__(self, client: Client, workflow_id: str, employee_id: str) -> None:
        self.handle = client.get_workflow_handle_for(WeeklyCycleBatchWorkflow.run, workflow_id)
        self.employee_id = employee_id

    async def submit_plan(self, request: PlanRequest) -> Any:
        request = request.model_copy(update={"employee_id": self.employee_id})
        return await self.handle.execute_update(WeeklyCycleBatchWorkflow.submit_plan, request)

    async def give_feedback(self, request: FeedbackRequest) -> Any:
        request = request.model_copy(update={"employee_id": self.employee_id})
        return await self.handle.execute_update(WeeklyCycleBatchWorkflow.give_feedback, request)

    async def result(self) -> CycleOutcome:
        return (await self.handle.result()).outcomes[self.employee_id]
