"""The people directory and the candidate pool as pages: search and filters (team, role,
region, readiness), a total and a cursor to the next page, never a whole organisation at
once. Same access rules as every read of a person: HR and auditors see everyone, a manager
their reports, an employee is refused (their own page is /employee).

A region is a team's parent team (the demo's "Region n" above its sales teams); a team at
the top of the tree is its own region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from aggregates.ladder import LADDER
from careerflow.principal import AccessRole, Principal
from projections.paging import bad_cursor, decode_cursor, encode_cursor
from projections.readiness_queries import pool_members, require_pool_reader
from projections.visibility import reports_of
from words.messages import Message

Readiness = Literal["", "eligible", "not_eligible", "pool", "none"]
PoolSort = Literal["score", "team", "role"]
READINESS_CHOICES: tuple[str, ...] = ("eligible", "not_eligible", "pool", "none")
POOL_SORTS: tuple[str, ...] = ("score", "team", "role")
MAX_LIMIT = 200
EXPORT_LIMIT = 200  # rows per page when an export walks every page


class Person(BaseModel):
    """One row of the directory: who, where (team and region by name), what and how ready."""

    employee_id: str
    name: str
    role: str
    team_id: str
    team_name: str | None
    region_id: str | None
    region_name: str | None
    manager_id: str | None
    manager_name: str | None
    score: float | None
    eligible: bool | None
    next_role: str | None
    in_pool: bool = False


class TeamManager(BaseModel):
    """A manager to pick: who, their own team by name, how many active reports."""

    employee_id: str
    name: str
    team_name: str | None
    reports: int


class DirectoryPage(BaseModel):
    items: list[Person]
    total: int
    limit: int
    offset: int  # how many rows come before this page (for "51–100 of 1,234")
    next_cursor: str | None


class Candidate(BaseModel):
    """One member of the candidate pool: their rank in the whole pool by score."""

    rank: int
    employee_id: str
    name: str
    role: str
    team_id: str
    team_name: str | None
    score: float


class PoolPage(BaseModel):
    items: list[Candidate]
    total: int  # members matching the filters
    pool_size: int  # the whole pool the caller may see
    limit: int
    offset: int
    next_cursor: str | None


class Choice(BaseModel):
    value: str
    name: str


class Choices(BaseModel):
    """What the filter form offers: the teams and regions the caller may see, by name."""

    teams: list[Choice]
    regions: list[Choice]
    roles: list[str]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _limit(limit: int) -> int:
    return max(1, min(MAX_LIMIT, int(limit)))


_DIRECTORY_FROM = """
FROM rm_employee e
LEFT JOIN rm_team t ON t.team_id = e.team_id
LEFT JOIN rm_team g ON g.team_id = COALESCE(t.parent_team_id, t.team_id)
LEFT JOIN rm_employee m ON m.employee_id = e.manager_id
LEFT JOIN rm_readiness r ON r.employee_id = e.employee_id
"""
_DIRECTORY_COLUMNS = """
SELECT e.employee_id, e.name, e.role, e.team_id, t.name AS team_name,
       g.team_id AS region_id, g.name AS region_name, e.manager_id, m.name AS manager_name,
       r.score, r.eligible, r.next_role
"""


class PeopleQueries:
    def __init__(self, pool: ConnectionPool) -> None:
        self.db = pool

    @staticmethod
    def _require(caller: Principal) -> None:
        if caller.role != AccessRole.system:
            caller.require(
                AccessRole.manager,
                AccessRole.hr,
                AccessRole.auditor,
                action=Message("search the people directory"),
            )

    def _visible(self, conn: Any, caller: Principal) -> list[str] | None:
        """None: everyone; else the ids the manager may see (their reports)."""
        if caller.role == AccessRole.manager:
            return sorted(reports_of(conn, caller.person_id))
        return None

    def _pool_ids(self, conn: Any) -> list[str]:
        return [m["employee_id"] for m in pool_members(conn)]

    # -- the directory -----------------------------------------------------------------
    def directory(
        self,
        caller: Principal,
        q: str = "",
        team: str = "",
        role: str = "",
        region: str = "",
        readiness: str = "",
        limit: int = 50,
        cursor: str | None = None,
    ) -> DirectoryPage:
        """Active people by name (then id), filtered; `cursor` is the previous page's
        `next_cursor`. ILIKE on name and id; team, role and region exact; readiness one of
        eligible (for the next rung), not_eligible, pool (in the candidate pool), none (no
        readiness yet)."""
        self._require(caller)
        limit = _limit(limit)
        where = ["e.active"]
        params: dict[str, Any] = {}
        q = q.strip()
        if q:
            where.append("(e.name ILIKE %(q)s OR e.employee_id ILIKE %(q)s)")
            params["q"] = _like(q)
        if team:
            where.append("e.team_id = %(team)s")
            params["team"] = team
        if role:
            where.append("e.role = %(role)s")
            params["role"] = role
        if region:
            where.append("g.team_id = %(region)s")
            params["region"] = region
        if readiness == "eligible":
            where.append("r.eligible IS TRUE")
        elif readiness == "not_eligible":
            where.append("r.eligible IS FALSE")
        elif readiness == "none":
            where.append("(r.employee_id IS NULL OR r.eligible IS NULL)")
        # The cursor names its list, so another list's cursor of the same shape is refused.
        named: list[Any] = decode_cursor(cursor, 4) if cursor else []
        if named and named[0] != "directory":
            raise bad_cursor()
        after = named[1:]
        if after and not (
            isinstance(after[0], str) and isinstance(after[1], str) and isinstance(after[2], int)
        ):
            raise bad_cursor()
        with self.db.connection() as conn:
            visible = self._visible(conn, caller)
            if visible is not None:
                where.append("e.employee_id = ANY(%(visible)s)")
                params["visible"] = visible
            pool_ids = self._pool_ids(conn) if readiness == "pool" else None
            if pool_ids is not None:
                where.append("e.employee_id = ANY(%(pool)s)")
                params["pool"] = pool_ids
            clause = " WHERE " + " AND ".join(where)
            total_row: Any = conn.execute(
                "SELECT count(*) AS n " + _DIRECTORY_FROM + clause, params
            ).fetchone()
            page_clause = clause
            if after:
                page_clause += " AND (e.name, e.employee_id) > (%(after_name)s, %(after_id)s)"
                params.update(after_name=after[0], after_id=after[1])
            params["limit"] = limit + 1
            rows: Any = conn.execute(
                _DIRECTORY_COLUMNS
                + _DIRECTORY_FROM
                + page_clause
                + " ORDER BY e.name, e.employee_id LIMIT %(limit)s",
                params,
            ).fetchall()
            in_pool = set(pool_ids) if pool_ids is not None else set(self._pool_ids(conn))
        more = len(rows) > limit
        rows = rows[:limit]
        offset = int(after[2]) if after else 0
        items = [Person(**dict(r), in_pool=r["employee_id"] in in_pool) for r in rows]
        next_cursor = (
            encode_cursor(["directory", items[-1].name, items[-1].employee_id, offset + len(items)])
            if more and items
            else None
        )
        return DirectoryPage(
            items=items,
            total=int(total_row["n"]),
            limit=limit,
            offset=offset,
            next_cursor=next_cursor,
        )

    def managers(self, caller: Principal, q: str = "", limit: int = 20) -> list[TeamManager]:
        """People who manage active reports, by name, matching `q` (ILIKE on name and id):
        HR's and auditors' picker of a manager's team (a manager sees only themself)."""
        self._require(caller)
        where = ["e.active"]
        params: dict[str, Any] = {"limit": _limit(limit)}
        if q.strip():
            where.append("(e.name ILIKE %(q)s OR e.employee_id ILIKE %(q)s)")
            params["q"] = _like(q.strip())
        if caller.role == AccessRole.manager:
            where.append("e.employee_id = %(me)s")
            params["me"] = caller.person_id
        with self.db.connection() as conn:
            rows: Any = conn.execute(
                "SELECT e.employee_id, e.name, t.name AS team_name, count(*) AS reports "
                "FROM rm_employee e JOIN rm_employee r ON r.manager_id = e.employee_id "
                "AND r.active LEFT JOIN rm_team t ON t.team_id = e.team_id WHERE "
                + " AND ".join(where)
                + " GROUP BY e.employee_id, e.name, t.name ORDER BY e.name, e.employee_id "
                "LIMIT %(limit)s",
                params,
            ).fetchall()
        return [TeamManager(**dict(r)) for r in rows]

    def directory_all(self, caller: Principal, **filters: Any) -> Iterator[Person]:
        """Every matching person, page after page (for exports)."""
        cursor: str | None = None
        while True:
            page = self.directory(caller, limit=EXPORT_LIMIT, cursor=cursor, **filters)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def choices(self, caller: Principal) -> Choices:
        """The teams and regions with someone the caller may see, by name."""
        self._require(caller)
        with self.db.connection() as conn:
            visible = self._visible(conn, caller)
            scope = "" if visible is None else " AND e.employee_id = ANY(%(visible)s)"
            rows: Any = conn.execute(
                "SELECT DISTINCT t.team_id, t.name, g.team_id AS region_id, g.name AS region_name "
                "FROM rm_employee e JOIN rm_team t ON t.team_id = e.team_id "
                "JOIN rm_team g ON g.team_id = COALESCE(t.parent_team_id, t.team_id) "
                "WHERE e.active" + scope,
                {"visible": visible},
            ).fetchall()
        teams = {r["team_id"]: r["name"] for r in rows}
        regions = {r["region_id"]: r["region_name"] for r in rows}
        return Choices(
            teams=[Choice(value=k, name=v) for k, v in sorted(teams.items(), key=_by_name)],
            regions=[Choice(value=k, name=v) for k, v in sorted(regions.items(), key=_by_name)],
            roles=[str(r) for r in LADDER],
        )

    # -- the candidate pool ------------------------------------------------------------
    def pool(
        self,
        caller: Principal,
        sort: str = "score",
        role: str = "",
        team: str = "",
        limit: int = 50,
        cursor: str | None = None,
    ) -> PoolPage:
        """The pool (`pool_members`: QueryService.candidate_pool's members, order and
        access rules), ranked by score, then filtered, sorted (score; team by name; role
        from the top rung down) and sliced; `cursor` is the previous page's `next_cursor`."""
        limit = _limit(limit)
        require_pool_reader(caller)
        manager = caller.person_id if caller.role == AccessRole.manager else None
        with self.db.connection() as conn:
            members = pool_members(conn, manager)
        # Ranked among the members the caller may see (a manager's 1 is their best).
        rows = [
            Candidate(
                rank=i,
                employee_id=m["employee_id"],
                name=m["name"],
                role=m["role"],
                team_id=m["team_id"],
                team_name=m["team_name"],
                score=m["score"],
            )
            for i, m in enumerate((m for m in members if m["visible"]), start=1)
        ]
        chosen = [
            c for c in rows if (not role or c.role == role) and (not team or c.team_id == team)
        ]
        ladder = {str(r): i for i, r in enumerate(LADDER)}
        if sort == "team":
            chosen.sort(key=lambda c: (c.team_name or c.team_id, c.team_id, c.rank))
        elif sort == "role":
            chosen.sort(key=lambda c: (-ladder.get(c.role, -1), c.rank))
        offset = decode_cursor(cursor, 1)[0] if cursor else 0
        if not isinstance(offset, int) or offset < 0:
            raise bad_cursor()
        items = chosen[offset : offset + limit]
        more = offset + limit < len(chosen)
        return PoolPage(
            items=items,
            total=len(chosen),
            pool_size=len(rows),
            limit=limit,
            offset=offset,
            next_cursor=encode_cursor([offset + limit]) if more else None,
        )

    def pool_all(self, caller: Principal, **filters: Any) -> Iterator[Candidate]:
        """Every matching pool member, page after page (for exports)."""
        cursor: str | None = None
        while True:
            page = self.pool(caller, limit=EXPORT_LIMIT, cursor=cursor, **filters)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


def _by_name(item: tuple[str, str]) -> tuple[str, str]:
    return (item[1] or item[0], item[0])
