"""The timer-driven steps and notifications of a batch's weeks (`WeeklyCycleBatch`): the
reps that reach a moment together share one activity per step (`cycle_steps`) and one for
their notifications (`notification_create_many`), regular activities, so no workflow task
waits on fifty local ones and any worker may run them. A refusal for one rep fails that
rep's week only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio import workflow

from workflows.batching import Coalesced

with workflow.unsafe.imports_passed_through():
    from activities.cycles import (
        CycleActivities,
        CycleInfo,
        CycleRef,
        CycleSteps,
        StepDone,
        StepKind,
        WeeklyReport,
    )
    from activities.notifications import (
        Created,
        NotificationActivities,
        SendNotification,
        SendNotifications,
    )
    from workflows.notify import deliver
    from workflows.steps import run


class StepRefused(Exception):
    """A step or notification refused for one rep (the activity's English text, for the
    log and the batch's outcome): that rep's week stops, the batch goes on."""


class BatchSteps:
    def __init__(self) -> None:
        self._steps: dict[StepKind, Coalesced[CycleRef, StepDone]] = {
            kind: Coalesced(self._runner(kind))
            for kind in ("default_plan", "report", "feedback_missed")
        }
        self._created: Coalesced[SendNotification, Created] = Coalesced(self._create)

    async def default_plan(self, ref: CycleRef) -> CycleInfo:
        done = await self._done("default_plan", ref)
        assert done.info is not None
        return done.info

    async def report(self, ref: CycleRef) -> WeeklyReport:
        done = await self._done("report", ref)
        assert done.report is not None
        return done.report

    async def feedback_missed(self, ref: CycleRef) -> CycleInfo:
        done = await self._done("feedback_missed", ref)
        assert done.info is not None
        return done.info

    async def send(self, request: SendNotification) -> None:
        created = await self._created(request)
        if created.refused is not None:
            raise StepRefused(created.refused)
        if created.pending:
            await deliver(request, created)

    async def _done(self, kind: StepKind, ref: CycleRef) -> StepDone:
        done = await self._steps[kind](ref)
        if done.refused is not None:
            raise StepRefused(done.refused)
        return done

    @staticmethod
    def _runner(kind: StepKind) -> Callable[[list[CycleRef]], Awaitable[list[StepDone]]]:
        async def run_many(refs: list[CycleRef]) -> list[StepDone]:
            return await run(CycleActivities.steps, CycleSteps(kind=kind, refs=refs))

        return run_many

    @staticmethod
    async def _create(requests: list[SendNotification]) -> list[Created]:
        return await run(
            NotificationActivities.create_many, SendNotifications(notifications=requests)
        )
