"""The goal cascade (seed 001): company growth → team growth → individual targets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from careerflow.api.auth import Caller, Context
from careerflow.api.errors import Problem
from projections.goal_queries import CascadeOverview

router = APIRouter(
    prefix="/goals",
    tags=["goals"],
    responses={
        401: {"model": Problem, "description": "No or an unknown token"},
        403: {"model": Problem, "description": "Employees and integrations are refused"},
        404: {"model": Problem, "description": "No goal cascade has been published"},
        422: {"model": Problem, "description": "A year outside 2000..2100"},
    },
)

Year = Annotated[int, Path(ge=2000, le=2100, description="The target year", examples=[2026])]


@router.get("/{year}", response_model=CascadeOverview, summary="The goal cascade")
def cascade(year: Year, caller: Caller, ctx: Context) -> CascadeOverview:
    """The goal cascade for a year: company, team and individual targets, and the gap.

    HR and auditors see the company; a manager the teams of their reports; employees
    find their own targets in their week."""
    return ctx.services.goal_queries.cascade(caller, year)
