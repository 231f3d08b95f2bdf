"""Steering the weekly cycles from outside: the two Temporal Schedules (Monday's launch,
the month close), a manual launch for HR, and the rep's plan and the manager's feedback
as workflow Updates."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from activities.cycles import cycle_workflow_id
from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.calendar_periods import PeriodKind
from aggregates.cycle_launch import checked_launch_period, launch_refusal
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.not_found import unknown_employee
from aggregates.weekly_cycle_rules import CycleInfo, no_running_week
from careerflow.applications.cycles import Cycles
from careerflow.applications.people import People
from careerflow.principal import AccessRole, Principal
from careerflow.services.updates import command_id_or_new, execute_update, update_id
from projections.launch_roster import TeamLaunch
from projections.month_close_queries import LaunchRecord
from words.messages import Message
from workflows.cycle_launcher import CycleLauncherWorkflow, Launch, LaunchSummary
from workflows.weekly_cycle import WeeklyCycleWorkflow
from workflows.weekly_cycle_io import FeedbackRequest, PlanRequest

WEEKLY_SCHEDULE_ID = "careerflow-weekly-cycles"
MONTHLY_SCHEDULE_ID = "careerflow-month-close"


class ScheduleState(BaseModel):
    schedule_id: str
    time_zone: str
    next_runs: list[datetime]


def weekly_schedule(settings: WeeklyCycleSettings, task_queue: str) -> Schedule:
    start = settings.week_starts
    return Schedule(
        action=ScheduleActionStartWorkflow(
            CycleLauncherWorkflow.run,
            Launch(kind="week"),
            id="cycle-launch-week",  # the schedule appends each run's time
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    # Temporal counts weekdays from Sunday = 0; the document from Monday = 0.
                    day_of_week=[ScheduleRange((start.day + 1) % 7)],
                    hour=[ScheduleRange(start.hour)],
                    minute=[ScheduleRange(start.minute)],
                    comment="the weekly performance cycle starts",
                )
            ],
            time_zone_name=settings.time_zone,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


def monthly_schedule(settings: WeeklyCycleSettings, task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            CycleLauncherWorkflow.run,
            Launch(kind="month"),
            id="cycle-launch-month",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    day_of_month=[ScheduleRange(settings.month_close_day)],
                    hour=[ScheduleRange(settings.month_close_hour)],
                    minute=[ScheduleRange(0)],
                    comment="month close: bonus, commission, training",
                )
            ],
            time_zone_name=settings.time_zone,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


class LaunchPreview(BaseModel):
    """`cycle launch --dry-run`: the period and who would get a cycle; with the read side
    at hand, per team how many would get one and how many already have one (skipped)."""

    kind: str
    period: str
    employee_ids: list[str]
    teams: list[TeamLaunch] = []
    # Launched already (by HR or by the schedule): a launch now would be refused.
    launched: bool = False

    @property
    def starting(self) -> int:
        if not self.teams:
            return len(self.employee_ids)
        return sum(t.starting for t in self.teams)

    @property
    def skipped(self) -> int:
        return sum(t.already for t in self.teams)


class LaunchReads(Protocol):
    """The read side's count of a roster per team (CycleQueries.launch_teams)."""

    def launch_teams(self, week: str | None, employee_ids: list[str]) -> list[TeamLaunch]: ...

    def month_statements(self, month: str) -> int: ...

    def launches(self, kind: str, periods: list[str]) -> dict[str, LaunchRecord]: ...


def launch_preview(
    cycles: Cycles,
    principal: Principal,
    kind: str = "week",
    period: str | None = None,
    reads: LaunchReads | None = None,
) -> LaunchPreview:
    """Who a launch would start a cycle (or a month close) for, changing nothing: the
    same roster, page by page, that the launcher's `cycle_roster` activity reads (a cycle
    already running for someone is kept, not started twice). Needs no Temporal."""
    require_launcher(principal)
    now = datetime.now(UTC)
    settings, _ = cycles.settings()
    resolved = period
    if resolved is None and kind == "month":
        resolved = cycles.previous_month(now)
    employees: list[str] = []
    after = ""
    while True:
        roster = cycles.roster(resolved, now, after, settings.batch_size)
        resolved = roster.period
        if not roster.employee_ids:
            break
        employees += roster.employee_ids
        after = roster.employee_ids[-1]
    teams: list[TeamLaunch] = []
    if reads is not None:
        teams = reads.launch_teams(resolved if kind != "month" else None, employees)
    which: PeriodKind = "month" if kind == "month" else "week"
    return LaunchPreview(
        kind=which,
        period=resolved or "",
        employee_ids=employees,
        teams=teams,
        launched=bool(resolved) and cycles.launched(which, resolved or ""),
    )


def resolve_launch_period(cycles: Cycles, kind: PeriodKind, period: str | None) -> str:
    """The period a launch is for: the one asked (InvalidPeriodError when it is not a
    `kind` period: "2026-48" is told "use '2026-W48'"), else the current week / the
    previous month in the company's time zone."""
    if period:
        return checked_launch_period(kind, period)
    now = datetime.now(UTC)
    if kind == "month":
        return cycles.previous_month(now)
    return cycles.settings()[0].week_of(now)


def require_launcher(principal: Principal) -> None:
    """HR launches a week's cycles or a month close by hand (the API checks it first)."""
    principal.require(AccessRole.hr, action=Message("launch weekly cycles"))


def require_launch_reader(principal: Principal) -> None:
    """HR and auditors see how a launch is going; only HR launches (require_launcher)."""
    principal.require(
        AccessRole.hr, AccessRole.auditor, action=Message("see how a launch is going")
    )


def require_schedule_manager(principal: Principal) -> None:
    """HR (or the engine) creates and updates the cycle schedules."""
    principal.require(
        AccessRole.hr, AccessRole.system, action=Message("manage the cycle schedules")
    )


class WeekManagers(Protocol):
    """The read side's answer to "who manages this rep's week" (CycleQueries): raises
    NotFoundError for a rep the caller may not see, None before the week is read."""

    def week_manager(self, principal: Principal, employee_id: str, week: str) -> Any: ...


def refuse_read_only(principal: Principal, action: Message) -> None:
    """Auditors, integrations and the engine's own reads change no weekly cycle."""
    if principal.role in (AccessRole.auditor, AccessRole.integration, AccessRole.system):
        raise PermissionDeniedError(
            "{role} {person_id} may not {action}; this role changes no weekly cycle",
            role=principal.role.value,
            person_id=principal.person_id,
            action=action,
        )


def require_feedback_giver(
    weeks: WeekManagers | None, principal: Principal, employee_id: str, week: str
) -> None:
    """Only the rep's manager for that week gives feedback (403), a rep the caller may
    not see is unknown (404); without a read-model row the week's workflow answers (it
    may not be running at all). Every face (API, pages, CLI) gets this through
    `give_feedback`."""
    refuse_read_only(principal, Message("give weekly feedback"))
    if principal.role != AccessRole.manager:
        raise PermissionDeniedError(
            "{role} {person_id} cannot give {employee_id} weekly feedback; "
            "only the rep's manager gives weekly feedback",
            role=principal.role.value,
            person_id=principal.person_id,
            employee_id=employee_id,
        )
    if weeks is None:
        return
    row = weeks.week_manager(principal, employee_id, week)
    if row is not None and row.manager_id != principal.person_id:
        raise PermissionDeniedError(
            "manager {person_id} is not {employee_id}'s manager ({manager_id}) "
            "for {week}; only the rep's manager gives weekly feedback",
            person_id=principal.person_id,
            employee_id=employee_id,
            manager_id=row.manager_id,
            week=week,
        )


class CycleReadSide(WeekManagers, LaunchReads, Protocol):
    """What the service reads (CycleQueries)."""


LaunchState = Literal["running", "done", "failed"]


class LaunchStatus(BaseModel):
    """A launch as its read model records it (`recorded_status`) or as its workflow says
    (`launch_status`): running, done (how many cycles it started and how many reps it
    skipped, already having one) or failed."""

    workflow_id: str
    kind: str
    period: str
    state: LaunchState
    started: int = 0
    skipped: int = 0
    launched_by: str | None = None
    """Who launched it by hand (None: the schedule, or a launch from before this was kept)."""
    launched_at: datetime | None = None


def launch_workflow_id(kind: str, period: str) -> str:
    return f"cycle-launch-{kind}-{period}"


class CycleProcessService:
    def __init__(
        self,
        cycles: Cycles,
        people: People,
        client: Client,
        task_queue: str,
        weeks: CycleReadSide | None = None,
    ) -> None:
        self.people = people
        self.client = client
        self.task_queue = task_queue
        self.commands = cycles
        self.weeks = weeks

    async def ensure_schedules(self, principal: Principal) -> list[ScheduleState]:
        """Creates both schedules, or brings them in line with the weekly_cycle document
        in force (run again after publishing a new version)."""
        require_schedule_manager(principal)
        settings, _ = self.commands.settings()
        out = []
        for schedule_id, schedule in (
            (WEEKLY_SCHEDULE_ID, weekly_schedule(settings, self.task_queue)),
            (MONTHLY_SCHEDULE_ID, monthly_schedule(settings, self.task_queue)),
        ):
            try:
                await self.client.create_schedule(schedule_id, schedule)
            except ScheduleAlreadyRunningError:

                def replace(_: ScheduleUpdateInput, new: Schedule = schedule) -> ScheduleUpdate:
                    return ScheduleUpdate(schedule=new)

                await self.client.get_schedule_handle(schedule_id).update(replace)
            out.append(await self.describe(schedule_id))
        return out

    async def describe(self, schedule_id: str) -> ScheduleState:
        description = await self.client.get_schedule_handle(schedule_id).describe()
        return ScheduleState(
            schedule_id=schedule_id,
            time_zone=description.schedule.spec.time_zone_name or "UTC",
            next_runs=list(description.info.next_action_times),
        )

    async def check_launch(
        self,
        principal: Principal,
        kind: PeriodKind = "week",
        period: str | None = None,
        command_id: str | None = None,
    ) -> str:
        """The period a launch would be for, or the refusal every face says: not HR
        (403), not a period (InvalidPeriodError), a week in the past or a period already
        launched (422). A form sent again with its command id is not "already launched"."""
        require_launcher(principal)  # before the period is resolved: 403 first
        resolved = await asyncio.to_thread(resolve_launch_period, self.commands, kind, period)
        now = datetime.now(UTC)
        settings = (await asyncio.to_thread(self.commands.settings))[0]
        current = settings.week_of(now)
        launched = await self._launched_by(launch_workflow_id(kind, resolved))
        again = launched is not None and command_id is not None and launched == command_id
        already = launched is not None and not again
        if launched is None:
            # The schedule's run has a workflow id of its own (its time appended): the
            # event store's record of the launch says whether the period was launched.
            already = await asyncio.to_thread(self.commands.launched, kind, resolved)
        month, statements = None, 0
        if kind == "month":  # not over yet, or closed by the schedule already
            month = settings.local_date(now).strftime("%Y-%m")
            if self.weeks is not None and not again:
                statements = await asyncio.to_thread(self.weeks.month_statements, resolved)
        refusal = launch_refusal(kind, resolved, current, already, month, statements)
        if refusal is not None:
            raise DomainError(refusal)
        return resolved

    async def _launched_by(self, workflow_id: str) -> str | None:
        """The command id that started the launch `workflow_id` ("" when none was
        given), or None when it was never started."""
        try:
            described = await self.client.get_workflow_handle(workflow_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        memo = await described.memo()
        return str(memo.get("command_id") or "")

    async def launch(
        self,
        principal: Principal,
        kind: str = "week",
        period: str | None = None,
        command_id: str | None = None,
    ) -> str:
        """Starts the fan-out now (HR), e.g. to catch up a week the schedule missed;
        refused for a week in the past or a period already launched (check_launch)."""
        which: PeriodKind = "month" if kind == "month" else "week"
        resolved = await self.check_launch(principal, which, period, command_id)
        launch = Launch(kind=which, period=resolved, launched_by=principal.person_id)
        workflow_id = launch_workflow_id(which, resolved)
        await self.client.start_workflow(
            CycleLauncherWorkflow.run,
            launch,
            id=workflow_id,
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            memo={"command_id": command_id or "", "launched_by": principal.person_id},
        )
        return workflow_id

    def would_launch(
        self, principal: Principal, kind: str = "week", period: str | None = None
    ) -> LaunchPreview:
        """Who `launch` would start a cycle for, per team, changing nothing."""
        return launch_preview(self.commands, principal, kind, period, self.weeks)

    async def launch_status(self, principal: Principal, kind: str, period: str) -> LaunchStatus:
        """How a launch is going as Temporal says, with the launcher's counts so far while
        it runs (the CLI follows the launch it started with it; the pages read
        `recorded_status`). HR and auditors."""
        require_launch_reader(principal)
        which: PeriodKind = "month" if kind == "month" else "week"
        resolved = checked_launch_period(which, period)
        found = await self.followed(launch_workflow_id(which, resolved), which, resolved)
        if found is None:
            raise NotFoundError("{period} was not launched", period=resolved)
        return await self._so_far(found) if found.state == "running" else found

    async def recorded_status(self, principal: Principal, kind: str, period: str) -> LaunchStatus:
        """A launch as its read model records it (who launched it, when, finished with
        what counts), whoever started it (HR or the schedule); 404 when it was never
        launched. HR and auditors."""
        require_launch_reader(principal)
        which: PeriodKind = "month" if kind == "month" else "week"
        resolved = checked_launch_period(which, period)
        records = (
            await asyncio.to_thread(self.weeks.launches, which, [resolved])
            if self.weeks is not None
            else {}
        )
        found = await self.recorded(which, resolved, records.get(resolved), unrecorded=True)
        if found is None:
            raise NotFoundError("{period} was not launched", period=resolved)
        return found

    async def recorded(
        self, kind: str, period: str, record: LaunchRecord | None, unrecorded: bool = False
    ) -> LaunchStatus | None:
        """`period`'s launch as its read model row says. Temporal is asked only while the
        row shows it running (a launcher that died is "failed", one that finished a
        moment ago, its end not read yet, is "done" with its result's counts), or, when
        `unrecorded`, for a period with no row yet (a launch started a moment ago, before
        its first roster read): None when Temporal has no such launch either."""
        if record is None:
            if not unrecorded:
                return None
            return await self.followed(launch_workflow_id(kind, period), kind, period)
        recorded = LaunchStatus(
            workflow_id=record.workflow_id,
            kind=record.kind,
            period=record.period,
            state="done" if record.finished_at is not None else "running",
            started=record.started,
            skipped=record.skipped,
            launched_by=record.launched_by,
            launched_at=record.launched_at,
        )
        if record.finished_at is not None:
            return recorded
        found = await self.followed(record.workflow_id, kind, period)
        if found is None:  # not running anywhere, and it never finished
            return recorded.model_copy(update={"state": "failed"})
        return recorded.model_copy(
            update={"state": found.state, "started": found.started, "skipped": found.skipped}
        )

    async def followed(self, workflow_id: str, kind: str, period: str) -> LaunchStatus | None:
        """The launch workflow `workflow_id` as Temporal describes it (None: no such
        workflow): running, failed, or done with its result's counts. The caller checks
        who may ask."""
        handle = self.client.get_workflow_handle(workflow_id)
        try:
            described = await handle.describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        memo = await described.memo()
        status = LaunchStatus(
            workflow_id=workflow_id,
            kind=kind,
            period=period,
            state="running",
            launched_by=str(memo.get("launched_by") or "") or None,
            launched_at=described.start_time,
        )
        if described.status == WorkflowExecutionStatus.RUNNING:
            return status
        if described.status != WorkflowExecutionStatus.COMPLETED:
            return status.model_copy(update={"state": "failed"})
        summary = LaunchSummary.model_validate(await handle.result())
        return status.model_copy(
            update={"state": "done", "started": summary.started, "skipped": summary.skipped}
        )

    async def _so_far(self, status: LaunchStatus) -> LaunchStatus:
        """A running launch with its counts so far (the launcher's progress query); as
        it was when no worker answers in time."""
        handle = self.client.get_workflow_handle_for(CycleLauncherWorkflow.run, status.workflow_id)
        try:
            counts = await asyncio.wait_for(handle.query(CycleLauncherWorkflow.progress), 5)
        except (RPCError, TimeoutError, WorkflowQueryFailedError):
            return status
        return status.model_copy(update={"started": counts.started, "skipped": counts.skipped})

    async def submit_plan(
        self, principal: Principal, employee_id: str, week: str, items: dict[str, float]
    ) -> CycleInfo:
        return await self._update(
            employee_id,
            week,
            WeeklyCycleWorkflow.submit_plan,
            PlanRequest(principal=principal, items=items, employee_id=employee_id),
        )

    async def give_feedback(
        self,
        principal: Principal,
        employee_id: str,
        week: str,
        text: str,
        next_plan: dict[str, float] | None = None,
        command_id: str | None = None,
    ) -> CycleInfo:
        """The manager's feedback on a reported week, optionally agreeing next week's plan.
        With a command id (a page's form id) a retried form is answered once."""
        await asyncio.to_thread(require_feedback_giver, self.weeks, principal, employee_id, week)
        request = FeedbackRequest(
            principal=principal, text=text, next_plan=next_plan, employee_id=employee_id
        )
        ident = (
            update_id(
                command_id_or_new(command_id), "give_feedback", request.model_dump(mode="json")
            )
            if command_id
            else None
        )
        return await self._update(
            employee_id, week, WeeklyCycleWorkflow.give_feedback, request, ident
        )

    async def _update(
        self, employee_id: str, week: str, update: Any, arg: Any, ident: str | None = None
    ) -> CycleInfo:
        if not self.people.exists(employee_id):
            raise unknown_employee(employee_id)
        try:
            result: CycleInfo = await execute_update(
                self.client,
                await asyncio.to_thread(self._workflow_of, employee_id, week),
                update,
                arg,
                CycleInfo,
                no_running_week(employee_id, week),
                ident,
            )
        except NotFoundError:
            # A finished week: say why from its record rather than "not running".
            self._explain_closed(employee_id, week, arg)
            raise
        return result

    def _workflow_of(self, employee_id: str, week: str) -> str:
        """The workflow that runs the week, as its record names it (a launch batch's, or
        its own); a week not open yet would be its own."""
        try:
            return self.commands.get(employee_id, week).workflow_id
        except NotFoundError:
            return cycle_workflow_id(employee_id, week)

    def _explain_closed(self, employee_id: str, week: str, arg: Any) -> None:
        try:
            cycle = self.commands.get(employee_id, week)
        except NotFoundError:
            return
        now = datetime.now(UTC)
        if isinstance(arg, FeedbackRequest):
            self.commands.check_feedback(cycle, arg.principal, now)
        elif isinstance(arg, PlanRequest):
            self.commands.check_plan(cycle, arg.principal, arg.items, now)
