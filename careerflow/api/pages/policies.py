"""HR's policy documents: those in force (by name), one document's versions side by side
(every field, the changed ones marked), and a draft: checked like publishing checks it,
tried out (for criteria and weights: who would join or leave the candidate pool, who
would become eligible or stop being so) and published with a note. Auditors read."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError
from careerflow import exports
from careerflow.api import i18n
from careerflow.api.i18n import Gettext
from careerflow.api.pages.downloads import Format, _download
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _services, _until
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.applications.policies import require_publisher
from careerflow.audit.what_if import EmployeeChange, WhatIfReport, what_if
from careerflow.principal import AccessRole, Principal
from projections.policies import document_versions, published_documents

WHAT_IF_KINDS = ("promotion_criteria", "potential_weights")


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Every leaf of a document by its path (`criteria[0].threshold`), as JSON text."""
    if isinstance(value, dict) and value:
        out: dict[str, str] = {}
        for k, v in value.items():
            out |= flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, v in enumerate(value):
            out |= flatten(v, f"{prefix}[{i}]")
        return out
    return {prefix: orjson.dumps(value).decode()}


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """The two versions field by field, in document order, changed fields marked."""
    left, right = flatten(a), flatten(b)
    paths = list(left) + [p for p in right if p not in left]
    return [
        {"path": p, "a": left.get(p), "b": right.get(p), "changed": left.get(p) != right.get(p)}
        for p in paths
    ]


def _compare_export(
    request: Request, kind: str, key: str, a: int, b: int, rows: list[dict[str, Any]]
) -> Response:
    _ = _gettext(request)
    columns = [
        exports.Column("path", _("Field")),
        exports.Column("a", f"v{a}"),
        exports.Column("b", f"v{b}"),
        exports.Column("changed", _("Changed")),
    ]
    said = ({**r, "changed": _("yes") if r["changed"] else _("no")} for r in rows)
    title = i18n.document_name(kind, key, _, _lang(request))
    return _download(request, fmt_of(request), f"{kind}-{key}-v{a}-v{b}", title, columns, said)


def fmt_of(request: Request) -> Literal["csv", "xlsx"]:
    return "xlsx" if request.query_params.get("format") == "xlsx" else "csv"


def _yes(value: bool | None, _: Gettext) -> str:
    return _("yes") if value else _("no")


def _pool_change(c: EmployeeChange, _: Gettext) -> str:
    if c.in_pool_draft and not c.in_pool_now:
        return _("joins")
    if c.in_pool_now and not c.in_pool_draft:
        return _("leaves")
    return _("no change")


def _what_if_export(
    request: Request, kind: str, key: str, report: WhatIfReport, fmt: Literal["csv", "xlsx"]
) -> Response:
    """The what-if changes table, said as the page says it."""
    lang = _lang(request)
    _ = _gettext(request)
    columns = [
        exports.Column("name", _("Person")),
        exports.Column("employee_id", _("Employee id")),
        exports.Column("score", _("Score")),
        exports.Column("eligible", _("Eligible")),
        exports.Column("pool", _("Candidate pool")),
    ]
    rows = (
        {
            "name": c.name,
            "employee_id": c.employee_id,
            "score": f"{i18n.number(c.score_now, lang, 1)} → {i18n.number(c.score_draft, lang, 1)}",
            "eligible": f"{_yes(c.eligible_now, _)} → {_yes(c.eligible_draft, _)}",
            "pool": _pool_change(c, _),
        }
        for c in report.changes
    )
    title = _("What if it were in force")
    return _download(request, fmt, f"what-if-{kind}-{key}", title, columns, rows)


@router.get("/hr/policies", response_class=HTMLResponse)
def policies_page(request: Request) -> Response:
    caller = _caller(request)
    with _services(request).read_pool.connection() as conn:
        documents = published_documents(conn)
    return _render(request, "policies/list.html", {"documents": documents}, caller)


def _document_page(
    request: Request,
    caller: Principal,
    kind: str,
    key: str,
    extra: dict[str, Any],
    status: int = 200,
) -> Response:
    s = _services(request)
    current = s.policies.current(kind, key)  # 404 for a document never published
    with s.read_pool.connection() as conn:
        versions = document_versions(conn, kind, key)
    params = request.query_params
    b = int(params.get("b") or current.version)
    a = int(params.get("a") or max(1, b - 1))
    try:
        doc_a, doc_b = s.policies.version(kind, key, a), s.policies.version(kind, key, b)
    except DomainError:
        doc_a = doc_b = current
        a = b = current.version
    rows = compare(doc_a.document, doc_b.document)
    if params.get("format") in ("csv", "xlsx"):
        return _compare_export(request, kind, key, a, b, rows)
    draft = extra.pop("draft", None)
    if draft is None:
        draft = orjson.dumps(current.document, option=orjson.OPT_INDENT_2).decode()
    return _render(
        request,
        "policies/document.html",
        {
            "kind": kind,
            "key": key,
            "current": current,
            "versions": versions,
            "a": a,
            "b": b,
            "note_a": doc_a.note,
            "note_b": doc_b.note,
            "rows": rows,
            "export_urls": {
                f: f"/hr/policies/{kind}/{key}?a={a}&b={b}&format={f}" for f in ("csv", "xlsx")
            },
            "draft": draft,
            "can_publish": caller.role in (AccessRole.hr, AccessRole.system),
            "what_if_kind": kind in WHAT_IF_KINDS,
            "done": params.get("done", ""),
            **extra,
        },
        caller,
        status=status,
    )


@router.get("/hr/policies/{kind}/{key}", response_class=HTMLResponse)
def document_page(request: Request, kind: str, key: str, format: Format = "") -> Response:
    # ?format=csv|xlsx: the side-by-side comparison downloaded (_document_page reads it).
    return _document_page(request, _caller(request), kind, key, {})


@router.post("/hr/policies/{kind}/{key}", response_class=HTMLResponse)
async def draft_action(
    request: Request,
    kind: str,
    key: str,
    csrf: Annotated[str, Form()] = "",
    document: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    action: Annotated[
        Literal["check", "what-if", "what-if-csv", "what-if-xlsx", "publish", "confirm"], Form()
    ] = "check",
) -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    require_publisher(caller)  # HR only, before the draft is read
    _ = _gettext(request)
    lang = _lang(request)
    s = _services(request)

    def again(extra: dict[str, Any], status: int = 422) -> Response:
        kept = {"draft": document, "note": note, **extra}
        return _document_page(request, caller, kind, key, kept, status)

    try:
        parsed = orjson.loads(document)
    except orjson.JSONDecodeError as exc:
        error = _("The draft is not JSON: %(problem)s (line %(line)s).") % {
            "problem": exc.msg,
            "line": exc.lineno,
        }
        return await run_in_threadpool(again, {"problems": [error]})
    if not isinstance(parsed, dict):
        error = _("The draft must be one JSON object, { … }.")
        return await run_in_threadpool(again, {"problems": [error]})
    found = await run_in_threadpool(s.policies.draft_problems, kind, key, parsed)
    problems = [
        f"{field}: {i18n.say(message, lang)}" if field != "document" else i18n.say(message, lang)
        for field, message in found
    ]
    if problems:
        return await run_in_threadpool(again, {"problems": problems})
    if action == "check":
        return await run_in_threadpool(again, {"checked": True}, 200)
    if action in ("what-if", "what-if-csv", "what-if-xlsx"):
        if kind not in WHAT_IF_KINDS:
            error = _("What-if covers promotion criteria and potential weights only.")
            return await run_in_threadpool(again, {"problems": [error]})
        report = await run_in_threadpool(
            what_if, s.policies, s.read_pool, s.history, caller, kind, key, parsed
        )
        if action == "what-if-csv":
            return await run_in_threadpool(_what_if_export, request, kind, key, report, "csv")
        if action == "what-if-xlsx":
            return await run_in_threadpool(_what_if_export, request, kind, key, report, "xlsx")
        return await run_in_threadpool(again, {"report": report}, 200)
    current = await run_in_threadpool(s.policies.current, kind, key)
    if action == "publish":  # first the changes, to confirm: a version is never taken back
        stored = s.policies.validate(kind, key, parsed).model_dump(mode="json")  # as kept
        changes = [r for r in compare(current.document, stored) if r["changed"]]
        if not changes:
            return await run_in_threadpool(again, {"unchanged": True}, 200)
        confirm = {"version": current.version + 1, "changes": changes}
        return await run_in_threadpool(again, {"confirm": confirm}, 200)
    before = current.version
    version = await run_in_threadpool(s.policies.publish, caller, kind, key, parsed, note.strip())
    if version == before:
        return await run_in_threadpool(again, {"unchanged": True}, 200)

    def projected() -> bool:
        with s.read_pool.connection() as conn:
            return any(v["version"] == version for v in document_versions(conn, kind, key))

    await _until(projected)
    return RedirectResponse(
        f"/hr/policies/{kind}/{key}?done=published&a={before}&b={version}", status_code=303
    )
