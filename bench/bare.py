"""Bare Temporal workflows for the promotion baseline: the promotion's shape (the same
activities, local activity, timer, query and Update) with no-op activities, so no event
is written and no read model touched. Kept light: the sandbox re-imports this module.

Two shapes, same run: every step a regular activity (the promotion before its
local-steps patch), or every step a local activity (the most a workflow of this shape
can gain from local activities)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow

# The rejected path of PromotionApplication: open, submit report, notify the manager
# (create + deliver), then (the decision Update) record the decision, then tell the
# applicant (create + deliver).
BEFORE_DECISION = 4
IN_DECISION = 1
AFTER_DECISION = 2


class BareStart(BaseModel):
    workflow_id: str
    local: bool = False  # every step as a local activity


class Step(BaseModel):
    workflow_id: str
    n: int


@activity.defn(name="bench_noop")
def noop(step: Step) -> Step:
    return step


@activity.defn(name="bench_noop_local")
def noop_local(step: Step) -> Step:
    return step


@workflow.defn(name="BenchBarePromotion")
class BarePromotion:
    @workflow.init
    def __init__(self, start: BareStart) -> None:
        self.workflow_id = start.workflow_id
        self.local = start.local
        self.stage = "starting"
        self.decided = False

    async def _steps(self, n: int) -> None:
        for i in range(n):
            step = Step(workflow_id=self.workflow_id, n=i)
            if self.local:
                await workflow.execute_local_activity(
                    noop_local, step, start_to_close_timeout=timedelta(seconds=60)
                )
            else:
                await workflow.execute_activity(
                    noop, step, start_to_close_timeout=timedelta(seconds=60)
                )

    @workflow.run
    async def run(self, start: BareStart) -> str:
        await self._steps(BEFORE_DECISION)
        await workflow.execute_local_activity(
            noop_local,
            Step(workflow_id=start.workflow_id, n=0),
            start_to_close_timeout=timedelta(seconds=10),
        )
        self.stage = "manager_review"
        try:  # the promotion waits for the decision with a reminder timer
            await workflow.wait_condition(lambda: self.decided, timeout=timedelta(days=2))
        except TimeoutError:
            await workflow.wait_condition(lambda: self.decided)
        await self._steps(AFTER_DECISION)
        self.stage = "rejected"
        return self.stage

    @workflow.update
    async def decide(self, comment: str) -> str:
        await self._steps(IN_DECISION)
        self.decided = True
        return self.stage

    @decide.validator
    def _check(self, comment: str) -> None:
        if self.stage != "manager_review" or self.decided:
            raise ValueError(f"not at manager review ({self.stage})")

    @workflow.query
    def current(self) -> str:
        return self.stage
