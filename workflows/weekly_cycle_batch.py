"""The weeks of one launch batch in one workflow: each rep's week is `RepWeek`'s timeline
and rules, as in a week's own workflow, and all of them wait for a moment (Monday's plan
reminder, Friday's report, ...) on one timer instead of one each.

Why: a Temporal workflow costs the server a start, a first task and a timer whatever it
does; one per rep made the Monday launch cost ~20 ms of two cores per rep. Fifty reps to a
workflow cost the same start once. The reps that reach a moment together also share one
activity per step and one for their notifications (`workflows.batch_steps`). Updates name
their rep (`PlanRequest.employee_id`), and the service finds the week's workflow in the
week's record (`CycleInfo.workflow_id`).

A rep whose week fails (a step refused for good) is logged and named in the outcome
(`failed`); the other reps' weeks go on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.cycles import (
        JOIN_BATCH,
        WEEKLY_CYCLE_BATCH,
        CycleInfo,
        CycleRef,
        StartCycle,
        StartCycleBatch,
    )
    from aggregates.weekly_cycle_rules import no_running_week
    from workflows.batch_steps import BatchSteps, StepRefused
    from workflows.refusals import refused
    from workflows.rep_week import RepWeek
    from workflows.weekly_cycle_io import (
        CycleBatchOutcome,
        CycleOutcome,
        FeedbackRequest,
        PlanRequest,
    )


@workflow.defn(name=WEEKLY_CYCLE_BATCH)
class WeeklyCycleBatchWorkflow:
    @workflow.init
    def __init__(self, start: StartCycleBatch) -> None:
        self.week = start.week
        self.reps: dict[str, RepWeek] = {}
        self.runs: list[asyncio.Task[None]] = []
        self.outcomes: dict[str, CycleOutcome] = {}
        self.failed: dict[str, str] = {}
        # One timer per moment, shared by every rep waiting for it.
        self.moments: dict[datetime, asyncio.Task[None]] = {}
        self.commands = 0
        self.steps = BatchSteps()

    @workflow.run
    async def run(self, start: StartCycleBatch) -> CycleBatchOutcome:
        self._add(start.weeks)
        # Reps may join while it runs (a relaunch): done when every week and handler is.
        await workflow.wait_condition(
            lambda: all(task.done() for task in self.runs) and workflow.all_handlers_finished()
        )
        return CycleBatchOutcome(week=self.week, outcomes=self.outcomes, failed=self.failed)

    def _add(self, weeks: list[CycleInfo]) -> int:
        added = 0
        for info in weeks:
            if info.employee_id in self.reps:
                continue
            rep = RepWeek(
                StartCycle(employee_id=info.employee_id, week=info.week, opened=info),
                self._key,
                self.steps,
            )
            self.reps[info.employee_id] = rep
            self.runs.append(asyncio.ensure_future(self._run(rep)))
            added += 1
        return added

    async def _run(self, rep: RepWeek) -> None:
        employee_id = rep.start.employee_id
        ref = CycleRef(
            employee_id=employee_id, week=self.week, workflow_id=workflow.info().workflow_id
        )
        try:
            self.outcomes[employee_id] = await rep.run(ref, self._until)
        except (ActivityError, StepRefused) as exc:  # a step refused for this rep
            cause = exc.cause if isinstance(exc, ActivityError) and exc.cause else exc
            workflow.logger.error("the week of %s failed: %s", employee_id, cause)
            self.failed[employee_id] = str(cause)

    async def _until(self, at: datetime, done: Callable[[], bool]) -> None:
        """Waits until `at` (workflow time) or until `done()`, on the moment's one timer."""
        remaining = (at - workflow.now()).total_seconds()
        if remaining <= 0 or done():
            return
        moment = self.moments.get(at)
        if moment is None:
            moment = self.moments[at] = asyncio.ensure_future(asyncio.sleep(remaining))
        await workflow.wait_condition(lambda: done() or moment.done())

    def _key(self, what: str) -> str:
        # Unique per update in the run, stable across retries of its activity.
        self.commands += 1
        return f"{what}-{workflow.info().run_id}-{self.commands}"

    def _rep(self, employee_id: str | None) -> RepWeek:
        rep = self.reps.get(employee_id or "")
        if rep is None:
            raise refused(no_running_week(employee_id or "", self.week))
        return rep

    # -- updates -------------------------------------------------------------------------
    @workflow.update(name=JOIN_BATCH)
    def join(self, weeks: list[CycleInfo]) -> int:
        """Weeks opened for this batch that it does not run yet (a relaunch after the
        batch's start was lost): how many it took on."""
        return self._add(weeks)

    @join.validator
    def _check_join(self, weeks: list[CycleInfo]) -> None:
        if other := [w.employee_id for w in weeks if w.week != self.week]:
            raise refused(no_running_week(", ".join(other), self.week))

    @workflow.update
    async def submit_plan(self, request: PlanRequest) -> CycleInfo:
        return await self._rep(request.employee_id).submit_plan(request)

    @submit_plan.validator
    def _check_plan(self, request: PlanRequest) -> None:
        self._rep(request.employee_id).check_plan(request)

    @workflow.update
    async def give_feedback(self, request: FeedbackRequest) -> CycleInfo:
        return await self._rep(request.employee_id).give_feedback(request)

    @give_feedback.validator
    def _check_feedback(self, request: FeedbackRequest) -> None:
        self._rep(request.employee_id).check_feedback(request)

    @workflow.query
    def current(self, employee_id: str) -> CycleInfo | None:
        """For operators only: dashboards read the cycle read model."""
        rep = self.reps.get(employee_id)
        return rep.info if rep is not None else None
