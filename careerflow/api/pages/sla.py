"""Support SLA compliance for HR and auditors (and each support team's own people): per
team the requests, met, breached and pending, the median response, and a trend line of
the share met per week; filtered by team and weeks, downloadable."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from careerflow import exports
from careerflow.api import i18n
from careerflow.api.pages.downloads import Format, _download
from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.reads import _services
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.api.pages.views import _chart

PALETTE = ("#2563eb", "#16a34a", "#f59e0b", "#9333ea", "#0891b2", "#db2777", "#65a30d")


@router.get("/hr/support", response_class=HTMLResponse)
def compliance_page(
    request: Request, since: str = "", until: str = "", team: str = "", format: Format = ""
) -> Response:
    caller = _caller(request)
    s = _services(request)
    lang = _lang(request)
    _ = _gettext(request)
    found = s.support_queries.compliance(caller, since or None, until or None, team or None)
    names = {t.team: i18n.label(t.team_label, lang) or t.team for t in found.teams}
    if format in ("csv", "xlsx"):
        columns = [
            exports.Column("team", _("Support team")),
            exports.Column("week", _("Week")),
            exports.Column("count", _("Requests")),
            exports.Column("met", _("SLA met")),
            exports.Column("breached", _("SLA breached")),
            exports.Column("pending", _("Pending")),
            exports.Column("met_share", _("Share met")),
            exports.Column("median_response_minutes", _("Median response (minutes)")),
        ]
        rows = [{**w.model_dump(), "team": names.get(w.team, w.team)} for w in found.weeks]
        return _download(request, format, "support-sla", _("Support SLA"), columns, rows)
    weeks = sorted({w.week for w in found.weeks})
    charts: dict[str, Any] = {}
    if weeks:
        share = {
            (w.team, w.week): round(w.met_share * 100)
            for w in found.weeks
            if w.met_share is not None
        }
        charts["trend"] = _chart(
            lang,
            weeks,
            [
                {
                    "label": names.get(t.team, t.team),
                    "data": [share.get((t.team, w)) for w in weeks],
                    "type": "line",
                    "points": True,  # a week alone, between weeks without any, shows
                    "color": PALETTE[i % len(PALETTE)],
                }
                for i, t in enumerate(found.teams)
            ],
            max=100,
            integer=True,
        )
    return _render(
        request,
        "reports/sla.html",
        {
            "found": found,
            "names": names,
            "charts": charts,
            "filters": {"since": since, "until": until, "team": team},
        },
        caller,
    )
