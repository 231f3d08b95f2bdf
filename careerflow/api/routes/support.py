"""Support requests (seed 004): a rep raises a request, the team it is routed to
acknowledges and answers it within the response SLA, the rep confirms or reopens it.
Reads come from the read models through the access rules; every step goes to the
request's workflow as an Update (SupportProcessService)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from activities.support import SupportInfo
from aggregates.support_rules import SupportStatus
from careerflow.api.auth import Caller, Context
from careerflow.api.context import ApiContext
from careerflow.api.errors import problem_responses
from careerflow.api.paging import PAGED, Paging
from careerflow.principal import Principal
from careerflow.services.support_process import SupportProcessService, require_acting_role
from projections.support_queries import (
    CompliancePage,
    MyRequestsPage,
    SupportRequestView,
    TeamQueuePage,
)

# Every refusal is problem+json: 401 no token, 403 not allowed, 404 unknown or not
# visible, 422 a malformed request or a business rule that said no (with the reason).
PROBLEMS = problem_responses("support request or team", "the support process")
router = APIRouter(prefix="/support", tags=["support"], responses=PROBLEMS)

RequestId = Annotated[str, Path(description="The support request's id", examples=["SR3F9A0C12DE"])]
Team = Annotated[str, Path(description="A support team of the support_process document")]
WeekQuery = Annotated[
    str | None, Query(description="An ISO week, YYYY-Www (inclusive)", examples=["2026-W48"])
]


class RaiseBody(BaseModel):
    """What the rep needs; `category` picks the team and the response SLA."""

    category: str = Field(min_length=1, max_length=60, examples=["product"])
    text: str = Field(
        min_length=1,
        max_length=20000,
        examples=["The client needs a customised service: when can the product team answer?"],
    )
    customer: str | None = Field(default=None, max_length=200, examples=["Hangzhou Lianxin"])
    request_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{3,39}$",
        description="Optional client key: raising again with it returns the same request",
    )


class AnswerBody(BaseModel):
    text: str = Field(min_length=1, max_length=20000, examples=["Yes: a proposal by Friday"])


class ReopenBody(BaseModel):
    reason: str = Field(
        min_length=1, max_length=4000, examples=["The client also needs the delivery date"]
    )


async def _process(ctx: ApiContext) -> SupportProcessService:
    return await ctx.support()


def _sees(ctx: ApiContext, caller: Principal, request_id: str, action: str) -> None:
    """A step only on a request the caller sees (else 404, nothing said about it); the
    roles that change nothing hear that first (403). Who may take the step: the service."""
    require_acting_role(caller, action)
    ctx.services.support_queries.visible(caller, request_id)


async def _step(
    ctx: ApiContext, caller: Principal, request_id: str, action: str
) -> SupportProcessService:
    await run_in_threadpool(_sees, ctx, caller, request_id, action)
    return await ctx.support()


# -- the rep -------------------------------------------------------------------------
@router.post(
    "/requests",
    response_model=SupportInfo,
    status_code=status.HTTP_201_CREATED,
    summary="Raise a support request",
)
async def raise_request(body: RaiseBody, caller: Caller, ctx: Context) -> SupportInfo:
    """A rep asks the responsible team for help; the answer says which team, the response
    SLA and when it is due.

    Reps (employees) only; an unknown category or empty text is refused (422)."""
    process = await _process(ctx)
    return await process.raise_request(
        caller, body.category, body.text, body.customer, body.request_id
    )


@router.get(
    "/requests/mine",
    response_model=MyRequestsPage,
    summary="My support requests, a page at a time",
    responses=PAGED,
)
def my_requests(
    caller: Caller,
    ctx: Context,
    page: Paging,
    status: Annotated[
        SupportStatus | None,
        Query(description="Only requests in this status."),
    ] = None,
) -> MyRequestsPage:
    """The caller's requests, newest first, each with its clock: time waited, SLA due
    time, minutes left, breached; `open` and `breached` count all of them.

    Reps (employees)."""
    return ctx.services.support_queries.mine_paged(caller, page, status)


@router.get(
    "/requests/{request_id}", response_model=SupportRequestView, summary="A support request"
)
def request(request_id: RequestId, caller: Caller, ctx: Context) -> SupportRequestView:
    """One request with its clock and every step (who, when).

    The rep, their manager chain, the team it was routed to, HR and auditors."""
    return ctx.services.support_queries.request(caller, request_id)


@router.post(
    "/requests/{request_id}/confirm", response_model=SupportInfo, summary="Confirm the answer"
)
async def confirm(request_id: RequestId, caller: Caller, ctx: Context) -> SupportInfo:
    """The rep confirms the answer resolved the request (it is then resolved).

    The rep who raised it, once it is answered."""
    return await (await _step(ctx, caller, request_id, "confirm")).confirm(caller, request_id)


@router.post(
    "/requests/{request_id}/reopen", response_model=SupportInfo, summary="Reopen the request"
)
async def reopen(
    request_id: RequestId, body: ReopenBody, caller: Caller, ctx: Context
) -> SupportInfo:
    """The rep says the answer did not resolve it, with a reason; the team answers again.

    The rep who raised it, once it is answered."""
    return await (await _step(ctx, caller, request_id, "reopen")).reopen(
        caller, request_id, body.reason
    )


# -- the team ------------------------------------------------------------------------
@router.post(
    "/requests/{request_id}/acknowledge",
    response_model=SupportInfo,
    summary="Acknowledge a request",
)
async def acknowledge(request_id: RequestId, caller: Caller, ctx: Context) -> SupportInfo:
    """A team member takes the request; the response time and whether the SLA was met
    are recorded.

    The team the request is routed to (its lead and members), once."""
    return await (await _step(ctx, caller, request_id, "acknowledge")).acknowledge(
        caller, request_id
    )


@router.post(
    "/requests/{request_id}/answer", response_model=SupportInfo, summary="Answer a request"
)
async def answer(
    request_id: RequestId, body: AnswerBody, caller: Caller, ctx: Context
) -> SupportInfo:
    """The team's answer to the rep (after the acknowledgement; again after a reopen).

    The team the request is routed to."""
    return await (await _step(ctx, caller, request_id, "answer")).answer(
        caller, request_id, body.text
    )


@router.get(
    "/teams/{team}/queue",
    response_model=TeamQueuePage,
    summary="A team's queue, a page at a time",
    responses=PAGED,
)
def team_queue(team: Team, caller: Caller, ctx: Context, page: Paging) -> TeamQueuePage:
    """Requests waiting for the team (open, acknowledged, reopened), oldest first, each
    with its SLA clock; `waiting` and `breached` count all of them.

    The team's lead and members, HR and auditors."""
    return ctx.services.support_queries.queue_paged(caller, team, page)


@router.get(
    "/compliance",
    response_model=CompliancePage,
    summary="SLA compliance, a page of weeks at a time",
    responses=PAGED,
)
def compliance(
    caller: Caller,
    ctx: Context,
    page: Paging,
    since: WeekQuery = None,
    until: WeekQuery = None,
    team: Annotated[str | None, Query(description="Only this team")] = None,
) -> CompliancePage:
    """Per team and week (by week, then team), a page of rows at a time: requests
    raised, SLA met, breached, pending and the median response in minutes; with the
    totals per team over the whole range on every page.

    HR and auditors see every team; a team's lead and members their own."""
    return ctx.services.support_queries.compliance_paged(caller, page, since, until, team)
