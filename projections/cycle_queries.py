"""Weekly cycles and month statements for people, from the read model, through the
access rules: a rep's week (plan vs actual, expected pay, rank in the team;
projections.rep_week), a manager's team board and HR's completion rates
(projections.team_board) and a closed month's bonus statement
(projections.month_statements); a rep's weeks and closed months
(projections.rep_history); the months closed (projections.month_close_queries)."""

from __future__ import annotations

from pydantic import BaseModel

from careerflow.principal import Principal
from projections.cycles import week_of
from projections.launch_roster import LaunchRosterQueries
from projections.month_close_queries import MonthCloseQueries
from projections.month_statements import MonthStatementQueries
from projections.rep_history import RepHistoryQueries
from projections.rep_week import RepWeekQueries
from projections.team_board import TeamBoardQueries
from projections.visibility import require_visible


class WeekManager(BaseModel):
    """Who manages a rep's week, as its cycle row says (None: the rep had no manager)."""

    manager_id: str | None


class CycleQueries(
    RepWeekQueries,
    TeamBoardQueries,
    MonthStatementQueries,
    RepHistoryQueries,
    LaunchRosterQueries,
    MonthCloseQueries,
):
    """Every cycle view on one read pool (`CycleQueries(pool).rep_week(...)`)."""

    def week_manager(self, principal: Principal, employee_id: str, week: str) -> WeekManager | None:
        """The manager of `employee_id`'s `week` (None before the week is read); 404 for a
        rep the caller may not see."""
        with self._connection() as conn:
            require_visible(conn, principal, employee_id)
            row = week_of(conn, employee_id, week)
        return WeekManager(manager_id=row["manager_id"]) if row is not None else None
