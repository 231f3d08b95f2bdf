"""360° competency assessments (seed 004): HR starts a round, raters rate through the
round's workflow, and the read models answer with the access rules and the anonymity
rules: anonymous groups as counts only, no per-rating moment, results only once the
round closes, and no average of fewer raters than the competency model's minimum."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from pydantic import AfterValidator, BaseModel, Field

from activities.assessments import ANONYMOUS_DEFAULT, RatingReceipt, RoundRequest
from aggregates.competency import AnonymousGroup, RatingItem
from careerflow.api.auth import Caller, Context
from careerflow.api.errors import problem_responses
from careerflow.api.paging import PAGED, Paging
from careerflow.services.assessment_process import (
    AssessmentProcessService,
    RoundStarted,
    require_rater,
)
from projections.assessment_profiles import ProfilesPage, ProfileView, TeamProfilesPage
from projections.assessment_rounds import GapReport, RoundProgressPage, RoundSummary
from projections.assessment_tasks import MyTasksPage
from projections.paging import Page

PROBLEMS = problem_responses("round, person or task", "the round's rules")
router = APIRouter(prefix="/assessments", tags=["assessments"], responses=PROBLEMS)

ROUND_EXAMPLE = "2026-q4-big-client"
_ROUND = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _round_id(value: str) -> str:
    if not _ROUND.fullmatch(value):
        raise ValueError(f"expected a round id like {ROUND_EXAMPLE!r}, got {value!r}")
    return value


RoundId = Annotated[
    str,
    AfterValidator(_round_id),
    Path(description="The round's id", examples=[ROUND_EXAMPLE]),
]
EmployeeId = Annotated[str, Path(description="The person assessed", examples=["E1"])]
ManagerId = Annotated[str, Path(description="The manager whose reports are shown")]


class RoundBody(BaseModel):
    """A round: the people assessed (ids and/or a team), the deadline with its time zone,
    and which groups rate anonymously (peers and reports by default)."""

    round_id: str = Field(pattern=_ROUND.pattern, examples=[ROUND_EXAMPLE])
    title: str = Field(default="", max_length=200, examples=["Big-client competencies Q4"])
    employee_ids: list[str] = Field(default_factory=list, max_length=500, examples=[["E1"]])
    team_id: str | None = Field(default=None, examples=["T001"])
    deadline: datetime = Field(examples=["2026-12-15T18:00:00+08:00"])
    anonymous: list[AnonymousGroup] = Field(default_factory=lambda: list(ANONYMOUS_DEFAULT))
    model_key: str = "default"


class RatingBody(BaseModel):
    """A level on the model's scale for every competency, each with an optional comment."""

    ratings: dict[str, RatingItem] = Field(
        examples=[
            {
                "customer_insight": {"level": 4},
                "relationship_maintenance": {"level": 3},
                "resource_coordination": {"level": 2, "comment": "involve product earlier"},
            }
        ]
    )


async def _process(ctx: Context) -> AssessmentProcessService:
    return ctx.services.assessment_process(await ctx.client(), ctx.task_queue)


# -- HR: rounds --------------------------------------------------------------------------
@router.get(
    "/rounds",
    response_model=Page[RoundSummary],
    summary="Assessment rounds, a page at a time",
    responses=PAGED,
)
def rounds(
    caller: Caller,
    ctx: Context,
    page: Paging,
    status: Annotated[
        str | None, Query(min_length=1, max_length=40, description="Only rounds in this status.")
    ] = None,
) -> Page[RoundSummary]:
    """Every round with its status and counts, newest first. HR and auditors."""
    return ctx.services.assessment_queries.rounds_paged(caller, page, status)


@router.post(
    "/rounds",
    response_model=RoundStarted,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start an assessment round",
)
async def start_round(body: RoundBody, caller: Caller, ctx: Context) -> RoundStarted:
    """Start a 360° round: each person's raters are derived (self, manager, peers in
    the team, direct reports) and told whom to rate. HR only; a running round's id
    returns that round."""
    process = await _process(ctx)  # start_round refuses anyone but HR (403) first
    return await process.start_round(caller, RoundRequest(**body.model_dump()))


@router.get(
    "/rounds/{round_id}/progress",
    response_model=RoundProgressPage,
    summary="A round's progress, a page of people at a time",
    responses=PAGED,
)
def progress(round_id: RoundId, caller: Caller, ctx: Context, page: Paging) -> RoundProgressPage:
    """Who has rated, a page of people at a time (by id): by name for named groups
    (self, manager), counts only for anonymous groups. The round's summary and its
    totals per group (over every person) come with each page. HR and auditors."""
    return ctx.services.assessment_queries.progress_paged(caller, round_id, page)


@router.get("/rounds/{round_id}/gaps", response_model=GapReport, summary="A round's gaps")
def gaps(round_id: RoundId, caller: Caller, ctx: Context) -> GapReport:
    """Per competency the share of people below the target level (e.g. "65% have a
    resource coordination gap") and the courses it recommends. HR and auditors, once
    the round has closed."""
    return ctx.services.assessment_queries.gaps(caller, round_id)


# -- raters ------------------------------------------------------------------------------
@router.get(
    "/tasks",
    response_model=MyTasksPage,
    summary="My rating tasks, a page at a time",
    responses=PAGED,
)
def my_tasks(caller: Caller, ctx: Context, page: Paging) -> MyTasksPage:
    """The ratings the caller is asked to give, and which are done, soonest deadline
    first; `open` counts every task still to rate in a round still open."""
    return ctx.services.assessment_queries.tasks_paged(caller, page)


@router.post(
    "/rounds/{round_id}/ratings/{employee_id}",
    response_model=RatingReceipt,
    summary="Rate a person",
)
async def rate(
    round_id: RoundId, employee_id: EmployeeId, body: RatingBody, caller: Caller, ctx: Context
) -> RatingReceipt:
    """The caller's rating of one person: every competency on the scale, comments
    optional, final once taken. Only a rater with a task for the person, before the
    deadline (or in the model's grace period, marked late)."""
    require_rater(caller)  # before Temporal is asked: 403 for HR, auditors, integrations
    process = await _process(ctx)
    return await process.rate(caller, round_id, employee_id, dict(body.ratings))


# -- results -----------------------------------------------------------------------------
@router.get(
    "/rounds/{round_id}/profiles/{employee_id}",
    response_model=ProfileView,
    summary="A person's competency profile",
)
def profile(
    round_id: RoundId, employee_id: EmployeeId, caller: Caller, ctx: Context
) -> ProfileView:
    """Per competency: self, manager, peers' and reports' averages (hidden below the
    minimum group size), the overall level, the target, the gap and its courses. The
    person, their manager chain, HR and auditors, once the round has closed."""
    return ctx.services.assessment_queries.profile(caller, round_id, employee_id)


@router.get(
    "/people/{employee_id}/profiles",
    response_model=ProfilesPage,
    summary="A person's closed rounds, a page at a time",
    responses=PAGED,
)
def profiles_of(
    employee_id: EmployeeId, caller: Caller, ctx: Context, page: Paging
) -> ProfilesPage:
    """The closed rounds in which the person was assessed (their profile is published),
    newest first, with how many gaps each found; read one with
    `/rounds/{round_id}/profiles/{employee_id}`. The person, their manager chain, HR and
    auditors; anyone else gets 404, as for a person who does not exist."""
    queries = ctx.services.assessment_queries
    return queries.profiles_of(caller, employee_id, page.cursor, page.limit)


@router.get(
    "/rounds/{round_id}/teams/{manager_id}",
    response_model=TeamProfilesPage,
    summary="A team's competency profiles, a page at a time",
    responses=PAGED,
)
def team(
    round_id: RoundId, manager_id: ManagerId, caller: Caller, ctx: Context, page: Paging
) -> TeamProfilesPage:
    """The profiles of the manager's reports, a page of people at a time (by id), and
    the team's gaps (over every profile) with each page. The manager, their manager
    chain, HR and auditors, once the round has closed."""
    return ctx.services.assessment_queries.team_paged(caller, round_id, manager_id, page)
