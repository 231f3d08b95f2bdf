"""A post-promotion development plan for its whole length (twelve months by default).

Progress is re-evaluated daily and whenever metrics arrive (a signal); reminders go out
before a milestone falls due while it is behind, overdue milestones are marked and the
manager alerted, and the plan closes with a summary. The manager or HR confirms
milestones and adjusts the plan through Updates. The workflow continues as new well
before its history grows large, and changes to it are guarded by patches."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.plans import (
        AdjustPlan,
        ConfirmMilestone,
        EvaluatePlan,
        OpenPlan,
        PlanActivities,
        PlanInfo,
        PlanOutcome,
    )
    from aggregates.plan_rules import (
        adjustment_reason_refusal,
        closed_refusal,
        hand_confirmation_refusal,
        setting_up_refusal,
    )
    from aggregates.plan_values import plan_steerer_refusal
    from careerflow.principal import Principal
    from words.messages import Message
    from workflows.development_plan_io import AdjustRequest, ConfirmRequest
    from workflows.notify import notify
    from workflows.plan_start import StartPlan
    from workflows.plan_start import plan_workflow_id as plan_workflow_id  # re-exported
    from workflows.refusals import refuse, refused
    from workflows.steps import run

HR_INBOX = "HR"
# Patch ids: each names a change made while plans were running (see test_replay.py).
PATCH_OVERDUE_ALERTS_HR = "plan-overdue-alerts-hr"
# A plan's overall state (aggregates.plan_progress.Overall), said in the reader's language.
OVERALL = {
    "on_track": Message("on track"),
    "at_risk": Message("at risk"),
    "overdue": Message("overdue"),
    "completed": Message("completed"),
}


@workflow.defn(name="DevelopmentPlan")
class DevelopmentPlanWorkflow:
    @workflow.init
    def __init__(self, start: StartPlan) -> None:
        self.start = start
        self.plan_id = workflow.info().workflow_id
        self.info: PlanInfo | None = None
        self.dirty = False
        self.closed = False
        self.adjustments = 0

    @workflow.run
    async def run(self, start: StartPlan) -> PlanOutcome:
        # Idempotent: after continue-as-new this only reads the plan back.
        self.info = await run(
            PlanActivities.open,
            OpenPlan(
                principal=start.started_by,
                plan_id=self.plan_id,
                employee_id=start.employee_id,
                role=start.role,
                effective_date=start.effective_date,
                workflow_id=self.plan_id,
                source_application_id=start.source_application_id,
            ),
        )
        for _ in range(start.checks_per_run):
            outcome = await run(
                PlanActivities.evaluate, EvaluatePlan(plan_id=self.plan_id, now=workflow.now())
            )
            await self._send(outcome)
            if outcome.finished:
                return await self._close()
            self.dirty = False
            with contextlib.suppress(TimeoutError):  # the daily check
                await workflow.wait_condition(
                    lambda: self.dirty, timeout=timedelta(hours=start.check_interval_hours)
                )
        # Long life: a fresh history, same plan (the event store holds its record).
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(start)

    async def _send(self, outcome: PlanOutcome) -> None:
        for r in outcome.reminders:
            await notify(
                key=f"plan/{self.plan_id}/{r.key}",
                recipient_id=outcome.employee_id,
                kind="plan.reminder",
                title=Message("Development plan reminder"),
                body=Message("{text}", text=r.text),
                ref={"type": "plan", "id": self.plan_id},
            )
        for o in outcome.newly_overdue:
            recipients = [outcome.manager_id or HR_INBOX]
            if workflow.patched(PATCH_OVERDUE_ALERTS_HR) and HR_INBOX not in recipients:
                recipients.append(HR_INBOX)  # added later: HR sees overdue milestones too
            for recipient in recipients:
                await notify(
                    key=f"plan/{self.plan_id}/{o.key}/{recipient}",
                    recipient_id=recipient,
                    kind="plan.overdue",
                    title=Message("A development milestone is overdue"),
                    body=Message(
                        "{employee_id}: {milestone}",
                        employee_id=outcome.employee_id,
                        milestone=o.text,
                    ),
                    ref={"type": "plan", "id": self.plan_id},
                )

    async def _close(self) -> PlanOutcome:
        final = await run(
            PlanActivities.close, EvaluatePlan(plan_id=self.plan_id, now=workflow.now())
        )
        self.closed = True
        for recipient in {final.employee_id, final.manager_id or HR_INBOX}:
            await notify(
                key=f"plan/{self.plan_id}/closed/{recipient}",
                recipient_id=recipient,
                kind="plan.closed",
                title=Message("Development plan finished"),
                body=Message(
                    "Outcome: {overall}",
                    overall=OVERALL.get(final.overall) or Message.verbatim(final.overall),
                ),
                ref={"type": "plan", "id": self.plan_id},
            )
        return final

    # -- signals and updates ------------------------------------------------------------
    @workflow.signal
    def metrics_arrived(self) -> None:
        """New metrics for this employee: re-evaluate now rather than at the next check."""
        self.dirty = True

    @workflow.update
    async def confirm(self, request: ConfirmRequest) -> PlanInfo:
        self.info = await run(
            PlanActivities.confirm,
            ConfirmMilestone(
                plan_id=self.plan_id,
                principal=request.principal,
                milestone_id=request.milestone_id,
                comment=request.comment,
            ),
        )
        self.dirty = True
        return self.info

    @confirm.validator
    def _check_confirm(self, request: ConfirmRequest) -> None:
        self._check_manager(request.principal)
        assert self.info is not None
        if request.milestone_id not in self.info.milestones:
            raise refuse(
                "the plan has no milestone {milestone_id!r}", milestone_id=request.milestone_id
            )
        by_hand = request.milestone_id in self.info.confirmable
        if refusal := hand_confirmation_refusal(request.milestone_id, by_hand):
            raise refused(refusal)

    @workflow.update
    async def adjust(self, request: AdjustRequest) -> PlanInfo:
        self.adjustments += 1
        self.info = await run(
            PlanActivities.adjust,
            AdjustPlan(
                plan_id=self.plan_id,
                principal=request.principal,
                # Unique per update, stable across retries of its activity.
                key=f"adjust-{workflow.info().run_id}-{self.adjustments}",
                action=request.action,
                milestone_id=request.milestone_id,
                milestone=request.milestone,
                due_month=request.due_month,
                reason=request.reason,
            ),
        )
        self.dirty = True
        return self.info

    @adjust.validator
    def _check_adjust(self, request: AdjustRequest) -> None:
        self._check_manager(request.principal)
        if request.action not in ("add", "move", "drop"):
            raise refuse("unknown action {action!r}; use add, move or drop", action=request.action)
        if refusal := adjustment_reason_refusal(request.reason):
            raise refused(refusal)

    def _check_manager(self, p: Principal) -> None:
        if refusal := closed_refusal(self.closed):
            raise refused(refusal)
        if self.info is None:
            raise refused(setting_up_refusal())
        if refusal := plan_steerer_refusal(
            p.role.value, p.person_id, self.info.employee_id, self.info.manager_id
        ):
            raise refused(refusal)
