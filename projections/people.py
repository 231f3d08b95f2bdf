"""Employee directory and teams, from the `people` application."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL

from aggregates.employee import Employee
from aggregates.organisation import Organisation
from projections.base import Apply, EventHandlers, event_of, handles


class PeopleProjection(EventHandlers):
    name = "people_projection"
    owned_tables: ClassVar[list[str]] = ["rm_team", "rm_employee"]
    aggregates = (Organisation, Employee)
    # Only advance tracking: the organisation's founding names no team or person.
    ignored = (event_of(Organisation, "Founded"),)

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
            self._mark_dirty(curs, "employee_id = %s", (e.employee_id,))

        return change

    @handles(event_of(Employee, "RoleChanged"))
    def _Employee_RoleChanged(self, e: Any) -> Apply:
        return self._update(e, "role = %s", (str(e.role),))

    @handles(event_of(Employee, "Moved"))
    def _Employee_Moved(self, e: Any) -> Apply:
        return self._update(e, "team_id = %s, manager_id = %s", (e.team_id, e.manager_id))

    @handles(event_of(Employee, "LanguageSet"))
    def _Employee_LanguageSet(self, e: Any) -> Apply:
        return self._update(e, "locale = %s", (e.locale,))

    @handles(event_of(Employee, "Left"))
    def _Employee_Left(self, e: Any) -> Apply:
        return self._update(e, "active = false", ())

    def _update(self, e: Any, assignments: str, params: tuple[Any, ...]) -> Apply:
        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(
                SQL(
                    "UPDATE {0} SET " + assignments + ", version = %s WHERE aggregate_id = %s"
                ).format(self.view.table("rm_employee")),
                (*params, e.originator_version, e.originator_id),
            )
            self._mark_dirty(curs, "aggregate_id = %s", (e.originator_id,))

        return change

    def _mark_dirty(self, curs: Cursor[DictRow], where: str, params: tuple[Any, ...]) -> None:
        curs.execute(
            SQL(
                "INSERT INTO {0} SELECT employee_id FROM {1} WHERE " + where + " "
                "ON CONFLICT DO NOTHING"
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
