"""Versioned policy documents (metric catalog, potential weights, promotion criteria,
plan templates, incentive and cycle rules): anyone with a token reads them; HR checks
drafts and publishes new versions. A published version never changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from aggregates.base import DomainError, NotFoundError
from aggregates.not_found import unpublished_policy
from aggregates.policy_kinds import DOCUMENT_MODELS, not_fitting, not_valid, validate_document
from careerflow.api import i18n
from careerflow.api.auth import Caller, Context
from careerflow.api.context import ApiContext
from careerflow.api.errors import FieldProblem, Problem, request_lang, rule_refusal
from careerflow.api.paging import PAGED, Paging
from careerflow.applications.policies import require_publisher
from careerflow.principal import AccessRole, Principal
from projections import policies as policies_view
from projections.paging import Page
from words.messages import Message

router = APIRouter(tags=["policies"])

KINDS = ", ".join(sorted(DOCUMENT_MODELS))
KIND_DOC = f"one of: {KINDS}"
KEY_DOC = "'default', or the role for promotion_criteria and plan_template"


class PolicyInForce(BaseModel):
    """The version of a policy document in force."""

    kind: str
    key: str
    version: int
    note: str
    published_by: str
    published_at: datetime


class PolicyVersionInfo(BaseModel):
    """One published version of a document (without its content)."""

    version: int
    note: str
    published_by: str
    published_at: datetime


class PolicyVersionOut(BaseModel):
    """One version of a policy document, with its content."""

    kind: str
    key: str
    version: int
    current: bool = Field(description="this is the version in force")
    document: dict[str, Any]
    note: str
    published_by: str
    published_at: datetime | None = Field(
        description="when it was published (empty until the read model has it)"
    )


class PublishRequest(BaseModel):
    document: dict[str, Any] = Field(description="the document's content (its `kind` optional)")
    note: str = Field("", description="why this version (recorded with it)")


class Published(BaseModel):
    kind: str
    key: str
    version: int = Field(description="the version now in force")
    previous_version: int | None
    changed: bool = Field(description="false when the content equals the version in force")


class DraftRequest(BaseModel):
    document: dict[str, Any]


class DraftCheck(BaseModel):
    """Whether a draft would publish, and what stands in its way if not."""

    kind: str
    key: str
    valid: bool
    problems: list[FieldProblem]
    current_version: int | None
    changed: bool = Field(description="the draft differs from the version in force")


def _published_at(ctx: ApiContext, kind: str, key: str, version: int) -> datetime | None:
    with ctx.services.read_pool.connection() as conn:
        found: datetime | None = policies_view.published_at(conn, kind, key, version)
    return found


def _current(ctx: ApiContext, kind: str, key: str) -> tuple[int, dict[str, Any]] | None:
    try:
        found = ctx.services.policies.current(kind, key)
    except NotFoundError:
        return None
    return found.version, found.document


@router.get(
    "/policies",
    response_model=Page[PolicyInForce],
    summary="Policy documents in force, a page at a time",
    responses=PAGED,
)
def policies_in_force(
    caller: Caller,
    ctx: Context,
    page: Paging,
    kind: str | None = Query(None, max_length=100, description=KIND_DOC),
) -> Page[PolicyInForce]:
    """Every policy document in force: kind, key and version, by kind and key."""
    with ctx.services.read_pool.connection() as conn:
        found = policies_view.documents_in_force_paged(conn, kind, page)
    return Page[PolicyInForce](
        items=[PolicyInForce.model_validate(r) for r in found.items],
        total=found.total,
        limit=found.limit,
        next_cursor=found.next_cursor,
    )


@router.get(
    "/policies/{kind}/{key}",
    response_model=PolicyVersionOut,
    responses={404: {"model": Problem}},
)
def get_policy(
    kind: str,
    key: str,
    caller: Caller,
    ctx: Context,
    version: int | None = Query(None, ge=1, description="a past version; default: in force"),
) -> PolicyVersionOut:
    """A policy document: the version in force, or ?version=N."""
    current = ctx.services.policies.current(kind, key)
    found = current
    if version is not None and version != current.version:
        try:
            found = ctx.services.policies.version(kind, key, version)
        except DomainError as exc:  # "has no version N": as unknown as a missing document
            raise NotFoundError(exc.message) from None
    return PolicyVersionOut(
        kind=kind,
        key=key,
        version=found.version,
        current=found.version == current.version,
        document=found.document,
        note=found.note,
        published_by=found.published_by,
        published_at=_published_at(ctx, kind, key, found.version),
    )


@router.get(
    "/policies/{kind}/{key}/versions",
    response_model=Page[PolicyVersionInfo],
    summary="A policy document's versions, a page at a time",
    responses={404: {"model": Problem}, **PAGED},
)
def policy_versions(
    kind: str, key: str, caller: Caller, ctx: Context, page: Paging
) -> Page[PolicyVersionInfo]:
    """Every published version of a document, oldest first."""
    with ctx.services.read_pool.connection() as conn:
        found = policies_view.document_versions_paged(conn, kind, key, page)
    if not found.total:
        raise unpublished_policy(kind, key)
    return Page[PolicyVersionInfo](
        items=[PolicyVersionInfo.model_validate(r) for r in found.items],
        total=found.total,
        limit=found.limit,
        next_cursor=found.next_cursor,
    )


def _require_hr(caller: Principal, action: Message) -> None:
    caller.require(AccessRole.hr, AccessRole.system, action=action)


def _problems(
    ctx: ApiContext, kind: str, key: str, document: dict[str, Any]
) -> list[tuple[str, Message]]:
    return ctx.services.policies.draft_problems(kind, key, document)


def _said(request: Request, problems: list[tuple[str, Message]]) -> list[FieldProblem]:
    lang = request_lang(request)
    return [FieldProblem(field=f, message=i18n.say(m, lang)) for f, m in problems]


def _refusal(
    request: Request, kind: str, key: str, problems: list[tuple[str, Message]]
) -> JSONResponse:
    listed = [
        m if f == "document" else Message("{field}: {problem}", field=f, problem=m)
        for f, m in problems
    ]
    if all(f == "document" for f, _ in problems):
        detail = not_fitting(kind, key, listed)
    else:
        detail = not_valid(kind, key, listed)
    return rule_refusal(request, detail, problems)


@router.post(
    "/policies/{kind}/{key}",
    response_model=Published,
    responses={422: {"model": Problem}},
)
def publish_policy(
    request: Request, kind: str, key: str, body: PublishRequest, caller: Caller, ctx: Context
) -> Published | JSONResponse:
    """HR: publish a new version; it is in force at once (identical content: no change)."""
    require_publisher(caller)  # 403 before the draft's problems (422)
    problems = _problems(ctx, kind, key, body.document)
    if problems:
        return _refusal(request, kind, key, problems)
    before = _current(ctx, kind, key)
    version = ctx.services.policies.publish(caller, kind, key, body.document, body.note)
    previous = before[0] if before else None
    return Published(
        kind=kind, key=key, version=version, previous_version=previous, changed=version != previous
    )


@router.post("/policies/{kind}/{key}/check", response_model=DraftCheck)
def check_policy(
    request: Request, kind: str, key: str, body: DraftRequest, caller: Caller, ctx: Context
) -> DraftCheck:
    """HR: check a draft against validation and the policies in force, without publishing."""
    _require_hr(caller, Message("check policy drafts"))
    problems = _problems(ctx, kind, key, body.document)
    current = _current(ctx, kind, key)
    changed = True
    if not problems and current is not None:
        parsed = validate_document(kind, key, body.document)
        changed = parsed.model_dump(mode="json") != current[1]
    return DraftCheck(
        kind=kind,
        key=key,
        valid=not problems,
        problems=_said(request, problems),
        current_version=current[0] if current else None,
        changed=changed,
    )
