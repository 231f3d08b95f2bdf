"""The auditor's pages: what there is to audit (applications, cycles, month closes, plans,
employee profiles, policies, access tokens, support requests and 360° rounds) by kind,
person and dates, a page at a time, and each item's ordered history; the list and each
history export as CSV (UTF-8 with BOM) and XLSX, times in the company's zone (read-only;
every view and export is recorded once: here, or by the guard)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast
from urllib.parse import quote, urlencode

import orjson
from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from aggregates.base import DomainError, NotFoundError
from careerflow import exports
from careerflow.api import i18n
from careerflow.api.i18n import Gettext
from careerflow.api.pages.audit_tools import reevaluates, travel  # its routes first
from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.reads import _services
from careerflow.api.pages.rendering import _gettext, _lang, _render, _time_zone
from careerflow.audit.history import History
from careerflow.audit.index import EXPORT_LIMIT, LIMIT, MAX_LIMIT, AuditItem, audit_items
from careerflow.principal import AccessRole, Principal
from careerflow.validation import parse_day
from projections.audit_queries import ITEM_KINDS
from projections.cycles import cycle_record
from projections.plans import plan_record
from words.messages import Invalid, Message

AUDIT_KINDS = ITEM_KINDS
EXPORTS = ("csv", "xlsx")
# Items whose title is a rung of the ladder, a word of the code, or kept as written.
_ROLE_TITLES = frozenset({"plan", "employee"})
_TERM_TITLES = frozenset({"policy", "token"})


# -- the auditor -----------------------------------------------------------------------
def _require_audit(caller: Principal) -> None:
    caller.require(AccessRole.auditor, AccessRole.hr, action=Message("read the audit trail"))


def _day(option: str, text: str) -> date | None:
    try:
        return parse_day(option, text)
    except Invalid as exc:
        raise DomainError(exc.message) from None


def _recorded(request: Request) -> None:
    """This view is on the record already: the guard does not record it again."""
    request.state.audit_recorded = True


def item_title(item: AuditItem, lang: str, gettext: Gettext) -> str:
    """An item's short description in the page's language (roles and kinds by their
    words; weeks, months and names as they are)."""
    if item.kind == "application":
        return " → ".join(i18n.role_label(r, lang) for r in item.title.split(" → "))
    if item.kind in _ROLE_TITLES:
        return i18n.role_label(item.title, lang)
    if item.kind in _TERM_TITLES:
        return i18n.term(item.title, gettext)
    return item.title


def _moment(value: datetime | None, tz: str) -> str:
    """A moment in the company's zone, ISO 8601 with its offset (a spreadsheet sorts it)."""
    moment = i18n.local_time(value, tz)
    return moment.isoformat(timespec="seconds") if moment else ""


def _export(
    stem: str, fmt: str, columns: list[exports.Column], rows: list[dict[str, Any]]
) -> Response:
    kind = cast(exports.Format, fmt)
    body, media_type = exports.export(kind, columns, rows, stem)
    disposition = exports.content_disposition(stem, kind, date.today())
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


def _export_format(export: str, _: Gettext) -> str | None:
    if not export:
        return None
    if export not in EXPORTS:
        raise DomainError(
            Message.verbatim(  # already in the page's language
                _("No export as “%(format)s”: choose one of %(formats)s")
                % {"format": export, "formats": ", ".join(f.upper() for f in EXPORTS)}
            )
        )
    return export


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    kind: str = "",
    person: str = "",
    since: str = "",
    until: str = "",
    cursor: str = "",
    limit: int = Query(LIMIT, ge=1, le=MAX_LIMIT),
    export: str = "",
) -> Response:
    """What there is to audit, by kind, person and date range, a page at a time
    (careerflow.audit.index); `export=csv|xlsx`: every matching item as a file."""
    caller = _caller(request)
    _require_audit(caller)
    _ = _gettext(request)
    lang = _lang(request)
    fmt = _export_format(export, _)
    s = _services(request)
    filters = {"kind": kind, "person": person, "since": since, "until": until}
    found = audit_items(
        s.audit_queries,
        s.history,
        caller,
        kind or None,
        person or None,
        _day("since", since),
        _day("until", until),
        **({"limit": EXPORT_LIMIT} if fmt else {"limit": limit, "cursor": cursor or None}),
        action=f"export-{fmt}" if fmt else "page-view",
    )
    _recorded(request)
    if fmt:
        tz = _time_zone(request)
        columns = [
            exports.Column("kind", _("Kind")),
            exports.Column("ident", _("Item")),
            exports.Column("title", _("Title")),
            exports.Column("person", _("Person")),
            exports.Column("name", _("Name")),
            exports.Column("at", _("When")),
            exports.Column("status", _("Status")),
        ]
        rows = [
            {
                **i.model_dump(),
                "kind": i18n.term(i.kind, _),
                "title": item_title(i, lang, _),
                "at": _moment(i.at, tz),
                "status": i18n.term(i.status, _) if i.status else "",
            }
            for i in found.items
        ]
        return _export("audit-items", fmt, columns, rows)
    shown: dict[str, str | int] = {k: v for k, v in filters.items() if v}
    if limit != LIMIT:
        shown["limit"] = limit

    def page_link(to: str | None) -> str | None:
        return f"/audit?{urlencode({**shown, 'cursor': to})}" if to else None

    return _render(
        request,
        "audit.html",
        {
            "found": found,
            "kinds": AUDIT_KINDS,
            "filters": filters,
            "titles": {(i.kind, i.ident): item_title(i, lang, _) for i in found.items},
            "next_page": page_link(found.next),
            "previous_page": page_link(found.previous),
            "list_exports": {f: f"/audit?{urlencode({**shown, 'export': f})}" for f in EXPORTS},
            "api_page": f"/api/v1/audit/items?{urlencode(shown)}",
        },
        caller,
    )


def _history_rows(history: History, tz: str, _: Gettext) -> list[dict[str, Any]]:
    def stream(name: str) -> str:
        first, _sep, rest = name.partition(" ")
        return f"{i18n.term(first, _)} {rest}"

    return [
        {
            "version": e.version,
            "stream": stream(e.stream),
            "at": _moment(e.at, tz),
            "event": i18n.term(e.event, _),
            "actor": e.actor,
            "role": i18n.term(e.role, _),
            "command_id": e.command_id,
            "workflow_id": e.workflow_id,
            "reason": e.reason,
            "policy_versions": ", ".join(f"{k} v{v}" for k, v in e.policy_versions.items()),
            "data": orjson.dumps(e.data, option=orjson.OPT_SORT_KEYS).decode(),
        }
        for e in history.entries
    ]


def _history_columns(_: Gettext) -> list[exports.Column]:
    return [
        exports.Column("version", "#"),
        exports.Column("stream", _("Record")),
        exports.Column("at", _("When")),
        exports.Column("event", _("Event")),
        exports.Column("actor", _("Who")),
        exports.Column("role", _("Role")),
        exports.Column("command_id", _("Command")),
        exports.Column("workflow_id", _("Workflow")),
        exports.Column("reason", _("Reason")),
        exports.Column("policy_versions", _("Policy versions")),
        exports.Column("data", _("Data")),
    ]


@router.get("/audit/{kind}/{item_id:path}", response_class=HTMLResponse)
def audit_item(
    request: Request, kind: str, item_id: str, export: str = "", at: str = "", version: str = ""
) -> Response:
    caller = _caller(request)
    _require_audit(caller)
    _ = _gettext(request)
    if kind not in AUDIT_KINDS:
        raise NotFoundError(
            Message.verbatim(  # already in the page's language
                _("No history of “%(kind)s”: choose one of %(kinds)s")
                % {"kind": kind, "kinds": ", ".join(i18n.term(k, _) for k in AUDIT_KINDS)}
            )
        )
    fmt = _export_format(export, _)
    s = _services(request)
    if fmt:
        found = s.history.history(caller, kind, item_id, action=f"export-{fmt}")
        _recorded(request)
        stem = f"history-{kind}-{item_id.replace('/', '-')}"
        return _export(stem, fmt, _history_columns(_), _history_rows(found, _time_zone(request), _))
    timeline: list[dict[str, Any]] | None = None
    record: dict[str, Any] = {}
    if kind == "application":
        record = s.promotion_queries.application(caller, item_id, _lang(request))
        timeline = record.pop("timeline")
    elif kind in ("cycle", "plan"):
        find = cycle_record if kind == "cycle" else plan_record
        with s.read_pool.connection() as conn:
            found_record = find(conn, item_id)
        if found_record is None:
            raise NotFoundError(
                Message.verbatim(  # already in the page's language
                    _("No %(kind)s “%(id)s”") % {"kind": i18n.term(kind, _), "id": item_id}
                )
            )
        record = found_record
    # The events through the history service: the pay rule and 360° anonymity as in
    # every audit read, and the view recorded like an API read (once: not by the guard).
    history = s.history.history(caller, kind, item_id, action="page-view")
    _recorded(request)
    here = f"/audit/{kind}/{quote(item_id)}"
    return _render(
        request,
        "audit_item.html",
        {
            "kind": kind,
            "item_id": item_id,
            "record": record,
            "timeline": timeline,
            "history": history,
            "history_path": here,
            "reevaluates": reevaluates(kind),
            # ?at= or ?version=: the state then and the events cut there (audit_tools).
            **travel(request, caller, kind, item_id, history, at, version),
            "exports": {
                **{
                    f: f"/api/v1/audit/history/{kind}/{quote(item_id)}?format={f}"
                    for f in ("json", "jsonl", "html")
                },
                **{f: f"{here}?export={f}" for f in EXPORTS},
            },
        },
        caller,
    )
