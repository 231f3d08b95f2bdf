"""HR's metric upload: a CSV (UTF-8 or GBK), XLSX or JSON-lines export from a file
picker, imported all or nothing through the same process as the API; a refused file
lists each problem by line and field in the page's language, and nothing is written."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError
from careerflow.api import i18n
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _context
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.applications.files import IngestError
from careerflow.applications.metrics import require_ingester
from careerflow.principal import Principal

SUFFIXES = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl"}
LIMIT = 20 * 1024 * 1024  # an export of a year of a large organisation fits well under this


def _named(template: str, name: str, **values: object) -> Markup:
    """A sentence naming the file: the file's name is data, not words of the page."""
    named = Markup('<span translate="no">{}</span>').format(name or "?")
    return Markup(escape(template)) % {"name": named, **values}


def _page(
    request: Request, caller: Principal, extra: dict[str, Any], status: int = 200
) -> Response:
    return _render(request, "uploads/metrics.html", extra, caller, status=status)


@router.get("/hr/metrics", response_class=HTMLResponse)
def upload_page(request: Request) -> Response:
    caller = _caller(request)
    require_ingester(caller)
    return _page(request, caller, {})


@router.post("/hr/metrics", response_class=HTMLResponse)
async def upload_metrics(
    request: Request,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    _ = _gettext(request)
    lang = _lang(request)
    name = file.filename or ""
    fmt = SUFFIXES.get(PurePath(name).suffix.lower())
    if fmt is None:
        error = _named(_("%(name)s: choose a .csv, .xlsx or .jsonl export."), name)
        return await run_in_threadpool(_page, request, caller, {"error": error}, 422)
    data = await file.read(LIMIT + 1)
    if len(data) > LIMIT:
        error = _named(_("%(name)s is over 20 MB; split it by month and upload each part."), name)
        return await run_in_threadpool(_page, request, caller, {"error": error}, 422)
    flow = await _context(request).metric_import()
    try:
        result = await flow.import_file(caller, data, fmt, PurePath(name).name or "upload")
    except IngestError as exc:
        problems = [i18n.say(m, lang) for m in exc.messages]
        said: Markup | str = (
            _named(_("%(name)s has %(count)s problem(s):"), name, count=len(problems))
            if problems
            else i18n.say(exc, lang)
        )
        context = {"name": name, "problems": problems, "error": said}
        return await run_in_threadpool(_page, request, caller, context, 422)
    except DomainError as exc:
        context = {"error": i18n.say(exc, lang)}
        return await run_in_threadpool(_page, request, caller, context, 422)
    return await run_in_threadpool(_page, request, caller, {"name": name, "result": result})
