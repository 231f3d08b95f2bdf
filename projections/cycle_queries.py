"""Weekly cycles and month statements for people, from the read model, through the
access rules: a rep's week (plan vs actual, expected pay, rank in the team;
projections.rep_week), a manager's team board and HR's completion rates
(projections.team_board) and a closed month's bonus statement
(projections.month_statements); a rep's weeks and closed months
(projections.rep_history)."""

from __future__ import annotations

from projections.month_statements import MonthStatementQueries
from projections.rep_history import RepHistoryQueries
from projections.rep_week import RepWeekQueries
from projections.team_board import TeamBoardQueries


class CycleQueries(RepWeekQueries, TeamBoardQueries, MonthStatementQueries, RepHistoryQueries):
    """Every cycle view on one read pool (`CycleQueries(pool).rep_week(...)`)."""
