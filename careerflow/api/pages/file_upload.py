"""What HR's file uploads share (the organisation import, the metric upload): the file
from the picker checked for its kind and size before it is read, and a refusal turned
into the page's problem list (`templates/upload.html`), each line's problem in the
page's language, the file's own words shown as data. Nothing is imported on a refusal."""

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


async def received(
    file: UploadFile, formats: dict[str, str], limit: int, wrong_kind: str, too_big: str
) -> Received | Markup:
    """The file, or why it is refused before its lines are read: a kind not in `formats`
    (by suffix) or more than `limit` bytes (`wrong_kind`, `too_big`: translated sentences
    with %(name)s)."""
    name = file.filename or ""
    fmt = formats.get(PurePath(name).suffix.lower())
    if fmt is None:
        return named(wrong_kind, name)
    data = await file.read(limit + 1)
    if len(data) > limit:
        return named(too_big, name)
    return Received(name, fmt, data)


def refusal(
    exc: DomainError,
    name: str,
    lang: str,
    _: Callable[[str], str],
    say: Callable[[Message, str], Markup | str] = i18n.say,
) -> dict[str, Any]:
    """The page's context for a refused file: its problems one a line (`say` each in
    the page's language) under a sentence naming the file, or the refusal itself where
    it lists none (`messages` is the problem list of an import's refusal)."""
    problems = [say(m, lang) for m in getattr(exc, "messages", [])]
    if not problems:
        return {"name": name, "problems": [], "error": i18n.say(exc, lang)}
    error = named(_("%(name)s has %(count)s problem(s):"), name, count=len(problems))
    return {"name": name, "problems": problems, "error": error}


async def refused(
    page: Page, request: Request, caller: Principal, context: dict[str, Any]
) -> Response:
    """The form again with the problems, as a 422: nothing was imported."""
    return await run_in_threadpool(page, request, caller, context, 422)
