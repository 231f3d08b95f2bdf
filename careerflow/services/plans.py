"""The development-plan commands are the Plans application's (careerflow.applications.
plans); this wires its collaborators from the services and keeps the old names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aggregates.plan_values import PlanInfo as PlanInfo
from aggregates.plan_values import PlanOutcome as PlanOutcome
from aggregates.plan_values import PlanReminder as PlanReminder
from careerflow.applications.plans import Plans
from careerflow.applications.plans import plan_end as plan_end

if TYPE_CHECKING:
    from careerflow.services.registry import Services


def wire(services: Services) -> Plans:
    """Gives the store's Plans application its collaborators."""
    plans = services.store.plans
    plans.wire(
        employee=services.people.get,
        policies=services.policies,
        ledger=services.ingest.ledger,
    )
    return plans
