"""Signing in with a token and out again, the language switch, and the way home."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aggregates.base import NotFoundError
from careerflow.api import i18n
from careerflow.api.auth import COOKIE
from careerflow.api.errors import LANG_COOKIE
from careerflow.api.i18n import N_
from careerflow.api.pages.guard import _caller, _check_csrf, _safe_next, router
from careerflow.api.pages.reads import _services
from careerflow.api.pages.rendering import CSRF_COOKIE, HOME, _cookie, _gettext, _lang, _render
from careerflow.applications.access import AuthenticationError
from words.messages import Message

SESSION_SECONDS = 8 * 3600
LANG_SECONDS = 365 * 24 * 3600
LOGIN_NOTES = {
    "expired": N_(
        "Your token is no longer accepted (expired, revoked or unknown); paste a new one from HR."
    ),
    "out": N_("You are signed out."),
}


# -- sign in and out, and the language switch ------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", reason: str = "") -> Response:
    _ = _gettext(request)
    note = _(LOGIN_NOTES[reason]) if reason in LOGIN_NOTES else None
    return _render(request, "login.html", {"next": _safe_next(next), "note": note, "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    _check_csrf(request, csrf)
    _ = _gettext(request)
    target = _safe_next(next)
    try:
        principal = _services(request).tokens.authenticate(token)
    except AuthenticationError as exc:
        said = i18n.say(exc, _lang(request))
        error = said if token.strip() else _("Paste the token HR gave you.")
        context = {"next": target, "note": None, "error": error}
        return _render(request, "login.html", context, status=401)
    if principal.role not in HOME:
        error = _("%(role)s tokens are for the API; the dashboards are for people") % {
            "role": i18n.term(principal.role.value, _)
        }
        context = {"next": target, "note": None, "error": error}
        return _render(request, "login.html", context, status=403)
    response = RedirectResponse(target, status_code=303)
    _cookie(response, request, COOKIE, token.strip(), SESSION_SECONDS)
    # A new form token for the new session.
    _cookie(response, request, CSRF_COOKIE, secrets.token_urlsafe(32), None)
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    _check_csrf(request, csrf)
    response = RedirectResponse("/login?reason=out", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """The language switch on every page: remembered on this browser (a year), then back.
    Lax, not Strict, so that a link from a notification e-mail keeps the choice."""
    lang = i18n.normalise(code)
    if lang is None:
        _ = _gettext(request)
        raise NotFoundError(
            Message.verbatim(  # already in the page's language
                _("No such language; choose one of: %(langs)s") % {"langs": ", ".join(i18n.LANGS)}
            )
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    _cookie(response, request, LANG_COOKIE, lang, LANG_SECONDS, samesite="lax")
    return response


@router.get("/")
def home(request: Request) -> Response:
    caller = _caller(request)
    return RedirectResponse(HOME[caller.role], status_code=303)
