"""Promotion applications: start, the manager's decision, resubmission, withdrawal and
HR's review (steered on Temporal through the service layer the CLI uses), and the read
models: one application with its timeline, the applications a caller may see, HR's
pipeline, cycle times against the working-day target, returned applications and the
candidate pool.

Access: a role that may never do something gets 403 whatever the id; an application the
caller may not see answers 404 exactly like one that does not exist."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field

from aggregates.base import DomainError
from aggregates.criteria import CriterionResult
from aggregates.criteria_evaluation import CriteriaEvaluation
from aggregates.ladder import Role
from aggregates.promotion import Stage
from careerflow.api.auth import Caller, Context
from careerflow.api.errors import problem_responses, request_lang
from careerflow.api.paging import PAGED, Paging
from careerflow.principal import AccessRole, Principal
from careerflow.services.promotion_process import REVIEW_OUTCOMES, PromotionStatus
from projections.paging import Page
from words.messages import Message

_M = TypeVar("_M", bound=BaseModel)

# Every refusal is problem+json with a reason a person can act on.
PROBLEMS = problem_responses("employee or application", "the promotion process's rules")
router = APIRouter(prefix="/promotions", tags=["promotions"], responses=PROBLEMS)

F = TypeVar("F", bound=Callable[..., Any])
READERS = (AccessRole.employee, AccessRole.manager, AccessRole.hr, AccessRole.auditor)
APPLICANTS = (AccessRole.employee, AccessRole.manager, AccessRole.hr)


# -- requests -----------------------------------------------------------------------------
RETRIES = (
    "Safe to retry: send an `Idempotency-Key` header (or the body's `command_id`), e.g. a "
    "UUID, and send the same request again with the same key when an answer was lost "
    "(a timeout, a dropped connection). A step already recorded under that key by you, "
    "saying the same, answers 200 with its recorded outcome and changes nothing; the "
    "same key with a different content is refused (422). Without a key the engine "
    "chooses one: the answer's `command_id`."
)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="The command id of this step (1-128 letters, digits, '.', '_', ':' or "
        "'-'; a UUID will do): the same request sent again with it is answered with the "
        "recorded outcome instead of a refusal.",
    ),
]
COMMAND_ID_FIELD = Field(
    default=None,
    description="The command id, as the Idempotency-Key header (give one or the other).",
)


def _retriable(endpoint: F) -> F:
    """The endpoint's OpenAPI description says how to retry it."""
    endpoint.__doc__ = f"{inspect.cleandoc(endpoint.__doc__ or '')}\n\n{RETRIES}"
    return endpoint


def _command_id(header: str | None, body: str | None) -> str | None:
    if header and body and header.strip() != body.strip():
        raise DomainError(
            "the Idempotency-Key header ({header}) and the body's command_id ({body}) "
            "differ; send one of them, or the same in both",
            header=header,
            body=body,
        )
    return header or body


class StartApplication(BaseModel):
    employee_id: str | None = Field(
        default=None,
        min_length=1,
        description="Who applies; default: the caller. Employees apply for themselves, "
        "HR for anyone.",
    )
    target_role: Role | None = Field(
        default=None, description="The role applied for; default: the employee's next rung."
    )


class ManagerDecisionIn(BaseModel):
    approve: bool = Field(description="true approves, false rejects")
    comment: str = Field(
        default="",
        description="Shown to the applicant; required when rejecting "
        '(e.g. "approve; focus on management skills").',
    )
    command_id: str | None = COMMAND_ID_FIELD


class WithdrawalIn(BaseModel):
    reason: str = Field(default="", description="Why the application is withdrawn.")
    command_id: str | None = COMMAND_ID_FIELD


class HrReviewIn(BaseModel):
    outcome: Literal["confirm", "override_approve", "override_decline"] = Field(
        description="confirm: the application passed every criterion (stage hr_review); "
        "override_approve: approve a returned application despite unmet criteria; "
        "override_decline: decline an application that passed (stage hr_review)."
    )
    reason: str = Field(
        default="",
        description="Required for an override (it is part of the audit record); "
        "a comment for a confirmation.",
    )
    command_id: str | None = COMMAND_ID_FIELD


# -- responses ----------------------------------------------------------------------------
class StartedApplicationOut(BaseModel):
    application_id: str
    workflow_id: str
    employee_id: str
    target_role: Role


class ApplicationStatus(PromotionStatus):
    """Where the application stands after the call."""

    command_id: str | None = Field(
        default=None, description="The command id of the step: retry with it (Idempotency-Key)."
    )


class TimelineStep(BaseModel):
    seq: int
    at: datetime
    kind: str = Field(description="Started, Submitted, ManagerDecided, Returned, HrConfirmed, ...")
    actor: str
    actor_role: str
    round: int | None
    comment: str | None = Field(description="The approver's comment or the reason given.")
    detail: dict[str, Any] = Field(default_factory=dict)


class ApplicationDetail(BaseModel):
    application_id: str
    workflow_id: str
    employee_id: str
    from_role: Role
    target_role: Role
    stage: Stage
    round: int
    started_by: str
    started_at: datetime
    stage_since: datetime
    decided_at: datetime | None
    manager_id: str | None
    manager_name: str | None = None
    eligible: bool | None
    score: float | None = Field(description="Potential score (0..10) in the latest report.")
    evaluation: CriteriaEvaluation | None = Field(
        description="Every criterion with the applicant's value, met or not, and a suggestion."
    )
    unmet: list[CriterionResult] | None
    policy_versions: dict[str, int] | None
    returned_count: int
    effective_date: date | None
    timeline: list[TimelineStep]


class ApplicationSummary(BaseModel):
    application_id: str
    employee_id: str
    name: str
    target_role: Role
    stage: Stage
    round: int
    started_at: datetime
    stage_since: datetime
    manager_id: str | None
    eligible: bool | None


class PipelineApplication(BaseModel):
    application_id: str
    employee_id: str
    name: str | None = None
    target_role: Role
    stage: Stage
    stage_since: datetime
    started_at: datetime
    age_working_days: float = Field(description="Working days in the current stage.")


class Pipeline(Page[PipelineApplication]):
    """A page of the open applications (longest in their stage first), beside the count
    of open applications per stage (all of them: what the dashboard's chart draws)."""

    stages: dict[str, int] = Field(description="Open applications per stage (all pages).")
    target_working_days: float


class CycleTime(BaseModel):
    application_id: str
    employee_id: str
    stage: Stage
    started_at: datetime
    decided_at: datetime
    working_days: float


class CycleTimes(Page[CycleTime]):
    """A page of the decided applications (in the order decided), beside the median of
    all of them against the target."""

    median_working_days: float | None
    target_working_days: float
    within_target: bool | None = Field(description="The median is within the target.")


class ReturnedApplication(BaseModel):
    application_id: str
    employee_id: str
    name: str | None = None
    target_role: Role
    stage: Stage
    round: int
    returned_count: int
    unmet: list[CriterionResult] = Field(description="Why it was returned, with suggestions.")


class PoolMember(BaseModel):
    rank: int | None = Field(None, description="Place in the whole pool, by score.")
    employee_id: str
    name: str
    role: Role
    team_id: str
    manager_id: str | None
    score: float


# -- access -------------------------------------------------------------------------------
def _role(*roles: AccessRole, action: Message) -> Any:
    """A caller whose role may `action` at all (403 otherwise, before any lookup)."""

    def check(caller: Caller) -> Principal:
        caller.require(*roles, action=action)
        return caller

    return Depends(check)


def _status(result: BaseModel) -> ApplicationStatus:
    return ApplicationStatus.model_validate(result.model_dump())


# -- process ------------------------------------------------------------------------------
@router.post(
    "/applications", response_model=StartedApplicationOut, summary="Start a promotion application"
)
async def start_application(
    body: StartApplication,
    caller: Caller,
    ctx: Context,
) -> StartedApplicationOut:
    """Start a promotion application (employees for themselves, HR for anyone).

    The system pulls the last 12 months of data and writes the application report; the
    manager is then asked to decide. Idempotent: while an application for this employee
    and role is open, it is returned instead of a new one."""
    flow = await ctx.promotions()
    started = await flow.start(caller, body.employee_id or caller.person_id, body.target_role)
    return StartedApplicationOut.model_validate(started.model_dump())


@router.post(
    "/applications/{application_id}/decision",
    response_model=ApplicationStatus,
    summary="Record the manager's decision",
)
@_retriable
async def decide(
    application_id: str,
    body: ManagerDecisionIn,
    caller: Caller,
    ctx: Context,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationStatus:
    """The applicant's manager approves or rejects (with a comment); HR may act for them.

    Answers once the decision has taken effect: HR review, returned with the unmet
    criteria, or rejected. A round is decided once: another decision is refused (422)."""
    command_id = _command_id(idempotency_key, body.command_id)
    flow = await ctx.promotions()
    result = await flow.decide_application(
        caller, application_id, body.approve, body.comment, command_id
    )
    return _status(result)


@router.post(
    "/applications/{application_id}/resubmission",
    response_model=ApplicationStatus,
    summary="Resubmit a returned application",
)
@_retriable
async def resubmit(
    application_id: str, caller: Caller, ctx: Context, idempotency_key: IdempotencyKey = None
) -> ApplicationStatus:
    """Resubmit a returned application (the applicant or HR); it is re-evaluated on
    fresh data and goes back to the manager."""
    flow = await ctx.promotions()
    return _status(await flow.resubmit_application(caller, application_id, idempotency_key))


@router.post(
    "/applications/{application_id}/withdrawal",
    response_model=ApplicationStatus,
    summary="Withdraw an application",
)
@_retriable
async def withdraw(
    application_id: str,
    body: WithdrawalIn,
    caller: Caller,
    ctx: Context,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationStatus:
    """Withdraw an open application (the applicant or HR) until it is announced."""
    command_id = _command_id(idempotency_key, body.command_id)
    flow = await ctx.promotions()
    result = await flow.withdraw_application(caller, application_id, body.reason, command_id)
    return _status(result)


@router.post(
    "/applications/{application_id}/hr-review",
    response_model=ApplicationStatus,
    summary="Record HR's review (confirm or override)",
)
@_retriable
async def hr_review(
    application_id: str,
    body: HrReviewIn,
    caller: Caller,
    ctx: Context,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationStatus:
    """HR confirms an application that passed every criterion, or overrides (with a
    reason): approve a returned one, or decline one that passed."""
    action, approve = REVIEW_OUTCOMES[body.outcome]
    command_id = _command_id(idempotency_key, body.command_id)
    flow = await ctx.promotions()
    result = await flow.review_application(
        caller, application_id, action, approve, body.reason, command_id
    )
    return _status(result)


# -- read models --------------------------------------------------------------------------
# Who may read what is decided by the read queries (services.promotion_queries): they
# refuse a role that may never see a view (403) before any lookup, as the CLI says it.
@router.get(
    "/applications",
    response_model=Page[ApplicationSummary],
    summary="List the applications you may see, a page at a time",
    responses=PAGED,
)
def list_applications(
    caller: Caller,
    ctx: Context,
    page: Paging,
    stage: Annotated[Stage | None, Query(description="Only applications at this stage.")] = None,
    person: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Only this applicant's.")
    ] = None,
) -> Page[ApplicationSummary]:
    """The applications the caller may see: their own, their team's (managers), or
    everyone's (HR, auditors); oldest first."""
    found = ctx.services.promotion_queries.applications_paged(
        caller, page, stage.value if stage else None, person
    )
    return _page(found, ApplicationSummary)


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationDetail,
    summary="One application with its timeline",
)
def get_application(
    application_id: str,
    caller: Caller,
    ctx: Context,
    request: Request,
) -> ApplicationDetail:
    """One application: its stage, the evaluation of every criterion and the timeline of
    every step (who, when, comment). The applicant, their manager chain, HR and
    auditors only."""
    lang = request_lang(request)  # the unmet criteria, said in the caller's language
    row = ctx.services.promotion_queries.application(caller, application_id, lang)
    return ApplicationDetail.model_validate(row)


@router.get(
    "/pipeline",
    response_model=Pipeline,
    summary="Open applications by stage and age, a page at a time",
    responses=PAGED,
)
def pipeline(
    caller: Caller,
    ctx: Context,
    page: Paging,
    stage: Annotated[Stage | None, Query(description="Only applications at this stage.")] = None,
) -> Pipeline:
    """HR's pipeline: a page of open applications, longest in their stage first, each
    with its age in working days; the count per stage (of all of them) on every page."""
    found = ctx.services.promotion_queries.pipeline_paged(
        caller, page, stage.value if stage else None
    )
    return Pipeline.model_validate(found.model_dump())


@router.get(
    "/cycle-times",
    response_model=CycleTimes,
    summary="Cycle times against the working-day target, a page at a time",
    responses=PAGED,
)
def cycle_times(caller: Caller, ctx: Context, page: Paging) -> CycleTimes:
    """A page of the decided applications (in the order decided) with their working
    days from application to decision; the median of all of them against the
    5-working-day target on every page."""
    found = ctx.services.promotion_queries.cycle_times_paged(caller, page)
    return CycleTimes.model_validate(found.model_dump())


@router.get(
    "/returned",
    response_model=Page[ReturnedApplication],
    summary="Returned applications and why, a page at a time",
    responses=PAGED,
)
def returned(
    caller: Caller,
    ctx: Context,
    page: Paging,
    person: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Only this applicant's.")
    ] = None,
) -> Page[ReturnedApplication]:
    """Returned applications and why ("why was I not promoted?"), newest first; each
    caller sees those they may see."""
    found = ctx.services.promotion_queries.returned_paged(caller, page, person)
    return _page(found, ReturnedApplication)


@router.get(
    "/candidate-pool",
    response_model=Page[PoolMember],
    summary="The promotion candidate pool, a page at a time",
    responses=PAGED,
)
def candidate_pool(
    caller: Caller,
    ctx: Context,
    page: Paging,
    team: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Only this team's members.")
    ] = None,
    role: Annotated[Role | None, Query(description="Only members in this role.")] = None,
) -> Page[PoolMember]:
    """The promotion candidate pool: the top share by potential score, by rank. HR and
    auditors see all of it, managers the members among their reports."""
    found = ctx.services.queries.candidate_pool_paged(
        caller, page, team, role.value if role else None
    )
    return _page(found, PoolMember)


def _page(found: Page[dict[str, Any]], model: type[_M]) -> Page[_M]:
    return Page[model](  # type: ignore[valid-type]
        items=[model.model_validate(r) for r in found.items],
        total=found.total,
        limit=found.limit,
        next_cursor=found.next_cursor,
    )
