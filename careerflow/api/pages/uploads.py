"""HR's metric upload: a CSV (UTF-8 or GBK), XLSX or JSON-lines export from a file
picker, imported all or nothing through the same process as the API; a refused file
lists each problem by line and field in the page's language, and nothing is written."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError
from careerflow.api.i18n import N_
from careerflow.api.pages.file_upload import Accepted, received, refusal, refused
from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.reads import _context
from careerflow.api.pages.rendering import _render
from careerflow.applications.metrics import require_ingester
from careerflow.principal import Principal

ACCEPTED = Accepted(
    {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl"},
    20 * 1024 * 1024,  # an export of a year of a large organisation fits well under this
    N_("%(name)s: choose a .csv, .xlsx or .jsonl export."),
    N_("%(name)s is over 20 MB; split it by month and upload each part."),
)


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
    taken = await received(request, file, csrf, ACCEPTED, _page)
    if isinstance(taken, Response):
        return taken
    caller, got = taken
    flow = await _context(request).metric_import()
    try:
        result = await flow.import_file(caller, got.data, got.fmt, got.source)
    except DomainError as exc:
        context = refusal(request, exc, got.name)
        return await refused(_page, request, caller, context)
    context = {"name": got.name, "result": result}
    return await run_in_threadpool(_page, request, caller, context)
