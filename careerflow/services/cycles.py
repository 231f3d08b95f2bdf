"""The weekly-cycle and month-close commands are the Cycles application's
(careerflow.applications.cycles); this wires its collaborators from the services and keeps
the old names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aggregates.periods import SUMMED_UNITS as SUMMED_UNITS
from aggregates.periods import period_value as period_value
from aggregates.weekly_cycle_rules import CycleInfo as CycleInfo
from aggregates.weekly_cycle_rules import MonthOutcome as MonthOutcome
from aggregates.weekly_cycle_rules import Roster as Roster
from aggregates.weekly_cycle_rules import WeeklyReport as WeeklyReport
from careerflow.applications.cycles import ActiveInRoles, Cycles
from careerflow.applications.cycles import month_targets_for as month_targets_for
from careerflow.applications.cycles import summed as summed

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

    from careerflow.services.registry import Services


def roster_from(read_pool: ConnectionPool) -> ActiveInRoles:
    """The roster from the employee directory read model (projections.people)."""
    from projections.people import active_in_roles

    def read(roles: list[str], after: str, limit: int) -> list[str]:
        with read_pool.connection() as conn:
            return active_in_roles(conn, roles, after, limit)

    return read


def wire(services: Services) -> Cycles:
    """Gives the store's Cycles application its collaborators."""
    cycles = services.store.cycles
    cycles.wire(
        employee=services.people.get,
        policies=services.policies,
        ledger=services.ingest.ledger,
        active_in_roles=roster_from(services.read_pool),
    )
    return cycles
