"""A manager's team in 360° rounds (issue 18, S7): the rounds that assessed any of their
reports (a picker, newest first), and for a closed round each report's profile (the
overall level per competency against its target, the gaps) with the team's gaps as a
chart and its figures. An open round says when its results are published; no round
says what happens next. Reads only projections.assessment_queries (its access and
anonymity rules).

    /team/assessments[?round=][&manager=]   (HR and auditors: any manager's team)
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.reads import _services
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.api.pages.rounds import _gaps_chart
from careerflow.api.pages.team_pick import picker, team_manager
from projections.assessment_queries import RoundSummary, TeamProfiles


def _chosen(rounds: list[RoundSummary], asked: str) -> RoundSummary | None:
    """The round asked for, else the latest closed one, else the latest."""
    for r in rounds:
        if r.round_id == asked:
            return r
    closed = [r for r in rounds if r.status == "closed"]
    return closed[0] if closed else (rounds[0] if rounds else None)


@router.get("/team/assessments", response_class=HTMLResponse)
def team_assessments(request: Request, round: str = "", manager: str = "") -> Response:
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
    team: TeamProfiles | None = None
    if chosen is not None and chosen.status == "closed":
        team = queries.team(caller, chosen.round_id, manager_id)
    context: dict[str, Any] = {
        **picking,
        "own": manager_id == caller.person_id,
        "manager_id": manager_id,
        "rounds": rounds,
        "chosen": chosen,
        "team": team,
        "competencies": team.profiles[0].competencies if team and team.profiles else [],
        "gaps_chart": _gaps_chart(lang, team.gaps, title) if team else None,
        "chart_title": title,
    }
    return _render(request, "rounds/team.html", context, caller)
