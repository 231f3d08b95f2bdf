"""Employee directory and teams, from the `people` application."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL

from aggregates.employee import Employee
from aggregates.organisation import Organisation
from projections.base import Apply, event_of, handles
from projections.metric_ranks import RankingLock, record_employee
from projections.paging import Key, Page, PageRequest, keyset


class PeopleProjection(RankingLock):
    name = "people_projection"
    owned_tables: ClassVar[list[str]] = ["rm_team", "rm_employee"]
    aggregates = (Organisation, Employee)
    # The events that change what the monthly ranking keeps (projections.metric_ranks).
    ranking_events: ClassVar[tuple[type, ...]] = (
        event_of(Employee, "Hired"),
        event_of(Employee, "RoleChanged"),
        event_of(Employee, "Left"),
    )
    # Only advance tracking: the organisation's founding names no team or person.
    ignored = (event_of(Organisation, "Founded"),)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.begin_batch()

    def begin_batch(self) -> None:
        super().begin_batch()
        # Whose readiness the batch's changes touched, marked dirty once at its end.
        self._dirty_ids: set[str] = set()
        self._dirty_aggregates: set[Any] = set()

    def end_batch(self) -> Apply | None:
        def mark(curs: Cursor[DictRow]) -> None:
            # One statement, ascending, as every marker (see MetricsProjection.end_batch).
            if self._dirty_ids or self._dirty_aggregates:
                self._mark_dirty(
                    curs,
                    "employee_id = ANY(%s::text[]) OR aggregate_id = ANY(%s::uuid[])",
                    (sorted(self._dirty_ids), list(self._dirty_aggregates)),
                )

        return mark

    @handles(event_of(Organisation, "TeamDefined"))
    def _Organisation_TeamDefined(self, e: Any) -> Apply:
        team = e.team

        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(
                SQL(
                    "INSERT INTO {0} VALUES (%s, %s, %s, %s) ON CONFLICT (team_id) DO UPDATE "
                    "SET name = EXCLUDED.name, manager_id = EXCLUDED.manager_id, "
                    "parent_team_id = EXCLUDED.parent_team_id"
                ).format(self.view.table("rm_team")),
                (team.team_id, team.name, team.manager_id, team.parent_team_id),
            )

        return change

    @handles(event_of(Employee, "Hired"))
    def _Employee_Hired(self, e: Any) -> Apply:
        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(
                SQL(
                    "INSERT INTO {0} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, true, %s) "
                    "ON CONFLICT (employee_id) DO NOTHING"
                ).format(self.view.table("rm_employee")),
                (
                    e.employee_id,
                    e.originator_id,
                    e.name,
                    str(e.role),
                    e.team_id,
                    e.manager_id,
                    e.hire_date,
                    e.email,
                    e.locale,
                    e.originator_version,
                ),
            )
            self._dirty_ids.add(e.employee_id)
            # Values projected before the employee: they now rank in their role.
            self._rank(curs, "e.employee_id = %s", (e.employee_id,))

        return change

    @handles(event_of(Employee, "RoleChanged"))
    def _Employee_RoleChanged(self, e: Any) -> Apply:
        return self._update(e, "role = %s", (str(e.role),), ranks=True)

    @handles(event_of(Employee, "Moved"))
    def _Employee_Moved(self, e: Any) -> Apply:
        return self._update(e, "team_id = %s, manager_id = %s", (e.team_id, e.manager_id))

    @handles(event_of(Employee, "LanguageSet"))
    def _Employee_LanguageSet(self, e: Any) -> Apply:
        return self._update(e, "locale = %s", (e.locale,))

    @handles(event_of(Employee, "Left"))
    def _Employee_Left(self, e: Any) -> Apply:
        return self._update(e, "active = false", (), ranks=True)

    def _update(
        self, e: Any, assignments: str, params: tuple[Any, ...], ranks: bool = False
    ) -> Apply:
        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(
                SQL(
                    "UPDATE {0} SET " + assignments + ", version = %s WHERE aggregate_id = %s"
                ).format(self.view.table("rm_employee")),
                (*params, e.originator_version, e.originator_id),
            )
            self._dirty_aggregates.add(e.originator_id)
            if ranks:  # the role or `active` that the monthly ranking keeps changed
                self._rank(curs, "e.aggregate_id = %s", (e.originator_id,))

        return change

    def _rank(self, curs: Cursor[DictRow], where: str, params: tuple[Any, ...]) -> None:
        record_employee(
            curs, self.view.table("rm_metric_rank"), self.view.table("rm_employee"), where, params
        )

    def _mark_dirty(self, curs: Cursor[DictRow], where: str, params: tuple[Any, ...]) -> None:
        curs.execute(
            SQL(
                "INSERT INTO {0} SELECT employee_id FROM {1} WHERE " + where + " "
                'ORDER BY employee_id COLLATE "C" '
                # Marked again: the refresher recomputes it after what it computes now.
                "ON CONFLICT (employee_id) DO UPDATE SET marked = clock_timestamp()"
            ).format(self.view.table("rm_readiness_dirty"), self.view.table("rm_employee")),
            params,
        )


def employee_name(conn: Connection[Any], employee_id: str) -> str | None:
    """A person's name in the employee directory; None when there is no such person."""
    with conn.cursor(row_factory=tuple_row) as cur:
        row = cur.execute(
            "SELECT name FROM rm_employee WHERE employee_id = %s", (employee_id,)
        ).fetchone()
    return None if row is None else row[0]


def team_members(conn: Connection[Any], team_id: str) -> list[Any]:
    """A team's active members (id, name, role, manager, hire date), by employee id."""
    rows: list[Any] = conn.execute(
        "SELECT employee_id, name, role, manager_id, hire_date FROM rm_employee "
        "WHERE team_id = %s AND active ORDER BY employee_id",
        (team_id,),
    ).fetchall()
    return rows


def team_members_paged(
    conn: Connection[Any],
    team_id: str,
    page: PageRequest,
    role: str | None = None,
    q: str | None = None,
) -> Page[dict[str, Any]]:
    """A page of a team's active members, by employee id, by role and a search on the
    name or id (paged in SQL)."""
    like = None
    if q and q.strip():
        escaped = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
    rows, total, next_cursor = keyset(
        conn,
        name="team-members",
        select="SELECT employee_id, name, role, manager_id, hire_date",
        source="FROM rm_employee WHERE team_id = %(team)s AND active "
        "AND (%(role)s::text IS NULL OR role = %(role)s) "
        "AND (%(q)s::text IS NULL OR name ILIKE %(q)s OR employee_id ILIKE %(q)s)",
        params={"team": team_id, "role": role, "q": like},
        keys=(Key("employee_id", "text", "employee_id"),),
        limit=page.limit,
        cursor=page.cursor,
    )
    return Page[dict[str, Any]](items=rows, total=total, limit=page.limit, next_cursor=next_cursor)


def team_record(conn: Connection[Any], team_id: str) -> Any:
    """A team's row (id, name, manager, parent team); None when there is no such team."""
    return conn.execute(
        "SELECT team_id, name, manager_id, parent_team_id FROM rm_team WHERE team_id = %s",
        (team_id,),
    ).fetchone()


def managers_above_team(conn: Connection[Any], team_id: str) -> set[Any]:
    """The managers of a team and of every team above it (None for a team without one)."""
    rows: list[Any] = conn.execute(
        "WITH RECURSIVE up AS ("
        " SELECT team_id, manager_id, parent_team_id FROM rm_team WHERE team_id = %s"
        " UNION"
        " SELECT t.team_id, t.manager_id, t.parent_team_id FROM rm_team t"
        " JOIN up ON t.team_id = up.parent_team_id"
        ") SELECT manager_id FROM up",
        (team_id,),
    ).fetchall()
    return {r["manager_id"] for r in rows}


def profile_locale(conn: Connection[Any], person_id: str) -> str | None:
    """The person's profile locale from the employee read model (None: no such person, or
    no locale). The API, the pages and the CLI say things in it when no switch decides."""
    with conn.cursor(row_factory=tuple_row) as cur:
        row = cur.execute(
            "SELECT locale FROM rm_employee WHERE employee_id = %s", (person_id,)
        ).fetchone()
    return str(row[0]) if row and row[0] else None


def active_staff(conn: Connection[Any]) -> list[Any]:
    """Every active employee (id, name, team, role), by employee id."""
    rows: list[Any] = conn.execute(
        "SELECT employee_id, name, team_id, role FROM rm_employee WHERE active ORDER BY employee_id"
    ).fetchall()
    return rows


def active_in_roles(conn: Connection[Any], roles: list[str], after: str, limit: int) -> list[str]:
    """The next `limit` active employees (by id, after `after`) holding one of `roles`."""
    rows: list[Any] = conn.execute(
        "SELECT employee_id FROM rm_employee WHERE active AND role = ANY(%s) "
        "AND employee_id > %s ORDER BY employee_id LIMIT %s",
        (roles, after, limit),
    ).fetchall()
    return [str(r["employee_id"]) for r in rows]


def employees_by_id(conn: Connection[Any], ids: list[str]) -> dict[str, dict[str, Any]]:
    """These employees (name, team, manager, active), by id; unknown ids are left out."""
    rows: list[Any] = conn.execute(
        "SELECT employee_id, name, team_id, manager_id, active FROM rm_employee "
        "WHERE employee_id = ANY(%s)",
        (ids,),
    ).fetchall()
    return {r["employee_id"]: dict(r) for r in rows}


def active_member_ids(conn: Connection[Any], team_id: str) -> list[str]:
    """A team's active members' ids, in order."""
    rows: list[Any] = conn.execute(
        "SELECT employee_id FROM rm_employee WHERE team_id = %s AND active ORDER BY employee_id",
        (team_id,),
    ).fetchall()
    return [r["employee_id"] for r in rows]


def is_active(conn: Connection[Any], employee_id: str) -> bool:
    """Whether the employee is known and has not left."""
    row = conn.execute(
        "SELECT 1 FROM rm_employee WHERE employee_id = %s AND active", (employee_id,)
    ).fetchone()
    return row is not None


def active_report_ids(conn: Connection[Any], manager_id: str) -> list[str]:
    """The manager's active direct reports' ids, in order."""
    rows: list[Any] = conn.execute(
        "SELECT employee_id FROM rm_employee WHERE manager_id = %s AND active ORDER BY employee_id",
        (manager_id,),
    ).fetchall()
    return [r["employee_id"] for r in rows]


def active_peer_ids(
    conn: Connection[Any],
    team_id: str | None,
    employee_id: str,
    reports: list[str],
    manager_id: str | None,
) -> list[str]:
    """The active members of the employee's team other than the employee, their reports and
    their manager, in order."""
    rows: list[Any] = conn.execute(
        "SELECT employee_id FROM rm_employee WHERE team_id = %s AND active "
        "AND employee_id <> %s AND employee_id <> ALL(%s) "
        "AND employee_id IS DISTINCT FROM %s ORDER BY employee_id",
        (team_id, employee_id, reports, manager_id),
    ).fetchall()
    return [r["employee_id"] for r in rows]
