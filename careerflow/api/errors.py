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
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
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


# -- problem kinds: each answer's `type` is /problems/<kind>, a stable URI a program may
# branch on (the title and detail are words in the caller's language; the kind is not).
# GET /problems/<kind> describes the kind to a person (careerflow/api/pages/problems.py).
PROBLEM_KINDS: dict[str, int] = {
    "unauthenticated": 401,  # no token, an unknown, expired or revoked one
    "forbidden": 403,  # the caller's role or relation may not do this
    "not-found": 404,  # no such thing (or path) that the caller can see
    "method-not-allowed": 405,  # the path does not take that method
    "conflict": 409,  # the thing changed meanwhile; read it again
    "too-large": 413,  # the body is larger than the API takes
    "unsupported-media-type": 415,  # the body's content type is not one the path reads
    "invalid": 422,  # a malformed request: a field missing, of the wrong type or shape
    "field-invalid": 422,  # refused, naming the fields (a file's lines, a policy's paths)
    "refused": 422,  # a business rule refused it; nothing changed
    "internal": 500,  # the engine failed; nothing the caller sent was wrong
}
_KIND_OF_STATUS = {
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "refused",
    500: "internal",
}


def problem_type(kind: str) -> str:
    """The `type` URI of a problem kind (relative to the API's origin)."""
    return f"/problems/{kind}"


def kind_of(status: int) -> str:
    """The kind of a problem answered with `status`, when nothing more precise is known."""
    return _KIND_OF_STATUS.get(status, "internal" if status >= 500 else "refused")


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An error response: `detail` says what was wrong and how to fix it; `type` names
    the kind of problem (`/problems/<kind>`, stable, one per kind: a program branches on
    it, never on the words)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = []


def problem_example(kind: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """An example problem body of a kind, for the OpenAPI documents."""
    body = Problem(type=problem_type(kind), status=PROBLEM_KINDS[kind], title=title, detail=detail)
    return {**body.model_dump(mode="json"), **extra}


def _documented(kinds: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        PROBLEM: {
            "examples": {
                kind: {"summary": title, "value": problem_example(kind, title, detail)}
                for kind, title, detail in kinds
            }
        }
    }


def problem_responses(subject: str, refused_by: str) -> dict[int | str, dict[str, Any]]:
    """The refusals a router documents in OpenAPI (each is problem+json with a reason and
    its kind's `type`, with an example of each kind)."""
    return {
        401: {
            "model": Problem,
            "description": "No or an unknown token (type /problems/unauthenticated)",
            "content": _documented(
                [("unauthenticated", "Not authenticated", "unknown or revoked token")]
            ),
        },
        403: {
            "model": Problem,
            "description": "The caller's role may not do this (type /problems/forbidden)",
            "content": _documented(
                [("forbidden", "Forbidden", "only HR may do this; you are signed in as employee")]
            ),
        },
        404: {
            "model": Problem,
            "description": f"No such {subject} that the caller can see (type /problems/not-found)",
            "content": _documented(
                [("not-found", "Not found", f"no {subject} with that id that you can see")]
            ),
        },
        422: {
            "model": Problem,
            "description": f"A malformed request (type /problems/invalid), or refused by "
            f"{refused_by} (type /problems/refused, or /problems/field-invalid when it names "
            "the fields); nothing changed",
            "content": _documented(
                [
                    ("invalid", "Invalid request", "reason: Field required"),
                    ("refused", "Refused", f"{refused_by} refused it: the reason, said"),
                ]
            ),
        },
    }


def problem(
    status: int, title: str, detail: str, kind: str | None = None, **extra: Any
) -> JSONResponse:
    body = Problem(
        type=problem_type(kind or kind_of(status)),
        status=status,
        title=title,
        detail=detail,
        **extra,
    )
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
    kind: str | None = None,
) -> JSONResponse:
    """A problem response said in the caller's language: title, detail and each field's
    complaint are engine messages; its `type` is the kind's (by default the status's, and
    `field-invalid` for a 422 that names fields)."""
    lang = request_lang(request)
    if kind is None:
        kind = "field-invalid" if status == 422 and errors else kind_of(status)
    response = problem(
        status,
        i18n.say(title, lang),
        i18n.say(detail, lang),
        kind=kind,
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
    return refusal(
        request, 422, title or Message("Invalid request"), detail, fields, kind="invalid"
    )


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
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and _wants_page(request):
            return await run_in_threadpool(_not_found_page, request)
        titles = {
            404: Message("Not found"),
            405: Message("Method not allowed"),
            401: Message("Not authenticated"),
            409: Message("Conflict"),
            413: Message("Too large"),
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


def _wants_page(request: Request) -> bool:
    """A browser asking for a page (HTML accepted, outside the API's paths): it gets the
    error page; programs and every /api/ path get problem+json."""
    path = request.url.path
    if path.startswith(("/api/", "/static/")) or path in ("/openapi.json", "/api"):
        return False
    accept = request.headers.get("accept", "").lower()
    return request.method in ("GET", "HEAD") and "text/html" in accept


def _not_found_page(request: Request) -> Response:
    """The pages' error page (error.html, in the page's language) for an unknown path,
    which the pages register when they are mounted (`app.state.not_found_page`: the pages
    build on this module, not the other way round)."""
    page: Callable[[Request], Response] | None = getattr(request.app.state, "not_found_page", None)
    if page is None:
        return refusal(
            request, 404, Message("Not found"), _http_detail(StarletteHTTPException(404))
        )
    return page(request)


def _http_detail(exc: StarletteHTTPException) -> Message:
    """Starlette's own refusals (no such path, wrong method) in the caller's language."""
    if exc.status_code == 404 and exc.detail == "Not Found":
        return Message("no such path; the API's paths are listed at /docs")
    if exc.status_code == 405:
        return Message("this path does not take that method; see /docs for what it takes")
    return Message.verbatim(str(exc.detail))
