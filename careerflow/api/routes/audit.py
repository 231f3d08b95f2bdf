"""Auditors (and HR): what there is to audit, the ordered history of any subject from
the event store, as JSON, JSON lines or an HTML report, time travel, re-evaluation, the
hash chain's verification and a replay of live workflow histories against this code.
All change nothing (HR's backfill of an old store's chain aside) and are recorded. Pay
and 360° anonymity are applied by careerflow.audit, the same for every format."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import AwareDatetime, BaseModel

from careerflow.api.auth import Caller, Context
from careerflow.api.paging import PAGED, Paging
from careerflow.audit.chain_backfill import BackfillReport, backfill_chain
from careerflow.audit.history import History, SubjectKind, to_html, to_jsonl
from careerflow.audit.index import AuditItems, audit_items
from careerflow.audit.integrity import VerifyReport, verify_store
from careerflow.audit.projection_check import ProjectionCheckReport, check_projections
from careerflow.audit.reevaluation import Reevaluation
from careerflow.audit.time_travel import AggregateState, ReadModelAt
from careerflow.audit.what_if import WhatIfReport, what_if
from careerflow.audit.workflow_replay import ReplayReport, replay_workflows
from careerflow.services.verify_process import VerifyStatus

router = APIRouter(prefix="/audit", tags=["audit"])

Kind = SubjectKind
ItemKind = Kind


@router.get(
    "/items",
    response_model=AuditItems,
    summary="What there is to audit, a page at a time",
    responses=PAGED,
)
def items(
    caller: Caller,
    ctx: Context,
    page: Paging,
    kind: ItemKind | None = None,
    person: str | None = Query(None, min_length=1, max_length=100),
    since: date | None = None,
    until: date | None = None,
) -> AuditItems:
    """Applications, weekly cycles, month closes, development plans, employee profiles,
    policies, access tokens, support requests and assessment rounds, newest first, by
    kind, person (for a round: a person assessed in it) and date range (inclusive), a
    page at a time (`total`, and the `next_cursor` (also `next`) and `previous`
    cursors; either is a `cursor`); each names its history."""
    limit, cursor = page.limit, page.cursor
    return audit_items(
        ctx.services.audit_queries,
        ctx.services.history,
        caller,
        kind,
        person,
        since,
        until,
        limit,
        cursor,
    )


@router.get(
    "/history/{kind}/{ident:path}",
    response_model=History,
    responses={200: {"content": {"application/x-ndjson": {}, "text/html": {}}}},
)
def history(
    kind: Kind,
    ident: str,
    caller: Caller,
    ctx: Context,
    format: Literal["json", "jsonl", "html"] = Query("json", description="Response format."),
) -> History | Response:
    """The ordered events of one subject: time, actor and role, command id, workflow id,
    reason and the policy versions used. `ident` is e.g. an application id,
    `E00001/2026-W48` (cycle), `E00001/2026-11` (month), `promotion_criteria/sales_supervisor`
    (policy), a support request id, an assessment round id. Bonus and commission figures
    only for those who may see that pay; a round's per-rater events are withheld."""
    found = ctx.services.history.history(caller, kind, ident)
    if format == "jsonl":
        return Response(to_jsonl(found), media_type="application/x-ndjson")
    if format == "html":
        return Response(to_html(found), media_type="text/html; charset=utf-8")
    return found


class Anchor(BaseModel):
    position: int
    head: str


class VerifyRequest(BaseModel):
    anchors: dict[str, Anchor] = {}
    """Heads kept from an earlier verification, per application."""


@router.post("/verify", response_model=VerifyReport)
def verify(caller: Caller, ctx: Context, request: VerifyRequest | None = None) -> VerifyReport:
    """Walks every hash chain of the event store and names the first event that was
    edited, deleted, inserted or reordered (and a chain rewritten since a kept head)."""
    kept = {k: (a.position, a.head) for k, a in (request.anchors if request else {}).items()}
    return verify_store(ctx.services.store, ctx.services.history, caller, kept)


class VerifyStarted(BaseModel):
    """A verification running in the background; follow it at `status_url`."""

    verify_id: str
    status_url: str


VerifyId = Annotated[
    str,
    Path(
        description="A verification's id, as POST /audit/verifications answered it",
        examples=["audit-verify-3f1c2a9e-5b7d-4e21-9c3a-1f0e8d7b6a54"],
    ),
]


@router.post(
    "/verifications",
    response_model=VerifyStarted,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start a verification of the hash chains in the background",
)
async def start_verification(caller: Caller, ctx: Context) -> VerifyStarted:
    """Starts the same walk as `POST /audit/verify` as a workflow and answers at once
    with its id (202); a large store is verified without holding the request open.
    Auditors and HR; any API replica answers for it afterwards."""
    verify_id = await (await ctx.verify()).start(caller)
    return VerifyStarted(verify_id=verify_id, status_url=f"/api/v1/audit/verifications/{verify_id}")


@router.get(
    "/verifications/{verify_id}",
    response_model=VerifyStatus,
    summary="A background verification's progress or result",
)
async def verification(verify_id: VerifyId, caller: Caller, ctx: Context) -> VerifyStatus:
    """`running` with the events checked so far of the `total`, `done` with the report
    (as `POST /audit/verify` answers it) or `failed`. Auditors and HR; an unknown id is
    404."""
    return await (await ctx.verify()).status(caller, verify_id)


@router.post("/backfill-chain", response_model=BackfillReport)
def backfill(caller: Caller, ctx: Context) -> BackfillReport:
    """HR, once after upgrading an install from before the hash chain: chains the events
    that have no chain row yet, so `verify` passes; refused (nothing changed) when the
    store shows anything but that. Recorded."""
    return backfill_chain(ctx.services.store, ctx.services.history, caller)


@router.post("/reevaluate/{kind}/{ident:path}", response_model=Reevaluation)
def reevaluate(
    kind: Literal["application", "month", "support", "assessment"],
    ident: str,
    caller: Caller,
    ctx: Context,
) -> Reevaluation:
    """Re-runs a recorded decision (an application's report; a month's targets, bonus,
    commission and training rules; a support request's routing, SLA clock and response;
    a closed round's profiles and gap summary from its sealed results) from its recorded
    inputs and policy versions and reports whether the outcome is identical, field by
    field."""
    return ctx.services.reevaluation.reevaluate(caller, kind, ident)


class Draft(BaseModel):
    document: dict[str, Any]


@router.post("/what-if/{kind}/{key}", response_model=WhatIfReport)
def draft_what_if(
    kind: Literal["promotion_criteria", "potential_weights"],
    key: str,
    draft: Draft,
    caller: Caller,
    ctx: Context,
) -> WhatIfReport:
    """Evaluates a draft criteria or weights document against every active employee
    without publishing it: eligibility and candidate-pool changes, and the pool's move."""
    s = ctx.services
    return what_if(s.policies, s.read_pool, s.history, caller, kind, key, draft.document)


@router.get("/state/{kind}/{ident:path}", response_model=list[AggregateState])
def state(
    kind: Kind,
    ident: str,
    caller: Caller,
    ctx: Context,
    version: int | None = None,
    at: AwareDatetime | None = None,
) -> list[AggregateState]:
    """An aggregate's state at a version, or as of a moment (the last version recorded
    at or before it); the latest without either."""
    return ctx.services.time_travel.aggregate(caller, kind, ident, version, at)


@router.get("/readiness/{employee_id}", response_model=ReadModelAt)
def readiness_at(employee_id: str, at: AwareDatetime, caller: Caller, ctx: Context) -> ReadModelAt:
    """One employee's readiness as it was at `at`, rebuilt from the events up to then."""
    return ctx.services.time_travel.readiness_at(caller, employee_id, at)


@router.get("/candidate-pool", response_model=ReadModelAt)
def candidate_pool_at(at: AwareDatetime, caller: Caller, ctx: Context) -> ReadModelAt:
    """The candidate pool as it was at `at`, rebuilt from the events up to then."""
    return ctx.services.time_travel.candidate_pool_at(caller, at)


@router.post("/check-projections", response_model=ProjectionCheckReport)
def check(caller: Caller, ctx: Context) -> ProjectionCheckReport:
    """Rebuilds every read model from the events into a scratch schema and reports each
    row that differs from the live read model."""
    return check_projections(ctx.services.store, ctx.services.history, caller)


@router.post("/replay-workflows", response_model=ReplayReport)
async def replay(caller: Caller, ctx: Context, days: int = 7, limit: int = 200) -> ReplayReport:
    """Replays running and recently closed workflows (closed within `days`) against the
    worker code of this deployment and reports every non-determinism."""
    report = await replay_workflows(caller, await ctx.client(), timedelta(days=days), limit=limit)
    ctx.services.history.record(caller, "replay-workflows", f"{report.replayed} histories")
    return report
