"""The manager's week (issue 18, S6): the team's board for any week with previous/next
links, totals and a chart (and its figures); per rep, the weekend feedback and agreeing
next week's plan. Reads come from the cycle read model (CycleQueries); the feedback goes
through CycleProcessService.give_feedback, the API's and the CLI's call, which checks who
may give it and the week's window (the workflow's validator says why not).

    /team/week?week=                 the team's board for a week (default: this week)
    /team/week/{employee_id}?week=   one rep's week and the feedback form
    POST /team/week/{employee_id}    feedback (and next week's plan, when agreed)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError, NotFoundError
from aggregates.calendar_periods import meant_week
from aggregates.cycle_settings import COUNT_ITEMS
from careerflow.api import i18n
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import (
    _context,
    _cycle_settings,
    _metric_labels,
    _optional,
    _services,
    _until,
    _week_opens,
)
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.api.pages.team_alerts import ALERT_KINDS
from careerflow.api.pages.team_pick import picker, team_manager
from careerflow.api.pages.views import _WEEK, _chart
from careerflow.api.pages.weeks import shift_week
from careerflow.principal import AccessRole, Principal
from projections.notifications import inbox_page
from words.messages import Message

DONE = ("feedback",)


def _asked_week(request: Request) -> tuple[str, str | None, str | None]:
    """The week asked for (default: this week in the company's zone), and for a week
    typed wrong the hint in the page's language and the week it probably meant."""
    s = _services(request)
    settings = _cycle_settings(s)
    asked = request.query_params.get("week", "").strip()
    if not asked or _WEEK.match(asked):
        return asked or settings.week_of(datetime.now(UTC)), None, None
    _ = _gettext(request)
    meant = meant_week(asked)
    if meant:
        hint = _("“%(asked)s” is not a week: use %(week)s.") % {"asked": asked, "week": meant}
        return meant, hint, meant
    hint = _("“%(asked)s” is not a week: write it like 2026-W48.") % {"asked": asked}
    return settings.week_of(datetime.now(UTC)), hint, None


def _require_manager(caller: Principal) -> None:
    caller.require(AccessRole.manager, action=Message("open the team's weekly board"))


def _opening(request: Request, week: str) -> dict[str, Any]:
    """What the empty states say: when the week's cycles open (ahead) or opened."""
    s = _services(request)
    settings = _cycle_settings(s)
    opens = _week_opens(s, week)
    return {
        "opens": opens,
        "opens_ahead": opens is not None and opens > datetime.now(UTC),
        "opens_time": f"{settings.week_starts.hour:02d}:{settings.week_starts.minute:02d}",
    }


# -- the team's board --------------------------------------------------------------------
@router.get("/team/week", response_class=HTMLResponse)
def team_week(request: Request, done: str = "", rep: str = "", manager: str = "") -> Response:
    caller = _caller(request)
    # A manager their own team; HR and auditors any manager's (picked); others 403.
    manager_id = team_manager(caller, manager)
    s = _services(request)
    lang = _lang(request)
    _ = _gettext(request)
    week, hint, hint_week = _asked_week(request)
    picking = picker(request, caller, manager_id)
    if not manager_id:  # HR or an auditor who has not picked a manager yet
        context = {
            "week": week,
            "board": None,
            "hint": hint,
            "hint_week": hint_week,
            "manager_query": "",
            **picking,
        }
        return _render(request, "team_week/board.html", context, caller, 422 if hint else 200)
    board = s.cycle_queries.team_board(caller, manager_id, week)
    any_cycle = any(r.has_cycle for r in board.rows)
    scored = [r for r in board.rows if r.total]
    chart: dict[str, Any] | None = None
    if scored:
        chart = _chart(
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
    names = {r.employee_id: r.name or r.employee_id for r in board.rows}
    own = manager_id == caller.person_id
    with s.read_pool.connection() as conn:
        unread = inbox_page(conn, caller.person_id, unread_only=True, limit=1, kinds=ALERT_KINDS)
    return _render(
        request,
        "team_week/board.html",
        {
            "week": week,
            "previous": shift_week(week, -1),
            "next": shift_week(week, 1),
            "hint": hint,
            "hint_week": hint_week,
            "board": board,
            "totals": board.totals,
            "any_cycle": any_cycle,
            "board_chart": chart,
            "metrics": _metric_labels(s),
            "done": done if done in DONE and rep in names else None,
            "done_name": names.get(rep),
            "unread_alerts": unread.total if own else 0,
            "own": own,
            "manager_query": "" if own else f"&manager={quote(manager_id)}",
            **picking,
            **_opening(request, week),
        },
        caller,
        status=422 if hint else 200,
    )


# -- one rep's week and the feedback form -----------------------------------------------
def _next_plan_fields(rep_week: Any, values: dict[str, str] | None) -> list[dict[str, Any]]:
    """Next week's plan, prefilled with this week's plan (else the targets)."""
    fields = []
    for line in rep_week.lines:
        value = line.planned if line.planned is not None else (line.target or 0)
        whole = line.item in COUNT_ITEMS
        shown = str(int(value)) if whole or value == int(value) else str(value)
        if values is not None and f"item.{line.item}" in values:
            shown = values[f"item.{line.item}"]
        fields.append(
            {
                "item": line.item,
                "label": line.label,
                "target": line.target,
                "value": shown,
                "whole": whole,
            }
        )
    return fields


def _rep_page(
    request: Request,
    caller: Principal,
    employee_id: str,
    week: str,
    done: str = "",
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    s = _services(request)
    person = s.queries.employee(caller, employee_id)  # 404 for people one may not see
    rep_week = _optional(lambda: s.cycle_queries.rep_week(caller, employee_id, week))
    now = datetime.now(UTC)
    state = "none"
    if rep_week is not None:
        if rep_week.feedback.status == "given":
            state = "given"
        elif rep_week.feedback.status == "missed" or now >= rep_week.deadlines.feedback_deadline:
            state = "closed"
        elif not rep_week.reported:
            state = "not_reported"
        elif rep_week.manager_id != caller.person_id:
            state = "not_manager"
        else:
            state = "open"
    show_form = rep_week is not None and (state == "open" or error is not None)
    agreed = [
        {"item": item, "value": value, "label": _line_label(rep_week, item)}
        for item, value in ((rep_week.feedback.next_plan or {}).items() if rep_week else [])
    ]
    return _render(
        request,
        "team_week/rep.html",
        {
            "person": person,
            "week": week,
            "previous": shift_week(week, -1),
            "next": shift_week(week, 1),
            "rep_week": rep_week,
            "state": state,
            "show_form": show_form,
            "fields": _next_plan_fields(rep_week, values) if show_form else [],
            "agreed": agreed,
            "metrics": _metric_labels(s),
            "done": done if done in DONE else None,
            "error": error,
            "values": values or {},
            **_opening(request, week),
        },
        caller,
        status=422 if error is not None else 200,
    )


def _line_label(rep_week: Any, item: str) -> Any:
    for line in rep_week.lines:
        if line.item == item:
            return line.label
    return None


@router.get("/team/week/{employee_id}", response_class=HTMLResponse)
def rep_week_page(request: Request, employee_id: str, done: str = "") -> Response:
    caller = _caller(request)
    _require_manager(caller)
    week, _hint, _meant = _asked_week(request)
    return _rep_page(request, caller, employee_id, week, done)


def _next_plan(form: Any, _: Any) -> dict[str, float]:
    """Next week's plan from the form's `item.<name>` fields (a refusal says which)."""
    items: dict[str, float] = {}
    for key, value in form.multi_items():
        if not key.startswith("item."):
            continue
        text = str(value).strip().replace(",", "").replace("，", "")
        try:
            items[key.removeprefix("item.")] = float(text)
        except ValueError:
            raise DomainError(
                Message.verbatim(  # already in the page's language
                    _("%(item)s: “%(value)s” is not a number") % {"item": key[5:], "value": text}
                )
            ) from None
    return items


@router.post("/team/week/{employee_id}")
async def give_feedback(
    request: Request,
    employee_id: str,
    csrf: Annotated[str, Form()] = "",
    command_id: Annotated[str, Form()] = "",
    week: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    agree: Annotated[str, Form()] = "",
) -> Response:
    """The manager's weekend feedback, and next week's plan when "agree" is ticked,
    through the service's give_feedback (the API's call). A refusal is said on the same
    form (422); an unknown rep or week is the error page."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    _require_manager(caller)
    _ = await run_in_threadpool(_gettext, request)
    if not _WEEK.match(week):
        raise DomainError(
            Message.verbatim(  # already in the page's language
                _("week: expected an ISO week like 2026-W48, got %(week)s") % {"week": week}
            )
        )
    form = await request.form()
    values = {k: str(v) for k, v in form.multi_items() if k.startswith("item.")}
    values["text"] = text
    values["agree"] = agree
    ctx = _context(request)
    s = ctx.services
    try:
        next_plan = _next_plan(form, _) if agree == "1" else None
        flow = await ctx.cycles()
        await flow.give_feedback(
            caller, employee_id, week, text, next_plan, command_id.strip() or None
        )
    except DomainError as exc:
        if isinstance(exc, NotFoundError):
            raise
        said = i18n.say(exc, _lang(request))
        return await run_in_threadpool(
            _rep_page, request, caller, employee_id, week, "", said, values
        )

    def recorded() -> bool:
        now = _optional(lambda: s.cycle_queries.rep_week(caller, employee_id, week))
        return now is not None and now.feedback.status == "given"

    await _until(recorded)
    return RedirectResponse(
        f"/team/week/{employee_id}?week={week}&done=feedback#feedback", status_code=303
    )
