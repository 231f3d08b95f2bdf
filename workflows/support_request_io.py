"""The support request workflow's input, Update requests and outcome
(workflows/support_request.py).

Apart from the workflow's module so that they are built once per worker, passed through
the sandbox: the sandbox imports a workflow's own module again for every run."""

from __future__ import annotations

from pydantic import BaseModel

from careerflow.principal import Principal


class StartSupport(BaseModel):
    request_id: str
    principal: Principal
    category: str
    text: str
    customer: str | None = None


class TeamStep(BaseModel):
    """A support-team member acknowledges (no text) or answers (the answer)."""

    principal: Principal
    text: str = ""


class RepStep(BaseModel):
    """The rep confirms (no text) or reopens (the reason)."""

    principal: Principal
    text: str = ""


class SupportOutcome(BaseModel):
    request_id: str
    status: str
    sla_met: bool | None
    breached: bool
    response_minutes: float | None
    answers: int
    reopens: int
