"""The goal cascade (seed 001): company growth → team growth → individual targets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from careerflow.api.auth import Caller, Context
from careerflow.api.errors import Problem
from careerflow.api.paging import Paging
from projections.goal_queries import CascadePage

router = APIRouter(
    prefix="/goals",
    tags=["goals"],
    responses={
        401: {"model": Problem, "description": "No or an unknown token"},
        403: {"model": Problem, "description": "Employees and integrations are refused"},
        404: {"model": Problem, "description": "No goal cascade has been published"},
        422: {
            "model": Problem,
            "description": "A year outside 2000..2100, a limit outside 1-200 or a cursor "
            "this list did not give",
        },
    },
)

Year = Annotated[int, Path(ge=2000, le=2100, description="The target year", examples=[2026])]


@router.get(
    "/{year}", response_model=CascadePage, summary="The goal cascade, a page of teams at a time"
)
def cascade(year: Year, caller: Caller, ctx: Context, page: Paging) -> CascadePage:
    """The goal cascade for a year: the company level on every page, and a page of
    teams (by id), each with its target, its reps' individual targets and the gap.

    HR and auditors see the company; a manager the teams of their reports; employees
    find their own targets in their week."""
    return ctx.services.goal_queries.cascade_paged(caller, year, page)
