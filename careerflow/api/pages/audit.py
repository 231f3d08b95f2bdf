"""The auditor's pages: what there is to audit (applications, cycles, month closes, plans,
support requests and 360° rounds) by kind, person and dates, and each item's ordered
history with its exports (read-only; every view is recorded)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from aggregates.base import DomainError, NotFoundError
from careerflow.api import i18n
from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.reads import _services
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.audit.index import audit_items
from careerflow.principal import AccessRole, Principal
from careerflow.validation import parse_day
from projections.cycles import cycle_record
from projections.plans import plan_record
from words.messages import Invalid, Message

AUDIT_KINDS = ("application", "cycle", "month", "plan", "support", "assessment")


# -- the auditor -----------------------------------------------------------------------
def _require_audit(caller: Principal) -> None:
    caller.require(AccessRole.auditor, AccessRole.hr, action=Message("read the audit trail"))


def _day(option: str, text: str) -> date | None:
    try:
        return parse_day(option, text)
    except Invalid as exc:
        raise DomainError(exc.message) from None


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, kind: str = "", person: str = "", since: str = "", until: str = ""
) -> Response:
    """What there is to audit, by kind, person and date range (careerflow.audit.index)."""
    caller = _caller(request)
    _require_audit(caller)
    s = _services(request)
    found = audit_items(
        s.audit_queries,
        s.history,
        caller,
        kind or None,
        person or None,
        _day("since", since),
        _day("until", until),
    )
    return _render(
        request,
        "audit.html",
        {"found": found, "kinds": AUDIT_KINDS, "filters": {"kind": kind, "person": person}},
        caller,
    )


@router.get("/audit/{kind}/{item_id:path}", response_class=HTMLResponse)
def audit_item(request: Request, kind: str, item_id: str) -> Response:
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
    s = _services(request)
    timeline: list[dict[str, Any]] | None = None
    record: dict[str, Any] = {}
    if kind == "application":
        record = s.promotion_queries.application(caller, item_id, _lang(request))
        timeline = record.pop("timeline")
    elif kind in ("cycle", "plan"):
        find = cycle_record if kind == "cycle" else plan_record
        with s.read_pool.connection() as conn:
            found = find(conn, item_id)
        if found is None:
            raise NotFoundError(
                Message.verbatim(  # already in the page's language
                    _("No %(kind)s “%(id)s”") % {"kind": i18n.term(kind, _), "id": item_id}
                )
            )
        record = found
    # The events through the history service: the pay rule and 360° anonymity as in
    # every audit read, and the view recorded like an API read.
    history = s.history.history(caller, kind, item_id, action="page-view")
    return _render(
        request,
        "audit_item.html",
        {
            "kind": kind,
            "item_id": item_id,
            "record": record,
            "timeline": timeline,
            "history": history,
            "exports": {
                f: f"/api/v1/audit/history/{kind}/{quote(item_id)}?format={f}"
                for f in ("json", "jsonl", "html")
            },
        },
        caller,
    )
