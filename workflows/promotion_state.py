"""The promotion workflow's inputs and outputs (workflows/promotion.py), its patch ids
and search attributes, and `PromotionState`: the application's orchestration state and
the helpers its run and its updates share (the steps, the command ids already answered,
the refusals every update starts with, the stage, the notifications). Deterministic, as
the workflow: only workflow APIs, no I/O."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from activities.promotions import PromotionActivities
    from aggregates.ladder import ROLE_LABELS, Role
    from aggregates.process import PromotionProcess
    from aggregates.promotion_rules import (
        ACTIONS,
        Stage,
        StepKind,
        closed_refusal,
        reused_command,
    )
    from careerflow.principal import AccessRole, Principal
    from words.messages import Message
    from workflows.notify import notify
    from workflows.refusals import refuse, refused
    from workflows.steps import run, run_local

STAGE = SearchAttributeKey.for_keyword("CareerflowStage")
STAGE_SINCE = SearchAttributeKey.for_datetime("CareerflowStageSince")
KIND = SearchAttributeKey.for_keyword("CareerflowKind")
A = TypeVar("A")
R = TypeVar("R")
HR_INBOX = "HR"  # the HR team's shared inbox
# Patch ids: each names a change made while applications were running.
PATCH_PLAN_HANDOFF = "promotion-starts-development-plan"
# The event-writing steps (short, idempotent commands on the store) as local activities,
# and the opening saved with the first report as one step.
PATCH_LOCAL_STEPS = "promotion-local-steps"


class StartPromotion(BaseModel):
    employee_id: str
    target_role: Role
    started_by: Principal
    process: PromotionProcess = PromotionProcess()
    process_version: int | None = None
    use_search_attributes: bool = True


class ManagerDecision(BaseModel):
    principal: Principal
    approve: bool
    comment: str = ""
    # The caller's command id: a retry of the same command answers with its outcome.
    command_id: str | None = None


class Resubmit(BaseModel):
    principal: Principal


class Withdraw(BaseModel):
    principal: Principal
    reason: str = ""
    command_id: str | None = None


class HrReview(BaseModel):
    principal: Principal
    action: Literal["confirm", "override"]
    approve: bool = True
    text: str = ""
    command_id: str | None = None


class PromotionStatus(BaseModel):
    application_id: str
    workflow_id: str
    employee_id: str
    stage: Stage
    round: int
    manager_id: str | None


def promotion_workflow_id(employee_id: str, target: Role) -> str:
    """One open application per employee and target role."""
    return f"promotion-{employee_id}-{target.value}"


class PromotionState:
    """What PromotionWorkflow keeps (set in its `__init__`) and the helpers its run and
    updates share."""

    start: StartPromotion
    application_id: str
    workflow_id: str
    stage: Stage
    round: int
    manager_id: str | None
    managers_manager_id: str | None
    busy: bool
    decision: ManagerDecision | None
    resubmit_by: Principal | None
    withdrawn: bool
    hr: HrReview | None
    recorded: dict[str, ManagerDecision | HrReview]
    outcomes: dict[str, PromotionStatus]

    async def _step(self, method: Callable[[PromotionActivities, A], R], arg: A) -> R:
        """An event-writing step: a local activity after PATCH_LOCAL_STEPS (a short,
        idempotent command on the store: no round trip through the server's history), a
        regular activity in histories from before it."""
        if workflow.patched(PATCH_LOCAL_STEPS):
            return await run_local(method, arg)
        return await run(method, arg)

    async def _command(self, method: Callable[[PromotionActivities, A], R], arg: A) -> R:
        """A step that a person's update asked for: always a regular activity. A local one
        would write its event before the history records the update, and a workflow task
        lost to a server restart would then lose the update but keep the event (the store
        decided, the workflow still waiting); a regular activity is scheduled in the
        history before it runs, so the two cannot part (tests/fault/test_restarts.py)."""
        return await run(method, arg)

    def _status(self) -> PromotionStatus:
        return PromotionStatus(
            application_id=self.application_id,
            workflow_id=self.workflow_id,
            employee_id=self.start.employee_id,
            stage=self.stage,
            round=self.round,
            manager_id=self.manager_id,
        )

    def _repeats(self, sent: ManagerDecision | HrReview) -> bool:
        """True when `sent` is a recorded step sent again: the same command id by the
        same person, saying the same. The same person's command id saying something else
        is refused; another person's, or another id, meets the usual refusals."""
        done = self.recorded.get(self._key(sent)) if sent.command_id else None
        if done is None or sent.command_id is None or done.principal != sent.principal:
            return False
        if done != sent:
            kind: StepKind = "decision" if isinstance(sent, ManagerDecision) else "hr_review"
            answered = self.outcomes.get(self._key(sent))
            round_ = answered.round if answered else self.round
            raise refused(reused_command(sent.command_id, kind, round_).message)
        return True

    @staticmethod
    def _key(sent: ManagerDecision | HrReview) -> str:
        return f"{type(sent).__name__}/{sent.command_id}"

    def _record(self, sent: ManagerDecision | HrReview) -> None:
        if sent.command_id:
            self.recorded[self._key(sent)] = sent

    def _answer(self, sent: ManagerDecision | HrReview) -> PromotionStatus:
        status = self._status()
        if sent.command_id:
            self.outcomes[self._key(sent)] = status
        return status

    async def _outcome(self, sent: ManagerDecision | HrReview) -> PromotionStatus:
        """The answer the recorded step gave (or will give, once it has taken effect)."""
        key = self._key(sent)
        await workflow.wait_condition(lambda: key in self.outcomes)
        return self.outcomes[key]

    def _refuse_if_closed(self) -> None:
        if self.withdrawn:
            raise refuse("the application was withdrawn")
        # Stage.withdrawn comes only with self.withdrawn, said above in its own words.
        if refusal := closed_refusal(self.stage):
            raise refused(refusal)

    def _require_applicant_or_hr(self, p: Principal, action: str) -> None:
        if p.role == AccessRole.hr:
            return
        if p.person_id != self.start.employee_id or p.role not in (
            AccessRole.employee,
            AccessRole.manager,
        ):
            raise refuse(
                "only the applicant or HR may {action} this application", action=ACTIONS[action]
            )

    def _set_stage(self, stage: Stage) -> None:
        self.stage = stage
        if self.start.use_search_attributes:
            workflow.upsert_search_attributes(
                [
                    KIND.value_set("promotion"),
                    STAGE.value_set(stage.value),
                    STAGE_SINCE.value_set(workflow.now()),
                ]
            )

    async def _wait_until(self, condition: Callable[[], bool], at: datetime) -> bool:
        """True if `condition` held before `at`."""
        remaining = (at - workflow.now()).total_seconds()
        if remaining <= 0:
            return condition()
        try:
            await workflow.wait_condition(condition, timeout=timedelta(seconds=remaining))
        except TimeoutError:
            return False
        return True

    async def _tell_applicant(self, what: str, title: Message, why: str) -> None:
        # The decider's own words, shown as they wrote them (typed text: kept apart).
        await self._notify(
            self.start.employee_id,
            what,
            f"promotion.{what}",
            title,
            Message("{text}", text=Message.quote(why)),
        )

    def _applicant(self) -> Message:
        """Who applies for which role, for the people who decide."""
        return Message(
            "{employee_id} → {role}",
            employee_id=self.start.employee_id,
            role=ROLE_LABELS[self.start.target_role],
        )

    async def _notify(
        self, recipient: str, key: str, kind: str, title: Message, body: Message
    ) -> None:
        await notify(
            key=f"promotion/{self.application_id}/{key}",
            recipient_id=recipient,
            kind=kind,
            title=title,
            body=body,
            ref={"type": "promotion", "id": self.application_id},
        )
