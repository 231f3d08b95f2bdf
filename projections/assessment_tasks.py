"""A rater's side of 360° rounds from the read model: their own tasks (a page at a
time, soonest deadline first) and the form to rate one person (the task and the
competency model at the round's version). Not the caller's task: not found, so nobody
learns who rates whom."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from aggregates.assessment_rules import no_task
from aggregates.base import NotFoundError
from careerflow.principal import AccessRole, Principal
from projections.assessment_rounds import AssessmentReads, competency_model
from projections.paging import Key, Page, PageRequest, every, keyset
from words.messages import Message


class MyTask(BaseModel):
    """One rating the caller is asked to give (their own task: whether it is done)."""

    round_id: str
    title: str
    status: str
    deadline: datetime
    close_at: datetime
    ratee_id: str
    ratee_name: str | None
    group: str
    anonymous: bool
    rated: bool


class MyTasks(BaseModel):
    person_id: str
    open: int
    tasks: list[MyTask]


class MyTasksPage(Page[MyTask]):
    """A page of the caller's rating tasks (soonest deadline first); `open` counts every
    task not yet rated in a round still open."""

    person_id: str
    open: int


class FormCompetency(BaseModel):
    competency: str
    label: dict[str, str]
    description: dict[str, str]


class FormLevel(BaseModel):
    level: int
    label: dict[str, str]


class RatingForm(BaseModel):
    """What a rater needs to rate one person: the task (done or not) and the competency
    model at the round's version (labels, descriptions, the scale's levels)."""

    round_id: str
    title: str
    status: str
    deadline: datetime
    close_at: datetime
    time_zone: str
    model_version: int
    ratee_id: str
    ratee_name: str | None
    group: str
    anonymous: bool
    rated: bool
    competencies: list[FormCompetency]
    scale: list[FormLevel]
    comment_max_length: int


class TaskQueries(AssessmentReads):
    def my_tasks(self, principal: Principal) -> MyTasks:
        """Every task of the caller (their page, the CLI): the pages of `tasks_paged`."""
        first = self.tasks_paged(principal, PageRequest(limit=1))
        tasks = every(lambda page: self.tasks_paged(principal, page))
        return MyTasks(person_id=principal.person_id, open=first.open, tasks=tasks)

    def tasks_paged(self, principal: Principal, page: PageRequest) -> MyTasksPage:
        """A page of the ratings the caller is asked to give, soonest deadline first (then
        round and person), paged in SQL; `open` counts all of them."""
        principal.require(
            AccessRole.employee,
            AccessRole.manager,
            AccessRole.hr,
            AccessRole.auditor,
            action=Message("see 360° rating tasks"),
        )
        params = {"rater": principal.person_id}
        with self._connection() as conn:
            counted = conn.execute(
                "SELECT count(*) AS n FROM rm_assessment_task t "
                "JOIN rm_assessment_round r USING (round_id) "
                "WHERE t.rater_id = %(rater)s AND NOT t.rated AND r.status <> 'closed'",
                params,
            ).fetchone()
            rows, total, next_cursor = keyset(
                conn,
                name="my-tasks",
                select="SELECT t.round_id, r.title, r.status, r.deadline, r.close_at, "
                't.ratee_id, p.name AS ratee_name, t.grp AS "group", t.anonymous, t.rated',
                source="FROM rm_assessment_task t JOIN rm_assessment_round r USING (round_id) "
                "LEFT JOIN rm_assessment_profile p "
                "ON p.round_id = t.round_id AND p.employee_id = t.ratee_id "
                "WHERE t.rater_id = %(rater)s",
                params=params,
                keys=(
                    Key("r.deadline", "timestamptz", "deadline"),
                    Key("t.round_id", "text", "round_id"),
                    Key("t.ratee_id", "text", "ratee_id"),
                ),
                limit=page.limit,
                cursor=page.cursor,
            )
        return MyTasksPage(
            items=[MyTask.model_validate(r) for r in rows],
            total=total,
            limit=page.limit,
            next_cursor=next_cursor,
            person_id=principal.person_id,
            open=int(counted["n"]) if counted else 0,
        )

    def rating_form(self, principal: Principal, round_id: str, ratee_id: str) -> RatingForm:
        """The caller's own task for one person with the model's labels at the round's
        version; not the caller's task: not found (nobody learns who rates whom)."""
        principal.require(
            AccessRole.employee, AccessRole.manager, action=Message("rate in 360° rounds")
        )
        with self._connection() as conn:
            rnd = self._round(conn, round_id)
            task = conn.execute(
                "SELECT t.grp, t.anonymous, t.rated, p.name FROM rm_assessment_task t "
                "LEFT JOIN rm_assessment_profile p "
                "ON p.round_id = t.round_id AND p.employee_id = t.ratee_id "
                "WHERE t.round_id = %s AND t.ratee_id = %s AND t.rater_id = %s",
                (round_id, ratee_id, principal.person_id),
            ).fetchone()
            if task is None:
                refusal = no_task(principal.person_id, ratee_id, round_id)
                raise NotFoundError(refusal)
            model = competency_model(conn, rnd["model_key"], rnd["model_version"])
        return RatingForm(
            round_id=round_id,
            title=rnd["title"],
            status=rnd["status"],
            deadline=rnd["deadline"],
            close_at=rnd["close_at"],
            time_zone=rnd["time_zone"],
            model_version=rnd["model_version"],
            ratee_id=ratee_id,
            ratee_name=task["name"],
            group=task["grp"],
            anonymous=task["anonymous"],
            rated=task["rated"],
            competencies=[
                FormCompetency(competency=c.id, label=c.label, description=c.description)
                for c in (model.competencies if model else [])
            ],
            scale=[FormLevel(level=x.level, label=x.label) for x in (model.scale if model else [])],
            comment_max_length=model.comment_max_length if model else 1000,
        )
