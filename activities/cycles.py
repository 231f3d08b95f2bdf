"""Activities of the weekly-cycle, month-close and launcher workflows: each runs one
idempotent command (or reads the roster)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from temporalio import activity
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.errors import business_errors_are_final
from aggregates.weekly_cycle_rules import CycleInfo as CycleInfo
from aggregates.weekly_cycle_rules import Deadlines as Deadlines
from aggregates.weekly_cycle_rules import MonthOutcome as MonthOutcome
from aggregates.weekly_cycle_rules import ReportLine as ReportLine
from aggregates.weekly_cycle_rules import Roster as Roster
from aggregates.weekly_cycle_rules import WeeklyReport as WeeklyReport
from careerflow.principal import Principal

if TYPE_CHECKING:
    from temporalio.client import Client

    from careerflow.applications.cycles import Cycles


class CycleRef(BaseModel):
    employee_id: str
    week: str
    workflow_id: str = ""


class SubmitPlan(BaseModel):
    employee_id: str
    week: str
    principal: Principal
    key: str
    items: dict[str, float]
    now: datetime


class GiveFeedback(BaseModel):
    employee_id: str
    week: str
    principal: Principal
    key: str
    text: str
    next_plan: dict[str, float] | None = None
    now: datetime


class RosterRequest(BaseModel):
    kind: Literal["week", "month"]
    period: str | None
    now: datetime
    after: str
    limit: int | None = None
    launched_by: str | None = None  # who launched it by hand (None: the schedule)


class LaunchFinished(BaseModel):
    """A launch whose roster is exhausted: how many workflows it started, how many reps
    it skipped (having one already)."""

    kind: Literal["week", "month"]
    period: str
    started: int
    skipped: int


class CloseMonth(BaseModel):
    employee_id: str
    month: str
    workflow_id: str


class StartBatch(BaseModel):
    kind: Literal["week", "month"]
    period: str
    employee_ids: list[str]


class BatchStarted(BaseModel):
    started: int
    already_running: int


# The workflows this module starts, by their registered names: activities never import
# workflows (the workflows import these inputs and ids instead).
WEEKLY_CYCLE = "WeeklyCycle"
MONTH_CLOSE = "MonthClose"


class StartCycle(BaseModel):
    employee_id: str
    week: str
    # The week as the launcher's batch opened it (None: the workflow opens it itself).
    opened: CycleInfo | None = None


def cycle_workflow_id(employee_id: str, week: str) -> str:
    return f"cycle-{employee_id}-{week}"


class StartMonthClose(BaseModel):
    employee_id: str
    month: str


def month_close_workflow_id(employee_id: str, month: str) -> str:
    return f"month-close-{employee_id}-{month}"


# Workflow starts in flight at once in a batch, and reps opened per save.
STARTS_AT_ONCE = 50


class CycleActivities:
    def __init__(self, cycles: Cycles, client: Client, task_queue: str) -> None:
        # The commands are the Cycles application's (careerflow.applications.cycles), its
        # collaborators wired by the caller; this module only maps contracts to them.
        self.commands = cycles
        self.client = client
        self.task_queue = task_queue

    @activity.defn(name="cycle_start_batch")
    async def start_batch(self, request: StartBatch) -> BatchStarted:
        """Starts one workflow per rep, independent of the launcher (no parent to outlive).
        Idempotent: the workflow id is the rep's period, and an id already used (running
        or finished) is left alone, so a retried batch or a re-run launch starts nothing twice.
        A week's batch first opens its reps' weeks, a chunk of STARTS_AT_ONCE with one
        save (`Cycles.open_weeks`: a week open already is answered as it is), and hands
        each workflow its week; the next chunk opens (in a thread) while the workflows of
        the one before start (RPCs on the event loop).
        """
        ids = request.employee_ids
        chunks = [
            ids[offset : offset + STARTS_AT_ONCE] for offset in range(0, len(ids), STARTS_AT_ONCE)
        ]

        async def start(employee_id: str, opened: CycleInfo | None) -> bool:
            try:
                if request.kind == "week":
                    await self.client.start_workflow(
                        WEEKLY_CYCLE,
                        StartCycle(employee_id=employee_id, week=request.period, opened=opened),
                        id=cycle_workflow_id(employee_id, request.period),
                        task_queue=self.task_queue,
                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    )
                else:
                    await self.client.start_workflow(
                        MONTH_CLOSE,
                        StartMonthClose(employee_id=employee_id, month=request.period),
                        id=month_close_workflow_id(employee_id, request.period),
                        task_queue=self.task_queue,
                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    )
            except WorkflowAlreadyStartedError:
                return False
            return True

        async def opening(chunk: list[str]) -> dict[str, CycleInfo]:
            if request.kind != "week":
                return {}
            return await asyncio.to_thread(
                self.commands.open_weeks,
                chunk,
                request.period,
                lambda employee_id: cycle_workflow_id(employee_id, request.period),
            )

        results: list[bool] = []
        pending = asyncio.ensure_future(opening(chunks[0])) if chunks else None
        try:
            for index, chunk in enumerate(chunks):
                assert pending is not None
                opened = await pending
                pending = (
                    asyncio.ensure_future(opening(chunks[index + 1]))
                    if index + 1 < len(chunks)
                    else None
                )
                results += await asyncio.gather(*(start(e, opened.get(e)) for e in chunk))
                activity.heartbeat(index)
        finally:
            if pending is not None:
                pending.cancel()  # a failed start: the retry opens (idempotently) again
        started = sum(results)
        return BatchStarted(started=started, already_running=len(results) - started)

    @activity.defn(name="cycle_roster")
    @business_errors_are_final
    def roster(self, request: RosterRequest) -> Roster:
        settings, _ = self.commands.settings()
        period = request.period
        if period is None and request.kind == "month":
            period = self.commands.previous_month(request.now)
        roster = self.commands.roster(
            period, request.now, request.after, request.limit or settings.batch_size
        )
        if not request.after:
            # The launch's first read: the period is launched, whoever started it.
            workflow_id = activity.info().workflow_id or ""
            self.commands.record_launch(
                request.kind, roster.period, workflow_id, request.launched_by
            )
        return roster

    @activity.defn(name="cycle_launch_finished")
    @business_errors_are_final
    def launch_finished(self, request: LaunchFinished) -> None:
        """Records the launch's end once (the launcher, when its roster is exhausted)."""
        workflow_id = activity.info().workflow_id or ""
        self.commands.finish_launch(
            request.kind, request.period, workflow_id, request.started, request.skipped
        )

    @activity.defn(name="cycle_open")
    @business_errors_are_final
    def open(self, request: CycleRef) -> CycleInfo:
        return self.commands.open_week(request.employee_id, request.week, request.workflow_id)

    @activity.defn(name="cycle_submit_plan")
    @business_errors_are_final
    def submit_plan(self, request: SubmitPlan) -> CycleInfo:
        return self.commands.submit_plan(
            request.employee_id,
            request.week,
            request.principal,
            request.key,
            request.items,
            request.now,
        )

    @activity.defn(name="cycle_default_plan")
    @business_errors_are_final
    def default_plan(self, request: CycleRef) -> CycleInfo:
        return self.commands.default_plan(request.employee_id, request.week)

    @activity.defn(name="cycle_report")
    @business_errors_are_final
    def report(self, request: CycleRef) -> WeeklyReport:
        return self.commands.build_report(request.employee_id, request.week)

    @activity.defn(name="cycle_give_feedback")
    @business_errors_are_final
    def give_feedback(self, request: GiveFeedback) -> CycleInfo:
        return self.commands.give_feedback(
            request.employee_id,
            request.week,
            request.principal,
            request.key,
            request.text,
            request.next_plan,
            request.now,
        )

    @activity.defn(name="cycle_feedback_missed")
    @business_errors_are_final
    def feedback_missed(self, request: CycleRef) -> CycleInfo:
        return self.commands.miss_feedback(request.employee_id, request.week)

    @activity.defn(name="cycle_close_month")
    @business_errors_are_final
    def close_month(self, request: CloseMonth) -> MonthOutcome:
        return self.commands.close_month(request.employee_id, request.month, request.workflow_id)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.start_batch,
            self.roster,
            self.launch_finished,
            self.open,
            self.submit_plan,
            self.default_plan,
            self.report,
            self.give_feedback,
            self.feedback_missed,
            self.close_month,
        ]
