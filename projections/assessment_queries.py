"""360° assessment rounds from the read model, through the access rules: HR's rounds,
progress and gap summary; a rater's own tasks; a person's profile (the person, their
manager chain, HR, auditors) and a manager's team profiles.

Anonymity in every answer: anonymous groups appear in progress as counts only (who
was asked and who has rated is never listed), no answer carries a per-rating moment,
results exist only once a round has closed, and a group of fewer raters than the
competency model's minimum has no average (its note says why)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from aggregates.assessment_rules import no_task
from aggregates.base import DomainError, NotFoundError
from aggregates.competency import (
    GROUPS,
    CompetencyGap,
    CompetencyModel,
    CompetencyProfile,
    CompetencyScore,
    gap_summary,
)
from aggregates.documents import MetricCatalog
from aggregates.not_found import no_assessment_round
from careerflow.principal import AccessRole, Principal
from projections.paging import MAX_LIMIT, Key, Page, PageRequest, every, keyset, rows_before
from projections.visibility import reports_of, require_visible
from words.catalogue import in_every_language
from words.messages import Message

READERS = (AccessRole.hr, AccessRole.auditor, AccessRole.system)


class RoundSummary(BaseModel):
    round_id: str
    title: str
    status: str
    """open, late ratings (after the deadline, during the grace period) or closed."""
    model_key: str
    model_version: int
    anonymous_groups: list[str]
    started_by: str
    started_at: datetime
    deadline: datetime
    close_at: datetime
    time_zone: str
    ratees: int
    asked: int
    rated: int
    late: int
    reminders_sent: int
    closed_at: datetime | None


class RaterStatus(BaseModel):
    employee_id: str
    name: str | None
    rated: bool
    late: bool | None


class GroupProgress(BaseModel):
    """A group's tasks for one person. `raters` lists who was asked and who has rated
    for a named group; it is null for an anonymous group, which is shown as counts."""

    group: str
    anonymous: bool
    asked: int
    rated: int
    raters: list[RaterStatus] | None


class RateeProgress(BaseModel):
    employee_id: str
    name: str
    team_id: str
    asked: int
    rated: int
    groups: list[GroupProgress]


class GroupTotal(BaseModel):
    group: str
    anonymous: bool
    asked: int
    rated: int


class RoundProgress(BaseModel):
    round: RoundSummary
    share_rated: float | None
    groups: list[GroupTotal]
    ratees: list[RateeProgress]


class RoundProgressPage(Page[RateeProgress]):
    """A page of a round's people (by id), each with their groups' progress, beside the
    round's summary and its totals per group (over every person)."""

    round: RoundSummary
    share_rated: float | None
    groups: list[GroupTotal]


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


class CourseRef(BaseModel):
    course: str
    title: dict[str, str]


class ProfileView(BaseModel):
    """A person's results of a closed round: per competency each group's average (hidden
    below the minimum group size), the overall level, the target and the gap."""

    round_id: str
    title: str
    closed_at: datetime | None
    employee_id: str
    name: str
    manager_id: str | None
    team_id: str
    model_version: int
    scale_top: int
    competencies: list[CompetencyScore]
    gaps: list[str]
    courses: list[CourseRef]


class TeamProfiles(BaseModel):
    round_id: str
    manager_id: str
    profiles: list[ProfileView]
    gaps: list[CompetencyGap]
    """The team's share below target per competency (from the profiles shown)."""


class GapReport(BaseModel):
    round_id: str
    title: str
    closed_at: datetime | None
    assessed: int
    competencies: list[CompetencyGap]
    courses: dict[str, dict[str, str]] = {}
    """Each recommended course's title by language (the metric catalogue's; the course id
    itself when the catalogue has none), so every face says a course by its name."""


class RoundsPage(BaseModel):
    """One page of rounds, newest first: a total and a cursor to the next page."""

    items: list[RoundSummary]
    total: int
    limit: int
    offset: int  # how many rows come before this page (for "51–100 of 1,234")
    next_cursor: str | None


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


class ProfileRow(BaseModel):
    """One closed round in which a person was assessed (their profile is published)."""

    round_id: str
    title: str
    closed_at: datetime
    gaps: int


class ProfilesPage(BaseModel):
    """A page of a person's closed rounds, newest first; `next_cursor` None on the last."""

    items: list[ProfileRow]
    total: int
    limit: int
    next_cursor: str | None


class AssessmentQueries:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    @contextmanager
    def _connection(self) -> Iterator[Connection[DictRow]]:
        with self.pool.connection() as conn:
            yield cast(Connection[DictRow], conn)

    # -- rounds (HR) ---------------------------------------------------------------------
    def rounds_paged(
        self, principal: Principal, page: PageRequest, status: str | None = None
    ) -> Page[RoundSummary]:
        """A page of the rounds, newest first, optionally of one status (paged in SQL)."""
        principal.require(*READERS, action=Message("see 360° assessment rounds"))
        with self._connection() as conn:
            rows, total, next_cursor = keyset(
                conn,
                name="rounds",
                select="SELECT *",
                source=_ROUNDS_SOURCE,
                params={"status": status},
                keys=_ROUNDS_KEYS,
                limit=page.limit,
                cursor=page.cursor,
                descending=True,
            )
        return Page[RoundSummary](
            items=[_summary(r) for r in rows],
            total=total,
            limit=page.limit,
            next_cursor=next_cursor,
        )

    def _round(self, conn: Connection[DictRow], round_id: str) -> dict[str, Any]:
        row = conn.execute(
            "SELECT * FROM rm_assessment_round WHERE round_id = %s", (round_id,)
        ).fetchone()
        if row is None:
            raise no_assessment_round(round_id)
        return dict(row)

    def progress(self, principal: Principal, round_id: str) -> RoundProgress:
        """Every person's progress (exports, the CLI): the pages of `progress_paged`."""
        first = self.progress_paged(principal, round_id, PageRequest(limit=1))
        ratees = every(lambda page: self.progress_paged(principal, round_id, page))
        return RoundProgress(
            round=first.round, share_rated=first.share_rated, groups=first.groups, ratees=ratees
        )

    def progress_paged(
        self, principal: Principal, round_id: str, page: PageRequest
    ) -> RoundProgressPage:
        """Who has rated, a page of people at a time (by id): by name for named groups,
        counts only for anonymous ones; the group totals count every person."""
        principal.require(*READERS, action=Message("see a 360° round's progress"))
        with self._connection() as conn:
            rnd = self._round(conn, round_id)
            ratees, total, next_cursor = keyset(
                conn,
                name=f"progress:{round_id}",
                select="SELECT employee_id, name, team_id",
                source="FROM rm_assessment_profile WHERE round_id = %(round_id)s",
                params={"round_id": round_id},
                keys=(Key("employee_id", "text", "employee_id"),),
                limit=page.limit,
                cursor=page.cursor,
            )
            tasks = conn.execute(
                "SELECT t.ratee_id, t.rater_id, t.grp, t.anonymous, t.rated, t.late, e.name "
                "FROM rm_assessment_task t LEFT JOIN rm_employee e ON e.employee_id = t.rater_id "
                "WHERE t.round_id = %s AND t.ratee_id = ANY(%s) ORDER BY t.ratee_id, t.rater_id",
                (round_id, [r["employee_id"] for r in ratees]),
            ).fetchall()
            sums = conn.execute(
                "SELECT grp, bool_or(anonymous) AS anonymous, count(*) AS asked, "
                "count(*) FILTER (WHERE rated) AS rated FROM rm_assessment_task "
                "WHERE round_id = %s GROUP BY grp",
                (round_id,),
            ).fetchall()
        by_ratee: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for t in tasks:
            by_ratee.setdefault(t["ratee_id"], {}).setdefault(t["grp"], []).append(dict(t))
        totals = {r["grp"]: GroupTotal(group=r["grp"], **{k: r[k] for k in _SUMS}) for r in sums}
        summary = _summary(rnd)
        return RoundProgressPage(
            items=[_ratee(r, by_ratee.get(r["employee_id"], {})) for r in ratees],
            total=total,
            limit=page.limit,
            next_cursor=next_cursor,
            round=summary,
            share_rated=round(summary.rated / summary.asked, 4) if summary.asked else None,
            groups=[totals[g] for g in GROUPS if g in totals],
        )

    def gaps(self, principal: Principal, round_id: str) -> GapReport:
        """Per competency the share of assessed people below target, e.g. "65% have a
        resource-coordination gap", with the courses recommended."""
        principal.require(*READERS, action=Message("see a 360° round's gap summary"))
        with self._connection() as conn:
            rnd = self._round(conn, round_id)
            _require_closed(rnd)
            catalog = _catalog(conn)
        competencies = [CompetencyGap.model_validate(g) for g in rnd["gap_summary"] or []]
        return GapReport(
            round_id=round_id,
            title=rnd["title"],
            closed_at=rnd["closed_at"],
            assessed=max((g.assessed for g in competencies), default=0),
            competencies=competencies,
            courses={c: _course_title(catalog, c) for g in competencies for c in g.courses},
        )

    # -- a rater's tasks ---------------------------------------------------------------
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
            model = _model(conn, rnd["model_key"], rnd["model_version"])
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

    # -- profiles ----------------------------------------------------------------------
    def profiles_of(
        self, principal: Principal, employee_id: str, cursor: str | None = None, limit: int = 20
    ) -> ProfilesPage:
        """The closed rounds in which the person was assessed, newest first, paged
        (keyset on the close time and the round id). The person, their manager chain,
        HR and auditors."""
        limit = max(1, min(limit, MAX_LIMIT))
        with self._connection() as conn:
            require_visible(conn, principal, employee_id)
            rows, total, next_cursor = keyset(
                conn,
                name="profiles",
                select="SELECT r.round_id, r.title, r.closed_at, "
                "jsonb_array_length(coalesce(p.gaps, '[]'::jsonb)) AS gaps",
                source="FROM rm_assessment_profile p JOIN rm_assessment_round r USING (round_id) "
                "WHERE p.employee_id = %(employee_id)s AND p.profile IS NOT NULL "
                "AND r.status = 'closed' AND r.closed_at IS NOT NULL",
                params={"employee_id": employee_id},
                keys=(
                    Key("r.closed_at", "timestamptz", "closed_at"),
                    Key("r.round_id", "text", "round_id"),
                ),
                limit=limit,
                cursor=cursor,
                descending=True,
            )
        return ProfilesPage(
            items=[ProfileRow.model_validate(r) for r in rows],
            total=total,
            limit=limit,
            next_cursor=next_cursor,
        )

    def profile(self, principal: Principal, round_id: str, employee_id: str) -> ProfileView:
        with self._connection() as conn:
            require_visible(conn, principal, employee_id)
            rnd = self._round(conn, round_id)
            row = conn.execute(
                "SELECT * FROM rm_assessment_profile WHERE round_id = %s AND employee_id = %s",
                (round_id, employee_id),
            ).fetchone()
            if row is None:
                raise NotFoundError(
                    "{employee_id} is not assessed in round {round_id}",
                    employee_id=employee_id,
                    round_id=round_id,
                )
            _require_closed(rnd)
            catalog = _catalog(conn)
        return _view(rnd, dict(row), catalog)

    def team(self, principal: Principal, round_id: str, manager_id: str) -> TeamProfiles:
        """The published profiles of the manager's reports (the access rules' scope)."""
        principal.require(
            AccessRole.manager,
            AccessRole.hr,
            AccessRole.auditor,
            AccessRole.system,
            action=Message("see a team's 360° profiles"),
        )
        with self._connection() as conn:
            require_visible(conn, principal, manager_id)
            rnd = self._round(conn, round_id)
            _require_closed(rnd)
            team = sorted(reports_of(conn, manager_id))
            rows = conn.execute(
                "SELECT * FROM rm_assessment_profile WHERE round_id = %s "
                "AND employee_id = ANY(%s) AND profile IS NOT NULL ORDER BY employee_id",
                (round_id, team),
            ).fetchall()
            catalog = _catalog(conn)
            model = _model(conn, rnd["model_key"], rnd["model_version"])
        views = [_view(rnd, dict(r), catalog) for r in rows]
        profiles = [CompetencyProfile.model_validate(r["profile"]) for r in rows]
        return TeamProfiles(
            round_id=round_id,
            manager_id=manager_id,
            profiles=views,
            gaps=gap_summary(model, profiles, labels=in_every_language) if model else [],
        )

    # -- pages: rounds paged (HR, auditors) and a team's rounds (its manager) ----------
    def rounds_page(
        self, principal: Principal, limit: int = 20, cursor: str | None = None
    ) -> RoundsPage:
        """Rounds newest first (started, then id), `limit` at a time; `cursor` is the
        previous page's `next_cursor` (the API's list: the same keyset and cursors)."""
        limit = max(1, min(MAX_LIMIT, int(limit)))
        found = self.rounds_paged(principal, PageRequest(limit=limit, cursor=cursor))
        with self._connection() as conn:
            offset = rows_before(
                conn,
                name="rounds",
                source=_ROUNDS_SOURCE,
                params={"status": None},
                keys=_ROUNDS_KEYS,
                cursor=cursor,
                descending=True,
            )
        return RoundsPage(**found.model_dump(), offset=offset)

    def team_rounds(self, principal: Principal, manager_id: str) -> list[RoundSummary]:
        """The rounds that assessed any of the manager's reports, newest first (the
        latest 50): a manager's picker on the team's 360° page."""
        principal.require(
            AccessRole.manager,
            AccessRole.hr,
            AccessRole.auditor,
            AccessRole.system,
            action=Message("see a team's 360° profiles"),
        )
        with self._connection() as conn:
            require_visible(conn, principal, manager_id)
            team = sorted(reports_of(conn, manager_id))
            rows = conn.execute(
                "SELECT * FROM rm_assessment_round r WHERE EXISTS (SELECT 1 "
                "FROM rm_assessment_profile p WHERE p.round_id = r.round_id "
                "AND p.employee_id = ANY(%s)) ORDER BY started_at DESC, round_id LIMIT 50",
                (team,),
            ).fetchall()
        return [_summary(r) for r in rows]


_ROUNDS_SOURCE = "FROM rm_assessment_round WHERE (%(status)s::text IS NULL OR status = %(status)s)"
_ROUNDS_KEYS = (
    Key("started_at", "timestamptz", "started_at"),
    Key("round_id", "text", "round_id"),
)
_SUMS = ("anonymous", "asked", "rated")


def _ratee(r: Any, tasks: dict[str, list[dict[str, Any]]]) -> RateeProgress:
    """One person's progress from their tasks by group (raters named only in named groups)."""
    groups: list[GroupProgress] = []
    for group in GROUPS:
        rows = tasks.get(group, [])
        if not rows:
            continue
        anonymous = bool(rows[0]["anonymous"])
        groups.append(
            GroupProgress(
                group=group,
                anonymous=anonymous,
                asked=len(rows),
                rated=sum(1 for x in rows if x["rated"]),
                raters=None
                if anonymous
                else [
                    RaterStatus(
                        employee_id=x["rater_id"], name=x["name"], rated=x["rated"], late=x["late"]
                    )
                    for x in rows
                ],
            )
        )
    return RateeProgress(
        employee_id=r["employee_id"],
        name=r["name"],
        team_id=r["team_id"],
        asked=sum(g.asked for g in groups),
        rated=sum(g.rated for g in groups),
        groups=groups,
    )


def _summary(r: Any) -> RoundSummary:
    return RoundSummary(
        round_id=r["round_id"],
        title=r["title"],
        status=r["status"],
        model_key=r["model_key"],
        model_version=r["model_version"],
        anonymous_groups=list(r["anonymous_groups"]),
        started_by=r["started_by"],
        started_at=r["started_at"],
        deadline=r["deadline"],
        close_at=r["close_at"],
        time_zone=r["time_zone"],
        ratees=r["ratees"],
        asked=r["asked"],
        rated=r["rated"],
        late=r["late"],
        reminders_sent=r["reminders_sent"],
        closed_at=r["closed_at"],
    )


def _require_closed(rnd: dict[str, Any]) -> None:
    if rnd["status"] != "closed":
        raise DomainError(
            "round {round_id} is still open; results are published when it closes ({close_at})",
            round_id=rnd["round_id"],
            close_at=rnd["close_at"].isoformat(),
        )


def _catalog(conn: Connection[DictRow]) -> MetricCatalog | None:
    row = conn.execute(
        "SELECT document FROM rm_policy WHERE kind = 'metric_catalog' AND key = 'default' "
        "ORDER BY version DESC LIMIT 1"
    ).fetchone()
    return MetricCatalog.model_validate(row["document"]) if row else None


def _course_title(catalog: MetricCatalog | None, course: str) -> dict[str, str]:
    """A course's title by language; its id where the catalogue does not name it."""
    found = catalog.courses.get(course) if catalog else None
    return found or {"en": course, "zh": course}


def _model(conn: Connection[DictRow], key: str, version: int) -> CompetencyModel | None:
    row = conn.execute(
        "SELECT document FROM rm_policy WHERE kind = 'competency_model' AND key = %s "
        "AND version = %s",
        (key, version),
    ).fetchone()
    return CompetencyModel.model_validate(row["document"]) if row else None


def _view(rnd: dict[str, Any], row: dict[str, Any], catalog: MetricCatalog | None) -> ProfileView:
    profile = CompetencyProfile.model_validate(row["profile"])
    return ProfileView(
        round_id=rnd["round_id"],
        title=rnd["title"],
        closed_at=rnd["closed_at"],
        employee_id=row["employee_id"],
        name=row["name"],
        manager_id=row["manager_id"],
        team_id=row["team_id"],
        model_version=profile.model_version,
        scale_top=profile.scale_top,
        competencies=profile.competencies,
        gaps=profile.gaps,
        courses=[CourseRef(course=c, title=_course_title(catalog, c)) for c in profile.courses],
    )
