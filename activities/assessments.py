"""Activities of the 360° assessment round workflow: each runs one idempotent command.

The inputs and results here are the workflow's contract, with the pure helpers it shares
with the commands (`ballot_key`, `sealed_order`; `closed_message` and `RoundRequest` are the
domain's, aggregates.assessment_rules): the workflow imports only this module (never the
application), so it stays free of the event store and database. The activities run the
Assessments application's commands (careerflow.applications.assessments) and map what
they return to these contracts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from temporalio import activity

from activities.errors import business_errors_are_final

# What HR asks for is the domain's (the Assessments application takes it); re-exported here.
from aggregates.assessment_rules import ANONYMOUS_DEFAULT as ANONYMOUS_DEFAULT
from aggregates.assessment_rules import RaterTask, local_label
from aggregates.assessment_rules import RoundRequest as RoundRequest
from aggregates.assessment_rules import closed_message as closed_message
from aggregates.competency import CompetencyGap, CompetencyModel, Group
from aggregates.ratings import RatingItem
from careerflow.principal import Principal

if TYPE_CHECKING:
    from aggregates.assessment_round import AssessmentRound
    from careerflow.applications.assessment_results import Note
    from careerflow.applications.assessments import Assessments

PAGE = 100
"""Raters (task notices, reminders) or people (results) per page."""


# -- one history: the round's task list crosses Temporal (rounds started before paging) --
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
    # A message's JSON (words.messages.as_message), or the title said in every language
    # (histories from before titles kept the round's typed title apart).
    title: dict[str, Any]
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


def round_info(rnd: AssessmentRound, model: CompetencyModel, version: int) -> RoundInfo:
    return RoundInfo(
        round_id=rnd.round_id,
        workflow_id=rnd.workflow_id,
        title=rnd.title,
        model=model,
        model_version=version,
        tasks=rnd.tasks,
        completed=rnd.completed,
        ratees=[r.employee_id for r in rnd.ratees],
        deadline=rnd.deadline,
        close_at=rnd.close_at,
        reminders=rnd.reminders,
        time_zone=rnd.time_zone,
        deadline_label=local_label(rnd.deadline, rnd.time_zone),
        close_label=local_label(rnd.close_at, rnd.time_zone),
        started_by=rnd.started_by,
        closed=rnd.closed,
    )


def round_brief(rnd: AssessmentRound, model: CompetencyModel, version: int) -> RoundBrief:
    return RoundBrief(
        round_id=rnd.round_id,
        workflow_id=rnd.workflow_id,
        title=rnd.title,
        model=model,
        model_version=version,
        asked=len(rnd.tasks),
        rated=len(rnd.completed),
        ratees=len(rnd.ratees),
        raters=len({t.rater_id for t in rnd.tasks}),
        deadline=rnd.deadline,
        close_at=rnd.close_at,
        reminders=rnd.reminders,
        deadline_label=local_label(rnd.deadline, rnd.time_zone),
        close_label=local_label(rnd.close_at, rnd.time_zone),
        started_by=rnd.started_by,
        closed=rnd.closed,
    )


def profile_notes(notes: list[Note]) -> list[ProfileNote]:
    return [ProfileNote(**note._asdict()) for note in notes]


class AssessmentActivities:
    """Built on the Assessments application (careerflow.applications.assessments), wired
    with its collaborators by whoever opens the engine (worker.py, the tests); each
    activity maps the application's domain values to the workflow's contract."""

    def __init__(self, assessments: Assessments) -> None:
        self.assessments = assessments

    def _info(self, rnd: AssessmentRound) -> RoundInfo:
        return round_info(rnd, *self.assessments.model(rnd.model_key, rnd.model_version))

    def _brief(self, rnd: AssessmentRound) -> RoundBrief:
        return round_brief(rnd, *self.assessments.model(rnd.model_key, rnd.model_version))

    @activity.defn(name="assessment_open")
    @business_errors_are_final
    def open(self, request: OpenRound) -> RoundInfo:
        return self._info(
            self.assessments.open_round(
                request.request, request.started_by, request.workflow_id, request.now
            )
        )

    @activity.defn(name="assessment_rate")
    @business_errors_are_final
    def rate(self, request: RateCommand) -> RatingReceipt:
        rated = self.assessments.rate(
            request.round_id,
            request.principal,
            request.ratee_id,
            request.ratings,
            request.key,
            request.now,
        )
        return RatingReceipt(
            round_id=request.round_id,
            ratee_id=rated.task.ratee_id,
            group=rated.task.group,
            anonymous=rated.task.anonymous,
            late=rated.late,
            remaining=rated.remaining,
        )

    @activity.defn(name="assessment_remind")
    @business_errors_are_final
    def remind(self, request: RemindRound) -> Reminders:
        rnd, pending = self.assessments.remind(request.round_id, request.index)
        return Reminders(
            round_id=request.round_id,
            index=request.index,
            raters=[RaterReminder(rater_id=r, ratees=ratees) for r, ratees in pending.items()],
            deadline_label=local_label(rnd.deadline, rnd.time_zone),
        )

    @activity.defn(name="assessment_deadline")
    @business_errors_are_final
    def deadline(self, request: RoundRef) -> RoundInfo:
        return self._info(self.assessments.pass_deadline(request.round_id))

    @activity.defn(name="assessment_close")
    @business_errors_are_final
    def close(self, request: CloseRound) -> CloseSummary:
        sealed: dict[tuple[str, str], list[dict[str, RatingItem]]] = defaultdict(list)
        for s in sorted(request.sealed, key=sealed_order):
            sealed[(s.ratee_id, s.group)].append(dict(s.ratings))
        rnd, model, gaps = self.assessments.close_round(request.round_id, sealed, request.now)
        return CloseSummary(
            round_id=rnd.round_id,
            title=rnd.title,
            started_by=rnd.started_by,
            asked=len(rnd.tasks),
            rated=len(rnd.completed),
            late=rnd.late,
            notes=profile_notes(self.assessments.all_notes(rnd, model)),
            gaps=gaps,
        )

    # -- compact steps: rounds of any size (ids, counts and pages cross Temporal) ---------
    @activity.defn(name="assessment_open_brief")
    @business_errors_are_final
    def open_brief(self, request: OpenRound) -> RoundBrief:
        self.assessments.open_round(
            request.request, request.started_by, request.workflow_id, request.now
        )
        return self._brief(self.assessments.current(request.request.round_id))

    @activity.defn(name="assessment_raters")
    @business_errors_are_final
    def raters(self, request: RoundPage) -> RaterPage:
        raters, after, label = self.assessments.raters(
            request.round_id, request.after, request.limit, request.reminder
        )
        return RaterPage(
            raters=[RaterReminder(rater_id=r, ratees=ratees) for r, ratees in raters.items()],
            next=after,
            deadline_label=label,
        )

    @activity.defn(name="assessment_deadline_brief")
    @business_errors_are_final
    def deadline_brief(self, request: RoundRef) -> RoundBrief:
        return self._brief(self.assessments.pass_deadline(request.round_id))

    @activity.defn(name="assessment_seal")
    @business_errors_are_final
    def seal(self, request: SealPage) -> SealProgress:
        profiles, ratees = self.assessments.seal(request.round_id, request.ballots, request.upto)
        return SealProgress(profiles=profiles, ratees=ratees)

    @activity.defn(name="assessment_finish")
    @business_errors_are_final
    def finish(self, request: FinishRound) -> RoundClosed:
        rnd, _, gaps = self.assessments.finish(request.round_id, request.now)
        return RoundClosed(
            round_id=rnd.round_id,
            title=rnd.title,
            started_by=rnd.started_by,
            asked=len(rnd.tasks),
            rated=len(rnd.completed),
            late=rnd.late,
            gaps=gaps,
        )

    @activity.defn(name="assessment_notes")
    @business_errors_are_final
    def notes(self, request: RoundPage) -> NotesPage:
        notes, after = self.assessments.notes(request.round_id, request.after, request.limit)
        return NotesPage(notes=profile_notes(notes), next=after)

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
