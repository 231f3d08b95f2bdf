"""Errors as RFC 9457 problem details (application/problem+json) with a message a person
can act on, in the caller's language (Content-Language says which); validation errors name
the field.

The API's language is chosen per person, as on the pages: the dashboards' language switch
(its cookie, when the call comes from the same browser), then the caller's profile locale,
then the request's Accept-Language (the browser's or program's language; it alone decides
for a call without a known caller), then Chinese. Messages are the engine's templates
(words.messages) said through the engine catalogue (words.catalogue)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from careerflow.api import i18n
from careerflow.applications.access import AuthenticationError
from careerflow.engine import Engine
from careerflow.principal import Principal
from careerflow.validation import error_message, field_of
from projections.people import profile_locale
from words.messages import Message

PROBLEM = "application/problem+json"
log = logging.getLogger("careerflow.api")


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


# -- the caller's language -------------------------------------------------------------
LANG_COOKIE = "careerflow_lang"  # the dashboards' language switch


def caller_locale(request: Request) -> str | None:
    """The calling person's profile locale (None: no known caller or no profile; also when
    the read model is unreachable, so the request is still answered, in a language)."""
    caller: Principal | None = getattr(request.state, "caller", None)
    if caller is None:
        return None
    try:
        services: Engine = request.app.state.context.services
        with services.read_pool.connection() as conn:
            return profile_locale(conn, caller.person_id)
    except Exception:
        log.exception("could not read %s's locale", caller.person_id)
        return None


def request_lang(request: Request) -> str:
    """The language this request is answered in, pages and API alike (kept for the
    request, with where it came from in `request.state.lang_source`)."""
    known: str | None = getattr(request.state, "lang", None)
    if known:
        return known
    switch = request.cookies.get(LANG_COOKIE)
    profile = None if i18n.normalise(switch) else caller_locale(request)
    lang, source = i18n.choose(switch, profile, request.headers.get("accept-language"))
    request.state.lang = lang
    request.state.lang_source = source
    return lang


def refusal(
    request: Request,
    status: int,
    title: Message,
    detail: Message,
    errors: Sequence[tuple[str, Message]] = (),
) -> JSONResponse:
    """A problem response said in the caller's language: title, detail and each field's
    complaint are engine messages."""
    lang = request_lang(request)
    response = problem(
        status,
        i18n.say(title, lang),
        i18n.say(detail, lang),
        errors=[
            FieldProblem(field=field, message=i18n.say(message, lang)).model_dump()
            for field, message in errors
        ],
    )
    response.headers["Content-Language"] = i18n.HTML_LANG[lang]
    return response


def rule_refusal(
    request: Request, detail: Message, errors: Sequence[tuple[str, Message]] = ()
) -> JSONResponse:
    """A business rule refused the request (422); nothing was changed."""
    return refusal(request, 422, Message("Refused"), detail, errors)


def validation_refusal(
    request: Request,
    errors: Sequence[Any],
    title: Message | None = None,
    prefix: tuple[str, ...] = (),
    drop: tuple[str, ...] = ("body", "query"),
) -> JSONResponse:
    """pydantic's validation errors, each naming its field, as one refusal."""
    fields = [
        (".".join([*prefix, field_of(err, drop)]) if prefix else field_of(err, drop),
         error_message(err))
        for err in errors
    ]  # fmt: skip
    detail = Message(
        "{problems}",
        problems=[Message("{field}: {problem}", field=f, problem=m) for f, m in fields],
    )
    return refusal(request, 422, title or Message("Invalid request"), detail, fields)


def install(app: FastAPI) -> None:
    @app.exception_handler(AuthenticationError)
    async def _unauthenticated(request: Request, exc: AuthenticationError) -> JSONResponse:
        return refusal(request, 401, Message("Not authenticated"), exc.message)

    @app.exception_handler(PermissionDeniedError)
    async def _forbidden(request: Request, exc: PermissionDeniedError) -> JSONResponse:
        return refusal(request, 403, Message("Forbidden"), exc.message)

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return refusal(request, 404, Message("Not found"), exc.message)

    @app.exception_handler(DomainError)
    async def _refused(request: Request, exc: DomainError) -> JSONResponse:
        return rule_refusal(request, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_refusal(request, exc.errors())

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {
            404: Message("Not found"),
            405: Message("Method not allowed"),
            401: Message("Not authenticated"),
            415: Message("Unsupported media type"),
        }
        detail = exc.detail if isinstance(exc.detail, Message) else _http_detail(exc)
        return refusal(
            request, exc.status_code, titles.get(exc.status_code, Message("Error")), detail
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return refusal(
            request,
            500,
            Message("Internal error"),
            Message(
                "the engine failed ({error}); nothing you sent was wrong, try again, and "
                "report it if it persists",
                error=type(exc).__name__,
            ),
        )


def _http_detail(exc: StarletteHTTPException) -> Message:
    """Starlette's own refusals (no such path, wrong method) in the caller's language."""
    if exc.status_code == 404 and exc.detail == "Not Found":
        return Message("no such path; the API's paths are listed at /docs")
    if exc.status_code == 405:
        return Message("this path does not take that method; see /docs for what it takes")
    return Message.verbatim(str(exc.detail))
