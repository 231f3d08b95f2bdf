"""A manager's team in 360° rounds (issue 18, S7): the rounds that assessed any of their
reports (a picker, newest first), and for a closed round each report's profile (the
overall level per competency against its target, the gaps) with the team's gaps as a
chart and its figures. An open round says when its results are published; no round
says what happens next. Reads only projections.assessment_queries (its access and
anonymity rules).

    /team/assessments[?round=]
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.reads import _services
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.api.pages.rounds import _gaps_chart
from projections.assessment_queries import RoundSummary, TeamProfiles


def _chosen(rounds: list[RoundSummary], asked: str) -> RoundSummary | None:
    """The round asked for, else the latest closed one, else the latest."""
    for r in rounds:
        if r.round_id == asked:
            return r
    closed = [r for r in rounds if r.status == "closed"]
    return closed[0] if closed else (rounds[0] if rounds else None)


@router.get("/team/assessments", response_class=HTMLResponse)
def team_assessments(request: Request, round: str = "") -> Response:
    caller = _caller(request)
    queries = _services(request).assessment_queries
    lang = _lang(request)
    _ = _gettext(request)
    title = _("Share of the team below the target level (%)")
    rounds = queries.team_rounds(caller, caller.person_id)
    chosen = _chosen(rounds, round)
    team: TeamProfiles | None = None
    if chosen is not None and chosen.status == "closed":
        team = queries.team(caller, chosen.round_id, caller.person_id)
    context: dict[str, Any] = {
        "rounds": rounds,
        "chosen": chosen,
        "team": team,
        "competencies": team.profiles[0].competencies if team and team.profiles else [],
        "gaps_chart": _gaps_chart(lang, team.gaps, title) if team else None,
        "chart_title": title,
    }
    return _render(request, "rounds/team.html", context, caller)
