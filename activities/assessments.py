"""Activities of the 360° assessment round workflow: each runs one idempotent command.

The inputs and results here are the workflow's contract, with the pure helpers it shares
with the commands (`ballot_key`, `closed_message`, `sealed_order`): the workflow imports
only this module (never the services), so it stays free of the event store and database.
careerflow.services.assessments and .assessment_batches import them back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from temporalio import activity

from activities.errors import business_errors_are_final
from aggregates.assessment_rules import RaterTask
from aggregates.competency import AnonymousGroup, CompetencyGap, CompetencyModel, Group
from aggregates.ratings import RatingItem
from careerflow.principal import Principal
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.services.registry import Services

ANONYMOUS_DEFAULT: tuple[AnonymousGroup, ...] = ("peers", "reports")
PAGE = 100
"""Raters (task notices, reminders) or people (results) per page."""


# -- one history: the round's task list crosses Temporal (rounds started before paging) --
class RoundRequest(BaseModel):
    """What HR asks for: the people (or a team), the deadline and who is anonymous."""

    round_id: str
    title: str = ""
    employee_ids: list[str] = Field(default_factory=list)
    team_id: str | None = None
    deadline: datetime
    anonymous: list[AnonymousGroup] = Field(default_factory=lambda: list(ANONYMOUS_DEFAULT))
    model_key: str = "default"


class OpenRound(BaseModel):
    request: RoundRequest
    started_by: Principal
    workflow_id: str
    now: datetime


class RoundInfo(BaseModel):
    """What the round workflow and its validators need to know."""

    round_id: str
    workflow_id: str
    title: str
    model: CompetencyModel
    model_version: int
    tasks: list[RaterTask]
    completed: list[str]
    ratees: list[str]
    deadline: datetime
    close_at: datetime
    reminders: list[datetime]
    time_zone: str
    deadline_label: str
    close_label: str
    started_by: str
    closed: bool


class RoundRef(BaseModel):
    round_id: str


class RemindRound(BaseModel):
    round_id: str
    index: int


class RateCommand(BaseModel):
    round_id: str
    principal: Principal
    ratee_id: str
    ratings: dict[str, RatingItem]
    key: str
    now: datetime


class RatingReceipt(BaseModel):
    """What a rater is told: taken (late or not) and how many ratings they still owe.
    No time: an anonymous rating's moment is nobody's business."""

    round_id: str
    ratee_id: str
    group: Group
    anonymous: bool
    late: bool
    remaining: int


class RaterReminder(BaseModel):
    rater_id: str
    ratees: list[str]


class Reminders(BaseModel):
    round_id: str
    index: int
    raters: list[RaterReminder]
    deadline_label: str


class SealedRating(BaseModel):
    """An anonymous rating as the workflow holds it until the close: without its rater."""

    ratee_id: str
    group: Group
    ratings: dict[str, RatingItem]


class CloseRound(BaseModel):
    round_id: str
    sealed: list[SealedRating]
    now: datetime


class ProfileNote(BaseModel):
    employee_id: str
    gaps: list[str]
    title: dict[str, str]
    body: dict[str, str]


class CloseSummary(BaseModel):
    round_id: str
    title: str
    started_by: str
    asked: int
    rated: int
    late: int
    notes: list[ProfileNote]
    gaps: list[CompetencyGap]


def sealed_order(s: SealedRating) -> tuple[Any, ...]:
    """Order of anonymous ratings by content alone (never by arrival)."""
    return (
        s.ratee_id,
        s.group,
        tuple(
            (cid, s.ratings[cid].level, s.ratings[cid].comment or "") for cid in sorted(s.ratings)
        ),
    )


def closed_message(round_id: str, deadline: str, close: str, grace: bool) -> Message:
    """Why a rating after the deadline is not taken (the same words everywhere)."""
    if grace:
        return Message(
            "round {round_id} closed at {close}: the deadline was {deadline} and late "
            "ratings were taken until the close; the results are published",
            round_id=round_id,
            close=close,
            deadline=deadline,
        )
    return Message(
        "the deadline of round {round_id} ({deadline}) has passed; late ratings are not "
        "accepted, and the results are published at the close",
        round_id=round_id,
        deadline=deadline,
    )


# -- rounds of any size: ids, counts and pages cross Temporal, never the task list -------
class RoundBrief(BaseModel):
    """What the round workflow keeps about its round: counts, times and the model."""

    round_id: str
    workflow_id: str
    title: str
    model: CompetencyModel
    model_version: int
    asked: int
    rated: int
    ratees: int
    raters: int
    deadline: datetime
    close_at: datetime
    reminders: list[datetime]
    deadline_label: str
    close_label: str
    started_by: str
    closed: bool


class RoundPage(BaseModel):
    round_id: str
    after: str = ""
    limit: int = PAGE
    reminder: int | None = None
    """A reminder's index: only raters with a task still open (recorded on the first page)."""


class RaterPage(BaseModel):
    raters: list[RaterReminder]
    next: str | None
    """Where the next page starts; None on the last page."""
    deadline_label: str


class Ballot(BaseModel):
    """An anonymous rating as the round workflow holds it until the close: the levels in
    the model's competency order and the comments given. No rater, no time."""

    levels: list[int]
    comments: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def of(cls, competencies: list[str], ratings: dict[str, RatingItem]) -> Ballot:
        return cls(
            levels=[ratings[c].level for c in competencies],
            comments={c: ratings[c].comment or "" for c in competencies if ratings[c].comment},
        )

    def ratings(self, competencies: list[str]) -> dict[str, RatingItem]:
        return {
            c: RatingItem(level=level, comment=self.comments.get(c))
            for c, level in zip(competencies, self.levels, strict=True)
        }


def ballot_key(ratee_id: str, group: str) -> str:
    return f"{ratee_id}/{group}"


class SealPage(BaseModel):
    round_id: str
    ballots: dict[str, list[Ballot]]
    """`ratee/group` -> its anonymous ballots: every ballot of each person named."""
    upto: str | None
    """Seal every person up to this id (None: everyone left)."""


class SealProgress(BaseModel):
    profiles: int
    ratees: int


class FinishRound(BaseModel):
    round_id: str
    now: datetime


class RoundClosed(BaseModel):
    round_id: str
    title: str
    started_by: str
    asked: int
    rated: int
    late: int
    gaps: list[CompetencyGap]


class NotesPage(BaseModel):
    notes: list[ProfileNote]
    next: str | None


class AssessmentActivities:
    def __init__(self, services: Services) -> None:
        # Imported here: the commands bring the event store and the database, which the
        # workflow (importing this module's contracts) must not load.
        from careerflow.services.assessment_batches import RoundBatches
        from careerflow.services.assessments import AssessmentCommands

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
