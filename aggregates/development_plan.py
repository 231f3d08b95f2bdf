"""A post-promotion development plan: its milestones (from a versioned template, then
adjusted by the manager or HR), progress as it was evaluated, reminders, overdue marks,
manager confirmations and the closing summary."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from eventsourcing.domain import event

from aggregates.base import Aggregate, DomainError, stable_id
from aggregates.ladder import Role
from aggregates.plan_progress import PlanProgress
from aggregates.plan_rules import (
    adjustment_reason_refusal,
    closed_refusal,
    hand_confirmation_refusal,
)
from aggregates.plan_template import Milestone


def plan_uuid(plan_id: str) -> UUID:
    return stable_id("development-plan", plan_id)


class DevelopmentPlan(Aggregate):
    @staticmethod
    def create_id(plan_id: str, *_: object, **__: object) -> UUID:
        return plan_uuid(plan_id)

    @event("Started")
    def __init__(
        self,
        plan_id: str,
        employee_id: str,
        role: Role,
        manager_id: str | None,
        effective_date: date,
        months: int,
        template_version: int,
        milestones: list[Milestone],
        workflow_id: str,
        source_application_id: str | None,
    ) -> None:
        self.plan_id = plan_id
        self.employee_id = employee_id
        self.role = role
        self.manager_id = manager_id
        self.effective_date = effective_date
        self.months = months
        self.milestones = list(milestones)
        self.workflow_id = workflow_id
        self.confirmed: dict[str, str] = {}
        self.overdue: list[str] = []
        self.reminded: list[str] = []
        self.adjustments: list[str] = []  # command keys, so a retried adjustment is a no-op
        self.last_overall: str | None = None
        self.last_statuses: dict[str, str] = {}
        self.closed = False

    def milestone(self, milestone_id: str) -> Milestone:
        for m in self.milestones:
            if m.id == milestone_id:
                return m
        known = ", ".join(m.id for m in self.milestones)
        raise DomainError(
            "the plan has no milestone {milestone_id!r}; it has: {known}",
            milestone_id=milestone_id,
            known=known,
        )

    # -- progress ----------------------------------------------------------------------
    def record_progress(self, as_of: date, progress: PlanProgress) -> bool:
        """Only a change is recorded: the event log shows when each status moved."""
        statuses = {m.id: m.status for m in progress.milestones}
        if statuses == self.last_statuses and progress.overall == self.last_overall:
            return False
        self._progressed(as_of=as_of, progress=progress)
        return True

    @event("ProgressEvaluated")
    def _progressed(self, as_of: date, progress: PlanProgress) -> None:
        self.last_statuses = {m.id: m.status for m in progress.milestones}
        self.last_overall = progress.overall

    def remind(self, key: str, milestone_id: str) -> bool:
        if key in self.reminded:
            return False
        self._reminded(key=key, milestone_id=milestone_id)
        return True

    @event("Reminded")
    def _reminded(self, key: str, milestone_id: str) -> None:
        self.reminded = [*self.reminded, key]

    def mark_overdue(self, milestone_id: str) -> bool:
        if milestone_id in self.overdue:
            return False
        self._overdue(milestone_id=milestone_id)
        return True

    @event("MilestoneOverdue")
    def _overdue(self, milestone_id: str) -> None:
        self.overdue = [*self.overdue, milestone_id]

    # -- the manager -------------------------------------------------------------------
    def check_confirmation(self, milestone_id: str) -> None:
        self._require_open()
        milestone = self.milestone(milestone_id)
        if refusal := hand_confirmation_refusal(milestone_id, milestone.kind == "confirmed"):
            raise DomainError(refusal)
        if milestone_id in self.confirmed:
            raise DomainError(
                "milestone {milestone_id!r} is already confirmed", milestone_id=milestone_id
            )

    def confirm(self, milestone_id: str, by: str, comment: str) -> bool:
        if milestone_id in self.confirmed:
            return False
        self.check_confirmation(milestone_id)
        self._confirmed(milestone_id=milestone_id, by=by, comment=comment)
        return True

    @event("MilestoneConfirmed")
    def _confirmed(self, milestone_id: str, by: str, comment: str) -> None:
        self.confirmed = {**self.confirmed, milestone_id: by}

    def check_adjustment(
        self,
        action: Literal["add", "move", "drop"],
        milestone_id: str,
        milestone: Milestone | None,
        due_month: int | None,
        reason: str,
    ) -> None:
        self._require_open()
        if refusal := adjustment_reason_refusal(reason):
            raise DomainError(refusal)
        if action == "add":
            if milestone is None:
                raise DomainError("adding needs the milestone")
            if any(m.id == milestone.id for m in self.milestones):
                raise DomainError(
                    "the plan already has a milestone {milestone_id!r}", milestone_id=milestone.id
                )
            self._check_span(milestone.start_month, milestone.due_month)
        else:
            current = self.milestone(milestone_id)
            if action == "move":
                if due_month is None:
                    raise DomainError("moving needs the new due month")
                self._check_span(current.start_month, due_month)

    def _check_span(self, start_month: int, due_month: int) -> None:
        if start_month < 1:
            raise DomainError("a milestone cannot start before the plan starts (month 1)")
        if due_month < start_month:
            raise DomainError(
                "due month {due_month} is before the milestone's start month {start_month}",
                due_month=due_month,
                start_month=start_month,
            )
        if due_month > self.months:
            raise DomainError(
                "due month {due_month} is after the plan's {months} months",
                due_month=due_month,
                months=self.months,
            )

    def adjust(
        self,
        key: str,
        action: Literal["add", "move", "drop"],
        milestone_id: str,
        milestone: Milestone | None,
        due_month: int | None,
        reason: str,
        by: str,
    ) -> bool:
        if key in self.adjustments:  # the same command, retried
            return False
        self.check_adjustment(action, milestone_id, milestone, due_month, reason)
        if action == "move":
            current = self.milestone(milestone_id)
            milestone = current.model_copy(update={"due_month": due_month})
        self._adjusted(
            key=key,
            action=action,
            milestone_id=milestone.id if milestone else milestone_id,
            milestone=milestone,
            reason=reason,
            by=by,
        )
        return True

    @event("Adjusted")
    def _adjusted(
        self,
        key: str,
        action: str,
        milestone_id: str,
        milestone: Milestone | None,
        reason: str,
        by: str,
    ) -> None:
        self.adjustments = [*self.adjustments, key]
        kept = [m for m in self.milestones if m.id != milestone_id]
        self.milestones = kept if action == "drop" or milestone is None else [*kept, milestone]
        self.overdue = [m for m in self.overdue if m != milestone_id]

    # -- the end -----------------------------------------------------------------------
    def close(self, outcome: Literal["completed", "closed"], summary: PlanProgress) -> bool:
        if self.closed:
            return False
        self._closed(outcome=outcome, summary=summary)
        return True

    @event("Closed")
    def _closed(self, outcome: str, summary: PlanProgress) -> None:
        self.closed = True

    def _require_open(self) -> None:
        if refusal := closed_refusal(self.closed):
            raise DomainError(refusal)
