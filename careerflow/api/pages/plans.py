"""One development plan: its milestones (status, due month, progress, suggestion) and a
timeline chart of them in plan months, for the plan's employee, their manager chain, HR
and auditors."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from aggregates.plan_template import add_months
from careerflow.api import i18n
from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.reads import _optional, _process, _services
from careerflow.api.pages.rendering import _gettext, _lang, _render

# Bar colours by milestone status (red only for behind or overdue).
COLOURS = {"done": "#16a34a", "behind": "#dc2626", "overdue": "#dc2626"}
PLAIN = "#2563eb"


def _narrow(text: str, width: int = 16) -> str:
    """A chart label that fits a phone's axis: Chinese characters count twice."""
    used = 0
    for i, char in enumerate(text):
        used += 2 if ord(char) >= 0x2E80 else 1
        if used > width:
            return text[:i].rstrip() + "…"
    return text


def _month_position(effective: date, today: date) -> float:
    """Where today falls on the plan's month axis (0 = the plan's first day)."""
    months = (today.year - effective.year) * 12 + today.month - effective.month
    days = calendar.monthrange(today.year, today.month)[1]
    return months + (today.day - 1) / days


def _rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The milestones in plan order, each with its live progress when evaluated."""
    progress = {m["id"]: m for m in ((plan.get("progress") or {}).get("milestones") or [])}
    effective: date = plan["effective_date"]
    rows = []
    for m in sorted(plan["milestones"], key=lambda m: (m["start_month"], m["due_month"])):
        live = progress.get(m["id"], {})
        rows.append(
            {
                "id": m["id"],
                "label": m["label"],
                "start_month": m["start_month"],
                "due_month": m["due_month"],
                "start": add_months(effective, m["start_month"] - 1).isoformat()[:7],
                "due": add_months(effective, m["due_month"] - 1).isoformat()[:7],
                "status": live.get("status"),
                "text": live.get("text"),
                "suggestion": live.get("suggestion"),
                "confirmed": m["id"] in (plan.get("confirmed") or {}),
            }
        )
    return rows


def timeline_spec(plan: dict[str, Any], rows: list[dict[str, Any]], lang: str, today: date) -> Any:
    """The chart for static/dashboard.js's `timeline` kind: a floating bar per milestone
    from its first to its due plan month, month ticks made here, and today's line."""
    _ = i18n.gettext_for(lang)
    effective: date = plan["effective_date"]
    months = max([int(plan["months"])] + [r["due_month"] for r in rows])
    ticks = [
        i18n.month_text(add_months(effective, k).isoformat()[:7], lang) for k in range(months + 1)
    ]
    now = _month_position(effective, today)
    return {
        "kind": "timeline",
        "locale": i18n.HTML_LANG[lang],
        "labels": [_narrow(i18n.label(r["label"], lang)) for r in rows],
        "datasets": [
            {
                "label": _("Milestone months"),
                "data": [[r["start_month"] - 1, r["due_month"]] for r in rows],
                "colors": [COLOURS.get(r["status"], PLAIN) for r in rows],
            }
        ],
        "notes": [
            i18n.term(r["status"], _) if r["status"] else _("not evaluated yet") for r in rows
        ],
        "min": 0,
        "max": months,
        "ticks": ticks,
        "today": round(now, 2) if 0 <= now <= months else None,
        "today_label": _("today"),
        "height": 80 + 36 * len(rows),
    }


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, plan_id: str) -> Response:
    caller = _caller(request)
    s = _services(request)
    lang = _lang(request)
    _gettext(request)
    plan = s.plan_queries.plan(caller, plan_id)  # 404 for a plan one may not see
    person = _optional(lambda: s.queries.employee(caller, plan["employee_id"]))
    zone = ZoneInfo(_process(s).time_zone)
    today = datetime.now(UTC).astimezone(zone).date()
    rows = _rows(plan)
    return _render(
        request,
        "plans/plan.html",
        {
            "plan": plan,
            "person": person,
            "rows": rows,
            "chart": timeline_spec(plan, rows, lang, today) if rows else None,
            "today": today,
        },
        caller,
    )
