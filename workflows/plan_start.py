"""How a development plan is started: its input and its workflow id. Apart from
workflows.development_plan (which re-exports them) so that the promotion workflow, which
starts a plan as a child, does not import the plan workflow and its activities."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from aggregates.ladder import Role
from careerflow.principal import Principal


class StartPlan(BaseModel):
    employee_id: str
    role: Role
    effective_date: date
    started_by: Principal
    source_application_id: str | None = None
    check_interval_hours: int = 24
    # Evaluations per run before continuing as new: keeps each history short.
    checks_per_run: int = 60


def plan_workflow_id(employee_id: str, effective_date: date) -> str:
    return f"plan-{employee_id}-{effective_date.isoformat()}"
