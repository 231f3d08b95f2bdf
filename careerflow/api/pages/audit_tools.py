"""The auditor's tools on the pages (the API's routes/audit.py, the same services):

    /audit/{kind}/{id}?at=|version=   the history page travels in time: the state then
                                      (TimeTravelService) and the events cut there
    /audit/tools                      readiness and candidate pool at a moment, verify
    /audit/readiness/{employee}?at=   one employee's readiness as it was at a moment
    /audit/pool?at=                   the candidate pool as it was at a moment
    ...&format=csv|xlsx               either of them downloaded
    POST /audit/reevaluate/{kind}/{id} re-runs a recorded decision (read-only): identical,
                                      or the differences field by field
    POST /audit/verify                starts the `audit-verify-<uuid>` workflow
    /audit/verify/{id}                its progress (the page refreshes itself while it
                                      runs), then the result naming a tampered event

Moments are typed in the company's time zone. Every use is on the audit record once: by
the service that does it (time travel, re-evaluation, verification)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError
from careerflow import exports
from careerflow.api import i18n
from careerflow.api.audit_words import PROBLEMS, STORES, decision_name, field_word, worded
from careerflow.api.i18n import Gettext
from careerflow.api.pages.downloads import Format, _download
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _context, _services
from careerflow.api.pages.rendering import _gettext, _lang, _render, _time_zone
from careerflow.audit.history import History
from careerflow.audit.reevaluation import KINDS as REEVALUATED
from careerflow.audit.reevaluation import Reevaluation
from careerflow.audit.time_travel import AggregateState
from careerflow.principal import Principal
from words.messages import Message

MOMENT_FORMAT = "%Y-%m-%dT%H:%M"


def _recorded(request: Request) -> None:
    """This view is on the record already (the service put it there)."""
    request.state.audit_recorded = True


def moment(text: str, tz: str, _: Gettext) -> datetime | None:
    """A moment typed in the company's zone (a datetime-local field: 2026-11-30T18:00)."""
    text = text.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise DomainError(
            Message.verbatim(  # already in the page's language
                _("“%(text)s” is not a moment: give a date and time such as %(example)s")
                % {"text": text, "example": "2026-11-30T18:00"}
            )
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=i18n.zone(tz))
    return parsed


def _version(text: str, _: Gettext) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise DomainError(
            Message.verbatim(  # already in the page's language
                _("“%(text)s” is not a version: give a number from 1") % {"text": text}
            )
        )
    return int(text)


def _now_text(tz: str) -> str:
    return datetime.now(i18n.zone(tz)).strftime(MOMENT_FORMAT)


def _typed(value: datetime | None, tz: str) -> str:
    """A moment as the datetime-local field shows it, in the company's zone."""
    local = i18n.local_time(value, tz)
    return local.strftime(MOMENT_FORMAT) if local else ""


def _state_rows(state: AggregateState, _: Gettext, lang: str) -> list[tuple[str, str | None, Any]]:
    """The state's fields in order, each with its word in the page's language (None: a
    field the words do not know, shown as its code), a nested value's keys by their words
    too (as the CLI says them)."""
    return [
        (key, field_word(key, _), worded(value, _, lang))
        for key, value in sorted(state.state.items())
    ]


def travel(
    request: Request,
    caller: Principal,
    kind: str,
    item_id: str,
    history: History,
    at: str,
    version: str,
) -> dict[str, Any]:
    """The history page's context for a moment or a version: the aggregate's state then
    and the events up to it (empty without either)."""
    _ = _gettext(request)
    tz = _time_zone(request)
    when = moment(at, tz, _)
    number = _version(version, _)
    form = {"at": at, "version": version}
    if when is None and number is None:
        return {"travel": None, "travel_form": form}
    states = _services(request).time_travel.aggregate(caller, kind, item_id, number, when)
    if when is not None:
        entries = [e for e in history.entries if e.at <= when]
    else:
        upto = {s.stream: s.version for s in states}
        entries = [e for e in history.entries if e.version <= upto.get(e.stream, 0)]
    return {
        "travel": {
            "at": when,
            "version": number,
            "states": [{"state": s, "rows": _state_rows(s, _, _lang(request))} for s in states],
        },
        "travel_form": form,
        "history": history.model_copy(update={"entries": entries}),
    }


# -- the tools' page: readiness and pool at a moment, verification -------------------------
@router.get("/audit/tools", response_class=HTMLResponse)
def tools(request: Request) -> Response:
    caller = _caller(request)
    _services(request).time_travel.require(caller)
    tz = _time_zone(request)
    return _render(
        request, "audit_tools/tools.html", {"now": _now_text(tz), "employee": ""}, caller
    )


@router.get("/audit/readiness", response_class=HTMLResponse)
def readiness_form(request: Request, employee: str = "", at: str = "") -> Response:
    """The tools page's form: its employee in the path."""
    if employee.strip():
        target = f"/audit/readiness/{quote(employee.strip())}?at={quote(at)}"
        return RedirectResponse(target, status_code=303)
    return tools(request)


def _export_urls(path: str, at: str) -> dict[str, str]:
    return {f: f"{path}?{urlencode({'at': at, 'format': f})}" for f in ("csv", "xlsx")}


def _readiness_export(
    request: Request, employee_id: str, found: Any, fmt: Literal["csv", "xlsx"]
) -> Response:
    """The readiness table as it was: one line per field, said as the page says it."""
    lang = _lang(request)
    _ = _gettext(request)
    r = found.result

    def document(key: str) -> str:
        kind, _slash, doc_key = key.partition("/")
        return i18n.document_name(kind, doc_key or "default", _, lang)

    versions = ", ".join(f"{document(k)} v{v}" for k, v in (r.get("policy_versions") or {}).items())
    pairs = [
        (_("Employee"), employee_id),
        (_("Role"), i18n.role_label(r.get("role"), lang)),
        (
            _("Next role"),
            i18n.role_label(r["next_role"], lang) if r.get("next_role") else _("none"),
        ),
        (
            _("Data up to"),
            i18n.month_text(r["as_of_month"], lang) if r.get("as_of_month") else _("none"),
        ),
        (_("Potential score"), i18n.number(r.get("score"), lang)),
        (
            _("Rank in the team"),
            _("%(rank)s of %(size)s") % {"rank": r.get("team_rank"), "size": r.get("team_size")},
        ),
        (_("Eligible"), _("yes") if r.get("eligible") else _("no")),
        (_("Policy versions"), versions),
    ]
    columns = [exports.Column("field", _("Field")), exports.Column("value", _("Value"))]
    rows = ({"field": f, "value": v} for f, v in pairs)
    title = _("Readiness at a moment")
    return _download(request, fmt, f"readiness-{employee_id}", title, columns, rows)


def _pool_export(request: Request, found: Any, fmt: Literal["csv", "xlsx"]) -> Response:
    lang = _lang(request)
    _ = _gettext(request)
    columns = [
        exports.Column("employee_id", _("Employee")),
        exports.Column("name", _("Name")),
        exports.Column("role", _("Role")),
        exports.Column("team_id", _("Team")),
        exports.Column("score", _("Potential score")),
    ]
    rows = (
        {
            "employee_id": c.get("employee_id"),
            "name": c.get("name"),
            "role": i18n.role_label(c.get("role"), lang),
            "team_id": c.get("team_id"),
            "score": i18n.number(c.get("score"), lang),
        }
        for c in found.result
    )
    return _download(
        request, fmt, "candidate-pool-at", _("Candidate pool at a moment"), columns, rows
    )


@router.get("/audit/readiness/{employee_id}", response_class=HTMLResponse)
def readiness_at(request: Request, employee_id: str, at: str = "", format: Format = "") -> Response:
    caller = _caller(request)
    _ = _gettext(request)
    tz = _time_zone(request)
    at = at or (_now_text(tz) if format in ("csv", "xlsx") else "")
    when = moment(at, tz, _)
    found: Any = None
    if when is not None:
        found = _services(request).time_travel.readiness_at(caller, employee_id, when)
        _recorded(request)
        if format in ("csv", "xlsx"):
            return _readiness_export(request, employee_id, found, format)
    else:
        _services(request).time_travel.require(caller)
    return _render(
        request,
        "audit_tools/readiness.html",
        {
            "employee": employee_id,
            "at_text": at or _now_text(tz),
            "found": found,
            "export_urls": _export_urls(f"/audit/readiness/{quote(employee_id)}", at),
        },
        caller,
    )


@router.get("/audit/pool", response_class=HTMLResponse)
def pool_at(request: Request, at: str = "", format: Format = "") -> Response:
    caller = _caller(request)
    _ = _gettext(request)
    tz = _time_zone(request)
    at = at or (_now_text(tz) if format in ("csv", "xlsx") else "")
    when = moment(at, tz, _)
    found: Any = None
    if when is not None:
        found = _services(request).time_travel.candidate_pool_at(caller, when)
        _recorded(request)
        if format in ("csv", "xlsx"):
            return _pool_export(request, found, format)
    else:
        _services(request).time_travel.require(caller)
    return _render(
        request,
        "audit_tools/pool.html",
        {
            "at_text": at or _now_text(tz),
            "found": found,
            "export_urls": _export_urls("/audit/pool", at),
        },
        caller,
    )


# -- re-evaluation ---------------------------------------------------------------------------
def _differences_export(
    request: Request, kind: str, item_id: str, result: Reevaluation, fmt: Literal["csv", "xlsx"]
) -> Response:
    """The differences table: decision by name, field, recorded and recomputed (JSON)."""
    _ = _gettext(request)

    def cell(value: Any) -> str:
        if value is None and result.pay_redacted:
            return _("hidden")
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)

    rows = (
        {
            "decision": decision_name(d.decision, _),
            "path": f.path,
            "recorded": cell(f.recorded),
            "recomputed": cell(f.recomputed),
        }
        for d in result.decisions
        if not d.identical
        for f in d.differences
    )
    columns = [
        exports.Column("decision", _("Decision")),
        exports.Column("path", _("Field")),
        exports.Column("recorded", _("Recorded")),
        exports.Column("recomputed", _("Recomputed")),
    ]
    title = _("Differences")
    return _download(request, fmt, f"reevaluation-{kind}-{item_id}", title, columns, rows)


@router.post("/audit/reevaluate/{kind}/{item_id:path}", response_class=HTMLResponse)
async def reevaluate(
    request: Request,
    kind: str,
    item_id: str,
    csrf: Annotated[str, Form()] = "",
    format: Annotated[Format, Form()] = "",
) -> Response:
    """Read-only: nothing changes, so the result is the answer to the post (no redirect);
    with format=csv|xlsx the differences are downloaded instead."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    s = _services(request)
    result = await run_in_threadpool(s.reevaluation.reevaluate, caller, kind, item_id)
    _ = _gettext(request)
    if format in ("csv", "xlsx"):
        return await run_in_threadpool(_differences_export, request, kind, item_id, result, format)
    return _render(
        request,
        "audit_tools/reevaluation.html",
        {
            "kind": kind,
            "item_id": item_id,
            "result": result,
            "names": {d.decision: decision_name(d.decision, _) for d in result.decisions},
            "back": f"/audit/{kind}/{quote(item_id)}",
        },
        caller,
    )


def reevaluates(kind: str) -> bool:
    """Whether the history page offers a re-evaluation of this kind."""
    return kind in REEVALUATED


# -- verification with progress --------------------------------------------------------------
@router.post("/audit/verify")
async def start_verify(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    verify_id = await (await _context(request).verify()).start(caller)
    return RedirectResponse(f"/audit/verify/{verify_id}", status_code=303)


@router.get("/audit/verify", response_class=HTMLResponse)
def verify_form(request: Request) -> Response:
    return tools(request)


@router.get("/audit/verify/{verify_id}", response_class=HTMLResponse)
async def verify_status(request: Request, verify_id: str) -> Response:
    caller = await run_in_threadpool(_caller, request)
    status = await (await _context(request).verify()).status(caller, verify_id)
    _ = _gettext(request)
    if status.state == "running":
        # Each refresh is not a new view: the verification is recorded when it ends, and
        # the finished page is recorded as a view.
        _recorded(request)
    return _render(
        request,
        "audit_tools/verify.html",
        {
            "status": status,
            "finding": status.report.first_finding if status.report else None,
            "problem_words": {k: _(v) for k, v in PROBLEMS.items()},
            "store_words": {k: _(v) for k, v in STORES.items()},
        },
        caller,
    )
