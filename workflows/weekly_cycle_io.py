"""The weekly cycle workflow's Update requests and its outcome (workflows/weekly_cycle.py).

Apart from the workflow's module so that they are imported once per worker, passed
through the sandbox: the sandbox imports a workflow's own module again for every run,
and building three pydantic models was a part of every week's first task."""

from __future__ import annotations

from pydantic import BaseModel

from careerflow.principal import Principal


class PlanRequest(BaseModel):
    principal: Principal
    items: dict[str, float]


class FeedbackRequest(BaseModel):
    principal: Principal
    text: str
    next_plan: dict[str, float] | None = None


class CycleOutcome(BaseModel):
    cycle_id: str
    plan_source: str | None
    met: int
    total: int
    feedback: str  # "given" | "missed"
