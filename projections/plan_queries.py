"""Development plans for people, from the read model, through the access rules."""

from __future__ import annotations

from typing import Any

from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from aggregates.not_found import plan_not_visible
from careerflow.principal import AccessRole, Principal
from projections.paging import (
    MAX_LIMIT,
    Key,
    Page,
    PageRequest,
    bad_cursor,
    decode_cursor,
    encode_cursor,
    keyset,
)
from projections.visibility import REPORTS_SQL, can_see, reports_of, require_visible
from words.messages import Message

# Who reads development plans (the employee, their manager chain, HR, auditors), said once
# for the API and the pages.
PLAN_READERS = (AccessRole.employee, AccessRole.manager, AccessRole.hr, AccessRole.auditor)
SEE_PLANS = Message("see development plans")
SEE_TEAM = Message("see team plans")


class TeamPlansPage(BaseModel):
    """A page of a team's plans (rows as the read model has them)."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int  # how many rows come before this page (for "51–100 of 1,234")
    next_cursor: str | None


class PlanQueries:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def plans_of(self, principal: Principal, employee_id: str) -> list[dict[str, Any]]:
        """One person's plans with live progress (newest first)."""
        with self.pool.connection() as conn:
            require_visible(conn, principal, employee_id)  # type: ignore[arg-type]
            rows: Any = conn.execute(
                "SELECT * FROM rm_plan WHERE employee_id = %s ORDER BY effective_date DESC",
                (employee_id,),
            ).fetchall()
        return [dict(r) for r in rows]

    def plan(self, principal: Principal, plan_id: str) -> dict[str, Any]:
        """One plan with live progress, for its employee, their manager chain, HR and
        auditors (404 for a plan one may not see: unknown and hidden look the same)."""
        principal.require(*PLAN_READERS, action=SEE_PLANS)
        with self.pool.connection() as conn:
            row: Any = conn.execute(
                "SELECT p.*, e.name FROM rm_plan p LEFT JOIN rm_employee e USING (employee_id) "
                "WHERE p.plan_id = %s",
                (plan_id,),
            ).fetchone()
            if row is None or not can_see(conn, principal, row["employee_id"]):  # type: ignore[arg-type]
                raise plan_not_visible(plan_id)
        return dict(row)

    def team(self, principal: Principal) -> list[dict[str, Any]]:
        """Every plan among a manager's reports (HR: everyone's), by employee id."""
        self._require_team(principal)
        where, params = self._team_scope(principal)
        with self.pool.connection() as conn:
            rows: Any = conn.execute(
                "SELECT p.plan_id, p.employee_id, e.name, p.role, p.effective_date, p.overall, "
                "p.done, p.total, p.overdue, p.closed FROM rm_plan p "
                "JOIN rm_employee e USING (employee_id)" + where + " ORDER BY p.employee_id",
                params,
            ).fetchall()
        return [dict(r) for r in rows]

    def team_page(
        self, principal: Principal, limit: int = 50, cursor: str | None = None
    ) -> TeamPlansPage:
        """The team's plans a page at a time, the ones needing attention first: open
        plans overdue, then at risk, on track, not evaluated, completed; closed plans
        last; then by name. `cursor` is the previous page's `next_cursor`."""
        self._require_team(principal)
        limit = max(1, min(MAX_LIMIT, int(limit)))
        where, params = self._team_scope(principal)
        after: list[Any] = decode_cursor(cursor, 5) if cursor else []
        if after and not (
            all(isinstance(v, int) for v in (after[0], after[1], after[4]))
            and all(isinstance(v, str) for v in (after[2], after[3]))
        ):
            raise bad_cursor()
        ranked = (
            "SELECT p.plan_id, p.employee_id, e.name, p.role, p.effective_date, p.overall, "
            "p.done, p.total, p.overdue, p.closed, p.outcome, "
            "CASE WHEN p.closed THEN 1 ELSE 0 END AS closed_rank, "
            "CASE p.overall WHEN 'overdue' THEN 0 WHEN 'at_risk' THEN 1 WHEN 'on_track' THEN 2 "
            "WHEN 'completed' THEN 4 ELSE 3 END AS status_rank "
            "FROM rm_plan p JOIN rm_employee e USING (employee_id)" + where
        )
        with self.pool.connection() as conn:
            total: Any = conn.execute(
                "SELECT count(*) AS n FROM (" + ranked + ") t", params
            ).fetchone()
            page_where = ""
            if after:
                page_where = (
                    " WHERE (closed_rank, status_rank, name, plan_id) > "
                    "(%(a0)s, %(a1)s, %(a2)s, %(a3)s)"
                )
                params.update(a0=after[0], a1=after[1], a2=after[2], a3=after[3])
            params["limit"] = limit + 1
            rows: Any = conn.execute(
                "SELECT * FROM ("
                + ranked
                + ") t"
                + page_where
                + " ORDER BY closed_rank, status_rank, name, plan_id LIMIT %(limit)s",
                params,
            ).fetchall()
        more = len(rows) > limit
        items = [dict(r) for r in rows[:limit]]
        offset = int(after[4]) if after else 0
        last = items[-1] if items else None
        next_cursor = (
            encode_cursor(
                [
                    last["closed_rank"],
                    last["status_rank"],
                    last["name"],
                    last["plan_id"],
                    offset + len(items),
                ]
            )
            if more and last
            else None
        )
        return TeamPlansPage(
            items=items, total=int(total["n"]), limit=limit, offset=offset, next_cursor=next_cursor
        )

    @staticmethod
    def _require_team(principal: Principal) -> None:
        principal.require(AccessRole.manager, AccessRole.hr, AccessRole.auditor, action=SEE_TEAM)

    @staticmethod
    def _team_scope(principal: Principal) -> tuple[str, dict[str, Any]]:
        """A manager's reports (the visibility rule's own query, joined in SQL)."""
        if principal.role != AccessRole.manager:
            return "", {}
        return (
            " WHERE p.employee_id IN (" + REPORTS_SQL + ")",
            {"manager": principal.person_id},
        )

    def plans_of_paged(
        self, principal: Principal, employee_id: str, page: PageRequest
    ) -> Page[dict[str, Any]]:
        """A page of one person's plans with live progress (newest first), paged in SQL."""
        with self.pool.connection() as conn:
            require_visible(conn, principal, employee_id)  # type: ignore[arg-type]
            rows, total, next_cursor = keyset(
                conn,
                name="plans",
                select="SELECT *",
                source="FROM rm_plan WHERE employee_id = %(employee)s",
                params={"employee": employee_id},
                keys=(
                    Key("effective_date", "date", "effective_date"),
                    Key("plan_id", "text", "plan_id"),
                ),
                limit=page.limit,
                cursor=page.cursor,
                descending=True,
            )
        return Page[dict[str, Any]](
            items=rows, total=total, limit=page.limit, next_cursor=next_cursor
        )

    def team_paged(
        self,
        principal: Principal,
        page: PageRequest,
        status: str | None = None,
        person: str | None = None,
    ) -> Page[dict[str, Any]]:
        """A page of the plans among a manager's reports (HR, auditors: everyone's), by
        employee, filtered by status (on track, at risk, overdue...) and person."""
        principal.require(
            AccessRole.manager, AccessRole.hr, AccessRole.auditor, action=Message("see team plans")
        )
        with self.pool.connection() as conn:
            visible = (
                sorted(reports_of(conn, principal.person_id))  # type: ignore[arg-type]
                if principal.role == AccessRole.manager
                else None
            )
            rows, total, next_cursor = keyset(
                conn,
                name="team-plans",
                select="SELECT p.plan_id, p.employee_id, e.name, p.role, p.effective_date, "
                "p.overall, p.done, p.total, p.overdue, p.closed",
                source="FROM rm_plan p JOIN rm_employee e USING (employee_id) "
                "WHERE (%(visible)s::text[] IS NULL OR p.employee_id = ANY(%(visible)s)) "
                "AND (%(status)s::text IS NULL OR p.overall = %(status)s) "
                "AND (%(person)s::text IS NULL OR p.employee_id = %(person)s)",
                params={"visible": visible, "status": status, "person": person},
                keys=(
                    Key("p.employee_id", "text", "employee_id"),
                    Key("p.plan_id", "text", "plan_id"),
                ),
                limit=page.limit,
                cursor=page.cursor,
            )
        return Page[dict[str, Any]](
            items=rows, total=total, limit=page.limit, next_cursor=next_cursor
        )

    def overview(self, principal: Principal) -> dict[str, Any]:
        """HR: open plans on track, at risk and overdue; closed plans by outcome."""
        principal.require(
            AccessRole.hr, AccessRole.auditor, action=Message("see the plans overview")
        )
        with self.pool.connection() as conn:
            rows: Any = conn.execute(
                "SELECT closed, COALESCE(outcome, overall) AS status, count(*) AS n "
                "FROM rm_plan GROUP BY 1, 2"
            ).fetchall()
        open_plans = {r["status"]: r["n"] for r in rows if not r["closed"]}
        closed = {r["status"]: r["n"] for r in rows if r["closed"]}
        return {"open": open_plans, "closed": closed}
