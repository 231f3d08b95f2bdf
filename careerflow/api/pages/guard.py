"""Errors become pages (PageRoute, the route class of the router every page is on), the
person signed in (the token cookie) and the CSRF check on every form."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from careerflow.api import i18n
from careerflow.api.auth import COOKIE
from careerflow.api.i18n import N_
from careerflow.api.pages.reads import _services
from careerflow.api.pages.rendering import (
    CSRF_COOKIE,
    HOME,
    _error,
    _gettext,
    _lang,
    _secured,
)
from careerflow.applications.access import AuthenticationError
from careerflow.principal import AccessRole, Principal
from careerflow.validation import error_message, field_of
from words.messages import Message

log = logging.getLogger("careerflow.pages")


class CsrfRefused(PermissionDeniedError):
    """The form's CSRF token did not match its cookie: nothing was done."""


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no `//evil`)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _to_login(request: Request) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = "/login"
    if request.method == "GET" and here != "/":
        target += f"?next={quote(here, safe='')}"
    if request.cookies.get(COOKIE):
        target += ("&" if "?" in target else "?") + "reason=expired"
    response = RedirectResponse(target, status_code=303)
    if request.cookies.get(COOKIE):
        response.delete_cookie(COOKIE, path="/")
    return response


class PageRoute(APIRoute):
    """Errors become pages: 401 → the login page, 403/404/422 → the reason."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except AuthenticationError:
                response = _to_login(request)
            except CsrfRefused as exc:
                response = _error(request, 403, N_("Form expired"), exc)
            except PermissionDeniedError as exc:
                response = _error(request, 403, N_("Not allowed"), exc, _maybe_caller(request))
            except NotFoundError as exc:
                response = _error(request, 404, N_("Not found"), exc, _maybe_caller(request))
            except DomainError as exc:
                response = _error(request, 422, N_("Refused"), exc, _maybe_caller(request))
            except RequestValidationError as exc:
                lang = _lang(request)
                fields = "; ".join(
                    f"{field_of(e)}: {i18n.say(error_message(e), lang)}" for e in exc.errors()
                )
                response = _error(request, 422, N_("Invalid form"), fields, _maybe_caller(request))
            except Exception as exc:
                log.exception("page %s failed", request.url.path)
                _ = _gettext(request)
                response = _error(
                    request,
                    500,
                    N_("Something failed"),
                    _(
                        "The engine failed (%(kind)s); nothing you sent was wrong. Try again, "
                        "and report it if it persists."
                    )
                    % {"kind": type(exc).__name__},
                )
            if response.status_code == 200 and request.method == "GET":
                await _record_view(request)
            return _secured(response)

        return guarded


# Every page view by an auditor or HR is on the audit record (AuditAction "page-view": the
# path and the query), exports included (the same GET with ?format=): they read other
# people's data. Pages that read nothing of anyone's are left out. Reps' and managers'
# views are not recorded: each record is an event-store write under the audit
# application's lock, and they see only themselves and their teams.
NOT_RECORDED = ("/login", "/logout", "/lang", "/offline", "/problems", "/docs", "/redoc")
RECORDED_ROLES = frozenset({AccessRole.auditor, AccessRole.hr})


async def _record_view(request: Request) -> None:
    """Records a successful view once: a page that put it on the record itself (with
    what it read) says so in `request.state.audit_recorded`."""
    path = request.url.path
    if any(path == p or path.startswith(p + "/") for p in NOT_RECORDED):
        return
    caller: Principal | None = getattr(request.state, "caller", None)
    if caller is None or caller.role not in RECORDED_ROLES:
        return
    if getattr(request.state, "audit_recorded", False):
        return
    history = _services(request).history
    await run_in_threadpool(history.record, caller, "page-view", path, request.url.query)
    request.state.audit_recorded = True


router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _caller(request: Request) -> Principal:
    """The person signed in (the cookie); an integration token has no dashboard."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise AuthenticationError("sign in with your token")
    principal = _services(request).tokens.authenticate(token)
    if principal.role not in HOME:
        _ = _gettext(request)
        raise PermissionDeniedError(
            Message.verbatim(  # already in the page's language
                _("%(role)s tokens are for the API; the dashboards are for people")
                % {"role": i18n.term(principal.role.value, _)}
            )
        )
    request.state.caller = principal
    return principal


def _maybe_caller(request: Request) -> Principal | None:
    try:
        return _caller(request)
    except DomainError:
        return None


def _check_csrf(request: Request, sent: str) -> None:
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        _ = _gettext(request)
        raise CsrfRefused(
            Message.verbatim(  # already in the page's language
                _(
                    "The form's security token did not match (it expired or the form came from "
                    "another site); nothing was done: reload the page and try again."
                )
            )
        )
