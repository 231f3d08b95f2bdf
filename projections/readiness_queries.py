"""Reads for people (their record and readiness): always from the read model, always through
the access rules."""

from __future__ import annotations

import math
from typing import Any

from psycopg_pool import ConnectionPool

from aggregates.base import NotFoundError
from aggregates.evaluation import candidate_pool
from careerflow.principal import AccessRole, Principal
from projections.paging import Key, Page, PageRequest, keyset
from projections.visibility import reports_of, require_visible
from words.messages import Message


class QueryService:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def employee(self, principal: Principal, employee_id: str) -> dict[str, Any]:
        with self.pool.connection() as conn:
            require_visible(conn, principal, employee_id)  # type: ignore[arg-type]
            row = conn.execute(
                "SELECT e.employee_id, e.name, e.role, e.team_id, t.name AS team_name, "
                "e.manager_id, m.name AS manager_name, e.hire_date, e.active, e.locale AS language "
                "FROM rm_employee e LEFT JOIN rm_team t USING (team_id) "
                "LEFT JOIN rm_employee m ON m.employee_id = e.manager_id "
                "WHERE e.employee_id = %s",
                (employee_id,),
            ).fetchone()
        assert row is not None
        return dict(row)

    def readiness(self, principal: Principal, employee_id: str) -> dict[str, Any]:
        """Potential score with each indicator's rank in the team, and the criteria."""
        with self.pool.connection() as conn:
            require_visible(conn, principal, employee_id)  # type: ignore[arg-type]
            row: Any = conn.execute(
                "SELECT * FROM rm_readiness WHERE employee_id = %s", (employee_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(
                    "no readiness for {employee_id!r} yet: it appears once metrics and "
                    "policies are projected",
                    employee_id=employee_id,
                )
            team: Any = conn.execute(
                "SELECT employee_id, score, potential FROM rm_readiness WHERE team_id = %s",
                (row["team_id"],),
            ).fetchall()
        ranks = self._indicator_ranks(team, employee_id)
        return {
            "employee_id": employee_id,
            "role": row["role"],
            "as_of_month": row["as_of_month"],
            "score": row["score"],
            "team_rank": 1 + sum(1 for t in team if t["score"] > row["score"]),
            "team_size": len(team),
            "indicator_ranks": ranks,
            "potential": row["potential"],
            "next_role": row["next_role"],
            "eligible": row["eligible"],
            "evaluation": row["evaluation"],
            "policy_versions": row["policy_versions"],
        }

    @staticmethod
    def _indicator_ranks(team: list[Any], employee_id: str) -> dict[str, int]:
        mine = next(t for t in team if t["employee_id"] == employee_id)["potential"]
        ranks: dict[str, int] = {}
        for name, ind in mine["indicators"].items():
            better = sum(
                1 for t in team if t["potential"]["indicators"][name]["score"] > ind["score"]
            )
            ranks[name] = better + 1
        return ranks

    def candidate_pool(self, principal: Principal) -> list[dict[str, Any]]:
        """The top share (policy `pool_top_fraction`) by potential score; HR and auditors
        see the whole pool, managers the members among their reports."""
        if principal.role != AccessRole.system:
            principal.require(
                AccessRole.manager,
                AccessRole.hr,
                AccessRole.auditor,
                action=Message("see the pool"),
            )
        with self.pool.connection() as conn:
            rows: Any = conn.execute(
                "SELECT r.employee_id, r.score, r.role, r.team_id, e.name, e.manager_id "
                "FROM rm_readiness r JOIN rm_employee e USING (employee_id) WHERE e.active"
            ).fetchall()
            weights: Any = conn.execute(
                "SELECT document FROM rm_policy WHERE kind = 'potential_weights' "
                "AND key = 'default' ORDER BY version DESC LIMIT 1"
            ).fetchone()
            fraction = weights["document"].get("pool_top_fraction", 0.10) if weights else 0.10
            pool = candidate_pool({r["employee_id"]: r["score"] for r in rows}, fraction)
            visible: set[str] | None = None
            if principal.role == AccessRole.manager:
                visible = reports_of(conn, principal.person_id)  # type: ignore[arg-type]
        by_id = {r["employee_id"]: r for r in rows}
        return [dict(by_id[e]) for e in pool if visible is None or e in visible]

    def candidate_pool_paged(
        self,
        principal: Principal,
        page: PageRequest,
        team: str | None = None,
        role: str | None = None,
    ) -> Page[dict[str, Any]]:
        """A page of the pool (as `candidate_pool`: the top share by score, ties to the
        lower id), by rank, filtered by team and role; ranked and paged in SQL."""
        if principal.role != AccessRole.system:
            principal.require(
                AccessRole.manager,
                AccessRole.hr,
                AccessRole.auditor,
                action=Message("see the pool"),
            )
        with self.pool.connection() as conn:
            counted: Any = conn.execute(
                "SELECT count(*) AS n FROM rm_readiness r JOIN rm_employee e USING (employee_id) "
                "WHERE e.active"
            ).fetchone()
            weights: Any = conn.execute(
                "SELECT document FROM rm_policy WHERE kind = 'potential_weights' "
                "AND key = 'default' ORDER BY version DESC LIMIT 1"
            ).fetchone()
            fraction = weights["document"].get("pool_top_fraction", 0.10) if weights else 0.10
            members = int(counted["n"])
            size = max(1, math.ceil(round(fraction * members, 6))) if members else 0
            visible: list[str] | None = None
            if principal.role == AccessRole.manager:
                visible = sorted(reports_of(conn, principal.person_id))  # type: ignore[arg-type]
            rows, total, next_cursor = keyset(
                conn,
                name="candidate-pool",
                select="SELECT p.rank, p.employee_id, p.score, p.role, p.team_id, p.name, "
                "p.manager_id",
                source="FROM (SELECT r.employee_id, r.score, r.role, r.team_id, e.name, "
                "e.manager_id, row_number() OVER (ORDER BY round(r.score::numeric, 6) DESC, "
                "r.employee_id) AS rank FROM rm_readiness r JOIN rm_employee e "
                "USING (employee_id) WHERE e.active "
                "ORDER BY round(r.score::numeric, 6) DESC, r.employee_id LIMIT %(size)s) p "
                "WHERE (%(visible)s::text[] IS NULL OR p.employee_id = ANY(%(visible)s)) "
                "AND (%(team)s::text IS NULL OR p.team_id = %(team)s) "
                "AND (%(role)s::text IS NULL OR p.role = %(role)s)",
                params={"size": size, "visible": visible, "team": team, "role": role},
                keys=(Key("p.rank", "int", "rank"), Key("p.employee_id", "text", "employee_id")),
                limit=page.limit,
                cursor=page.cursor,
            )
        return Page[dict[str, Any]](
            items=rows, total=total, limit=page.limit, next_cursor=next_cursor
        )
