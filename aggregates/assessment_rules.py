"""A 360° round's plain values: one rater's task and its key. Pure (pydantic and the
competency model's group names), so the round workflow and its activity contracts use
them without importing the event-sourced aggregate; `aggregates.assessment_round`
re-exports them. A task is stored as plain JSON inside the round's events, never by topic."""

from __future__ import annotations

from aggregates.competency import Group
from aggregates.meta import Immutable


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
