"""Steering the weekly cycles from outside: the two Temporal Schedules (Monday's launch,
the month close), a manual launch for HR, and the rep's plan and the manager's feedback
as workflow Updates."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Protocol

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
)
from temporalio.common import WorkflowIDConflictPolicy

from activities.cycles import cycle_workflow_id
from aggregates.base import NotFoundError, PermissionDeniedError
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.not_found import unknown_employee
from aggregates.weekly_cycle_rules import CycleInfo
from careerflow.applications.cycles import Cycles
from careerflow.applications.people import People
from careerflow.principal import AccessRole, Principal
from careerflow.services.updates import command_id_or_new, execute_update, update_id
from words.messages import Message
from workflows.cycle_launcher import CycleLauncherWorkflow, Launch
from workflows.weekly_cycle import FeedbackRequest, PlanRequest, WeeklyCycleWorkflow

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
    """`cycle launch --dry-run`: the period and who would get a cycle."""

    kind: str
    period: str
    employee_ids: list[str]


def launch_preview(
    cycles: Cycles, principal: Principal, kind: str = "week", period: str | None = None
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
    return LaunchPreview(
        kind="month" if kind == "month" else "week", period=resolved or "", employee_ids=employees
    )


def require_launcher(principal: Principal) -> None:
    """HR launches a week's cycles or a month close by hand (the API checks it first)."""
    principal.require(AccessRole.hr, action=Message("launch weekly cycles"))


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


class CycleProcessService:
    def __init__(
        self,
        cycles: Cycles,
        people: People,
        client: Client,
        task_queue: str,
        weeks: WeekManagers | None = None,
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

    async def launch(
        self, principal: Principal, kind: str = "week", period: str | None = None
    ) -> str:
        """Starts the fan-out now (HR), e.g. to catch up a week the schedule missed."""
        require_launcher(principal)
        launch = Launch(kind="month" if kind == "month" else "week", period=period)
        workflow_id = f"cycle-launch-{launch.kind}-{period or 'current'}"
        await self.client.start_workflow(
            CycleLauncherWorkflow.run,
            launch,
            id=workflow_id,
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        return workflow_id

    def would_launch(
        self, principal: Principal, kind: str = "week", period: str | None = None
    ) -> LaunchPreview:
        """Who `launch` would start a cycle for, changing nothing."""
        return launch_preview(self.commands, principal, kind, period)

    async def submit_plan(
        self, principal: Principal, employee_id: str, week: str, items: dict[str, float]
    ) -> CycleInfo:
        return await self._update(
            employee_id,
            week,
            WeeklyCycleWorkflow.submit_plan,
            PlanRequest(principal=principal, items=items),
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
        request = FeedbackRequest(principal=principal, text=text, next_plan=next_plan)
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
                cycle_workflow_id(employee_id, week),
                update,
                arg,
                CycleInfo,
                Message(
                    "{employee_id} has no running weekly cycle for {week}",
                    employee_id=employee_id,
                    week=week,
                ),
                ident,
            )
        except NotFoundError:
            # A finished week: say why from its record rather than "not running".
            self._explain_closed(employee_id, week, arg)
            raise
        return result

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
