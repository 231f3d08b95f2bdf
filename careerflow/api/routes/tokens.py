"""API tokens: HR issues them (the token is in the response once, stored only as a hash)
and revokes them; HR and auditors list who holds which token, never the secrets."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from careerflow.api.auth import Caller, Context
from careerflow.api.errors import Problem
from careerflow.api.paging import PAGED, Paging
from careerflow.applications.access import IssuedToken, TokenInfo, TokenQuery
from careerflow.principal import AccessRole
from projections.paging import Page

router = APIRouter(tags=["tokens"])


class TokenRequest(BaseModel):
    person_id: str = Field(min_length=1, description="who the token acts for")
    role: AccessRole = Field(description="employee, manager, hr, auditor or integration")
    label: str = Field("", description="what the token is for, e.g. 'phone'")
    days: int | None = Field(90, ge=0, description="days until it expires; 0 or null: never")


class RevokeRequest(BaseModel):
    reason: str = Field(min_length=1, description="why (recorded)")


class Revoked(BaseModel):
    token_id: str
    revoked: bool = Field(description="the token no longer authenticates")
    already_revoked: bool = Field(description="it had been revoked before this call")


@router.post(
    "/tokens",
    response_model=IssuedToken,
    status_code=status.HTTP_201_CREATED,
    responses={422: {"model": Problem}},
)
def issue_token(body: TokenRequest, caller: Caller, ctx: Context) -> IssuedToken:
    """HR: issue a token for a person and role; the token is shown in this response only."""
    return ctx.services.tokens.issue(
        caller, body.person_id, body.role, body.label, body.days or None
    )


@router.get(
    "/tokens",
    response_model=Page[TokenInfo],
    summary="API tokens, a page at a time",
    responses=PAGED,
)
def list_tokens(
    caller: Caller,
    ctx: Context,
    page: Paging,
    q: Annotated[str, Query(max_length=200, description="Person id, name or label.")] = "",
    role: Annotated[AccessRole | None, Query(description="Only tokens of this role.")] = None,
    status: Annotated[
        Literal["active", "revoked", "expired", "all"], Query(description="Only these tokens.")
    ] = "all",
) -> Page[TokenInfo]:
    """HR and auditors: every token's holder, role, label and dates (never the secret),
    newest first, filtered by `q`, `role` and `status`."""
    query = TokenQuery(q=q, role=role, state=status, limit=page.limit, cursor=page.cursor or "")
    found = ctx.services.tokens.browse(caller, query)
    return Page[TokenInfo](
        items=found.items,
        total=found.total,
        limit=page.limit,
        next_cursor=found.next_cursor or None,
    )


@router.post(
    "/tokens/{token_id}/revoke",
    response_model=Revoked,
    responses={404: {"model": Problem}},
)
def revoke_token(token_id: str, body: RevokeRequest, caller: Caller, ctx: Context) -> Revoked:
    """HR: revoke a token (its id is the part between `cf_` and the dot); it stops at once."""
    # The service refuses a role that may not revoke (403), then an unknown token (404).
    changed = ctx.services.tokens.revoke(caller, token_id, body.reason)
    return Revoked(token_id=token_id, revoked=True, already_revoked=not changed)
