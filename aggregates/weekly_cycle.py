"""One rep's week (seed 001): the plan submitted on Monday (or agreed with the manager
last weekend, or defaulted to the targets), the report built on Friday from the metric
ledger, and the manager's weekend feedback with next week's agreed plan."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from eventsourcing.domain import event

from aggregates.base import Aggregate, DomainError, stable_id
from aggregates.goals import Targets

# Re-exported: the plain values live apart so that workflows need not import eventsourcing.
from aggregates.weekly_cycle_rules import Deadlines, ReportLine
from words.messages import Message

PlanSource = Literal["submitted", "agreed", "defaulted"]


def cycle_key(employee_id: str, week: str) -> str:
    return f"{employee_id}/{week}"


def cycle_uuid(employee_id: str, week: str) -> UUID:
    return stable_id("weekly-cycle", cycle_key(employee_id, week))


class WeeklyCycle(Aggregate):
    @staticmethod
    def create_id(employee_id: str, week: str, *_: object, **__: object) -> UUID:
        return cycle_uuid(employee_id, week)

    @event("Opened")
    def __init__(
        self,
        employee_id: str,
        week: str,
        manager_id: str | None,
        team_id: str,
        targets: Targets,
        settings_version: int | None,
        deadlines: Deadlines,
        workflow_id: str,
        agreed_plan: dict[str, float] | None,
    ) -> None:
        self.employee_id = employee_id
        self.week = week
        self.manager_id = manager_id
        self.team_id = team_id
        self.targets = targets
        self.deadlines = deadlines
        self.workflow_id = workflow_id
        self.plan: dict[str, float] | None = dict(agreed_plan) if agreed_plan else None
        self.plan_source: PlanSource | None = "agreed" if agreed_plan else None
        self.commands: list[str] = []
        self.report: list[ReportLine] | None = None
        self.feedback: str | None = None
        self.feedback_by: str | None = None
        self.next_plan: dict[str, float] | None = None
        self.feedback_missed = False

    # -- Monday ----------------------------------------------------------------------
    def submit_plan(self, key: str, items: dict[str, float], late_after: datetime) -> bool:
        """A rep's plan (a revision replaces the previous one until the deadline)."""
        if key in self.commands:
            return False
        if self.report is not None:
            raise DomainError(
                "the week {week} is reported; its plan can no longer change", week=self.week
            )
        if self.plan_source == "defaulted":
            raise DomainError(
                "the plan deadline, {deadline}, passed; the targets were "
                "recorded as this week's plan",
                deadline=Message.moment(late_after),
            )
        self._plan_submitted(key=key, items=items, revision=len(self.commands) + 1)
        return True

    @event("PlanSubmitted")
    def _plan_submitted(self, key: str, items: dict[str, float], revision: int) -> None:
        self.plan = dict(items)
        self.plan_source = "submitted"
        self.commands = [*self.commands, key]

    def default_plan(self, items: dict[str, float], agreed: bool = False) -> bool:
        """Nothing by the deadline: the targets (or the plan agreed last weekend) become
        the plan. A no-op when a plan exists."""
        if self.plan is not None:
            return False
        self._plan_defaulted(items=items, agreed=agreed)
        return True

    @event("PlanDefaulted")
    def _plan_defaulted(self, items: dict[str, float], agreed: bool = False) -> None:
        self.plan = dict(items)
        self.plan_source = "agreed" if agreed else "defaulted"

    # -- Friday ----------------------------------------------------------------------
    def build_report(self, lines: list[ReportLine], ledger_version: int) -> bool:
        if self.report is not None:
            return False
        if self.plan is None:
            raise DomainError(
                "week {week} has no plan yet; the report compares against it", week=self.week
            )
        self._reported(lines=lines, ledger_version=ledger_version)
        return True

    @event("ReportBuilt")
    def _reported(self, lines: list[ReportLine], ledger_version: int) -> None:
        self.report = list(lines)

    # -- the weekend -----------------------------------------------------------------
    def give_feedback(
        self, key: str, by: str, text: str, next_plan: dict[str, float] | None
    ) -> bool:
        if key in self.commands:
            return False
        if self.feedback is not None:
            raise DomainError(
                "{feedback_by} already gave feedback for {employee_id}'s week "
                "{week}; one feedback per week",
                feedback_by=self.feedback_by,
                employee_id=self.employee_id,
                week=self.week,
            )
        if self.feedback_missed:
            raise DomainError(
                "the feedback deadline for week {week} passed and was recorded as missed",
                week=self.week,
            )
        if self.report is None:
            raise DomainError(
                "week {week} is not reported yet; feedback opens with the Friday report",
                week=self.week,
            )
        self._feedback(key=key, by=by, text=text, next_plan=next_plan)
        return True

    @event("FeedbackGiven")
    def _feedback(self, key: str, by: str, text: str, next_plan: dict[str, float] | None) -> None:
        self.feedback = text
        self.feedback_by = by
        self.next_plan = dict(next_plan) if next_plan else None
        self.commands = [*self.commands, key]

    def miss_feedback(self) -> bool:
        if self.feedback is not None or self.feedback_missed:
            return False
        self._feedback_missed(manager_id=self.manager_id)
        return True

    @event("FeedbackMissed")
    def _feedback_missed(self, manager_id: str | None) -> None:
        self.feedback_missed = True

    @property
    def closed(self) -> bool:
        return self.feedback is not None or self.feedback_missed
