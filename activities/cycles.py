"""Activities of the weekly-cycle, month-close and launcher workflows: each runs one
idempotent command (or reads the roster)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from temporalio import activity
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

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


StepKind = Literal["default_plan", "report", "feedback_missed"]


class CycleSteps(BaseModel):
    """One timer-driven step for many weeks at once (a batch's reps at one moment)."""

    kind: StepKind
    refs: list[CycleRef]


class StepDone(BaseModel):
    """A week's step: the week after it (`report` for the report), or why it was refused
    (the others in the same call go on)."""

    info: CycleInfo | None = None
    report: WeeklyReport | None = None
    refused: str | None = None


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
WEEKLY_CYCLE_BATCH = "WeeklyCycleBatch"
MONTH_CLOSE = "MonthClose"
MONTH_CLOSE_BATCH = "MonthCloseBatch"
JOIN_BATCH = "join"  # the batch workflow's Update that takes on more weeks


class StartCycle(BaseModel):
    employee_id: str
    week: str
    # The week as the launcher's batch opened it (None: the workflow opens it itself).
    opened: CycleInfo | None = None


def cycle_workflow_id(employee_id: str, week: str) -> str:
    """The workflow of a week started on its own (and of weeks launched before batches)."""
    return f"cycle-{employee_id}-{week}"


class StartCycleBatch(BaseModel):
    week: str
    weeks: list[CycleInfo]  # as the launcher's batch opened them


def cycle_batch_workflow_id(week: str, employee_ids: list[str]) -> str:
    """The workflow of the weeks a launch batch opens: named by the batch's reps, so a
    retried batch names the same one and another launch's batch another."""
    return f"cycle-batch-{week}-{_named_by(employee_ids)}"


def month_batch_workflow_id(month: str, employee_ids: list[str]) -> str:
    """The workflow of a launch batch's month closes (named as the weeks' batches are)."""
    return f"month-close-batch-{month}-{_named_by(employee_ids)}"


def _named_by(employee_ids: list[str]) -> str:
    digest = hashlib.sha256("\n".join(employee_ids).encode()).hexdigest()[:12]
    return f"{employee_ids[0]}-{digest}"


class StartMonthClose(BaseModel):
    employee_id: str
    month: str


def month_close_workflow_id(employee_id: str, month: str) -> str:
    """The workflow of a month closed on its own (and of months launched before batches)."""
    return f"month-close-{employee_id}-{month}"


class StartMonthCloseBatch(BaseModel):
    month: str
    employee_ids: list[str]


class CloseMonths(BaseModel):
    month: str
    employee_ids: list[str]
    workflow_id: str


class MonthDone(BaseModel):
    """A rep's month close, or why it was refused (the others in the call go on)."""

    outcome: MonthOutcome | None = None
    refused: str | None = None


class MonthBatchOutcome(BaseModel):
    month: str
    outcomes: dict[str, MonthOutcome]  # by employee id
    failed: dict[str, str] = {}  # employee id: why the close was refused


# Reps opened per save and run by one batch workflow; month closes started at once.
STARTS_AT_ONCE = 50


def chunked(ids: list[str]) -> list[list[str]]:
    """A launcher batch's reps, STARTS_AT_ONCE at a time."""
    return [ids[at : at + STARTS_AT_ONCE] for at in range(0, len(ids), STARTS_AT_ONCE)]


def batch_workflow_ids(
    kind: Literal["week", "month"], period: str, roster: list[str], batch_size: int
) -> list[str]:
    """The batch workflows a first launch of `period` starts for `roster` (in roster
    order, the launcher's batches of `batch_size`): what operators and benchmarks wait for."""
    named = cycle_batch_workflow_id if kind == "week" else month_batch_workflow_id
    batches = [roster[at : at + batch_size] for at in range(0, len(roster), batch_size)]
    return [named(period, c) for batch in batches for c in chunked(batch)]


class CycleActivities:
    def __init__(self, cycles: Cycles, client: Client, task_queue: str) -> None:
        # The commands are the Cycles application's (careerflow.applications.cycles), its
        # collaborators wired by the caller; this module only maps contracts to them.
        self.commands = cycles
        self.client = client
        self.task_queue = task_queue

    @activity.defn(name="cycle_start_batch")
    async def start_batch(self, request: StartBatch) -> BatchStarted:
        """Starts the batch's weeks or month closes, independent of the launcher (no
        parent to outlive). Idempotent: a workflow id already used (running or finished)
        is left alone, so a retried batch or a re-run launch starts nothing twice.

        A month close is one workflow per rep. A week's batch opens its reps' weeks a
        chunk of STARTS_AT_ONCE at a time with one save (`Cycles.open_weeks`: a week open
        already is answered as it is) and starts ONE workflow for the weeks of the chunk
        (`WeeklyCycleBatch`, named by the chunk); a week opened earlier goes to the workflow
        its record names (a batch takes it on by its `join` Update when it does not run it
        yet; a week of its own starts as before). The next chunk opens (in a thread) while
        the last chunk's workflows start (RPCs on the event loop)."""
        ids = request.employee_ids
        chunks = chunked(ids)
        if request.kind == "month":  # one MonthCloseBatch per chunk (a close is idempotent)
            started = 0
            for chunk in chunks:
                if await self._start(
                    MONTH_CLOSE_BATCH,
                    StartMonthCloseBatch(month=request.period, employee_ids=chunk),
                    month_batch_workflow_id(request.period, chunk),
                ):
                    started += len(chunk)
            return BatchStarted(started=started, already_running=len(ids) - started)

        def opening(chunk: list[str]) -> asyncio.Future[dict[str, CycleInfo]]:
            batch_id = cycle_batch_workflow_id(request.period, chunk)
            return asyncio.ensure_future(
                asyncio.to_thread(
                    self.commands.open_weeks, chunk, request.period, lambda _: batch_id
                )
            )

        started = 0
        pending = opening(chunks[0]) if chunks else None
        try:
            for index in range(len(chunks)):
                assert pending is not None
                opened = await pending
                pending = opening(chunks[index + 1]) if index + 1 < len(chunks) else None
                started += await self._start_weeks(request.period, list(opened.values()))
                activity.heartbeat(index)
        finally:
            if pending is not None:
                pending.cancel()  # a failed start: the retry opens (idempotently) again
        return BatchStarted(started=started, already_running=len(ids) - started)

    async def _start_weeks(self, week: str, opened: list[CycleInfo]) -> int:
        """Starts the workflows the opened weeks name; how many weeks started running."""
        by_workflow: dict[str, list[CycleInfo]] = {}
        for info in opened:
            by_workflow.setdefault(info.workflow_id, []).append(info)

        async def start(workflow_id: str, weeks: list[CycleInfo]) -> int:
            if not workflow_id.startswith("cycle-batch-"):  # a week of its own, as before
                results = [
                    await self._start(
                        WEEKLY_CYCLE,
                        StartCycle(employee_id=w.employee_id, week=week, opened=w),
                        cycle_workflow_id(w.employee_id, week),
                    )
                    for w in weeks
                ]
                return sum(results)
            if await self._start(
                WEEKLY_CYCLE_BATCH, StartCycleBatch(week=week, weeks=weeks), workflow_id
            ):
                return len(weeks)
            try:  # running already: it takes on the weeks it does not run yet
                handle = self.client.get_workflow_handle(workflow_id)
                added: int = await handle.execute_update(JOIN_BATCH, weeks, result_type=int)
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
                return 0  # finished: its week is over
            return added

        counts = await asyncio.gather(*(start(w, weeks) for w, weeks in by_workflow.items()))
        return sum(counts)

    async def _start(self, workflow: str, arg: BaseModel, workflow_id: str) -> bool:
        """Starts the workflow; False when its id was used already (running or not)."""
        try:
            await self.client.start_workflow(
                workflow,
                arg,
                id=workflow_id,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            return False
        return True

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

    @activity.defn(name="cycle_steps")
    def steps(self, request: CycleSteps) -> list[StepDone]:
        """`default_plan`, `report` or `feedback_missed` for each week, in order: each an
        idempotent command with its own save, a refusal answered in its place."""
        done: list[StepDone] = []
        for ref in request.refs:
            try:
                if request.kind == "report":
                    done.append(StepDone(report=self.report(ref)))
                elif request.kind == "default_plan":
                    done.append(StepDone(info=self.default_plan(ref)))
                else:
                    done.append(StepDone(info=self.feedback_missed(ref)))
            except ApplicationError as exc:  # a business refusal (business_errors_are_final)
                done.append(StepDone(refused=str(exc)))
        return done

    @activity.defn(name="cycle_close_months")
    def close_months(self, request: CloseMonths) -> list[MonthDone]:
        """`close_month` for each rep, in order (a closed month is answered as it is), a
        refusal answered in its place."""
        done: list[MonthDone] = []
        for employee_id in request.employee_ids:
            close = CloseMonth(
                employee_id=employee_id, month=request.month, workflow_id=request.workflow_id
            )
            try:
                done.append(MonthDone(outcome=self.close_month(close)))
            except ApplicationError as exc:  # a business refusal (business_errors_are_final)
                done.append(MonthDone(refused=str(exc)))
        return done

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
            self.steps,
            self.close_months,
        ]
