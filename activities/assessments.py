"""Activities of the 360° assessment round workflow: each runs one idempotent command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from temporalio import activity

from activities.errors import business_errors_are_final
from careerflow.services.assessment_batches import (
    FinishRound,
    NotesPage,
    RaterPage,
    RoundBatches,
    RoundBrief,
    RoundClosed,
    RoundPage,
    SealPage,
    SealProgress,
)
from careerflow.services.assessments import (
    AssessmentCommands,
    CloseRound,
    CloseSummary,
    OpenRound,
    RateCommand,
    RatingReceipt,
    Reminders,
    RoundInfo,
)
from careerflow.services.registry import Services


class RoundRef(BaseModel):
    round_id: str


class RemindRound(BaseModel):
    round_id: str
    index: int


class AssessmentActivities:
    def __init__(self, services: Services) -> None:
        self.commands = AssessmentCommands(services)
        self.batches = RoundBatches(services, self.commands)

    @activity.defn(name="assessment_open")
    @business_errors_are_final
    def open(self, request: OpenRound) -> RoundInfo:
        return self.commands.open(request)

    @activity.defn(name="assessment_rate")
    @business_errors_are_final
    def rate(self, request: RateCommand) -> RatingReceipt:
        return self.commands.rate(request)

    @activity.defn(name="assessment_remind")
    @business_errors_are_final
    def remind(self, request: RemindRound) -> Reminders:
        return self.commands.remind(request.round_id, request.index)

    @activity.defn(name="assessment_deadline")
    @business_errors_are_final
    def deadline(self, request: RoundRef) -> RoundInfo:
        return self.commands.pass_deadline(request.round_id)

    @activity.defn(name="assessment_close")
    @business_errors_are_final
    def close(self, request: CloseRound) -> CloseSummary:
        return self.commands.close(request)

    # -- compact steps: rounds of any size (ids, counts and pages cross Temporal) ---------
    @activity.defn(name="assessment_open_brief")
    @business_errors_are_final
    def open_brief(self, request: OpenRound) -> RoundBrief:
        return self.batches.open(request)

    @activity.defn(name="assessment_raters")
    @business_errors_are_final
    def raters(self, request: RoundPage) -> RaterPage:
        return self.batches.raters(request)

    @activity.defn(name="assessment_deadline_brief")
    @business_errors_are_final
    def deadline_brief(self, request: RoundRef) -> RoundBrief:
        return self.batches.pass_deadline(request.round_id)

    @activity.defn(name="assessment_seal")
    @business_errors_are_final
    def seal(self, request: SealPage) -> SealProgress:
        return self.batches.seal(request)

    @activity.defn(name="assessment_finish")
    @business_errors_are_final
    def finish(self, request: FinishRound) -> RoundClosed:
        return self.batches.finish(request)

    @activity.defn(name="assessment_notes")
    @business_errors_are_final
    def notes(self, request: RoundPage) -> NotesPage:
        return self.batches.notes(request)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.open,
            self.rate,
            self.remind,
            self.deadline,
            self.close,
            self.open_brief,
            self.raters,
            self.deadline_brief,
            self.seal,
            self.finish,
            self.notes,
        ]
