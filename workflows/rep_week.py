"""One rep's week as workflow code (seed 001): Monday's plan (reminder, then the targets
by default), Friday's report from the metric ledger, and the manager's weekend feedback
with next week's agreed plan (reminder, then recorded as missed).

Run alone by `WeeklyCycleWorkflow` (one workflow per rep, as weeks started one by one
run) and many at once by `WeeklyCycleBatchWorkflow` (the launcher's batch: one workflow,
one timer per moment). Both say the same rules and refusals from here; only how they wait
for a moment (`Until`) and how they name a command differ."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.cycles import CycleActivities, CycleInfo, CycleRef, GiveFeedback, SubmitPlan
    from activities.cycles import StartCycle as StartCycle
    from activities.cycles import WeeklyReport as WeeklyReport
    from activities.notifications import SendNotification
    from aggregates.weekly_cycle_rules import (
        ReportLine,
        feedback_comment_refusal,
        feedback_giver_refusal,
        next_plan_refusal,
        plan_refusal,
        plan_submitter_refusal,
        report_line_text,
    )
    from words.messages import Message
    from workflows.notify import send, send_request
    from workflows.refusals import refuse, refused
    from workflows.steps import run, run_local
    from workflows.weekly_cycle_io import CycleOutcome, FeedbackRequest, PlanRequest

# The steps a timer starts (the defaulted plan, the Friday report, the missed feedback)
# as local activities: short idempotent commands on one aggregate, no history round trip.
PATCH_TIMER_STEPS_LOCAL = "cycle-timer-steps-local"
R = TypeVar("R")
# Waits until the moment (workflow time) or until the condition holds, whichever is first.
Until = Callable[[datetime, Callable[[], bool]], Awaitable[None]]


def report_line(line: ReportLine) -> Message:
    """One line of the Friday report: the metric, what was planned and done, and whether
    the plan was met."""
    return report_line_text(line.label, line.actual, line.planned, line.met)


class WeekSteps(Protocol):
    """How a week's timer-driven steps and notifications run: alone (`OwnSteps`) or
    with the other weeks of a batch that reach them at the same moment."""

    async def default_plan(self, ref: CycleRef) -> CycleInfo: ...
    async def report(self, ref: CycleRef) -> WeeklyReport: ...
    async def feedback_missed(self, ref: CycleRef) -> CycleInfo: ...
    async def send(self, request: SendNotification) -> None: ...


class OwnSteps:
    """A week in its own workflow: each step a local activity since
    PATCH_TIMER_STEPS_LOCAL (a regular one in histories from before it, which replay as
    they ran), each notification by `notify.send`."""

    async def default_plan(self, ref: CycleRef) -> CycleInfo:
        return await self._step(CycleActivities.default_plan, ref)

    async def report(self, ref: CycleRef) -> WeeklyReport:
        return await self._step(CycleActivities.report, ref)

    async def feedback_missed(self, ref: CycleRef) -> CycleInfo:
        return await self._step(CycleActivities.feedback_missed, ref)

    async def send(self, request: SendNotification) -> None:
        await send(request)

    async def _step(self, method: Callable[[CycleActivities, CycleRef], R], ref: CycleRef) -> R:
        if workflow.patched(PATCH_TIMER_STEPS_LOCAL):
            return await run_local(method, ref)
        return await run(method, ref)


class RepWeek:
    """One rep's week: what the workflow knows of it (`info`, None until opened), its
    timeline (`run`) and its Updates' checks and steps. `key` names a command uniquely in
    its workflow run and stably across retries of its activity."""

    def __init__(self, start: StartCycle, key: Callable[[str], str], steps: WeekSteps) -> None:
        self.start = start
        # Handed over when the launcher's batch opened the week, else set once opened.
        self.info: CycleInfo | None = start.opened
        self._key = key
        self.steps = steps

    async def run(self, ref: CycleRef, until: Until) -> CycleOutcome:
        assert self.info is not None
        info = self.info
        base = f"cycle/{info.cycle_id}"
        ref_out = {"type": "cycle", "id": info.cycle_id}

        # Monday: the plan (already there when last weekend's feedback agreed one).
        await until(info.deadlines.plan_reminder, self.planned)
        if not self.planned():
            await self.steps.send(
                send_request(
                    key=f"{base}/plan-reminder",
                    recipient_id=info.employee_id,
                    kind="cycle.plan_reminder",
                    title=Message("Submit this week's plan"),
                    body=Message(
                        "Your plan for {week} is due {deadline} ({time_zone}); "
                        "without it your targets become the plan.",
                        week=info.week,
                        deadline=Message.week_time(info.deadline_labels["plan_deadline"]),
                        time_zone=Message.zone(info.time_zone),
                    ),
                    ref=ref_out,
                )
            )
        await until(info.deadlines.plan_deadline, self.planned)
        if not self.planned():
            self.info = await self.steps.default_plan(ref)
            await self.steps.send(
                send_request(
                    key=f"{base}/plan-defaulted",
                    recipient_id=info.employee_id,
                    kind="cycle.plan_defaulted",
                    title=Message("Your targets are this week's plan"),
                    body=Message(
                        "No plan arrived for {week} by the deadline; your targets were "
                        "recorded as the plan.",
                        week=info.week,
                    ),
                    ref=ref_out,
                )
            )

        # Friday: the report from whatever the ledger holds by then.
        await until(info.deadlines.report_at, lambda: False)
        report: WeeklyReport = await self.steps.report(ref)
        self.info = self.info.model_copy(update={"reported": True})
        await self.steps.send(
            send_request(
                key=f"{base}/report",
                recipient_id=info.employee_id,
                kind="cycle.report",
                title=Message("Weekly report {week}", week=info.week),
                body=Message("{lines}", lines=[report_line(line) for line in report.lines]),
                ref=ref_out,
            )
        )

        # The weekend: the manager's feedback.
        await until(info.deadlines.feedback_reminder, self.fed_back)
        if not self.fed_back() and info.manager_id:
            await self.steps.send(
                send_request(
                    key=f"{base}/feedback-reminder",
                    recipient_id=info.manager_id,
                    kind="cycle.feedback_reminder",
                    title=Message("Weekly feedback due"),
                    body=Message(
                        "Give {employee_id} feedback on {week} and agree next week's "
                        "plan by {deadline} ({time_zone}).",
                        employee_id=info.employee_id,
                        week=info.week,
                        deadline=Message.week_time(info.deadline_labels["feedback_deadline"]),
                        time_zone=Message.zone(info.time_zone),
                    ),
                    ref=ref_out,
                )
            )
        # The week stays open until its end even after feedback (a second feedback is
        # then refused by the validator with the reason).
        await until(info.deadlines.feedback_deadline, lambda: False)
        if not self.fed_back():
            self.info = await self.steps.feedback_missed(ref)
        return CycleOutcome(
            cycle_id=info.cycle_id,
            plan_source=self.info.plan_source,
            met=report.met,
            total=report.total,
            feedback="given" if self.info.feedback_given else "missed",
        )

    def planned(self) -> bool:
        return self.info is not None and self.info.plan is not None

    def fed_back(self) -> bool:
        return self.info is not None and self.info.feedback_given

    # -- updates -------------------------------------------------------------------------
    async def submit_plan(self, request: PlanRequest) -> CycleInfo:
        info = await run(
            CycleActivities.submit_plan,
            SubmitPlan(
                employee_id=self.start.employee_id,
                week=self.start.week,
                principal=request.principal,
                key=self._key("plan"),
                items=request.items,
                now=workflow.now(),
            ),
        )
        self.info = info
        return info

    def check_plan(self, request: PlanRequest) -> None:
        info = self.require_info()
        p = request.principal
        if refusal := plan_submitter_refusal(p.role.value, p.person_id, info.employee_id):
            raise refused(refusal)
        if info.reported or workflow.now() >= info.deadlines.plan_deadline:
            raise refuse(
                "the plan deadline for {week} ({deadline}, {time_zone}) has passed; "
                "your targets were recorded as this week's plan",
                week=info.week,
                deadline=Message.week_time(info.deadline_labels["plan_deadline"]),
                time_zone=Message.zone(info.time_zone),
            )
        if refusal := plan_refusal(
            request.items, info.plan_items, info.targets, info.max_plan_factor
        ):
            raise refused(refusal)

    async def give_feedback(self, request: FeedbackRequest) -> CycleInfo:
        info = await run(
            CycleActivities.give_feedback,
            GiveFeedback(
                employee_id=self.start.employee_id,
                week=self.start.week,
                principal=request.principal,
                key=self._key("feedback"),
                text=request.text,
                next_plan=request.next_plan,
                now=workflow.now(),
            ),
        )
        self.info = info
        return info

    def check_feedback(self, request: FeedbackRequest) -> None:
        info = self.require_info()
        p = request.principal
        if refusal := feedback_giver_refusal(
            p.role.value, p.person_id, info.employee_id, info.manager_id
        ):
            raise refused(refusal)
        if info.feedback_given:
            raise refuse(
                "feedback for {week} was already given; one feedback per week", week=info.week
            )
        if info.feedback_missed or workflow.now() >= info.deadlines.feedback_deadline:
            raise refuse(
                "the feedback deadline for {week} ({deadline}, {time_zone}) has passed",
                week=info.week,
                deadline=Message.week_time(info.deadline_labels["feedback_deadline"]),
                time_zone=Message.zone(info.time_zone),
            )
        if not info.reported:
            raise refuse(
                "{week} is not reported yet; feedback opens with the report "
                "({report_at}, {time_zone})",
                week=info.week,
                report_at=Message.week_time(info.deadline_labels["report_at"]),
                time_zone=Message.zone(info.time_zone),
            )
        if refusal := feedback_comment_refusal(request.text):
            raise refused(refusal)
        if refusal := next_plan_refusal(
            request.next_plan, info.plan_items, info.targets, info.max_plan_factor
        ):
            raise refused(refusal)

    def require_info(self) -> CycleInfo:
        if self.info is None:
            raise refuse("the week is still being set up; try again in a moment")
        return self.info
