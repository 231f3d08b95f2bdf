"""A 360° round's plain values: one rater's task and its key. Pure (pydantic and the
competency model's group names), so the round workflow and its activity contracts use
them without importing the event-sourced aggregate; `aggregates.assessment_round`
re-exports them. A task is stored as plain JSON inside the round's events, never by topic."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from aggregates.competency import AnonymousGroup, CompetencyModel, Group
from aggregates.meta import Immutable
from aggregates.ratings import RatingItem, rating_problems
from words.messages import Message

ANONYMOUS_DEFAULT: tuple[AnonymousGroup, ...] = ("peers", "reports")


class RoundRequest(BaseModel):
    """What HR asks for: the people (or a team), the deadline and who is anonymous. The
    round workflow's start carries it (activities.assessments re-exports it)."""

    round_id: str
    title: str = ""
    employee_ids: list[str] = Field(default_factory=list)
    team_id: str | None = None
    deadline: datetime
    anonymous: list[AnonymousGroup] = Field(default_factory=lambda: list(ANONYMOUS_DEFAULT))
    model_key: str = "default"


def local_label(moment: datetime, zone: str) -> str:
    """A moment in the company's time zone, for people."""
    return f"{moment.astimezone(ZoneInfo(zone)).strftime('%Y-%m-%d %H:%M')} ({zone})"


def task_key(rater_id: str, ratee_id: str) -> str:
    return f"{ratee_id}/{rater_id}"


class RaterTask(Immutable):
    """One rater asked to rate one person, as one of the person's groups."""

    rater_id: str
    ratee_id: str
    group: Group
    anonymous: bool

    @property
    def key(self) -> str:
        return task_key(self.rater_id, self.ratee_id)


# -- who may rate, and when: each refusal decided once, here. The AssessmentRound aggregate
# and the Assessments application raise DomainError(refusal), the round workflow's Update
# validators (and its handlers, for a rating racing another) raise refused(refusal).
RATER_ROLES = ("employee", "manager")


def rater_refusal(role: str, person_id: str, round_id: str) -> Message | None:
    """Raters rate for themselves: employees and managers only."""
    if role not in RATER_ROLES:
        return Message(
            "{role} {person_id} cannot rate in round {round_id}; raters rate for themselves",
            role=role,
            person_id=person_id,
            round_id=round_id,
        )
    return None


def no_task(person_id: str, ratee_id: str, round_id: str) -> Message:
    return Message(
        "{person_id} has no rating task for {ratee_id} in round {round_id}",
        person_id=person_id,
        ratee_id=ratee_id,
        round_id=round_id,
    )


def already_rated(rater_id: str, ratee_id: str, round_id: str) -> Message:
    return Message(
        "{rater_id} already rated {ratee_id} in round {round_id}; ratings are final",
        rater_id=rater_id,
        ratee_id=ratee_id,
        round_id=round_id,
    )


def closed_message(round_id: str, deadline: str, close: str, grace: bool) -> Message:
    """Why a rating after the deadline is not taken (the same words everywhere)."""
    if grace:
        return Message(
            "round {round_id} closed at {close}: the deadline was {deadline} and late "
            "ratings were taken until the close; the results are published",
            round_id=round_id,
            close=Message.local(close),
            deadline=Message.local(deadline),
        )
    return Message(
        "the deadline of round {round_id}, {deadline}, has passed; late ratings are not "
        "accepted, and the results are published at the close",
        round_id=round_id,
        deadline=Message.local(deadline),
    )


def closed_refusal(
    round_id: str,
    closed: bool,
    now: datetime,
    deadline: datetime,
    close_at: datetime,
    deadline_label: str,
    close_label: str,
) -> Message | None:
    """A rating once the round is closed (or its close time has come) is not taken."""
    if closed or now >= close_at:
        return closed_message(round_id, deadline_label, close_label, close_at > deadline)
    return None


def rating_refusal(model: CompetencyModel, ratings: Mapping[str, RatingItem]) -> Message | None:
    """Every competency on the scale (comments optional), or why the rating is not taken."""
    problems = rating_problems(model, ratings)
    if problems:
        return Message("the rating was not taken: {problems}", problems=problems)
    return None
