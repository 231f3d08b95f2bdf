"""Who a launch would reach, per team: of the roster's reps (the launcher's own roster,
given as ids), how many would get a cycle for the week and how many already have one
(skipped: nothing starts twice). Read for HR's dry-run preview (CycleProcessService)."""

from __future__ import annotations

from pydantic import BaseModel

from projections.cycle_reads import CycleReads


class TeamLaunch(BaseModel):
    team_id: str
    team_name: str | None
    starting: int
    already: int


class LaunchRosterQueries(CycleReads):
    def launch_teams(self, week: str | None, employee_ids: list[str]) -> list[TeamLaunch]:
        """Per team (by name): the roster's reps without a cycle for `week` (who would
        get one) and with one (skipped). A month close (`week` None) skips nobody here."""
        if not employee_ids:
            return []
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT e.team_id, t.name AS team_name, "
                "count(*) FILTER (WHERE c.cycle_id IS NULL) AS starting, "
                "count(c.cycle_id) AS already "
                "FROM rm_employee e LEFT JOIN rm_team t ON t.team_id = e.team_id "
                "LEFT JOIN rm_cycle c ON c.employee_id = e.employee_id AND c.week = %s "
                "WHERE e.employee_id = ANY(%s) "
                "GROUP BY e.team_id, t.name ORDER BY t.name NULLS LAST, e.team_id",
                (week, employee_ids),
            ).fetchall()
        return [TeamLaunch(**r) for r in rows]
