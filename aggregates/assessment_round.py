"""A 360° assessment round (seed 004): who rates whom, each rating task completed, the
reminders, and at the close each anonymous group sealed and each person's competency
profile computed.

What the stream holds about anonymous groups: that a rater completed their task (who
and whether late, for reminders and progress) but never what they gave. The ratings
themselves arrive only at the close, per person and group, in one `GroupSealed` event
that carries the count and the ratings in an order of their content, without rater,
task or time; a group of fewer than `min_group_size` raters is sealed with its count
only and its ratings are not stored at all. Named groups (self, manager, and peers or
reports when the round does not make them anonymous) are recorded with the rater."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from aggregates.assessment_rules import RaterTask, already_rated, task_key
from aggregates.base import Aggregate, DomainError, Immutable, stable_id
from aggregates.competency import CompetencyGap, CompetencyProfile, Group, RatingItem

__all__ = ["AssessmentRound", "Ratee", "RaterTask", "round_uuid", "task_key"]


def round_uuid(round_id: str) -> UUID:
    return stable_id("assessment-round", round_id)


class Ratee(Immutable):
    employee_id: str
    name: str
    manager_id: str | None
    team_id: str


class AssessmentRound(Aggregate):
    @staticmethod
    def create_id(round_id: str, *_: object, **__: object) -> UUID:
        return round_uuid(round_id)

    @event("Started")
    def __init__(
        self,
        round_id: str,
        title: str,
        model_key: str,
        model_version: int,
        competencies: list[str],
        scale_top: int,
        min_group_size: int,
        anonymous_groups: list[Group],
        ratees: list[Ratee],
        tasks: list[RaterTask],
        deadline: datetime,
        close_at: datetime,
        reminders: list[datetime],
        time_zone: str,
        workflow_id: str,
        started_by: str,
    ) -> None:
        self.round_id = round_id
        self.title = title
        self.model_key = model_key
        self.model_version = model_version
        self.competencies = list(competencies)
        self.scale_top = scale_top
        self.min_group_size = min_group_size
        self.anonymous_groups = list(anonymous_groups)
        self.ratees = list(ratees)
        self.tasks = list(tasks)
        self.deadline = deadline
        self.close_at = close_at
        self.reminders = list(reminders)
        self.time_zone = time_zone
        self.workflow_id = workflow_id
        self.started_by = started_by
        self.commands: list[str] = []
        self.completed: list[str] = []
        self.late = 0
        self.named: dict[str, dict[str, RatingItem]] = {}
        self.reminded: list[int] = []
        self.deadline_passed = False
        self.sealed: list[str] = []
        self.profiles: dict[str, CompetencyProfile] = {}
        self.closed = False

    # -- indices (derived, never stored: a round of 2,000 people has ~22,000 tasks) -------
    def _index(self) -> dict[str, RaterTask]:
        index: dict[str, RaterTask] | None = self.__dict__.get("_task_index")
        if index is None:
            index = {t.key: t for t in self.tasks}
            self.__dict__["_task_index"] = index
        return index

    def _done(self) -> set[str]:
        done: set[str] | None = self.__dict__.get("_done_keys")
        if done is None:
            done = set(self.completed)
            self.__dict__["_done_keys"] = done
        return done

    def _seen(self) -> set[str]:
        seen: set[str] | None = self.__dict__.get("_command_keys")
        if seen is None:
            seen = set(self.commands)
            self.__dict__["_command_keys"] = seen
        return seen

    def is_done(self, key: str) -> bool:
        return key in self._done()

    def has_command(self, command: str) -> bool:
        return command in self._seen()

    def open_tasks_of(self, rater_id: str) -> int:
        """How many ratings a rater still owes in this round."""
        by_rater: dict[str, list[str]] | None = self.__dict__.get("_by_rater")
        if by_rater is None:
            by_rater = {}
            for t in self.tasks:
                by_rater.setdefault(t.rater_id, []).append(t.key)
            self.__dict__["_by_rater"] = by_rater
        done = self._done()
        return sum(1 for key in by_rater.get(rater_id, ()) if key not in done)

    # -- ratings ---------------------------------------------------------------------
    def task(self, rater_id: str, ratee_id: str) -> RaterTask | None:
        return self._index().get(task_key(rater_id, ratee_id))

    def complete(
        self, command: str, task: RaterTask, items: dict[str, RatingItem], late: bool
    ) -> bool:
        """A rater's rating: recorded with the rater for a named group; for an anonymous
        group only the completion is recorded here (the rating is sealed at the close).
        Ratings are final: a second one for the same task is refused."""
        if self.has_command(command):
            return False
        if self.closed:
            raise DomainError(
                "round {round_id} is closed; ratings are no longer taken", round_id=self.round_id
            )
        if self.is_done(task.key):
            refusal = already_rated(task.rater_id, task.ratee_id, self.round_id)
            raise DomainError(refusal)
        if task.anonymous:
            self._task_completed(command=command, task=task, late=late)
        else:
            self._rating_recorded(command=command, task=task, items=items, late=late)
        return True

    @event("RatingRecorded")
    def _rating_recorded(
        self, command: str, task: RaterTask, items: dict[str, RatingItem], late: bool
    ) -> None:
        self.named[task.key] = dict(items)
        self._mark_done(command, task.key, late)

    @event("AnonymousTaskCompleted")
    def _task_completed(self, command: str, task: RaterTask, late: bool) -> None:
        self._mark_done(command, task.key, late)

    def _mark_done(self, command: str, key: str, late: bool) -> None:
        # In place: copying the lists per event made loading a big round quadratic.
        self.completed.append(key)
        self.commands.append(command)
        self._done().add(key)
        self._seen().add(command)
        self.late += late

    def pending(self) -> list[RaterTask]:
        done = self._done()
        return [t for t in self.tasks if t.key not in done]

    # -- reminders and the deadline ------------------------------------------------------
    def remind(self, index: int, raters: list[str], pending_tasks: int) -> bool:
        if index in self.reminded or self.closed:
            return False
        self._reminded(index=index, raters=raters, pending_tasks=pending_tasks)
        return True

    @event("RemindersSent")
    def _reminded(self, index: int, raters: list[str], pending_tasks: int) -> None:
        self.reminded.append(index)

    def pass_deadline(self, pending_tasks: int) -> bool:
        """The deadline passed with a grace period for late ratings still to run."""
        if self.deadline_passed or self.closed:
            return False
        self._deadline_passed(pending_tasks=pending_tasks, accepting_until=self.close_at)
        return True

    @event("DeadlinePassed")
    def _deadline_passed(self, pending_tasks: int, accepting_until: datetime) -> None:
        self.deadline_passed = True

    # -- the close -------------------------------------------------------------------------
    @event("GroupSealed")
    def seal_group(
        self,
        ratee_id: str,
        group: Group,
        raters: int,
        published: bool,
        ratings: list[dict[str, RatingItem]],
    ) -> None:
        """An anonymous group's ratings, in content order, without who or when; a hidden
        group (too few raters) carries its count only."""
        self.sealed.append(f"{ratee_id}/{group}")

    @event("ProfileComputed")
    def record_profile(
        self, ratee_id: str, manager_id: str | None, team_id: str, profile: CompetencyProfile
    ) -> None:
        self.profiles[ratee_id] = profile

    @event("Closed")
    def close(
        self,
        rated: int,
        asked: int,
        late: int,
        gap_summary: list[CompetencyGap],
        ledger_batch: str,
        ledger_metrics: list[str],
    ) -> None:
        self.closed = True
