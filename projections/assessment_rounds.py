"""A 360° round from the read model, through the access rules (HR, auditors): the rounds,
a round's progress (a page of people at a time, with its totals over every person) and
its gap summary; and the reading every assessment query shares (a round, the competency
model at its version, the catalogue's course titles, "results only once closed").

Anonymity: anonymous groups appear in progress as counts only (who was asked and who has
rated is never listed) and no answer carries a per-rating moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import DictRow
from pydantic import BaseModel

from aggregates.base import DomainError
from aggregates.competency import GROUPS, CompetencyGap, CompetencyModel
from aggregates.documents import MetricCatalog
from aggregates.not_found import no_assessment_round
from careerflow.principal import AccessRole, Principal
from projections.paging import MAX_LIMIT, Key, Page, PageRequest, every, keyset, rows_before
from projections.pooled import PooledReads
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


class RoundProgressView(RoundProgressPage):
    """The round's page: a page of its people with how many come before it (for
    "51-100 of 1,234"), beside the summary and totals over every person."""

    offset: int


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


class AssessmentReads(PooledReads):
    """The pool and the reads every assessment query starts from."""

    def _round(self, conn: Connection[DictRow], round_id: str) -> dict[str, Any]:
        row = conn.execute(
            "SELECT * FROM rm_assessment_round WHERE round_id = %s", (round_id,)
        ).fetchone()
        if row is None:
            raise no_assessment_round(round_id)
        return dict(row)


class RoundQueries(AssessmentReads):
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
            items=[summary_of(r) for r in rows],
            total=total,
            limit=page.limit,
            next_cursor=next_cursor,
        )

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
                source=_PROGRESS_SOURCE,
                params={"round_id": round_id},
                keys=_PROGRESS_KEYS,
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
        summary = summary_of(rnd)
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
            require_closed(rnd)
            catalog = metric_catalog(conn)
        competencies = [CompetencyGap.model_validate(g) for g in rnd["gap_summary"] or []]
        return GapReport(
            round_id=round_id,
            title=rnd["title"],
            closed_at=rnd["closed_at"],
            assessed=max((g.assessed for g in competencies), default=0),
            competencies=competencies,
            courses={c: course_title(catalog, c) for g in competencies for c in g.courses},
        )

    # -- pages: the rounds and a round's people, with how many rows come before ----
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

    def progress_page(
        self, principal: Principal, round_id: str, limit: int = 50, cursor: str | None = None
    ) -> RoundProgressView:
        """A page of the round's people (the API's keyset and cursors), with how many come
        before it; the summary and group totals count every person."""
        limit = max(1, min(MAX_LIMIT, int(limit)))
        found = self.progress_paged(principal, round_id, PageRequest(limit=limit, cursor=cursor))
        with self._connection() as conn:
            offset = rows_before(
                conn,
                name=f"progress:{round_id}",
                source=_PROGRESS_SOURCE,
                params={"round_id": round_id},
                keys=_PROGRESS_KEYS,
                cursor=cursor,
            )
        return RoundProgressView(**found.model_dump(), offset=offset)


_ROUNDS_SOURCE = "FROM rm_assessment_round WHERE (%(status)s::text IS NULL OR status = %(status)s)"
_ROUNDS_KEYS = (
    Key("started_at", "timestamptz", "started_at"),
    Key("round_id", "text", "round_id"),
)
_PROGRESS_SOURCE = "FROM rm_assessment_profile WHERE round_id = %(round_id)s"
_PROGRESS_KEYS = (Key("employee_id", "text", "employee_id"),)
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


def summary_of(r: Any) -> RoundSummary:
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


def require_closed(rnd: dict[str, Any]) -> None:
    if rnd["status"] != "closed":
        raise DomainError(
            "round {round_id} is still open; results are published when it closes ({close_at})",
            round_id=rnd["round_id"],
            close_at=rnd["close_at"].isoformat(),
        )


def metric_catalog(conn: Connection[DictRow]) -> MetricCatalog | None:
    row = conn.execute(
        "SELECT document FROM rm_policy WHERE kind = 'metric_catalog' AND key = 'default' "
        "ORDER BY version DESC LIMIT 1"
    ).fetchone()
    return MetricCatalog.model_validate(row["document"]) if row else None


def course_title(catalog: MetricCatalog | None, course: str) -> dict[str, str]:
    """A course's title by language; its id where the catalogue does not name it."""
    found = catalog.courses.get(course) if catalog else None
    return found or {"en": course, "zh": course}


def competency_model(conn: Connection[DictRow], key: str, version: int) -> CompetencyModel | None:
    row = conn.execute(
        "SELECT document FROM rm_policy WHERE kind = 'competency_model' AND key = %s "
        "AND version = %s",
        (key, version),
    ).fetchone()
    return CompetencyModel.model_validate(row["document"]) if row else None
