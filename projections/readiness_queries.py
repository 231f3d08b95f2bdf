"""Reads for people (their record and readiness): always from the read model, always through
the access rules."""

from __future__ import annotations

from typing import Any

from psycopg_pool import ConnectionPool

from aggregates.base import NotFoundError
from aggregates.evaluation import POOL_SCORE_MARGIN, pool_order, pool_size
from careerflow.principal import AccessRole, Principal
from projections.paging import Page, PageRequest, bad_cursor, decode_cursor, encode_cursor
from projections.visibility import REPORTS_SQL, require_visible
from words.messages import Message


def require_pool_reader(principal: Principal) -> None:
    """Who may see the candidate pool: managers (their reports in it), HR, auditors and
    the engine itself."""
    if principal.role != AccessRole.system:
        principal.require(
            AccessRole.manager,
            AccessRole.hr,
            AccessRole.auditor,
            action=Message("see the pool"),
        )


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
            row: Any = conn.execute(_READINESS_SQL, (employee_id,)).fetchone()
            if row is None:
                raise NotFoundError(
                    "no readiness for {employee_id!r} yet: it appears once metrics and "
                    "policies are projected",
                    employee_id=employee_id,
                )
            team: Any = conn.execute(_TEAM_RANKS_SQL, {"id": employee_id}).fetchone()
        better: dict[str, int] = team["indicators_better"] or {}
        return {
            "employee_id": employee_id,
            "role": row["role"],
            "as_of_month": row["as_of_month"],
            "score": row["score"],
            "team_rank": 1 + int(team["better"]),
            "team_size": int(team["team_size"]),
            # In the order of the employee's own indicators, as before.
            "indicator_ranks": {n: better[n] + 1 for n in row["potential"]["indicators"]},
            "potential": row["potential"],
            "next_role": row["next_role"],
            "eligible": row["eligible"],
            "evaluation": row["evaluation"],
            "policy_versions": row["policy_versions"],
        }

    def candidate_pool(self, principal: Principal) -> list[dict[str, Any]]:
        """The top share (policy `pool_top_fraction`) by potential score; HR and auditors
        see the whole pool, managers the members among their reports."""
        require_pool_reader(principal)
        manager = principal.person_id if principal.role == AccessRole.manager else None
        with self.pool.connection() as conn:
            members = pool_members(conn, manager)
        return [{k: m[k] for k in _POOL_KEYS} for m in members if manager is None or m["visible"]]

    def candidate_pool_paged(
        self,
        principal: Principal,
        page: PageRequest,
        team: str | None = None,
        role: str | None = None,
    ) -> Page[dict[str, Any]]:
        """A page of the pool (as `candidate_pool`: the top share by score, ties to the
        lower id), by rank, filtered by team and role. The pool is a small share of the
        organisation, read through the score index (`pool_members`); the page is cut
        from it by rank."""
        require_pool_reader(principal)
        after = 0
        if page.cursor:
            name, rank = decode_cursor(page.cursor, 2)
            if name != "candidate-pool" or not isinstance(rank, int) or isinstance(rank, bool):
                raise bad_cursor()
            after = rank
        manager = principal.person_id if principal.role == AccessRole.manager else None
        with self.pool.connection() as conn:
            members = pool_members(conn, manager)
        ranked = [
            {"rank": rank, **{k: m[k] for k in _POOL_KEYS}}
            for rank, m in enumerate(members, 1)
            if m["visible"]
            and (team is None or m["team_id"] == team)
            and (role is None or m["role"] == role)
        ]
        rest = [m for m in ranked if m["rank"] > after]
        items = rest[: page.limit]
        more = len(rest) > page.limit
        next_cursor = encode_cursor(["candidate-pool", items[-1]["rank"]]) if more else None
        return Page[dict[str, Any]](
            items=items, total=len(ranked), limit=page.limit, next_cursor=next_cursor
        )


# The readiness row by its primary key: only the columns the answer shows.
_READINESS_SQL = (
    "SELECT employee_id, team_id, role, as_of_month, score, potential, next_role, eligible, "
    "evaluation, policy_versions FROM rm_readiness WHERE employee_id = %s"
)
# The employee's ranks in their team, counted by the database (rm_readiness_team index):
# teammates with a higher score, and per indicator teammates with a higher indicator
# score, without sending every teammate's potential document to be decoded here.
_TEAM_RANKS_SQL = """
WITH me AS (
    SELECT team_id, score, potential->'indicators' AS indicators
    FROM rm_readiness WHERE employee_id = %(id)s
), team AS MATERIALIZED (
    SELECT t.score, t.potential->'indicators' AS indicators
    FROM rm_readiness t JOIN me ON t.team_id = me.team_id
)
SELECT
    (SELECT count(*) FROM team) AS team_size,
    (SELECT count(*) FROM team, me WHERE team.score > me.score) AS better,
    (SELECT jsonb_object_agg(i.key, (
        SELECT count(*) FROM team
        WHERE (team.indicators->i.key->>'score')::float8 > (i.value->>'score')::float8
     )) FROM me, jsonb_each(me.indicators) i) AS indicators_better
"""

_POOL_KEYS = ("employee_id", "score", "role", "team_id", "name", "manager_id")

# The pool's size (readiness rows less those of inactive employees, few: neither count
# joins every row; every readiness row is an employee's, as the refresher writes them
# from rm_employee and employees are never deleted) and its share in force.
_POOL_COUNT_SQL = """
SELECT (SELECT count(*) FROM rm_readiness) AS rows,
       (SELECT count(*) FROM rm_readiness r JOIN rm_employee e USING (employee_id)
        WHERE NOT e.active) AS inactive,
       (SELECT document->'pool_top_fraction' FROM rm_policy
        WHERE kind = 'potential_weights' AND key = 'default'
        ORDER BY version DESC LIMIT 1) AS fraction
"""
# Everyone who can be in the pool, by the score index: scores down to the size-th best
# active one (at most `inactive` better rows belong to inactive employees, so the row
# that many further down the index scores no higher), less a margin (rounding to 6
# decimals reorders scores only within it); the exact order
# (aggregates.evaluation.pool_order) and the cut are then taken here.
_POOL_SQL = """
SELECT r.employee_id, r.score, r.role, r.team_id, e.name, e.manager_id,
       t.name AS team_name, {visible} AS visible
FROM rm_readiness r JOIN rm_employee e USING (employee_id)
LEFT JOIN rm_team t ON t.team_id = r.team_id
WHERE e.active AND r.score >= (
    SELECT score FROM rm_readiness ORDER BY score DESC OFFSET %(last)s LIMIT 1
) - %(margin)s
"""


def pool_members(conn: Any, manager_id: str | None = None) -> list[dict[str, Any]]:
    """The candidate pool in its order (`aggregates.evaluation.candidate_pool`), each
    member with its team's name and, for `manager_id`, whether they are among the
    manager's reports (`visible`; always True without a manager). Reads the pool's
    members and a few more, not every readiness row."""
    counted: Any = conn.execute(_POOL_COUNT_SQL).fetchone()
    fraction = counted["fraction"] if counted["fraction"] is not None else 0.10
    inactive = int(counted["inactive"])
    size = pool_size(int(counted["rows"]) - inactive, fraction)
    if size == 0:
        return []
    params: dict[str, Any] = {"last": size - 1 + inactive, "margin": POOL_SCORE_MARGIN}
    visible = "TRUE"
    if manager_id is not None:
        visible = f"r.employee_id IN ({REPORTS_SQL})"
        params["manager"] = manager_id
    rows: Any = conn.execute(_POOL_SQL.format(visible=visible), params).fetchall()
    rows.sort(key=lambda r: pool_order(r["employee_id"], r["score"]))
    return [dict(r) for r in rows[:size]]
