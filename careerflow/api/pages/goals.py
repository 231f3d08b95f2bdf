"""The goal cascade for a year: the company's target from last year's sales and the
growth the cascade document sets, each team's target against the sum of its members'
targets (the gap the team must find beyond them), downloadable. HR and auditors see the
company, a manager their reports' teams."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from careerflow import exports
from careerflow.api.pages.downloads import Format, _download
from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.reads import _services
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.api.pages.views import _chart
from projections.goal_queries import CascadeOverview
from projections.paging import PageRequest

PAGE = 25  # teams on a page


@router.get("/hr/goals", response_class=HTMLResponse)
def goals_page(
    request: Request, year: int | None = None, format: Format = "", cursor: str = ""
) -> Response:
    caller = _caller(request)
    s = _services(request)
    lang = _lang(request)
    _ = _gettext(request)
    year = year or datetime.now(UTC).year
    exporting = format in ("csv", "xlsx")
    # The page shows a page of teams (prev/next); a download has every team.
    cascade = (
        s.goal_queries.cascade(caller, year)
        if exporting
        else s.goal_queries.cascade_paged(
            caller, year, PageRequest(limit=PAGE, cursor=cursor or None)
        )
    )
    teams = cascade.teams if isinstance(cascade, CascadeOverview) else cascade.items
    rows = [
        {
            "team": t.name,
            "manager": t.manager_id or "",
            "members": t.members,
            "team_target": t.team.annual_target,
            "individual_targets": t.individual_targets,
            "gap": t.gap,
        }
        for t in teams
    ]
    if format in ("csv", "xlsx"):
        columns = [
            exports.Column("team", _("Team")),
            exports.Column("manager", _("Manager")),
            exports.Column("members", _("Members")),
            exports.Column("team_target", _("Team target")),
            exports.Column("individual_targets", _("Members' targets")),
            exports.Column("gap", _("Gap")),
        ]
        title = _("Goal cascade %(year)s") % {"year": year}
        return _download(request, format, f"goals-{year}", title, columns, rows)
    charts = {}
    if teams:
        charts["teams"] = _chart(
            lang,
            [t.name for t in teams],
            [
                {"label": _("Team target"),
                 "data": [round(t.team.annual_target) for t in teams]},
                {"label": _("Members' targets"),
                 "data": [round(t.individual_targets) for t in teams], "color": "#16a34a"},
            ],
            horizontal=True,
            data_labels=True,  # team names
        )  # fmt: skip
    return _render(
        request,
        "reports/goals.html",
        {
            "cascade": cascade,
            "teams": teams,
            "rows": rows,
            "year": year,
            "charts": charts,
            "first": not cursor,
        },
        caller,
    )
