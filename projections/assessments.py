"""360° assessment rounds, from the `assessments` application: each round's progress
(counts), each rater's tasks (done or not, no moment), and each person's profile once the
round closes. Nothing here can tie an anonymous rating to its rater: the events carry no
such link, and no row keeps a per-rating time."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL
from psycopg.types.json import Jsonb

from aggregates.assessment_round import AssessmentRound
from projections.base import Apply, EventHandlers, event_of, handles


class AssessmentsProjection(EventHandlers):
    name = "assessments_projection"
    owned_tables: ClassVar[list[str]] = [
        "rm_assessment_round",
        "rm_assessment_task",
        "rm_assessment_profile",
    ]
    aggregates = (AssessmentRound,)
    # Only advance tracking: a group's sealing shows in each ratee's ProfileComputed.
    ignored = (event_of(AssessmentRound, "GroupSealed"),)

    @handles(event_of(AssessmentRound, "Started"))
    def _AssessmentRound_Started(self, e: Any) -> Apply:
        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(
                SQL(
                    "INSERT INTO {0} (round_id, aggregate_id, workflow_id, title, model_key, "
                    "model_version, anonymous_groups, started_by, started_at, deadline, "
                    "close_at, time_zone, status, ratees, asked) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'open', %s, %s) "
                    "ON CONFLICT DO NOTHING"
                ).format(self.view.table("rm_assessment_round")),
                (
                    e.round_id,
                    e.originator_id,
                    e.workflow_id,
                    e.title,
                    e.model_key,
                    e.model_version,
                    Jsonb(list(e.anonymous_groups)),
                    e.started_by,
                    e.timestamp,
                    e.deadline,
                    e.close_at,
                    e.time_zone,
                    len(e.ratees),
                    len(e.tasks),
                ),
            )
            curs.executemany(
                SQL(
                    "INSERT INTO {0} (round_id, employee_id, name, manager_id, team_id) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
                ).format(self.view.table("rm_assessment_profile")),
                [(e.round_id, r.employee_id, r.name, r.manager_id, r.team_id) for r in e.ratees],
            )
            curs.executemany(
                SQL(
                    "INSERT INTO {0} (round_id, ratee_id, rater_id, grp, anonymous) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
                ).format(self.view.table("rm_assessment_task")),
                [(e.round_id, t.ratee_id, t.rater_id, t.group, t.anonymous) for t in e.tasks],
            )

        return change

    def _round(self, e: Any, assignments: str, params: tuple[Any, ...]) -> Apply:
        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(
                SQL("UPDATE {0} SET " + assignments + " WHERE aggregate_id = %s").format(
                    self.view.table("rm_assessment_round")
                ),
                (*params, e.originator_id),
            )

        return change

    def _done(self, e: Any, late: bool | None) -> Apply:
        round_change = self._round(e, "rated = rated + 1, late = late + %s", (int(e.late),))

        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(
                SQL(
                    "UPDATE {0} t SET rated = true, late = %s FROM {1} r "
                    "WHERE r.aggregate_id = %s AND t.round_id = r.round_id "
                    "AND t.ratee_id = %s AND t.rater_id = %s"
                ).format(
                    self.view.table("rm_assessment_task"),
                    self.view.table("rm_assessment_round"),
                ),
                (late, e.originator_id, e.task.ratee_id, e.task.rater_id),
            )
            round_change(curs)

        return change

    @handles(event_of(AssessmentRound, "RatingRecorded"))
    def _AssessmentRound_RatingRecorded(self, e: Any) -> Apply:
        # A named group's rating: the rater is known; the content goes only into the
        # profile at the close.
        return self._done(e, bool(e.late))

    @handles(event_of(AssessmentRound, "AnonymousTaskCompleted"))
    def _AssessmentRound_AnonymousTaskCompleted(self, e: Any) -> Apply:
        # Done, nothing more: not when, not late (lateness is counted on the round only).
        return self._done(e, None)

    @handles(event_of(AssessmentRound, "RemindersSent"))
    def _AssessmentRound_RemindersSent(self, e: Any) -> Apply:
        return self._round(e, "reminders_sent = reminders_sent + 1", ())

    @handles(event_of(AssessmentRound, "DeadlinePassed"))
    def _AssessmentRound_DeadlinePassed(self, e: Any) -> Apply:
        return self._round(e, "status = 'late ratings'", ())

    @handles(event_of(AssessmentRound, "ProfileComputed"))
    def _AssessmentRound_ProfileComputed(self, e: Any) -> Apply:
        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(
                SQL(
                    "UPDATE {0} p SET profile = %s, gaps = %s FROM {1} r "
                    "WHERE r.aggregate_id = %s AND p.round_id = r.round_id "
                    "AND p.employee_id = %s"
                ).format(
                    self.view.table("rm_assessment_profile"),
                    self.view.table("rm_assessment_round"),
                ),
                (
                    Jsonb(e.profile.model_dump(mode="json")),
                    Jsonb(list(e.profile.gaps)),
                    e.originator_id,
                    e.ratee_id,
                ),
            )

        return change

    @handles(event_of(AssessmentRound, "Closed"))
    def _AssessmentRound_Closed(self, e: Any) -> Apply:
        return self._round(
            e,
            "status = 'closed', closed_at = %s, gap_summary = %s",
            (e.timestamp, Jsonb([g.model_dump(mode="json") for g in e.gap_summary])),
        )
