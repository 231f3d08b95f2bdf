"""The rep's week and pay: `/week?week=` (plan against actuals, the plan form while the
week takes one, previous/next week, the paged list of the rep's weeks) and `/pay?month=`
(a closed month's statement with its derivation, the list of closed months). Managers,
HR and auditors open a person's at `/week/{employee_id}` and `/pay/{employee_id}` (pay
figures redacted for viewers who may not see them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from aggregates.calendar_periods import meant_week
from aggregates.cycle_settings import WeeklyCycleSettings
from careerflow.api.pages.employee import _plan_form
from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.reads import _document, _optional, _services
from careerflow.api.pages.rendering import _gettext, _render
from careerflow.api.pages.views import _WEEK
from careerflow.engine import Engine
from careerflow.principal import Principal

PAGE = 8  # weeks per page of the history list


def _settings(services: Engine) -> WeeklyCycleSettings:
    doc = _document(services, "weekly_cycle")
    return WeeklyCycleSettings.model_validate(doc) if doc else WeeklyCycleSettings()


def _shift(week: str, weeks: int) -> str:
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1) + timedelta(weeks=weeks)
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


# -- the week ----------------------------------------------------------------------------
@router.get("/week", response_class=HTMLResponse)
def my_week(request: Request) -> Response:
    caller = _caller(request)
    return _week_page(request, caller, caller.person_id)


@router.get("/week/{employee_id}", response_class=HTMLResponse)
def week_of(request: Request, employee_id: str) -> Response:
    return _week_page(request, _caller(request), employee_id)


def _week_page(request: Request, caller: Principal, employee_id: str) -> Response:
    s = _services(request)
    _ = _gettext(request)
    settings = _settings(s)
    now = datetime.now(UTC)
    asked = request.query_params.get("week", "").strip()
    hint: str | None = None
    status = 200
    week = settings.week_of(now)
    if asked and _WEEK.match(asked):
        week = asked
    elif asked:
        status = 422
        meant = meant_week(asked)
        hint = (
            _("“%(asked)s” is not a week: use %(week)s.") % {"asked": asked, "week": meant}
            if meant
            else _("“%(asked)s” is not a week: write it like 2026-W48.") % {"asked": asked}
        )
        if meant:
            week = meant
    person = s.queries.employee(caller, employee_id)  # 404 for people one may not see
    rep_week = _optional(lambda: s.cycle_queries.rep_week(caller, employee_id, week))
    cursor = request.query_params.get("cursor") or None
    if cursor is not None and not _WEEK.match(cursor):
        cursor = None
    history = s.cycle_queries.weeks_of(caller, employee_id, PAGE, cursor)
    own = caller.person_id == employee_id
    opens = settings.at(week, settings.week_starts)
    base = "/week" if own else f"/week/{employee_id}"
    return _render(
        request,
        "week/week.html",
        {
            "person": person,
            "own": own,
            "week": week,
            "base": base,
            "previous": _shift(week, -1),
            "next": _shift(week, 1),
            "hint": hint,
            "hint_week": meant_week(asked) if hint else None,
            "rep_week": rep_week,
            "plan_form": _plan_form(rep_week, caller, own, now),
            "planned": request.query_params.get("planned") == "1",
            "opens": opens,
            "opens_ahead": opens > now,
            "opens_time": f"{settings.week_starts.hour:02d}:{settings.week_starts.minute:02d}",
            "history": history,
            "cursor": cursor,
        },
        caller,
        status,
    )


# -- the pay statement -------------------------------------------------------------------
@router.get("/pay", response_class=HTMLResponse)
def my_pay(request: Request) -> Response:
    caller = _caller(request)
    return _pay_page(request, caller, caller.person_id)


@router.get("/pay/{employee_id}", response_class=HTMLResponse)
def pay_of(request: Request, employee_id: str) -> Response:
    return _pay_page(request, _caller(request), employee_id)


def _pay_page(request: Request, caller: Principal, employee_id: str) -> Response:
    s = _services(request)
    settings = _settings(s)
    person = s.queries.employee(caller, employee_id)  # 404 for people one may not see
    months = s.cycle_queries.months_of(caller, employee_id)
    asked = request.query_params.get("month", "").strip()
    month = asked or (months[0].month if months else None)
    statement: Any = None
    if month:
        # A month not closed yet shows as such; a malformed month is refused (422).
        statement = _optional(lambda: s.cycle_queries.bonus_statement(caller, employee_id, month))
    names = (
        s.cycle_queries.training_names(statement.training_rules_version)
        if statement is not None
        else None
    )
    own = caller.person_id == employee_id
    return _render(
        request,
        "week/pay.html",
        {
            "person": person,
            "own": own,
            "base": "/pay" if own else f"/pay/{employee_id}",
            "week_base": "/week" if own else f"/week/{employee_id}",
            "month": month,
            "months": months,
            "statement": statement,
            "names": names,
            "close_day": settings.month_close_day,
            "close_time": f"{settings.month_close_hour:02d}:00",
        },
        caller,
    )
