"""Promotion read models for people: status and timeline, HR's pipeline, cycle time
against the 5-working-day target, and returned applications with their reasons."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from aggregates.base import NotFoundError
from aggregates.not_found import application_not_visible
from aggregates.process import PromotionProcess
from careerflow.principal import AccessRole, Principal
from careerflow.workdays import working_days_between
from projections.paging import Key, Page, PageRequest, bad_cursor, every, keyset
from projections.people_queries import (
    EXPORT_LIMIT,
    MAX_LIMIT,
    _like,
    decode_cursor,
    encode_cursor,
)
from projections.visibility import EVERYONE, can_see, reports_of, visible_sql
from words.catalogue import said_line
from words.messages import Message

OPEN_STAGES = ("reporting", "manager_review", "returned", "hr_review", "approved")
# Who may read applications at all (403 for any other role, before any lookup; the
# engine itself reads them too). The API and the CLI say this same refusal.
READERS = (AccessRole.employee, AccessRole.manager, AccessRole.hr, AccessRole.auditor)


def _require_reader(principal: Principal, action: Message) -> None:
    if principal.role != AccessRole.system:
        principal.require(*READERS, action=action)


class PromotionQueries:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def _process(self, conn: Any) -> PromotionProcess:
        row = conn.execute(
            "SELECT document FROM rm_policy WHERE kind = 'promotion_process' AND key = 'default' "
            "ORDER BY version DESC LIMIT 1"
        ).fetchone()
        return PromotionProcess.model_validate(row["document"]) if row else PromotionProcess()

    def application(
        self, principal: Principal, application_id: str, lang: str = "en"
    ) -> dict[str, Any]:
        """Status and every step (who, when, comment, the unmet criteria said in `lang`);
        applicant, manager chain, HR and auditors only."""
        _require_reader(principal, Message("see promotion applications"))
        with self.pool.connection() as conn:
            row: Any = conn.execute(
                "SELECT * FROM rm_application WHERE application_id = %s", (application_id,)
            ).fetchone()
            if row is None or not can_see(conn, principal, row["employee_id"]):  # type: ignore[arg-type]
                raise application_not_visible(application_id)
            steps = conn.execute(
                "SELECT seq, at, kind, actor, actor_role, round, comment, detail "
                "FROM rm_application_step WHERE application_id = %s ORDER BY seq",
                (application_id,),
            ).fetchall()
        return {**dict(row), "timeline": [_said_step(dict(s), lang) for s in steps]}

    def latest_application_id(self, principal: Principal, employee_id: str) -> str:
        """The id of the employee's latest application (by start), said as not found
        when there is none the caller can see."""
        _require_reader(principal, Message("see promotion applications"))
        with self.pool.connection() as conn:
            row: Any = conn.execute(
                "SELECT application_id FROM rm_application WHERE employee_id = %s "
                "ORDER BY started_at DESC LIMIT 1",
                (employee_id,),
            ).fetchone()
            if row is None or not can_see(conn, principal, employee_id):  # type: ignore[arg-type]
                raise NotFoundError(
                    "no application of {employee_id!r} that you can see", employee_id=employee_id
                )
        return str(row["application_id"])

    def applications(self, principal: Principal, stage: str | None = None) -> list[dict[str, Any]]:
        _require_reader(principal, Message("see promotion applications"))
        with self.pool.connection() as conn:
            rows: Any = conn.execute(
                "SELECT a.application_id, a.employee_id, e.name, a.target_role, a.stage, a.round, "
                "a.started_at, a.stage_since, a.manager_id, m.name AS manager_name, a.eligible "
                "FROM rm_application a JOIN rm_employee e USING (employee_id) "
                "LEFT JOIN rm_employee m ON m.employee_id = a.manager_id "
                "WHERE (%(stage)s::text IS NULL OR a.stage = %(stage)s) ORDER BY a.started_at",
                {"stage": stage},
            ).fetchall()
            if principal.role in EVERYONE:
                return [dict(r) for r in rows]
            visible = {principal.person_id}
            if principal.role == AccessRole.manager:
                visible |= reports_of(conn, principal.person_id)  # type: ignore[arg-type]
        return [dict(r) for r in rows if r["employee_id"] in visible]

    def _visible(self, conn: Any, principal: Principal) -> list[str] | None:
        """None: everyone; else the employees whose applications the caller may see."""
        if principal.role in EVERYONE:
            return None
        visible = {principal.person_id}
        if principal.role == AccessRole.manager:
            visible |= reports_of(conn, principal.person_id)
        return sorted(visible)

    def applications_paged(
        self,
        principal: Principal,
        page: PageRequest,
        stage: str | None = None,
        person: str | None = None,
    ) -> Page[dict[str, Any]]:
        """A page of the applications the caller may see, oldest first, by stage and
        applicant (paged in SQL)."""
        _require_reader(principal, Message("see promotion applications"))
        with self.pool.connection() as conn:
            rows, total, next_cursor = keyset(
                conn,
                name="applications",
                select="SELECT a.application_id, a.employee_id, e.name, a.target_role, a.stage, "
                "a.round, a.started_at, a.stage_since, a.manager_id, m.name AS manager_name, "
                "a.eligible",
                source="FROM rm_application a JOIN rm_employee e USING (employee_id) "
                "LEFT JOIN rm_employee m ON m.employee_id = a.manager_id "
                "WHERE (%(stage)s::text IS NULL OR a.stage = %(stage)s) "
                "AND (%(person)s::text IS NULL OR a.employee_id = %(person)s) "
                "AND (%(visible)s::text[] IS NULL OR a.employee_id = ANY(%(visible)s))",
                params={
                    "stage": stage,
                    "person": person,
                    "visible": self._visible(conn, principal),
                },
                keys=(
                    Key("a.started_at", "timestamptz", "started_at"),
                    Key("a.application_id", "text", "application_id"),
                ),
                limit=page.limit,
                cursor=page.cursor,
            )
        return Page[dict[str, Any]](
            items=rows, total=total, limit=page.limit, next_cursor=next_cursor
        )

    def returned_paged(
        self, principal: Principal, page: PageRequest, person: str | None = None
    ) -> Page[dict[str, Any]]:
        """A page of the returned applications the caller may see and why, newest
        (last moved) first (paged in SQL)."""
        _require_reader(principal, Message("see returned applications"))
        with self.pool.connection() as conn:
            rows, total, next_cursor = keyset(
                conn,
                name="returned",
                select="SELECT a.application_id, a.employee_id, e.name, a.target_role, a.stage, "
                "a.round, a.returned_count, a.unmet, a.stage_since",
                source="FROM rm_application a LEFT JOIN rm_employee e USING (employee_id) "
                "WHERE a.returned_count > 0 "
                "AND (%(person)s::text IS NULL OR a.employee_id = %(person)s) "
                "AND (%(visible)s::text[] IS NULL OR a.employee_id = ANY(%(visible)s))",
                params={"person": person, "visible": self._visible(conn, principal)},
                keys=(
                    Key("a.stage_since", "timestamptz", "stage_since"),
                    Key("a.application_id", "text", "application_id"),
                ),
                limit=page.limit,
                cursor=page.cursor,
                descending=True,
            )
        return Page[dict[str, Any]](
            items=rows, total=total, limit=page.limit, next_cursor=next_cursor
        )

    def of_employee(self, principal: Principal, employee_id: str) -> list[dict[str, Any]]:
        """One employee's applications, newest first (one query; none when the caller may
        not see the employee)."""
        _require_reader(principal, Message("see promotion applications"))
        with self.pool.connection() as conn:
            if not can_see(conn, principal, employee_id):  # type: ignore[arg-type]
                return []
            rows: Any = conn.execute(
                "SELECT application_id, employee_id, from_role, target_role, stage, round, "
                "started_at, stage_since, decided_at, manager_id, eligible, returned_count "
                "FROM rm_application WHERE employee_id = %s ORDER BY started_at DESC",
                (employee_id,),
            ).fetchall()
        return [dict(r) for r in rows]

    def pipeline(self, principal: Principal, now: datetime | None = None) -> dict[str, Any]:
        """HR's view: open applications by stage, each with its age in working days (HR's
        dashboard charts every one; the CLI): the pages of `pipeline_paged`."""
        moment = now or datetime.now(UTC)
        first = self.pipeline_paged(principal, PageRequest(limit=1), now=moment)
        rows = every(lambda page: self.pipeline_paged(principal, page, now=moment))
        stages: dict[str, list[dict[str, Any]]] = {s: [] for s in OPEN_STAGES}
        for r in rows:
            stages[r["stage"]].append(r)
        return {
            "stages": {s: {"count": len(v), "applications": v} for s, v in stages.items()},
            "target_working_days": first.target_working_days,
        }

    def pipeline_paged(
        self,
        principal: Principal,
        page: PageRequest,
        stage: str | None = None,
        now: datetime | None = None,
    ) -> PipelinePage:
        """A page of the open applications, longest in their stage first (paged in SQL),
        each with its age in working days, beside the count per stage (of all of them)."""
        principal.require(
            AccessRole.hr, AccessRole.auditor, AccessRole.system, action=Message("see the pipeline")
        )
        moment = now or datetime.now(UTC)
        params = {"open": list(OPEN_STAGES), "stage": stage}
        with self.pool.connection() as conn:
            process = self._process(conn)
            counts: Any = conn.execute(
                "SELECT stage, count(*) AS n FROM rm_application WHERE stage = ANY(%(open)s) "
                "GROUP BY stage",
                params,
            ).fetchall()
            rows, total, next_cursor = keyset(
                conn,
                name="pipeline",
                select="SELECT a.application_id, a.employee_id, e.name, a.target_role, a.stage, "
                "a.stage_since, a.started_at",
                source="FROM rm_application a LEFT JOIN rm_employee e USING (employee_id) "
                "WHERE a.stage = ANY(%(open)s) "
                "AND (%(stage)s::text IS NULL OR a.stage = %(stage)s)",
                params=params,
                keys=(
                    Key("a.stage_since", "timestamptz", "stage_since"),
                    Key("a.application_id", "text", "application_id"),
                ),
                limit=page.limit,
                cursor=page.cursor,
            )
        counted = {r["stage"]: int(r["n"]) for r in counts}
        return PipelinePage(
            items=[
                {
                    **r,
                    "age_working_days": working_days_between(
                        r["stage_since"], moment, process, process.time_zone
                    ),
                }
                for r in rows
            ],
            total=total,
            limit=page.limit,
            next_cursor=next_cursor,
            stages={s: counted.get(s, 0) for s in OPEN_STAGES},
            target_working_days=process.target_working_days,
        )

    def cycle_times(self, principal: Principal) -> dict[str, Any]:
        """Working days from application to decision, with the median against the target
        (HR's dashboard charts every one; the CLI): the pages of `cycle_times_paged`."""
        first = self.cycle_times_paged(principal, PageRequest(limit=1))
        rows = every(lambda page: self.cycle_times_paged(principal, page))
        return {**first.model_dump(exclude={"items", "total", "limit", "next_cursor"}),
                "applications": rows}  # fmt: skip

    def cycle_times_paged(self, principal: Principal, page: PageRequest) -> CycleTimesPage:
        """A page of the decided applications, in the order decided (paged in SQL), each
        with its working days from application to decision; the median (of all of them)
        against the target beside it."""
        principal.require(
            AccessRole.hr, AccessRole.auditor, AccessRole.system, action=Message("see cycle times")
        )
        with self.pool.connection() as conn:
            process = self._process(conn)
            spans: Any = conn.execute(
                "SELECT started_at, decided_at FROM rm_application WHERE decided_at IS NOT NULL"
            ).fetchall()
            rows, total, next_cursor = keyset(
                conn,
                name="cycle-times",
                select="SELECT application_id, employee_id, stage, started_at, decided_at",
                source="FROM rm_application WHERE decided_at IS NOT NULL",
                params={},
                keys=(
                    Key("decided_at", "timestamptz", "decided_at"),
                    Key("application_id", "text", "application_id"),
                ),
                limit=page.limit,
                cursor=page.cursor,
            )

        def days(r: Any) -> float:
            return working_days_between(
                r["started_at"], r["decided_at"], process, process.time_zone
            )

        every_days = [days(r) for r in spans]
        median = statistics.median(every_days) if every_days else None
        return CycleTimesPage(
            items=[{**r, "working_days": days(r)} for r in rows],
            total=total,
            limit=page.limit,
            next_cursor=next_cursor,
            median_working_days=median,
            target_working_days=process.target_working_days,
            within_target=None if median is None else median <= process.target_working_days,
        )

    def returned(self, principal: Principal) -> list[dict[str, Any]]:
        """Returned applications and why ("why was I not promoted?"); those the caller may
        see, filtered by the same query (one round trip, not a check per row)."""
        _require_reader(principal, Message("see returned applications"))
        seen, params = visible_sql(principal, "a.employee_id")
        with self.pool.connection() as conn:
            rows: Any = conn.execute(
                "SELECT a.application_id, a.employee_id, e.name, a.target_role, a.stage, a.round, "
                "a.returned_count, a.unmet FROM rm_application a "
                "LEFT JOIN rm_employee e USING (employee_id) "
                f"WHERE a.returned_count > 0 AND {seen} ORDER BY a.stage_since DESC",
                params,
            ).fetchall()
        return [dict(r) for r in rows]

    # -- HR's list of applications: filtered, paged ------------------------------------
    def browse(
        self,
        principal: Principal,
        stage: str = "",
        team: str = "",
        role: str = "",
        q: str = "",
        limit: int = 50,
        cursor: str | None = None,
    ) -> ApplicationsPage:
        """Applications newest first (by start, then id), with names (applicant, team,
        manager), filtered by stage, the applicant's team, the role applied for and a
        search on the applicant's name or id or the application id; `cursor` is the
        previous page's `next_cursor` (keyset: no page reads the whole table)."""
        principal.require(
            AccessRole.hr,
            AccessRole.auditor,
            AccessRole.system,
            action=Message("see every promotion application"),
        )
        limit = max(1, min(MAX_LIMIT, int(limit)))
        where = ["TRUE"]
        params: dict[str, Any] = {}
        if stage:
            where.append("a.stage = %(stage)s")
            params["stage"] = stage
        if team:
            where.append("e.team_id = %(team)s")
            params["team"] = team
        if role:
            where.append("a.target_role = %(role)s")
            params["role"] = role
        q = q.strip()
        if q:
            where.append(
                "(e.name ILIKE %(q)s OR a.employee_id ILIKE %(q)s OR a.application_id ILIKE %(q)s)"
            )
            params["q"] = _like(q)
        after: list[Any] = decode_cursor(cursor, 3) if cursor else []
        if after and not (
            isinstance(after[0], str) and isinstance(after[1], str) and isinstance(after[2], int)
        ):
            raise bad_cursor()
        clause = " WHERE " + " AND ".join(where)
        with self.pool.connection() as conn:
            total: Any = conn.execute(
                "SELECT count(*) AS n " + _BROWSE_FROM + clause, params
            ).fetchone()
            page_clause = clause
            if after:
                page_clause += (
                    " AND (a.started_at, a.application_id)"
                    " < (%(after_at)s::timestamptz, %(after_id)s)"
                )
                params.update(after_at=after[0], after_id=after[1])
            params["limit"] = limit + 1
            rows: Any = conn.execute(
                _BROWSE_COLUMNS
                + _BROWSE_FROM
                + page_clause
                + " ORDER BY a.started_at DESC, a.application_id DESC LIMIT %(limit)s",
                params,
            ).fetchall()
        more = len(rows) > limit
        items = [ApplicationRow(**dict(r)) for r in rows[:limit]]
        offset = int(after[2]) if after else 0
        last = items[-1] if items else None
        return ApplicationsPage(
            items=items,
            total=int(total["n"]),
            limit=limit,
            offset=offset,
            next_cursor=encode_cursor(
                [last.started_at.isoformat(), last.application_id, offset + len(items)]
            )
            if more and last
            else None,
        )

    def browse_all(self, principal: Principal, **filters: Any) -> Iterator[ApplicationRow]:
        """Every matching application, page after page (for exports)."""
        cursor: str | None = None
        while True:
            page = self.browse(principal, limit=EXPORT_LIMIT, cursor=cursor, **filters)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


class PipelinePage(Page[dict[str, Any]]):
    """A page of open applications with their ages, beside the count per open stage."""

    stages: dict[str, int]
    target_working_days: float


class CycleTimesPage(Page[dict[str, Any]]):
    """A page of decided applications with their working days, beside the median."""

    median_working_days: float | None
    target_working_days: float
    within_target: bool | None


class ApplicationRow(BaseModel):
    """One application in HR's list: who (by name), their team, the step and its age."""

    application_id: str
    employee_id: str
    name: str | None
    team_id: str | None
    team_name: str | None
    from_role: str
    target_role: str
    stage: str
    round: int
    started_at: datetime
    stage_since: datetime
    decided_at: datetime | None
    manager_id: str | None
    manager_name: str | None
    eligible: bool | None


class ApplicationsPage(BaseModel):
    items: list[ApplicationRow]
    total: int
    limit: int
    offset: int  # rows before this page ("51–100 of 1,234")
    next_cursor: str | None


_BROWSE_COLUMNS = """
SELECT a.application_id, a.employee_id, e.name, e.team_id, t.name AS team_name, a.from_role,
       a.target_role, a.stage, a.round, a.started_at, a.stage_since, a.decided_at,
       a.manager_id, m.name AS manager_name, a.eligible
"""
_BROWSE_FROM = """
FROM rm_application a
LEFT JOIN rm_employee e ON e.employee_id = a.employee_id
LEFT JOIN rm_team t ON t.team_id = e.team_id
LEFT JOIN rm_employee m ON m.employee_id = a.manager_id
"""


def _said_step(step: dict[str, Any], lang: str) -> dict[str, Any]:
    detail = step.get("detail")
    if isinstance(detail, dict) and detail.get("unmet"):
        step["detail"] = {**detail, "unmet": [said_line(u, lang) for u in detail["unmet"]]}
    return step
