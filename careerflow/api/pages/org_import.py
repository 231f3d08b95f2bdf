"""HR's organisation import: a file from the picker (the API's JSON, or a CSV / XLSX table
of teams and employees, its columns documented on the page), imported all or nothing by
the People application the API uses; a refused file lists each problem by line and field
in the page's language, and nothing changes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError
from careerflow.api import i18n
from careerflow.api.i18n import N_
from careerflow.api.pages.file_upload import Accepted, received, refusal, refused
from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.reads import _services, _until
from careerflow.api.pages.rendering import _render
from careerflow.applications.org_files import COLUMNS, FORMATS, OrgFile, read_org_file
from careerflow.applications.people import ImportResult, require_org_importer
from careerflow.principal import Principal
from projections.people import employees_by_id
from words.messages import Message

ACCEPTED = Accepted(
    FORMATS,
    5 * 1024 * 1024,  # a table of 50,000 people is under 5 MB
    N_("%(name)s: choose a .csv, .xlsx or .json file."),
    N_("%(name)s is over 5 MB; split it by team and upload each part."),
)
DONE = ("teams", "added", "moved")


# The values of a problem that are words of the file, not of the page: a field's name
# (a column, a JSON path), the value typed and the values allowed ("team", "employee").
DATA = frozenset({"field", "value", "team", "employee"})


def _marked(message: Message, found: list[str]) -> Message:
    """The message with its data values (and those of the messages it holds) replaced by
    markers ⟦n⟧ (kept by repr and by every translation), their values in `found`."""
    params: dict[str, Any] = {}
    for name, value in message.params.items():
        if isinstance(value, Message):
            value = _marked(value, found)
        elif name in DATA and isinstance(value, str):
            found.append(value)
            value = f"⟦{len(found) - 1}⟧"
        params[name] = value
    return Message(message.template, **params)


def _problem(message: Message, lang: str) -> Markup:
    """A problem said in the page's language, the words of the file in it shown as the
    data they are."""
    found: list[str] = []
    said = Markup(escape(i18n.say(_marked(message, found), lang)))
    for index, value in enumerate(found):
        code = Markup('<code translate="no">{}</code>').format(value)
        said = said.replace(f"⟦{index}⟧", code)
    return said


def _page(
    request: Request, caller: Principal, extra: dict[str, Any], status: int = 200
) -> Response:
    context = {"columns": COLUMNS, **extra}
    return _render(request, "org_import/upload.html", context, caller, status=status)


def _counts(request: Request) -> dict[str, int] | None:
    if request.query_params.get("done") != "imported":
        return None
    counts = {}
    for key in DONE:
        value = request.query_params.get(key, "0")
        counts[key] = int(value) if value.isdigit() else 0
    return counts


@router.get("/hr/import", response_class=HTMLResponse)
def import_page(request: Request) -> Response:
    caller = _caller(request)
    require_org_importer(caller)
    return _page(request, caller, {"done": _counts(request)})


def _import(caller: Principal, request: Request, found: OrgFile) -> ImportResult:
    return _services(request).people.import_org(caller, found.org, found.lines)


def _visible(request: Request, found: OrgFile) -> bool:
    """Read-your-writes: every imported employee in the read model, in their team."""
    wanted = {e.employee_id: e.team_id for e in found.org.employees}
    if not wanted:
        return True
    with _services(request).read_pool.connection() as conn:
        rows = employees_by_id(conn, list(wanted))
    return all(rows.get(i, {}).get("team_id") == team for i, team in wanted.items())


@router.post("/hr/import", response_class=HTMLResponse)
async def import_organisation(
    request: Request,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    taken = await received(request, file, csrf, ACCEPTED, _page, require_org_importer)
    if isinstance(taken, Response):
        return taken
    caller, got = taken
    try:
        found = await run_in_threadpool(read_org_file, got.data, got.fmt, got.source)
        result = await run_in_threadpool(_import, caller, request, found)
    except DomainError as exc:
        context = refusal(request, exc, got.name, _problem)
        return await refused(_page, request, caller, context)
    await _until(lambda: _visible(request, found))
    counts = (result.teams_changed, result.employees_added, result.employees_moved)
    query = "&".join(f"{k}={v}" for k, v in zip(DONE, counts, strict=True))
    return RedirectResponse(f"/hr/import?done=imported&{query}", status_code=303)
