"""The promotion commands are the Promotions application's (careerflow.applications.
promotions); this wires its collaborators from the services and keeps the old names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aggregates.ladder import Role
from aggregates.promotion_rules import CommandResult as CommandResult
from aggregates.promotion_rules import ReportSummary as ReportSummary
from careerflow.applications.promotions import Promotions, RolePercentiles
from careerflow.applications.promotions import check_can_apply as check_can_apply
from careerflow.applications.promotions import effective_date_after as effective_date_after

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

    from careerflow.services.registry import Services


def percentiles_from(read_pool: ConnectionPool) -> RolePercentiles:
    """Ranks against the whole organisation from the read model (projections.readiness)."""
    from projections.readiness import role_percentiles

    def read(
        metric: str, role: Role, months: list[str], direction: str
    ) -> dict[str, dict[str, float]]:
        with read_pool.connection() as conn:
            return role_percentiles(conn, metric, role, months, direction)  # type: ignore[arg-type]

    return read


def wire(services: Services) -> Promotions:
    """Gives the store's Promotions application its collaborators."""
    promotions = services.store.promotions
    promotions.wire(
        employee=services.people.get,
        save_employee=services.store.people.save,
        policies=services.policies,
        ledger=services.ingest.ledger,
        role_percentiles=percentiles_from(services.read_pool),
    )
    return promotions
