"""What HR's file uploads share (the organisation import, the metric upload): the caller
and the form checked, the file from the picker checked for its kind and size before it
is read, and a refusal turned into the page's problem list (`templates/upload.html`),
each line's problem in the page's language, the file's own words shown as data.
Nothing is imported on a refusal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from fastapi import Request, UploadFile
from fastapi.responses import Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError
from careerflow.api import i18n
from careerflow.api.pages.guard import _caller, _check_csrf
from careerflow.api.pages.rendering import _gettext, _lang
from careerflow.principal import Principal
from words.messages import Message

Page = Callable[[Request, Principal, dict[str, Any], int], Response]


def named(template: str, name: str, **values: object) -> Markup:
    """A sentence naming the file: the file's name is data, not words of the page."""
    shown = Markup('<span translate="no">{}</span>').format(name or "?")
    return Markup(escape(template)) % {"name": shown, **values}


@dataclass(frozen=True)
class Received:
    name: str  # as the picker gave it
    fmt: str
    data: bytes

    @property
    def source(self) -> str:
        """The file's name without a folder, as the import records it."""
        return PurePath(self.name).name or "upload"


@dataclass(frozen=True)
class Accepted:
    """What a page takes: file kinds by suffix, a size limit, and what it says of a file
    of another kind or too large (msgids marked with N_, with %(name)s)."""

    formats: dict[str, str]
    limit: int
    wrong_kind: str
    too_big: str


async def received(
    request: Request,
    file: UploadFile,
    csrf: str,
    accepted: Accepted,
    page: Page,
    require: Callable[[Principal], None] | None = None,
) -> tuple[Principal, Received] | Response:
    """The caller (signed in, the form's token checked, allowed by `require`) and the
    file, or the page again saying why the file is refused before its lines are read."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    if require is not None:
        require(caller)
    _ = _gettext(request)
    name = file.filename or ""
    fmt = accepted.formats.get(PurePath(name).suffix.lower())
    if fmt is None:
        return await refused(page, request, caller, {"error": named(_(accepted.wrong_kind), name)})
    data = await file.read(accepted.limit + 1)
    if len(data) > accepted.limit:
        return await refused(page, request, caller, {"error": named(_(accepted.too_big), name)})
    return caller, Received(name, fmt, data)


def refusal(
    request: Request,
    exc: DomainError,
    name: str,
    say: Callable[[Message, str], Markup | str] = i18n.say,
) -> dict[str, Any]:
    """The page's context for a refused file: its problems one a line (`say` each in
    the page's language) under a sentence naming the file, or the refusal itself where
    it lists none (`messages` is the problem list of an import's refusal)."""
    lang = _lang(request)
    problems = [say(m, lang) for m in getattr(exc, "messages", [])]
    if not problems:
        return {"name": name, "problems": [], "error": i18n.say(exc, lang)}
    _ = _gettext(request)
    error = named(_("%(name)s has %(count)s problem(s):"), name, count=len(problems))
    return {"name": name, "problems": problems, "error": error}


async def refused(
    page: Page, request: Request, caller: Principal, context: dict[str, Any]
) -> Response:
    """The form again with the problems, as a 422: nothing was imported."""
    return await run_in_threadpool(page, request, caller, context, 422)
