"""Fans a period out to one workflow per active rep: the weekly cycles on Monday morning,
the month closes early in the next month. Started by a Temporal Schedule.

Reps are read in bounded batches (by employee id); an activity starts each batch's
workflows (independent of the launcher, so none has a parent to outlive) and the launcher
continues as new every few batches, so 10,000 reps never make one history large. A rep
whose workflow id for the period was already used is skipped: nothing runs twice."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.cycles import (
        BatchStarted,
        CycleActivities,
        LaunchFinished,
        Roster,
        RosterRequest,
        StartBatch,
    )
    from workflows.steps import run


class Launch(BaseModel):
    kind: Literal["week", "month"] = "week"
    period: str | None = None  # None: the current week / the previous month, locally
    after: str = ""
    batch_size: int | None = None  # None: the weekly_cycle document's batch_size
    batches_per_run: int = 5
    started: int = 0
    skipped: int = 0
    launched_by: str | None = None  # who launched it by hand (None: the schedule)


class LaunchSummary(BaseModel):
    kind: str
    period: str
    started: int
    skipped: int


@workflow.defn(name="CycleLauncher")
class CycleLauncherWorkflow:
    @workflow.init
    def __init__(self, launch: Launch) -> None:
        self.launch = launch

    @workflow.query
    def progress(self) -> LaunchSummary:
        """How far the fan-out is: cycles started and reps skipped so far (this run
        carries the counts of the runs before it)."""
        return LaunchSummary(
            kind=self.launch.kind,
            period=self.launch.period or "",
            started=self.launch.started,
            skipped=self.launch.skipped,
        )

    @workflow.run
    async def run(self, launch: Launch) -> LaunchSummary:
        for _ in range(launch.batches_per_run):
            roster: Roster = await run(
                CycleActivities.roster,
                RosterRequest(
                    kind=launch.kind,
                    period=launch.period,
                    now=workflow.now(),
                    after=launch.after,
                    limit=launch.batch_size,
                    launched_by=launch.launched_by,
                ),
            )
            launch.period = roster.period
            if not roster.employee_ids:
                # Histories committed before the launch's end was recorded replay as they
                # ran; the read model of launches (HR's months) reads this.
                if workflow.patched("launch-finish-recorded"):
                    await run(
                        CycleActivities.launch_finished,
                        LaunchFinished(
                            kind=launch.kind,
                            period=roster.period,
                            started=launch.started,
                            skipped=launch.skipped,
                        ),
                    )
                return LaunchSummary(
                    kind=launch.kind,
                    period=roster.period,
                    started=launch.started,
                    skipped=launch.skipped,
                )
            batch: BatchStarted = await run(
                CycleActivities.start_batch,
                StartBatch(
                    kind=launch.kind, period=roster.period, employee_ids=roster.employee_ids
                ),
            )
            launch.started += batch.started
            launch.skipped += batch.already_running
            launch.after = roster.employee_ids[-1]
        workflow.continue_as_new(launch)
