"""Activities of the promotion process: each runs one idempotent command on the
promotion application (and, on the effective date, on the employee)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from temporalio import activity

from activities.errors import business_errors_are_final
from aggregates.criteria import CriterionResult
from aggregates.ladder import Role
from aggregates.promotion_rules import CommandResult as CommandResult
from aggregates.promotion_rules import ReportSummary as ReportSummary
from careerflow.principal import Principal

if TYPE_CHECKING:
    from careerflow.applications.promotions import Promotions


# -- requests ------------------------------------------------------------------------------


class OpenApplication(BaseModel):
    principal: Principal
    application_id: str
    employee_id: str
    target_role: Role
    workflow_id: str


class OpenWithReport(OpenApplication):
    """Opening and the first round's report, in one save."""

    as_of: date


class SubmitReport(BaseModel):
    application_id: str
    round: int
    as_of: date
    requested_by: Principal


class RecordDecision(BaseModel):
    application_id: str
    round: int
    principal: Principal
    approve: bool
    comment: str
    command_id: str | None = None  # the caller's, recorded on the event (a retry is known)


class RecordReminder(BaseModel):
    application_id: str
    key: str
    kind: str
    recipients: list[str]


class ReturnApplication(BaseModel):
    application_id: str
    round: int
    unmet: list[CriterionResult]


class RecordHrReview(BaseModel):
    application_id: str
    round: int
    principal: Principal
    action: str  # "confirm" | "override"
    approve: bool
    text: str
    command_id: str | None = None


class RecordWithdrawal(BaseModel):
    application_id: str
    principal: Principal
    reason: str
    command_id: str | None = None


class Announce(BaseModel):
    application_id: str
    today: date


class PromotionActivities:
    def __init__(self, promotions: Promotions) -> None:
        # The commands are the Promotions application's; this class maps contracts to them.
        self.commands = promotions

    @activity.defn(name="promotion_open")
    @business_errors_are_final
    def open(self, request: OpenApplication) -> CommandResult:
        return self.commands.open_application(
            request.principal,
            request.application_id,
            request.employee_id,
            request.target_role,
            request.workflow_id,
        )

    @activity.defn(name="promotion_open_with_report")
    @business_errors_are_final
    def open_with_report(self, request: OpenWithReport) -> ReportSummary:
        return self.commands.open_with_report(
            request.principal,
            request.application_id,
            request.employee_id,
            request.target_role,
            request.workflow_id,
            request.as_of,
        )

    @activity.defn(name="promotion_submit_report")
    @business_errors_are_final
    def submit_report(self, request: SubmitReport) -> ReportSummary:
        return self.commands.submit_report(
            request.application_id, request.round, request.as_of, request.requested_by
        )

    @activity.defn(name="promotion_record_decision")
    @business_errors_are_final
    def record_decision(self, request: RecordDecision) -> CommandResult:
        return self.commands.decide(
            request.application_id,
            request.round,
            request.principal,
            request.approve,
            request.comment,
            request.command_id,
        )

    @activity.defn(name="promotion_record_reminder")
    @business_errors_are_final
    def record_reminder(self, request: RecordReminder) -> CommandResult:
        return self.commands.remind(
            request.application_id, request.key, request.kind, request.recipients
        )

    @activity.defn(name="promotion_return")
    @business_errors_are_final
    def return_application(self, request: ReturnApplication) -> CommandResult:
        return self.commands.return_application(
            request.application_id, request.round, request.unmet
        )

    @activity.defn(name="promotion_record_hr_review")
    @business_errors_are_final
    def record_hr_review(self, request: RecordHrReview) -> CommandResult:
        if request.action == "confirm":
            return self.commands.confirm(
                request.application_id,
                request.round,
                request.principal,
                request.text,
                request.command_id,
            )
        return self.commands.override(
            request.application_id,
            request.round,
            request.principal,
            request.text,
            request.approve,
            request.command_id,
        )

    @activity.defn(name="promotion_record_withdrawal")
    @business_errors_are_final
    def record_withdrawal(self, request: RecordWithdrawal) -> CommandResult:
        return self.commands.withdraw(
            request.application_id, request.principal, request.reason, request.command_id
        )

    @activity.defn(name="promotion_announce")
    @business_errors_are_final
    def announce(self, request: Announce) -> CommandResult:
        return self.commands.announce(request.application_id, request.today)

    @activity.defn(name="promotion_complete")
    @business_errors_are_final
    def complete(self, application_id: str) -> CommandResult:
        return self.commands.complete(application_id)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.open,
            self.open_with_report,
            self.submit_report,
            self.record_decision,
            self.record_reminder,
            self.return_application,
            self.record_hr_review,
            self.record_withdrawal,
            self.announce,
            self.complete,
        ]
