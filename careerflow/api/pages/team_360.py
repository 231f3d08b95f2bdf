"""A manager's team in 360° rounds (issue 18, S7): the rounds that assessed any of their
reports (a picker, newest first), and for a closed round each report's profile (the
overall level per competency against its target, the gaps) with the team's gaps as a
chart and its figures. An open round says when its results are published; no round
says what happens next. Reads only projections.assessment_queries (its access and
anonymity rules).

    /team/assessments[?round=][&manager=][&cursor=&limit=]
        a page of profiles, 50 by default (HR and auditors: any manager's team)
    ...&format=csv|xlsx
        every profile of the chosen round
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from aggregates.competency import CompetencyScore
from careerflow import exports
from careerflow.api import i18n
from careerflow.api.pages.downloads import Format, _download
from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.people import Limit
from careerflow.api.pages.reads import _services
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.api.pages.rounds import _gaps_chart
from careerflow.api.pages.team_pick import picker, team_manager
from projections.assessment_profiles import TeamProfiles, TeamProfilesView
from projections.assessment_rounds import RoundSummary

PAGE = 50
"""Profiles on the team's page (the API's default page)."""


def _chosen(rounds: list[RoundSummary], asked: str) -> RoundSummary | None:
    """The round asked for, else the latest closed one, else the latest."""
    for r in rounds:
        if r.round_id == asked:
            return r
    closed = [r for r in rounds if r.status == "closed"]
    return closed[0] if closed else (rounds[0] if rounds else None)


def _export(
    request: Request, chosen: RoundSummary, team: TeamProfiles, fmt: Literal["csv", "xlsx"]
) -> Response:
    """The profiles table: a person, each competency's overall level (or that there are
    not enough ratings), and the gaps by name, said in the page's language."""
    lang = _lang(request)
    _ = _gettext(request)
    competencies = team.profiles[0].competencies if team.profiles else []
    joiner = "、" if lang == "zh" else ", "

    def said(value: object) -> str:
        return i18n.unmarked(i18n.label(value, lang))

    def target(c: CompetencyScore) -> str:
        return i18n.number(c.target, lang, 1)

    columns = [
        exports.Column("name", _("Person")),
        exports.Column("employee_id", _("Employee id")),
        *(
            exports.Column(
                c.competency, f"{said(c.label)} ({_('target %(level)s') % {'level': target(c)}})"
            )
            for c in competencies
        ),
        exports.Column("gaps", _("Gaps")),
    ]
    rows: list[dict[str, object]] = []
    for p in team.profiles:
        row: dict[str, object] = {"name": p.name, "employee_id": p.employee_id}
        for c in p.competencies:
            row[c.competency] = (
                i18n.number(c.overall, lang, 1)
                if c.overall is not None
                else _("not enough ratings")
            )
        gaps = [said(c.label) for c in p.competencies if c.competency in p.gaps]
        row["gaps"] = joiner.join(gaps) if gaps else _("none")
        rows.append(row)
    stem = f"team-360-{team.manager_id}-{chosen.round_id}"
    return _download(request, fmt, stem, _("Team 360°"), columns, rows)


@router.get("/team/assessments", response_class=HTMLResponse)
def team_assessments(
    request: Request,
    round: str = "",
    manager: str = "",
    format: Format = "",
    cursor: str = "",
    limit: Limit = PAGE,
) -> Response:
    caller = _caller(request)
    # A manager their own team; HR and auditors any manager's (picked); others 403.
    manager_id = team_manager(caller, manager)
    queries = _services(request).assessment_queries
    lang = _lang(request)
    _ = _gettext(request)
    title = _("Share of the team below the target level (%)")
    picking = picker(request, caller, manager_id)
    if not manager_id:  # HR or an auditor who has not picked a manager yet
        return _render(request, "rounds/team.html", {"picking_only": True, **picking}, caller)
    rounds = queries.team_rounds(caller, manager_id)
    chosen = _chosen(rounds, round)
    closed = chosen is not None and chosen.status == "closed"
    if format in ("csv", "xlsx") and chosen is not None and closed:  # every profile
        return _export(request, chosen, queries.team(caller, chosen.round_id, manager_id), format)
    team: TeamProfilesView | None = None
    if chosen is not None and closed:  # a page of profiles; the gaps count every one
        team = queries.team_page(
            caller, chosen.round_id, manager_id, limit=limit, cursor=cursor or None
        )
    own = manager_id == caller.person_id
    kept = {"round": chosen.round_id if chosen else "", "manager": "" if own else manager_id}

    def link(**more: str) -> str:
        chosen_params = {k: v for k, v in {**kept, **more}.items() if v}
        return "/team/assessments" + ("?" + urlencode(chosen_params) if chosen_params else "")

    export_urls = {f: link(format=f) for f in ("csv", "xlsx")}
    paged = {"limit": str(limit) if limit != PAGE else ""}
    context: dict[str, Any] = {
        **picking,
        "own": own,
        "export_urls": export_urls,
        "first_url": link(**paged) if cursor else None,
        "next_url": link(**paged, cursor=team.next_cursor) if team and team.next_cursor else None,
        "manager_id": manager_id,
        "rounds": rounds,
        "chosen": chosen,
        "team": team,
        "competencies": team.items[0].competencies if team and team.items else [],
        "gaps_chart": _gaps_chart(lang, team.gaps, title) if team else None,
        "chart_title": title,
    }
    return _render(request, "rounds/team.html", context, caller)
