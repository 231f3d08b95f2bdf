"""Post-promotion development plans: HR starts one, the manager (or HR) confirms
milestones and adjusts the plan with a reason (Updates on the plan's workflow, through
the service layer the CLI uses); an employee's plans with live progress, a manager's
team plans and HR's overview come from the read model.

Access: a role that may never do something gets 403 whatever the id; a plan the caller
may not see answers 404 exactly like one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from aggregates.base import DomainError, NotFoundError
from aggregates.development_plan import DevelopmentPlan
from aggregates.ladder import Role
from aggregates.not_found import plan_not_visible
from aggregates.plan_progress import PlanProgress
from aggregates.plan_template import Milestone
from aggregates.plan_values import PlanInfo
from careerflow.api.auth import Caller, Context
from careerflow.api.errors import problem_responses
from careerflow.api.paging import PAGED, Paging
from careerflow.applications.plans import require_plan_starter
from careerflow.principal import AccessRole, Principal
from careerflow.services.plan_process import visible_plan
from projections.paging import Page
from projections.plan_queries import SEE_PLANS
from words.messages import Message

# Every refusal is problem+json with a reason a person can act on.
PROBLEMS = problem_responses("employee or plan", "the plan's rules")
router = APIRouter(prefix="/plans", tags=["development plans"], responses=PROBLEMS)

READERS = (AccessRole.employee, AccessRole.manager, AccessRole.hr, AccessRole.auditor)


# -- requests -----------------------------------------------------------------------------
class StartPlanIn(BaseModel):
    employee_id: str = Field(min_length=1)
    effective_date: date | None = Field(
        default=None, description="The plan's first day; default: today (company calendar)."
    )
    role: Role | None = Field(
        default=None, description="The plan template's role; default: the employee's role."
    )


class ConfirmMilestoneIn(BaseModel):
    comment: str = Field(default="", description='What was achieved ("joined every meeting").')


class AdjustPlanIn(BaseModel):
    action: Literal["add", "move", "drop"]
    reason: str = Field(min_length=1, description="Why; part of the plan's record.")
    milestone_id: str = Field(default="", description="The milestone to move or drop.")
    milestone: Milestone | None = Field(
        default=None, description="The milestone to add (the plan template's shape)."
    )
    due_month: int | None = Field(
        default=None, ge=1, description="For a move: the new due month (plan month, 1-based)."
    )


# -- responses ----------------------------------------------------------------------------
class PlanStarted(BaseModel):
    plan_id: str
    employee_id: str
    effective_date: date
    role: Role


class PlanState(BaseModel):
    """The plan as its workflow holds it after the call."""

    plan_id: str
    employee_id: str
    manager_id: str | None
    effective_date: date
    end_date: date
    milestones: list[str]
    confirmable: list[str] = Field(description="Milestones the manager confirms by hand.")


class PlanView(BaseModel):
    plan_id: str
    employee_id: str
    manager_id: str | None
    role: Role
    effective_date: date
    months: int
    template_version: int
    milestones: list[Milestone]
    confirmed: dict[str, str] = Field(description="Milestone id → who confirmed it.")
    overdue: list[str]
    overall: str = Field(description="on_track, at_risk, overdue, completed or not_evaluated")
    done: int
    total: int
    progress: PlanProgress | None = Field(description="Each milestone's live progress.")
    evaluated_on: date | None
    closed: bool
    outcome: str | None


class TeamPlan(BaseModel):
    plan_id: str
    employee_id: str
    name: str
    role: Role
    effective_date: date
    overall: str
    done: int
    total: int
    overdue: list[str]
    closed: bool


class PlansOverview(BaseModel):
    open: dict[str, int] = Field(description="Open plans by status (on_track, at_risk, ...).")
    closed: dict[str, int] = Field(description="Closed plans by outcome.")


# -- access -------------------------------------------------------------------------------
def _role(*roles: AccessRole, action: Message) -> Any:
    """A caller whose role may `action` at all (403 otherwise, before any lookup)."""

    def check(caller: Caller) -> Principal:
        caller.require(*roles, action=action)
        return caller

    return Depends(check)


def _missing(plan_id: str) -> NotFoundError:
    return plan_not_visible(plan_id)


@dataclass(frozen=True)
class VisiblePlan:
    caller: Principal
    plan: DevelopmentPlan


def _visible_plan(*roles: AccessRole, action: Message) -> Any:
    """The plan in the path when the caller may read it (the service's one check:
    careerflow.services.plan_process.visible_plan, which the pages share)."""

    def lookup(plan_id: str, caller: Caller, ctx: Context) -> VisiblePlan:
        services = ctx.services
        plan = visible_plan(
            services.store.plans, services.read_pool, caller, plan_id, *roles, action=action
        )
        return VisiblePlan(caller, plan)

    return Depends(lookup)


def _state(info: PlanInfo) -> PlanState:
    return PlanState.model_validate(info.model_dump())


# -- process ------------------------------------------------------------------------------
@router.post("", response_model=PlanStarted, summary="Start a development plan")
async def start_plan(
    body: StartPlanIn,
    caller: Caller,
    ctx: Context,
) -> PlanStarted:
    """HR starts a development plan for any employee from the role's plan template.
    Idempotent: the same employee and start date give the same plan."""
    require_plan_starter(caller)  # 403 before the employee is looked up
    employee = ctx.services.people.get(body.employee_id)  # 404 for an unknown employee
    commands = ctx.services.store.plans
    effective = body.effective_date or commands.local_date(datetime.now(UTC))
    role = body.role or Role(employee.role)
    flow = await ctx.plans()
    try:
        plan_id = await flow.start(caller, body.employee_id, effective, role)
    except NotFoundError as exc:  # the employee exists: no template for the role
        raise DomainError(exc.message) from None
    return PlanStarted(
        plan_id=plan_id, employee_id=body.employee_id, effective_date=effective, role=role
    )


@router.post(
    "/{plan_id}/milestones/{milestone_id}/confirmation",
    response_model=PlanState,
    summary="Confirm a milestone",
)
async def confirm_milestone(
    plan_id: str,
    milestone_id: str,
    body: ConfirmMilestoneIn,
    caller: Caller,
    ctx: Context,
) -> PlanState:
    """The employee's manager (or HR) confirms a milestone of kind 'confirmed'
    ("joined the team meetings"); measured milestones follow the metrics."""
    flow = await ctx.plans()  # checks the caller's role, the plan's visibility, it is open
    info = await flow.confirm(caller, plan_id, milestone_id, body.comment)
    return _state(info)


@router.post(
    "/{plan_id}/adjustments", response_model=PlanState, summary="Add, move or drop a milestone"
)
async def adjust_plan(
    plan_id: str,
    body: AdjustPlanIn,
    caller: Caller,
    ctx: Context,
) -> PlanState:
    """The manager (or HR) adds a milestone, moves one's due month or drops one, with a
    reason that stays in the plan's record."""
    flow = await ctx.plans()  # checks the caller's role, the plan's visibility, it is open
    info = await flow.adjust(
        caller,
        plan_id,
        body.action,
        body.reason,
        milestone_id=body.milestone_id,
        milestone=body.milestone,
        due_month=body.due_month,
    )
    return _state(info)


# -- read models --------------------------------------------------------------------------
@router.get(
    "",
    response_model=Page[PlanView],
    summary="An employee's plans with live progress, a page at a time",
    responses=PAGED,
)
def plans_of(
    caller: Annotated[Principal, _role(*READERS, action=SEE_PLANS)],
    ctx: Context,
    page: Paging,
    employee_id: Annotated[
        str | None, Query(min_length=1, description="Whose plans; default: the caller's.")
    ] = None,
) -> Page[PlanView]:
    """One person's development plans with live progress, newest first: their own,
    their reports' (managers), anyone's (HR, auditors)."""
    found = ctx.services.plan_queries.plans_of_paged(caller, employee_id or caller.person_id, page)
    return Page[PlanView](
        items=[PlanView.model_validate(r) for r in found.items],
        total=found.total,
        limit=found.limit,
        next_cursor=found.next_cursor,
    )


@router.get(
    "/team",
    response_model=Page[TeamPlan],
    summary="The plans of a manager's team, a page at a time",
    responses=PAGED,
)
def team_plans(
    caller: Caller,  # projections.plan_queries refuses other roles (403)
    ctx: Context,
    page: Paging,
    status: Annotated[
        Literal["on_track", "at_risk", "overdue", "completed", "not_evaluated"] | None,
        Query(description="Only plans with this overall status."),
    ] = None,
    person: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Only this person's plans.")
    ] = None,
) -> Page[TeamPlan]:
    """Every plan among a manager's reports (HR and auditors: everyone's), by employee,
    with who is on track, at risk or overdue."""
    found = ctx.services.plan_queries.team_paged(caller, page, status, person)
    return Page[TeamPlan](
        items=[TeamPlan.model_validate(r) for r in found.items],
        total=found.total,
        limit=found.limit,
        next_cursor=found.next_cursor,
    )


@router.get("/overview", response_model=PlansOverview, summary="HR's overview of every plan")
def overview(
    caller: Caller,  # projections.plan_queries refuses other roles (403)
    ctx: Context,
) -> PlansOverview:
    """HR's overview: open plans on track, at risk and overdue; closed plans by outcome."""
    return PlansOverview.model_validate(ctx.services.plan_queries.overview(caller))


@router.get("/{plan_id}", response_model=PlanView, summary="One development plan")
def get_plan(
    target: Annotated[VisiblePlan, _visible_plan(*READERS, action=SEE_PLANS)],
    ctx: Context,
) -> PlanView:
    """One development plan with live progress (the employee, their manager chain, HR
    and auditors)."""
    plan = target.plan
    for row in ctx.services.plan_queries.plans_of(target.caller, plan.employee_id):
        if row["plan_id"] == plan.plan_id:
            return PlanView.model_validate(row)
    raise _missing(plan.plan_id)  # started, not yet in the read model
