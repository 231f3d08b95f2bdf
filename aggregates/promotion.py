"""A promotion application: every step of the process, who did it, when and why.

Commands are idempotent: each names the round it belongs to, and a command that finds
the application already in the state it would produce writes nothing. Rule violations
raise DomainError with a message that says what to do instead."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import event
from pydantic import Field

from aggregates.assessment import Assessment
from aggregates.base import Aggregate, DomainError, DomainEvent, Immutable, stable_id
from aggregates.criteria import CriterionResult
from aggregates.ladder import Role

# Also imported from here: the pure parts live apart so that workflows need not import
# eventsourcing (and CriterionResult lives in aggregates.criteria for the same reason).
from aggregates.promotion_rules import CLOSED as CLOSED  # re-exported
from aggregates.promotion_rules import (
    Stage,
    StepKind,
    closed_refusal,
    manager_review_refusal,
    override_refusal,
    rejection_refusal,
    reused_command,
    stage_word,
    withdraw_refusal,
)


def application_uuid(application_id: str) -> UUID:
    return stable_id("promotion", application_id)


class MetricRef(Immutable):
    """A ledger event a report used: the ledger and the version that recorded the data."""

    employee_id: str
    ledger_version: int


class ApplicationReport(Immutable):
    """The application report: the last 12 months, scored and evaluated under the
    policy versions in force, with the exact metric events used."""

    assessment: Assessment
    metric_refs: list[MetricRef]
    manager_id: str | None
    # Organisation-wide percentile ranks the top-percent rules used (metric → month → %),
    # so the decision can be re-evaluated exactly.
    percentiles: dict[str, dict[str, float]] = Field(default_factory=dict)


class PromotionApplication(Aggregate):
    @staticmethod
    def create_id(application_id: str, *_: object, **__: object) -> UUID:
        return application_uuid(application_id)

    @event("Started")
    def __init__(
        self,
        application_id: str,
        employee_id: str,
        from_role: Role,
        target_role: Role,
        started_by: str,
        workflow_id: str,
    ) -> None:
        self.application_id = application_id
        self.employee_id = employee_id
        self.from_role = from_role
        self.target_role = target_role
        self.workflow_id = workflow_id
        self.stage = Stage.reporting
        self.round = 0
        self.decided_rounds: list[int] = []
        self.reminded: list[str] = []
        self.effective_date: date | None = None

    # -- report ------------------------------------------------------------------------
    def submit(self, round_: int, report: ApplicationReport) -> bool:
        if round_ <= self.round:
            return False  # this round's report is already recorded
        self._require_open()
        if round_ != self.round + 1:
            raise DomainError(
                "round {round} cannot follow round {previous}", round=round_, previous=self.round
            )
        if self.round and self.stage != Stage.returned:
            raise DomainError("only a returned application can be resubmitted")
        self._submitted(round=round_, report=report)
        return True

    @event("Submitted")
    def _submitted(self, round: int, report: ApplicationReport) -> None:
        self.round = round
        self.stage = Stage.manager_review

    # -- manager -----------------------------------------------------------------------
    def check_manager_decision(self, round_: int, approve: bool, comment: str) -> None:
        self._require_open()
        if round_ in self.decided_rounds:
            raise DomainError(
                "round {round} of this application has already been decided", round=round_
            )
        if refusal := manager_review_refusal(self.stage, this_round=round_ == self.round):
            raise DomainError(refusal)
        if refusal := rejection_refusal(approve, comment):
            raise DomainError(refusal)

    def decide(
        self, round_: int, approve: bool, comment: str, decided_by: str, as_hr: bool
    ) -> bool:
        if round_ in self.decided_rounds:
            return False
        self.check_manager_decision(round_, approve, comment)
        self._manager_decided(
            round=round_, approve=approve, comment=comment, decided_by=decided_by, as_hr=as_hr
        )
        return True

    @event("ManagerDecided")
    def _manager_decided(
        self, round: int, approve: bool, comment: str, decided_by: str, as_hr: bool
    ) -> None:
        self.decided_rounds = [*self.decided_rounds, round]
        self.stage = Stage.hr_review if approve else Stage.rejected

    def remind(self, key: str, kind: str, recipients: list[str]) -> bool:
        """An SLA reminder or escalation, recorded once per key."""
        if key in self.reminded:
            return False
        self._reminded(key=key, kind=kind, recipients=recipients)
        return True

    @event("Reminded")
    def _reminded(self, key: str, kind: str, recipients: list[str]) -> None:
        self.reminded = [*self.reminded, key]

    # -- HR review ---------------------------------------------------------------------
    def return_automatically(self, round_: int, unmet: list[CriterionResult]) -> bool:
        if self.stage == Stage.returned and self.round == round_:
            return False
        if self.stage != Stage.hr_review or self.round != round_:
            raise DomainError(
                "cannot return an application at stage {stage}", stage=stage_word(self.stage)
            )
        self._returned(round=round_, unmet=unmet)
        return True

    @event("Returned")
    def _returned(self, round: int, unmet: list[CriterionResult]) -> None:
        self.stage = Stage.returned

    def confirm(self, round_: int, by: str, comment: str) -> bool:
        if self.stage == Stage.approved:
            return False
        if self.stage != Stage.hr_review or self.round != round_:
            raise DomainError(
                "HR can confirm only at stage hr_review, not {stage}", stage=stage_word(self.stage)
            )
        self._hr_confirmed(round=round_, by=by, comment=comment)
        return True

    @event("HrConfirmed")
    def _hr_confirmed(self, round: int, by: str, comment: str) -> None:
        self.stage = Stage.approved

    def override(self, round_: int, by: str, reason: str, approve: bool) -> bool:
        """HR promotes despite unmet criteria (from `returned`) or declines despite a pass
        (from `hr_review`); always with a reason, always its own event."""
        target = Stage.approved if approve else Stage.declined
        if self.stage == target:
            return False
        if refusal := override_refusal(reason):
            raise DomainError(refusal)
        allowed = Stage.returned if approve else Stage.hr_review
        if self.stage != allowed or self.round != round_:
            if approve:
                raise DomainError(
                    "HR can override to approve only at stage {allowed}, not {stage}",
                    allowed=stage_word(allowed),
                    stage=stage_word(self.stage),
                )
            raise DomainError(
                "HR can override to decline only at stage {allowed}, not {stage}",
                allowed=stage_word(allowed),
                stage=stage_word(self.stage),
            )
        self._hr_overridden(round=round_, by=by, reason=reason, approve=approve)
        return True

    @event("HrOverridden")
    def _hr_overridden(self, round: int, by: str, reason: str, approve: bool) -> None:
        self.stage = Stage.approved if approve else Stage.declined

    # -- applicant ---------------------------------------------------------------------
    def withdraw(self, by: str, reason: str) -> bool:
        if self.stage == Stage.withdrawn:
            return False
        self._require_open()
        if refusal := withdraw_refusal(self.stage):
            raise DomainError(refusal)
        self._withdrawn(by=by, reason=reason)
        return True

    @event("Withdrawn")
    def _withdrawn(self, by: str, reason: str) -> None:
        self.stage = Stage.withdrawn

    # -- announcement ------------------------------------------------------------------
    def announce(self, effective_date: date) -> bool:
        if self.effective_date is not None:
            return False
        if self.stage != Stage.approved:
            raise DomainError(
                "only an approved application is announced, not {stage}",
                stage=stage_word(self.stage),
            )
        self._announced(effective_date=effective_date)
        return True

    @event("Announced")
    def _announced(self, effective_date: date) -> None:
        self.effective_date = effective_date

    def complete(self) -> bool:
        if self.stage == Stage.promoted:
            return False
        if self.stage != Stage.approved or self.effective_date is None:
            raise DomainError("only an announced promotion can take effect")
        self._promoted(role=self.target_role, effective_date=self.effective_date)
        return True

    @event("Promoted")
    def _promoted(self, role: Role, effective_date: date) -> None:
        self.stage = Stage.promoted

    def _require_open(self) -> None:
        if refusal := closed_refusal(self.stage):
            raise DomainError(refusal)


# -- a command sent again ---------------------------------------------------------------
class RecordedStep(Immutable):
    """A person's step as the store recorded it, under the caller's command id: what a
    retry of the same command is compared with, and the outcome it answers with."""

    kind: StepKind
    command_id: str
    actor: str
    role: str
    round: int
    content: dict[str, Any]  # what was decided, as the command said it
    outcome: Stage  # where the step led (HR review, returned, rejected, approved, ...)
    manager_id: str | None


def recorded_steps(events: Iterable[DomainEvent]) -> list[RecordedStep]:
    """The decisions, HR reviews and withdrawals in an application's events, each with
    the stage it led to: a decision's approval is returned when its round's report missed
    a criterion (the workflow records that right after), else it waits for HR."""
    steps: list[RecordedStep] = []
    round_, manager_id = 0, None
    for e in events:
        name = type(e).__qualname__.split(".")[-1]
        data = e.model_dump()
        if name == "Submitted":
            round_, manager_id = data["round"], data["report"]["manager_id"]
            continue
        if name == "Returned":
            steps = [
                s.model_copy(update={"outcome": Stage.returned})
                if s.kind == "decision" and s.round == data["round"] and s.content["approve"]
                else s
                for s in steps
            ]
            continue
        step: tuple[StepKind, dict[str, Any], Stage] | None = None
        if name == "ManagerDecided":
            approve = data["approve"]
            content = {"approve": approve, "comment": data["comment"]}
            step = ("decision", content, Stage.hr_review if approve else Stage.rejected)
        elif name == "HrConfirmed":
            content = {"action": "confirm", "approve": True, "text": data["comment"]}
            step = ("hr_review", content, Stage.approved)
        elif name == "HrOverridden":
            approve = data["approve"]
            content = {"action": "override", "approve": approve, "text": data["reason"]}
            step = ("hr_review", content, Stage.approved if approve else Stage.declined)
        elif name == "Withdrawn":
            step = ("withdrawal", {"reason": data["reason"]}, Stage.withdrawn)
        if step is None or e.meta.command_id is None:
            continue
        kind, content, outcome = step
        steps.append(
            RecordedStep(
                kind=kind,
                command_id=e.meta.command_id,
                actor=e.meta.actor,
                role=e.meta.role,
                round=round_,
                content=content,
                outcome=outcome,
                manager_id=manager_id,
            )
        )
    return steps


def repeated_step(
    steps: Iterable[RecordedStep],
    kind: StepKind,
    command_id: str,
    actor: str,
    role: str,
    content: dict[str, Any],
) -> RecordedStep | None:
    """The recorded step this command repeats (the same command id, person and content),
    or None when it repeats none: the command's own refusal stands (a step already taken
    by someone else, or under another command id). The same person's command id with a
    different content is refused: a retry must say exactly what it said the first time."""
    for step in steps:
        if (step.kind, step.command_id, step.actor, step.role) != (kind, command_id, actor, role):
            continue
        if step.content != content:
            raise reused_command(command_id, kind, step.round)
        return step
    return None
