"""The weekly cycle workflows' Update requests and outcomes (workflows/weekly_cycle.py,
workflows/weekly_cycle_batch.py).

Apart from the workflow's module so that they are imported once per worker, passed
through the sandbox: the sandbox imports a workflow's own module again for every run,
and building three pydantic models was a part of every week's first task."""

from __future__ import annotations

from pydantic import BaseModel

from careerflow.principal import Principal


class PlanRequest(BaseModel):
    principal: Principal
    items: dict[str, float]
    # Whose week: a batch's workflow runs many (a week's own workflow knows).
    employee_id: str | None = None


class FeedbackRequest(BaseModel):
    principal: Principal
    text: str
    next_plan: dict[str, float] | None = None
    employee_id: str | None = None  # whose week (as PlanRequest's)


class CycleOutcome(BaseModel):
    cycle_id: str
    plan_source: str | None
    met: int
    total: int
    feedback: str  # "given" | "missed"


class CycleBatchOutcome(BaseModel):
    week: str
    outcomes: dict[str, CycleOutcome]  # by employee id
    failed: dict[str, str] = {}  # employee id: why the week stopped (a step refused)
