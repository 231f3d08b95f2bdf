"""One development plan: its milestones (status, due month, progress, suggestion) and a
timeline chart of them in plan months, for the plan's employee, their manager chain, HR
and auditors; the plan's manager and HR steer it there (confirm, move, add, drop: the
forms' context comes from team_plans.plan_forms, every step through PlanProcessService,
the API's path)."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.plan_template import Milestone, add_months
from careerflow.api import i18n
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _context, _optional, _process, _services
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.api.pages.team_plans import DONE, STEPS, _until_plan, plan_forms
from careerflow.engine import Engine
from careerflow.principal import Principal
from careerflow.validation import error_message, field_of
from words.messages import Message, role_word

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


def plan_view(
    request: Request,
    caller: Principal,
    plan_id: str,
    done: str = "",
    error: tuple[str, str, dict[str, str]] | None = None,
) -> Response:
    """The plan page; with `error` (the form, the refusal said, the values sent) it
    answers 422 with that form's values kept."""
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
            **plan_forms(plan, caller, lang),
            "done": done if done in DONE else None,
            "error": error[1] if error else None,
            "error_form": error[0] if error else None,
            "values": error[2] if error else {},
        },
        caller,
        status=422 if error else 200,
    )


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, plan_id: str, done: str = "") -> Response:
    return plan_view(request, _caller(request), plan_id, done)


# -- the manager's and HR's steps (the forms: team_plans.plan_forms) ----------------------
def _refused(
    request: Request,
    caller: Principal,
    plan_id: str,
    step: str,
    said: str,
    values: dict[str, str],
) -> Response:
    return plan_view(request, caller, plan_id, error=(step, said, values))


def _said(s: Engine, caller: Principal, plan_id: str, exc: DomainError, lang: str) -> str:
    """The refusal in the page's language, a milestone named by its label and a role by
    its word rather than by their ids."""
    params = dict(exc.message.params)
    milestone_id = params.get("milestone_id")
    if isinstance(milestone_id, str):
        try:
            found = _milestone(s.plan_queries.plan(caller, plan_id), milestone_id)
        except NotFoundError:
            found = None
        if found is not None:
            params["milestone_id"] = found["label"]
    if isinstance(params.get("role"), str):
        params["role"] = role_word(params["role"])
    return i18n.say(Message(exc.message.template, **params), lang)


def _milestone(plan: dict[str, Any], milestone_id: str) -> dict[str, Any] | None:
    return next((m for m in plan["milestones"] if m["id"] == milestone_id), None)


def _new_milestone(
    command_id: str, label_en: str, label_zh: str, start: str, due: str
) -> Milestone:
    """The form's fields as a milestone confirmed by hand (its name in both languages is
    also the reminder's line)."""
    suffix = "".join(c for c in command_id if c.isalnum())[:8].lower() or "new"
    label = {"en": label_en.strip(), "zh": label_zh.strip()}
    return Milestone.model_validate(
        {
            "id": f"added_{suffix}",
            "label": label,
            "start_month": start,
            "due_month": due,
            "kind": "confirmed",
            "reminder": label,
        }
    )


def _milestone_problem(
    label_en: str, label_zh: str, start: str, due: str, _: Callable[[str], str]
) -> str | None:
    """What is missing from the add form, in the page's language (None: nothing)."""
    if not label_en.strip() or not label_zh.strip():
        return _("Give the milestone's name in English and in Chinese.")
    if not start.strip().isdigit() or not due.strip().isdigit():
        return _("Choose the milestone's first month and its due month.")
    if int(due) < int(start):
        return _("The due month can't be before the first month.")
    return None


def _invalid(exc: ValidationError, lang: str) -> str:
    return "; ".join(f"{field_of(e)}: {i18n.say(error_message(e), lang)}" for e in exc.errors())


@router.post("/plans/{plan_id}/{step}")
async def steer(
    request: Request,
    plan_id: str,
    step: str,
    csrf: Annotated[str, Form()] = "",
    command_id: Annotated[str, Form()] = "",
    milestone_id: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    due_month: Annotated[str, Form()] = "",
    start_month: Annotated[str, Form()] = "",
    label_en: Annotated[str, Form()] = "",
    label_zh: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    lang = _lang(request)
    if step not in STEPS:
        _ = await run_in_threadpool(_gettext, request)
        raise NotFoundError(Message.verbatim(_("No such step on a development plan.")))
    values = {
        "milestone_id": milestone_id,
        "comment": comment,
        "due_month": due_month,
        "start_month": start_month,
        "label_en": label_en,
        "label_zh": label_zh,
        "reason": reason,
    }
    ctx = _context(request)
    s = ctx.services
    flow = await ctx.plans()
    ready: Callable[[Any], bool]
    try:
        if step == "confirm":
            await flow.confirm(caller, plan_id, milestone_id, comment.strip(), command_id or None)
            ready = lambda p: milestone_id in (p.get("confirmed") or {})  # noqa: E731
        elif step == "drop":
            await flow.adjust(
                caller,
                plan_id,
                "drop",
                reason.strip(),
                milestone_id=milestone_id,
                command_id=command_id or None,
            )
            ready = lambda p: _milestone(p, milestone_id) is None  # noqa: E731
        elif step == "move":
            month = int(due_month) if due_month.strip().isdigit() else None
            await flow.adjust(
                caller,
                plan_id,
                "move",
                reason.strip(),
                milestone_id=milestone_id,
                due_month=month,
                command_id=command_id or None,
            )
            ready = lambda p: (_milestone(p, milestone_id) or {}).get("due_month") == month  # noqa: E731
        else:
            _ = await run_in_threadpool(_gettext, request)
            problem = _milestone_problem(label_en, label_zh, start_month, due_month, _)
            if problem is None:
                try:
                    milestone = _new_milestone(
                        command_id, label_en, label_zh, start_month, due_month
                    )
                except ValidationError as exc:
                    problem = _invalid(exc, lang)
            if problem is not None:
                return await run_in_threadpool(
                    _refused, request, caller, plan_id, step, problem, values
                )
            await flow.adjust(
                caller,
                plan_id,
                "add",
                reason.strip(),
                milestone=milestone,
                command_id=command_id or None,
            )
            ready = lambda p: _milestone(p, milestone.id) is not None  # noqa: E731
    except DomainError as exc:
        if isinstance(exc, (NotFoundError, PermissionDeniedError)):
            raise
        said = await run_in_threadpool(_said, s, caller, plan_id, exc, lang)
        return await run_in_threadpool(_refused, request, caller, plan_id, step, said, values)
    await _until_plan(s, caller, plan_id, ready)
    return RedirectResponse(f"/plans/{plan_id}?done={step}#steer", status_code=303)
