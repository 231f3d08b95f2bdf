"""HR's weekly-cycle completion: per team, how the week's plans came (submitted, agreed,
defaulted, missing), reports built and feedback given, with a chart, the previous and
next weeks, and the table as CSV or XLSX."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from careerflow import exports
from careerflow.api.pages.downloads import Format, _download
from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.reads import _services, _week_opens
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.api.pages.views import _chart, _week
from careerflow.api.pages.weeks import shift_week
from careerflow.principal import AccessRole


@router.get("/hr/cycles", response_class=HTMLResponse)
def completion_page(request: Request, format: Format = "") -> Response:
    caller = _caller(request)
    s = _services(request)
    lang = _lang(request)
    _ = _gettext(request)
    week = _week(s, request)
    rates = s.cycle_queries.completion_rates(caller, week)  # HR and auditors only
    rows = [
        {"team": t.team_name or t.team_id, **t.model_dump(exclude={"team_id", "team_name"})}
        for t in rates.teams
    ]
    if format in ("csv", "xlsx"):
        columns = [
            exports.Column("team", _("Team")),
            exports.Column("cycles", _("Cycles")),
            exports.Column("plans_submitted", _("Plans submitted by the rep")),
            exports.Column("plans_agreed", _("Plans agreed with the manager")),
            exports.Column("plans_defaulted", _("Plans defaulted to the targets")),
            exports.Column("plans_missing", _("No plan yet")),
            exports.Column("reports_built", _("Reports built")),
            exports.Column("feedback_given", _("Feedback given")),
            exports.Column("feedback_missed", _("Feedback missed")),
            exports.Column("feedback_pending", _("Feedback pending")),
        ]
        title = _("Weekly cycles %(week)s") % {"week": week}
        return _download(request, format, f"cycles-{week}", title, columns, rows)
    charts = {}
    if rates.teams:
        names = [str(r["team"]) for r in rows]
        charts["plans"] = _chart(
            lang,
            names,
            [
                {"label": _("submitted"), "data": [t.plans_submitted for t in rates.teams],
                 "color": "#16a34a"},
                {"label": _("agreed"), "data": [t.plans_agreed for t in rates.teams],
                 "color": "#2563eb"},
                {"label": _("defaulted"), "data": [t.plans_defaulted for t in rates.teams],
                 "color": "#f59e0b"},
                {"label": _("no plan yet"), "data": [t.plans_missing for t in rates.teams],
                 "color": "#dc2626"},
            ],
            stacked=True,
            integer=True,
            horizontal=True,
            data_labels=True,  # team names
        )  # fmt: skip
    return _render(
        request,
        "reports/cycles.html",
        {
            "week": week,
            "previous": shift_week(week, -1),
            "next": shift_week(week, 1),
            "rates": rates,
            "rows": rows,
            "charts": charts,
            "opens_at": _week_opens(s, week),
            # HR launches a week from here (cycle_launch.py); auditors see no form.
            "can_launch": caller.role == AccessRole.hr,
            "launch_week": week,
        },
        caller,
    )
