"""The promotion process (domain.md): apply → manager decision → automatic HR check
(returned with reasons when a criterion is unmet) → HR confirmation or override →
announcement → the role changes on the effective date.

The workflow keeps only orchestration state (declared, with the helpers its run and
updates share, in workflows/promotion_state.py); every step is recorded as an event by an
activity. Manager and HR decisions are Updates whose validators reject a wrong person or
a second decision before anything is written."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

# Passed through: imported once per worker, not again for every run (the state module's
# pydantic models were half of what the sandbox did to start a run).
with workflow.unsafe.imports_passed_through():
    from activities.calendar import DeadlineRequest, working_day_deadlines
    from activities.promotions import (
        Announce,
        CommandResult,
        OpenApplication,
        OpenWithReport,
        PromotionActivities,
        RecordDecision,
        RecordHrReview,
        RecordReminder,
        RecordWithdrawal,
        ReportSummary,
        ReturnApplication,
        SubmitReport,
    )
    from aggregates.ladder import ROLE_LABELS
    from aggregates.promotion_rules import (
        ACTIONS,
        Stage,
        manager_review_refusal,
        override_refusal,
        rejection_refusal,
        stage_word,
        withdraw_refusal,
    )
    from careerflow.principal import SYSTEM, AccessRole, Principal
    from words.messages import Message
    from workflows.plan_start import StartPlan, plan_workflow_id
    from workflows.promotion_state import (
        HR_INBOX,
        KIND,
        PATCH_LOCAL_STEPS,
        PATCH_PLAN_HANDOFF,
        STAGE,
        STAGE_SINCE,
        HrReview,
        ManagerDecision,
        PromotionState,
        PromotionStatus,
        Resubmit,
        StartPromotion,
        Withdraw,
        promotion_workflow_id,
    )
    from workflows.refusals import refuse, refused
    from workflows.steps import run

# Importable from here, as before the inputs, outputs and helpers moved to
# workflows/promotion_state.py.
__all__ = [
    "HR_INBOX",
    "KIND",
    "PATCH_LOCAL_STEPS",
    "PATCH_PLAN_HANDOFF",
    "STAGE",
    "STAGE_SINCE",
    "HrReview",
    "ManagerDecision",
    "PromotionStatus",
    "PromotionWorkflow",
    "Resubmit",
    "StartPromotion",
    "Withdraw",
    "promotion_workflow_id",
]


@workflow.defn(name="PromotionApplication")
class PromotionWorkflow(PromotionState):
    @workflow.init
    def __init__(self, start: StartPromotion) -> None:
        info = workflow.info()
        self.start = start
        # The first run's id names this application: stable across retries and replays,
        # new for a later application after this one closed.
        self.application_id = info.first_execution_run_id
        self.workflow_id = info.workflow_id
        self.stage = Stage.reporting
        self.round = 0
        self.manager_id = None
        self.managers_manager_id = None
        self.busy = False  # a decision is being recorded: a concurrent one is refused
        self.decision = None
        self.resubmit_by = None
        self.withdrawn = False
        self.hr = None
        # Decisions and reviews recorded under a caller's command id, and where each led:
        # the same command sent again (a lost answer) is answered, in any later round.
        self.recorded = {}
        self.outcomes = {}

    # -- the process -------------------------------------------------------------------
    @workflow.run
    async def run(self, start: StartPromotion) -> PromotionStatus:
        opened = OpenApplication(
            principal=start.started_by,
            application_id=self.application_id,
            employee_id=start.employee_id,
            target_role=start.target_role,
            workflow_id=self.workflow_id,
        )
        # Histories from before the patch opened in a step of its own.
        together = workflow.patched(PATCH_LOCAL_STEPS)
        if not together:
            await run(PromotionActivities.open, opened)
        requested_by = start.started_by
        while True:
            self.round += 1
            summary = await self._submit(requested_by, opened if together else None)
            await self._manager_review()
            if self.withdrawn:
                return self._status()
            assert self.decision is not None
            if not self.decision.approve:
                self._set_stage(Stage.rejected)
                await self._tell_applicant(
                    "rejected",
                    Message("Your promotion application was not approved"),
                    self.decision.comment,
                )
                return self._status()
            if summary.eligible:
                self._set_stage(Stage.hr_review)
                await self._notify(
                    HR_INBOX,
                    f"round-{self.round}/hr-review",
                    "promotion.hr_review",
                    Message("A promotion application passed every criterion"),
                    self._applicant(),
                )
                await workflow.wait_condition(lambda: self.hr is not None or self.withdrawn)
                if self.withdrawn:
                    return self._status()
                assert self.hr is not None
                if self.hr.action == "override" and not self.hr.approve:
                    self._set_stage(Stage.declined)
                    await self._tell_applicant(
                        "declined",
                        Message("HR declined your promotion application"),
                        self.hr.text,
                    )
                    return self._status()
                break
            await self._return(summary)
            await workflow.wait_condition(
                lambda: self.resubmit_by is not None or self.withdrawn or self.hr is not None
            )
            if self.withdrawn:
                return self._status()
            if self.hr is not None:  # HR promoted despite the unmet criteria
                break
            assert self.resubmit_by is not None
            requested_by, self.resubmit_by, self.decision = self.resubmit_by, None, None
        return await self._announce_and_promote()

    async def _submit(
        self, requested_by: Principal, opened: OpenApplication | None = None
    ) -> ReportSummary:
        """The round's report; in round 1 after the patch, with the opening (one save)."""
        summary: ReportSummary
        if opened is not None and self.round == 1:
            summary = await self._step(
                PromotionActivities.open_with_report,
                OpenWithReport(**opened.model_dump(), as_of=workflow.now().date()),
            )
        else:
            summary = await self._step(
                PromotionActivities.submit_report,
                SubmitReport(
                    application_id=self.application_id,
                    round=self.round,
                    as_of=workflow.now().date(),
                    requested_by=requested_by,
                ),
            )
        self.manager_id = summary.manager_id
        self.managers_manager_id = summary.managers_manager_id
        self._set_stage(Stage.manager_review)
        await self._notify(
            summary.manager_id or HR_INBOX,
            f"round-{self.round}/approval",
            "promotion.approval_waiting",
            Message("A promotion application waits for your decision"),
            self._applicant(),
        )
        return summary

    async def _manager_review(self) -> None:
        """Waits for the decision; reminds, then escalates, on working-day deadlines."""
        process = self.start.process
        since = workflow.now()

        def decided() -> bool:
            return self.decision is not None or self.withdrawn

        # Its own timeout and Temporal's default retries, as before (not run_local's).
        remind_at, escalate_at = await workflow.execute_local_activity(
            working_day_deadlines,
            DeadlineRequest(
                start=since,
                working_days=[
                    process.remind_manager_after_working_days,
                    process.escalate_after_working_days,
                ],
                country=process.country,
                time_zone=process.time_zone,
                extra_holidays=process.extra_holidays,
                extra_working_days=process.extra_working_days,
            ),
            start_to_close_timeout=timedelta(seconds=10),
        )
        if await self._wait_until(decided, remind_at):
            return
        recipients = [self.manager_id or HR_INBOX]
        await self._reminder("reminder", recipients)
        if await self._wait_until(decided, escalate_at):
            return
        chain = [r for r in (self.managers_manager_id, HR_INBOX) if r]
        await self._reminder("escalation", chain)
        await workflow.wait_condition(decided)

    async def _reminder(self, kind: str, recipients: list[str]) -> None:
        key = f"round-{self.round}/{kind}"
        await self._step(
            PromotionActivities.record_reminder,
            RecordReminder(
                application_id=self.application_id, key=key, kind=kind, recipients=recipients
            ),
        )
        title = (
            Message("Reminder: a promotion application waits for your decision")
            if kind == "reminder"
            else Message("Escalation: a promotion decision is overdue")
        )
        for recipient in recipients:
            await self._notify(
                recipient,
                f"{key}/{recipient}",
                f"promotion.{kind}",
                title,
                self._applicant(),
            )

    async def _return(self, summary: ReportSummary) -> None:
        await self._step(
            PromotionActivities.return_application,
            ReturnApplication(
                application_id=self.application_id, round=self.round, unmet=summary.unmet
            ),
        )
        self._set_stage(Stage.returned)
        # Each criterion as a catalogue message (the activity says it in each language).
        reasons = [r.message(verbose=True) for r in summary.unmet]
        tips = [Message("{text}", text=r.suggestion) for r in summary.unmet if r.suggestion]
        await self._notify(
            self.start.employee_id,
            f"round-{self.round}/returned",
            "promotion.returned",
            Message("Your application was returned"),
            Message(
                "Not yet met: {reasons}. Next: {tips}. Resubmit once you meet them.",
                reasons=reasons,
                tips=tips,
            )
            if tips
            else Message("Not yet met: {reasons}. Resubmit once you meet them.", reasons=reasons),
        )

    async def _announce_and_promote(self) -> PromotionStatus:
        result: CommandResult = await self._step(
            PromotionActivities.announce,
            Announce(application_id=self.application_id, today=workflow.now().date()),
        )
        self._set_stage(Stage.approved)
        # Local midnight of the effective date, as the announcement recorded it.
        assert result.effective_at is not None
        effective = result.effective_at.date()
        role = ROLE_LABELS[self.start.target_role]
        await self._notify(
            self.start.employee_id,
            "announced",
            "promotion.announced",
            Message("Congratulations on your promotion"),
            Message(
                "You are promoted to {role}; you start on {effective}.",
                role=role,
                effective=Message.date(effective),
            ),
        )
        if workflow.patched(PATCH_PLAN_HANDOFF) and result.plan_template_version is not None:
            # The development plan runs as its own workflow, for its own twelve months.
            await workflow.start_child_workflow(
                "DevelopmentPlan",
                StartPlan(
                    employee_id=self.start.employee_id,
                    role=self.start.target_role,
                    effective_date=effective,
                    started_by=SYSTEM,
                    source_application_id=self.application_id,
                ),
                id=plan_workflow_id(self.start.employee_id, effective),
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
        # The role changes on the effective date, at the start of the company's day.
        wait = (result.effective_at - workflow.now()).total_seconds()
        if wait > 0:
            await workflow.sleep(timedelta(seconds=wait))
        await self._step(PromotionActivities.complete, self.application_id)
        self._set_stage(Stage.promoted)
        return self._status()

    # -- updates -----------------------------------------------------------------------
    @workflow.update
    async def decide(self, decision: ManagerDecision) -> PromotionStatus:
        if self._repeats(decision):  # the recorded decision, sent again
            return await self._outcome(decision)
        self.busy = True
        try:
            await self._command(
                PromotionActivities.record_decision,
                RecordDecision(
                    application_id=self.application_id,
                    round=self.round,
                    principal=decision.principal,
                    approve=decision.approve,
                    comment=decision.comment,
                    command_id=decision.command_id,
                ),
            )
            self.decision = decision
            self._record(decision)
        finally:
            self.busy = False
        # Answer with where the decision led (HR review, returned or rejected).
        await workflow.wait_condition(lambda: self.stage != Stage.manager_review)
        return self._answer(decision)

    @decide.validator
    def _check_decide(self, decision: ManagerDecision) -> None:
        if self._repeats(decision):
            return  # answered with the recorded outcome, whatever the stage now
        self._refuse_if_closed()
        if refusal := manager_review_refusal(self.stage):
            raise refused(refusal)
        if self.decision is not None or self.busy:
            raise refuse("round {round} has already been decided", round=self.round)
        p = decision.principal
        if p.role != AccessRole.hr and not (
            p.role == AccessRole.manager and p.person_id == self.manager_id
        ):
            raise refuse(
                "{role} {person_id} is not {employee_id}'s manager "
                "({manager_id}); only the manager, or HR acting for them, decides",
                role=p.role.value,
                person_id=p.person_id,
                employee_id=self.start.employee_id,
                manager_id=self.manager_id,
            )
        if refusal := rejection_refusal(decision.approve, decision.comment):
            raise refused(refusal)

    @workflow.update
    async def resubmit(self, request: Resubmit) -> PromotionStatus:
        self.resubmit_by = request.principal
        await workflow.wait_condition(lambda: self.stage != Stage.returned)
        return self._status()

    @resubmit.validator
    def _check_resubmit(self, request: Resubmit) -> None:
        self._refuse_if_closed()
        if self.stage != Stage.returned or self.resubmit_by is not None:
            raise refuse(
                "only a returned application can be resubmitted ({stage})",
                stage=stage_word(self.stage),
            )
        self._require_applicant_or_hr(request.principal, "resubmit")

    @workflow.update
    async def withdraw(self, request: Withdraw) -> PromotionStatus:
        self.busy = True
        try:
            await self._command(
                PromotionActivities.record_withdrawal,
                RecordWithdrawal(
                    application_id=self.application_id,
                    principal=request.principal,
                    reason=request.reason,
                    command_id=request.command_id,
                ),
            )
            self.withdrawn = True
            self._set_stage(Stage.withdrawn)
        finally:
            self.busy = False
        return self._status()

    @withdraw.validator
    def _check_withdraw(self, request: Withdraw) -> None:
        self._refuse_if_closed()
        if refusal := withdraw_refusal(self.stage):
            raise refused(refusal)
        if self.busy:
            raise refuse("a decision is being recorded; try again in a moment")
        self._require_applicant_or_hr(request.principal, "withdraw")

    @workflow.update
    async def hr_review(self, review: HrReview) -> PromotionStatus:
        if self._repeats(review):  # the recorded review, sent again
            return await self._outcome(review)
        self.busy = True
        try:
            await self._command(
                PromotionActivities.record_hr_review,
                RecordHrReview(
                    application_id=self.application_id,
                    round=self.round,
                    principal=review.principal,
                    action=review.action,
                    approve=review.approve,
                    text=review.text,
                    command_id=review.command_id,
                ),
            )
            self.hr = review
            self._record(review)
        finally:
            self.busy = False
        await workflow.wait_condition(lambda: self.stage not in (Stage.hr_review, Stage.returned))
        return self._answer(review)

    @hr_review.validator
    def _check_hr_review(self, review: HrReview) -> None:
        if self._repeats(review):
            return
        self._refuse_if_closed()
        if review.principal.role != AccessRole.hr:
            raise refuse(
                "only HR reviews applications, not {role}", role=review.principal.role.value
            )
        if self.hr is not None or self.busy:
            raise refuse("HR has already reviewed this round")
        if review.action == "override" and (refusal := override_refusal(review.text)):
            raise refused(refusal)
        if review.action == "confirm" and self.stage != Stage.hr_review:
            raise refuse(
                "HR confirms at stage hr_review, not {stage}", stage=stage_word(self.stage)
            )
        if review.action == "override":
            needed = Stage.returned if review.approve else Stage.hr_review
            if self.stage != needed:
                raise refuse(
                    "an override to {action} is possible at stage {needed}, not {stage}",
                    action=ACTIONS["approve" if review.approve else "decline"],
                    needed=stage_word(needed),
                    stage=stage_word(self.stage),
                )

    @workflow.query
    def status(self) -> PromotionStatus:
        """For tests and operators; people read the read models."""
        return self._status()
