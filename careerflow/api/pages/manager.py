"""The manager's team board: the week's plans and who lags, approvals on an SLA clock,
the candidate pool and plans at risk."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.reads import (
    _metric_labels,
    _optional,
    _process,
    _services,
    _week_opens,
)
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.api.pages.views import _chart, _sla, _week
from careerflow.principal import AccessRole
from words.messages import Message


# -- the manager -----------------------------------------------------------------------
@router.get("/manager", response_class=HTMLResponse)
def manager_page(request: Request) -> Response:
    caller = _caller(request)
    caller.require(AccessRole.manager, action=Message("open the manager's dashboard"))
    s = _services(request)
    lang = _lang(request)
    _ = _gettext(request)
    week = _week(s, request)
    now = datetime.now(UTC)
    process = _process(s)
    board = _optional(lambda: s.cycle_queries.team_board(caller, caller.person_id, week))
    waiting = s.promotion_queries.applications(caller, "manager_review")
    approvals = [
        {**a, "sla": _sla(a, process, now)} for a in waiting if a["manager_id"] == caller.person_id
    ]
    elsewhere = [
        {**a, "sla": _sla(a, process, now)}
        for a in waiting
        if a["manager_id"] != caller.person_id and a["employee_id"] != caller.person_id
    ]
    pool = s.queries.candidate_pool(caller)
    plans = s.plan_queries.team(caller)
    at_risk = [p for p in plans if not p["closed"] and p["overall"] in ("at_risk", "overdue")]
    charts: dict[str, Any] = {}
    lagging: list[Any] = []
    if board is not None:
        lagging = [r for r in board.rows if r.lagging or (r.has_cycle and not r.planned)]
        scored = [r for r in board.rows if r.total]
        if scored:
            charts["board"] = _chart(
                lang,
                [r.name or r.employee_id for r in scored],
                [
                    {"label": _("plan items met"), "data": [r.met or 0 for r in scored]},
                    {
                        "label": _("behind"),
                        "data": [(r.total or 0) - (r.met or 0) for r in scored],
                        "color": "#dc2626",
                    },
                ],
                stacked=True,
                integer=True,
                data_labels=True,  # the reps' names
            )
    return _render(
        request,
        "manager.html",
        {
            "week": week,
            "board": board,
            "approvals": approvals,
            "elsewhere": elsewhere,
            "lagging": lagging,
            "pool": pool,
            "plans": plans,
            "at_risk": at_risk,
            # Empty states say when cycles open, not that nobody is behind.
            "opens_at": _week_opens(s, week),
            "any_cycle": board is not None and any(r.has_cycle for r in board.rows),
            "now": now,
            "process": process,
            "metrics": _metric_labels(s),
            "inbox": s.notifications.inbox(caller, caller.person_id, limit=10),
            "charts": charts,
        },
        caller,
    )
