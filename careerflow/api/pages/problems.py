"""What each kind of API problem means (the `type` URIs of problem+json answers,
careerflow/api/errors.py), as pages, and the page a browser gets for an unknown path."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from aggregates.base import NotFoundError
from careerflow.api.errors import PROBLEM_KINDS, problem_type
from careerflow.api.i18n import N_
from careerflow.api.pages.guard import _maybe_caller, router
from careerflow.api.pages.rendering import _error, _gettext, _render, _secured
from words.messages import Message

# Each kind: its title and what it means / what to do, as msgids (said in the page's
# language). A test checks that every kind in errors.PROBLEM_KINDS has an entry.
KIND_TEXTS: dict[str, tuple[str, str]] = {
    "unauthenticated": (
        N_("Not authenticated"),
        N_(
            "The call carried no token, or one the engine does not know: unknown, expired "
            "or revoked. Send a valid token in the Authorization header, after 'Bearer'; ask "
            "HR for a new one."
        ),
    ),
    "forbidden": (
        N_("Forbidden"),
        N_(
            "The token is valid, but its role or the person's relation to the thing may not "
            "do this (for example a manager acting on someone outside the team). Nothing "
            "changed."
        ),
    ),
    "not-found": (
        N_("Not found"),
        N_(
            "There is no such thing, or path, that the caller can see. Check the id; the "
            "API's paths are listed at /docs."
        ),
    ),
    "method-not-allowed": (
        N_("Method not allowed"),
        N_("The path exists but does not take that method; /docs lists what it takes."),
    ),
    "conflict": (
        N_("Conflict"),
        N_("The thing changed while the call was made. Read it again, then retry."),
    ),
    "too-large": (
        N_("Too large"),
        N_("The request's body is larger than the API takes. Send it in smaller parts."),
    ),
    "unsupported-media-type": (
        N_("Unsupported media type"),
        N_(
            "The body's Content-Type is not one this path reads; the detail lists the "
            "types it takes."
        ),
    ),
    "invalid": (
        N_("Invalid request"),
        N_(
            "The request is malformed: a field is missing, of the wrong type or out of "
            "range. 'errors' names each field and what is wrong with it. Nothing changed."
        ),
    ),
    "field-invalid": (
        N_("Invalid fields"),
        N_(
            "The request was read, but the engine refused some of its fields (a line of a "
            "file, a path in a policy document). 'errors' names each one. Nothing changed."
        ),
    ),
    "refused": (
        N_("Refused"),
        N_(
            "A business rule refused the request (for example a promotion application by "
            "someone not yet eligible, or a step out of turn). The detail says which rule "
            "and why. Nothing changed."
        ),
    ),
    "internal": (
        N_("Internal error"),
        N_(
            "The engine failed; nothing the caller sent was wrong. Try again, and report it "
            "if it persists."
        ),
    ),
}


@router.get("/problems", response_class=HTMLResponse)
def problem_kinds(request: Request) -> Response:
    """Every kind of problem the API answers with."""
    kinds = [(kind, problem_type(kind), status) for kind, status in PROBLEM_KINDS.items()]
    return _render(
        request,
        "problems/kinds.html",
        {"kinds": kinds, "texts": KIND_TEXTS},
        _maybe_caller(request),
    )


@router.get("/problems/{kind}", response_class=HTMLResponse)
def problem_kind(request: Request, kind: str) -> Response:
    """What one kind of problem means and what to do about it."""
    if kind not in PROBLEM_KINDS:
        raise NotFoundError(Message("no kind of problem {kind!r}", kind=kind))
    return _render(
        request,
        "problems/kind.html",
        {
            "kind": kind,
            "uri": problem_type(kind),
            "status": PROBLEM_KINDS[kind],
            "text": KIND_TEXTS[kind],
        },
        _maybe_caller(request),
    )


def not_found_page(request: Request) -> Response:
    """The error page (404) for a browser asking for a path nothing answers."""
    _ = _gettext(request)
    return _secured(
        _error(
            request,
            404,
            N_("Not found"),
            _("There is no page at this address. Check the link, or go back to your dashboard."),
            _maybe_caller(request),
        )
    )
