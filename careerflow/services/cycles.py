"""The weekly-cycle and month-close commands are the Cycles application's
(careerflow.applications.cycles); the old names stay importable here."""

from __future__ import annotations

from aggregates.periods import SUMMED_UNITS as SUMMED_UNITS
from aggregates.periods import period_value as period_value
from aggregates.weekly_cycle_rules import CycleInfo as CycleInfo
from aggregates.weekly_cycle_rules import MonthOutcome as MonthOutcome
from aggregates.weekly_cycle_rules import Roster as Roster
from aggregates.weekly_cycle_rules import WeeklyReport as WeeklyReport
from careerflow.applications.cycles import month_targets_for as month_targets_for
from careerflow.applications.cycles import summed as summed
