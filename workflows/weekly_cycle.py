"""One rep's week in its own workflow (seed 001): the rules and the timeline are
`workflows.rep_week.RepWeek`'s; this workflow waits for each moment with its own timer.
Weeks the launcher starts run many to a workflow (`workflows.weekly_cycle_batch`); this
one runs a week started on its own, and the weeks launched before the batches.

The moments come from the weekly_cycle document in the company's time zone; the
`cycle_open` activity turns them into UTC deadlines, so they are in the history."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.cycles import WEEKLY_CYCLE, CycleActivities, CycleInfo, CycleRef, StartCycle
    from workflows.rep_week import OwnSteps, RepWeek
    from workflows.steps import run, run_local
    from workflows.weekly_cycle_io import CycleOutcome, FeedbackRequest, PlanRequest

# Patch ids: each names a change made while weeks were running.
# The week opened by the launcher's batch and handed over in the input, or else opened by
# a local activity (before: a regular activity in every week's workflow).
PATCH_OPENED_BY_BATCH = "cycle-opened-by-batch"


@workflow.defn(name=WEEKLY_CYCLE)
class WeeklyCycleWorkflow:
    @workflow.init
    def __init__(self, start: StartCycle) -> None:
        self.start = start
        self.rep = RepWeek(start, self._key, OwnSteps())
        self.commands = 0

    @workflow.run
    async def run(self, start: StartCycle) -> CycleOutcome:
        ref = CycleRef(
            employee_id=start.employee_id, week=start.week, workflow_id=workflow.info().workflow_id
        )
        if workflow.patched(PATCH_OPENED_BY_BATCH):
            # Opened by the launcher's batch (one save for many reps), else here as a
            # local activity: a short idempotent command (an open week is answered as is).
            if start.opened is None:
                self.rep.info = await run_local(CycleActivities.open, ref)
        else:  # histories from before the patch opened in a regular activity
            self.rep.info = await run(CycleActivities.open, ref)
        outcome = await self.rep.run(ref, self._until)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return outcome

    async def _until(self, at: datetime, done: Callable[[], bool]) -> None:
        """Waits until `at` (workflow time) or until `done()`, whichever is first."""
        remaining = (at - workflow.now()).total_seconds()
        if remaining <= 0 or done():
            return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(done, timeout=timedelta(seconds=remaining))

    def _key(self, what: str) -> str:
        # Unique per update, stable across retries of its activity.
        self.commands += 1
        return f"{what}-{workflow.info().run_id}-{self.commands}"

    # -- updates -------------------------------------------------------------------------
    @workflow.update
    async def submit_plan(self, request: PlanRequest) -> CycleInfo:
        return await self.rep.submit_plan(request)

    @submit_plan.validator
    def _check_plan(self, request: PlanRequest) -> None:
        self.rep.check_plan(request)

    @workflow.update
    async def give_feedback(self, request: FeedbackRequest) -> CycleInfo:
        return await self.rep.give_feedback(request)

    @give_feedback.validator
    def _check_feedback(self, request: FeedbackRequest) -> None:
        self.rep.check_feedback(request)

    @workflow.query
    def current(self) -> CycleInfo | None:
        """For operators only: dashboards read the cycle read model."""
        return self.rep.info
