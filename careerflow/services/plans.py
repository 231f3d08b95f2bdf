"""The development-plan commands are the Plans application's (careerflow.applications.
plans); the old names stay importable here."""

from __future__ import annotations

from aggregates.plan_values import PlanInfo as PlanInfo
from aggregates.plan_values import PlanOutcome as PlanOutcome
from aggregates.plan_values import PlanReminder as PlanReminder
from careerflow.applications.plans import plan_end as plan_end
