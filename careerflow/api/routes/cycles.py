"""The weekly performance cycle (seed 001): the rep's plan, the manager's feedback, the
rep's week, the team board, HR's completion rates, a closed month's bonus statement, and
HR's launches and schedules. Reads come from the read models through the access rules;
plans and feedback go to the week's workflow as Updates (CycleProcessService)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, status
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, Field
from temporalio.service import RPCError, RPCStatusCode

from aggregates.base import PermissionDeniedError
from aggregates.calendar_periods import PeriodKind, period_problem
from aggregates.cycle_launch import InvalidPeriodError
from aggregates.not_found import employee_not_visible
from aggregates.weekly_cycle_rules import CycleInfo, plan_submitter_refusal
from careerflow.api.auth import Caller, Context
from careerflow.api.errors import problem_responses
from careerflow.api.paging import PAGED, Paging
from careerflow.principal import AccessRole, Principal
from careerflow.services.cycle_process import (
    MONTHLY_SCHEDULE_ID,
    WEEKLY_SCHEDULE_ID,
    refuse_read_only,
    require_schedule_manager,
)
from projections.month_statements import BonusStatement
from projections.rep_week import RepWeek
from projections.team_board import CompletionPage, TeamBoardPage
from words.messages import Invalid, Message

# Every refusal is problem+json: 401 no token, 403 not allowed, 404 unknown or not
# visible, 422 a malformed request or a business rule that said no (with the reason).
PROBLEMS = problem_responses("employee, week or month", "the cycle's rules")
router = APIRouter(prefix="/cycles", tags=["cycles"], responses=PROBLEMS)

WEEK_EXAMPLE = "2026-W48"
MONTH_EXAMPLE = "2026-11"


# -- path parameters -----------------------------------------------------------------
def _valid(kind: PeriodKind, example: str) -> AfterValidator:
    def check(value: str) -> str:
        message = period_problem(value, kind, example)
        if message is not None:
            raise Invalid(message)
        return value

    return AfterValidator(check)


Week = Annotated[
    str,
    _valid("week", WEEK_EXAMPLE),
    Path(description="An ISO week, YYYY-Www", examples=[WEEK_EXAMPLE]),
]
Month = Annotated[
    str,
    _valid("month", MONTH_EXAMPLE),
    Path(description="A month, YYYY-MM", examples=[MONTH_EXAMPLE]),
]
EmployeeId = Annotated[str, Path(description="The rep's employee id", examples=["E1"])]
ManagerId = Annotated[str, Path(description="The manager whose reports are shown")]

PlanNumber = Annotated[float, Field(allow_inf_nan=False)]


# -- request and response models -------------------------------------------------------
class PlanBody(BaseModel):
    """The week's plan: a number for every plan item (e.g. customer_visits, new_customers,
    sales_amount); which items are needed and which numbers are sane is the cycle's check."""

    items: dict[str, PlanNumber] = Field(
        examples=[{"customer_visits": 10, "new_customers": 4, "sales_amount": 25000}]
    )


class FeedbackBody(BaseModel):
    """The manager's comment on a reported week, optionally agreeing next week's plan."""

    text: str = Field(min_length=1, max_length=4000, examples=["Good week; more new customers"])
    next_plan: dict[str, PlanNumber] | None = Field(
        default=None,
        examples=[{"customer_visits": 12, "new_customers": 5, "sales_amount": 30000}],
    )


class LaunchBody(BaseModel):
    """What to launch: a week's cycles or a month close, for a period (default: the
    current week / the previous month in the company's time zone)."""

    kind: Literal["week", "month"] = "week"
    period: str | None = Field(
        default=None,
        max_length=10,
        description="YYYY-Www for a week, YYYY-MM for a month",
        examples=[WEEK_EXAMPLE],
    )


class LaunchAccepted(BaseModel):
    """The fan-out runs in the background: one workflow per active rep."""

    workflow_id: str
    kind: Literal["week", "month"]
    period: str


class CycleSchedule(BaseModel):
    """A Temporal Schedule of the cycle and its next runs (UTC); `created` is false until
    HR ensures the schedules."""

    schedule_id: str
    created: bool
    time_zone: str | None
    next_runs: list[datetime]


# -- access checks done before a workflow is asked ---------------------------------------
# (the feedback giver's is the service's: CycleProcessService.give_feedback)
def _require_plan_author(caller: Principal, employee_id: str) -> None:
    """Reps submit their own plan; another person's id is unknown to a rep."""
    refuse_read_only(caller, Message("submit weekly plans"))
    if caller.role != AccessRole.employee:
        refusal = plan_submitter_refusal(caller.role.value, caller.person_id, employee_id)
        assert refusal is not None  # only a rep submits
        raise PermissionDeniedError(refusal)
    if caller.person_id != employee_id:
        raise employee_not_visible(employee_id)


# -- the rep's week ------------------------------------------------------------------
@router.get("/{employee_id}/{week}", response_model=RepWeek, summary="A rep's week")
def rep_week(employee_id: EmployeeId, week: Week, caller: Caller, ctx: Context) -> RepWeek:
    """A rep's week: plan vs actual, expected bonus and commission, rank, feedback.

    The rep, their manager chain, HR and auditors; pay is hidden (null, `redacted`) from
    all but the rep, their manager chain and HR."""
    return ctx.services.cycle_queries.rep_week(caller, employee_id, week)


@router.put(
    "/{employee_id}/{week}/plan", response_model=CycleInfo, summary="Submit the week's plan"
)
async def submit_plan(
    employee_id: EmployeeId, week: Week, body: PlanBody, caller: Caller, ctx: Context
) -> CycleInfo:
    """The rep submits (or revises) the week's plan before the plan deadline.

    The rep only; a refused plan (422) says why and changes nothing."""
    _require_plan_author(caller, employee_id)
    cycles = await ctx.cycles()
    return await cycles.submit_plan(caller, employee_id, week, dict(body.items))


@router.post(
    "/{employee_id}/{week}/feedback", response_model=CycleInfo, summary="Give weekly feedback"
)
async def give_feedback(
    employee_id: EmployeeId, week: Week, body: FeedbackBody, caller: Caller, ctx: Context
) -> CycleInfo:
    """The manager's feedback on a reported week, optionally agreeing next week's plan.

    The rep's manager only, once the week is reported and before the feedback deadline."""
    cycles = await ctx.cycles()
    next_plan = dict(body.next_plan) if body.next_plan is not None else None
    return await cycles.give_feedback(caller, employee_id, week, body.text, next_plan)


@router.get(
    "/{employee_id}/months/{month}",
    response_model=BonusStatement,
    summary="A month's bonus statement",
)
def bonus_statement(
    employee_id: EmployeeId, month: Month, caller: Caller, ctx: Context
) -> BonusStatement:
    """A closed month's bonus and commission with their derivation, and training.

    Whoever may see the rep; the amounts, inputs and lines are null (`redacted`) for all
    but the rep, their manager chain and HR."""
    return ctx.services.cycle_queries.bonus_statement(caller, employee_id, month)


# -- teams and the company -------------------------------------------------------------
@router.get(
    "/weeks/{week}/teams/{manager_id}",
    response_model=TeamBoardPage,
    summary="A team's weekly board, a page of reps at a time",
    responses=PAGED,
)
def team_board(
    week: Week, manager_id: ManagerId, caller: Caller, ctx: Context, page: Paging
) -> TeamBoardPage:
    """A manager's team board for a week: who planned, who lags, feedback; a page of
    reps by employee id, the totals over the whole team.

    The manager, their manager chain, HR and auditors."""
    return ctx.services.cycle_queries.team_board_page(caller, manager_id, week, page)


@router.get(
    "/weeks/{week}/completion",
    response_model=CompletionPage,
    summary="Completion rates, a page of teams at a time",
    responses=PAGED,
)
def completion_rates(week: Week, caller: Caller, ctx: Context, page: Paging) -> CompletionPage:
    """Plans submitted, agreed and defaulted, reports and feedback per team for a week (a
    page of teams by team id), and overall (every team).

    HR and auditors."""
    return ctx.services.cycle_queries.completion_page(caller, week, page)


# -- launches and schedules (HR) --------------------------------------------------------
@router.post(
    "/launches",
    response_model=LaunchAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Launch a week or a month close",
)
async def launch(body: LaunchBody, caller: Caller, ctx: Context) -> LaunchAccepted:
    """Start a week's cycles or a month close for every active rep now.

    HR only. A week before the current one, or a period already launched, is refused
    (422): nothing starts twice. The checks are the service's (the pages' and the CLI's)."""
    cycles = await ctx.cycles()
    try:
        period = await cycles.check_launch(caller, body.kind, body.period)
    except InvalidPeriodError as exc:  # said in the caller's language, naming the field
        raise RequestValidationError(
            [{"loc": ("body", "period"), "msg": exc.message, "type": "value_error"}]
        ) from None
    workflow_id = await cycles.launch(caller, body.kind, period)
    return LaunchAccepted(workflow_id=workflow_id, kind=body.kind, period=period)


@router.get("/schedules", response_model=list[CycleSchedule], summary="The cycle schedules")
async def schedules(caller: Caller, ctx: Context) -> list[CycleSchedule]:
    """The weekly-cycle and month-close schedules and their next runs.

    HR and auditors."""
    caller.require(AccessRole.hr, AccessRole.auditor, action=Message("see the cycle schedules"))
    cycles = await ctx.cycles()
    out: list[CycleSchedule] = []
    for schedule_id in (WEEKLY_SCHEDULE_ID, MONTHLY_SCHEDULE_ID):
        try:
            state = await cycles.describe(schedule_id)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            out.append(
                CycleSchedule(schedule_id=schedule_id, created=False, time_zone=None, next_runs=[])
            )
            continue
        out.append(CycleSchedule(created=True, **state.model_dump()))
    return out


@router.put("/schedules", response_model=list[CycleSchedule], summary="Ensure the cycle schedules")
async def ensure_schedules(caller: Caller, ctx: Context) -> list[CycleSchedule]:
    """Create the schedules, or bring them in line with the weekly_cycle document.

    HR only; run again after publishing a new weekly_cycle version."""
    require_schedule_manager(caller)  # before Temporal is asked
    cycles = await ctx.cycles()
    states = await cycles.ensure_schedules(caller)
    return [CycleSchedule(created=True, **s.model_dump()) for s in states]
