"""Who is calling: a bearer token (API) or the same token in a cookie (dashboards),
resolved to a principal with a role. Every endpoint depends on this."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from careerflow.api.context import ApiContext
from careerflow.applications.access import AuthenticationError
from careerflow.principal import Principal

COOKIE = "careerflow_token"
bearer = HTTPBearer(auto_error=False, description="A token from `careerflow token issue`")


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.context
    return ctx


def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    token = credentials.credentials if credentials else request.cookies.get(COOKIE)
    if not token:
        raise AuthenticationError(
            "no token: send 'Authorization: Bearer <token>' (HR issues tokens with "
            "`careerflow token issue`)"
        )
    caller = context(request).services.tokens.authenticate(token)
    request.state.caller = caller  # whose profile locale an error is said in
    return caller


Caller = Annotated[Principal, Depends(principal)]
Context = Annotated[ApiContext, Depends(context)]
