"""Errors as RFC 9457 problem details (application/problem+json) with a message a person
can act on; validation errors name the field."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from careerflow.services.tokens import AuthenticationError

PROBLEM = "application/problem+json"


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An error response: `detail` says what was wrong and how to fix it."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = []


def problem_responses(subject: str, refused_by: str) -> dict[int | str, dict[str, Any]]:
    """The refusals a router documents in OpenAPI (each is problem+json with a reason)."""
    return {
        code: {"model": Problem, "description": text}
        for code, text in (
            (401, "No or an unknown token"),
            (403, "The caller's role may not do this"),
            (404, f"No such {subject} that the caller can see"),
            (422, f"A malformed request, or refused by {refused_by}; nothing changed"),
        )
    }


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = Problem(status=status, title=title, detail=detail, **extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, media_type=PROBLEM, headers=headers
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(AuthenticationError)
    async def _unauthenticated(_: Request, exc: AuthenticationError) -> JSONResponse:
        return problem(401, "Not authenticated", str(exc))

    @app.exception_handler(PermissionDeniedError)
    async def _forbidden(_: Request, exc: PermissionDeniedError) -> JSONResponse:
        return problem(403, "Forbidden", str(exc))

    @app.exception_handler(NotFoundError)
    async def _not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return problem(404, "Not found", str(exc))

    @app.exception_handler(DomainError)
    async def _refused(_: Request, exc: DomainError) -> JSONResponse:
        # A business rule refused the request; nothing was changed.
        return problem(422, "Refused", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            FieldProblem(
                field=".".join(str(p) for p in err["loc"] if p != "body") or "body",
                message=err["msg"],
            )
            for err in exc.errors()
        ]
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        return problem(422, "Invalid request", detail, errors=[e.model_dump() for e in errors])

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Not authenticated"}
        return problem(exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return problem(
            500,
            "Internal error",
            f"the engine failed ({type(exc).__name__}); nothing you sent was wrong, "
            "try again, and report it if it persists",
        )
