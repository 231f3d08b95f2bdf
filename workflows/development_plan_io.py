"""The development plan workflow's Update requests (workflows/development_plan.py).

Apart from the workflow's module so that they are built once per worker, passed through
the sandbox: the sandbox imports a workflow's own module again for every run."""

from __future__ import annotations

from pydantic import BaseModel

from aggregates.plan_template import Milestone
from careerflow.principal import Principal


class ConfirmRequest(BaseModel):
    principal: Principal
    milestone_id: str
    comment: str = ""


class AdjustRequest(BaseModel):
    principal: Principal
    action: str  # "add" | "move" | "drop"
    milestone_id: str = ""
    milestone: Milestone | None = None
    due_month: int | None = None
    reason: str
