"""The employee's page (potential, distance to the next role, the week and its plan form,
expected pay, plan progress, applications, inbox), the rep's weekly plan and one's own
profile language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError, PermissionDeniedError
from aggregates.cycle_settings import COUNT_ITEMS
from careerflow.api import i18n
from careerflow.api.errors import LANG_COOKIE
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.person_charts import person_charts, potential_parts
from careerflow.api.pages.reads import _context, _optional, _services, _until
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.api.pages.views import _WEEK, _chart, _short, _week
from careerflow.principal import AccessRole, Principal
from projections.people import profile_locale
from projections.person_charts import PersonCharts
from words.messages import Message


# -- the employee ----------------------------------------------------------------------
@router.get("/employee", response_class=HTMLResponse)
def my_page(request: Request) -> Response:
    caller = _caller(request)
    return _employee_page(request, caller, caller.person_id)


@router.get("/employee/{employee_id}", response_class=HTMLResponse)
def employee_page(request: Request, employee_id: str) -> Response:
    return _employee_page(request, _caller(request), employee_id)


def _plan_form(rep_week: Any, caller: Principal, own: bool, now: datetime) -> Any:
    """The week's plan, while the week takes one from this rep: their own page, the plan
    not defaulted, the week not reported, the deadline ahead. Prefilled with the plan so
    far, else the targets."""
    if rep_week is None or not own or caller.role != AccessRole.employee:
        return None
    if rep_week.plan_source == "defaulted" or rep_week.reported:
        return None
    if now >= rep_week.deadlines.plan_deadline:
        return None
    return [
        {
            "item": line.item,
            "label": line.label,
            "target": line.target,
            "value": line.planned if line.planned is not None else (line.target or 0),
            "whole": line.item in COUNT_ITEMS,
        }
        for line in rep_week.lines
    ]


def _employee_page(request: Request, caller: Principal, employee_id: str) -> Response:
    s = _services(request)
    lang = _lang(request)
    _ = _gettext(request)
    person = s.queries.employee(caller, employee_id)  # 404 for people one may not see
    readiness = _optional(lambda: s.queries.readiness(caller, employee_id))
    week = _week(s, request)
    rep_week = _optional(lambda: s.cycle_queries.rep_week(caller, employee_id, week))
    plans = s.plan_queries.plans_of(caller, employee_id)
    mine = s.promotion_queries.of_employee(caller, employee_id)  # newest first
    applications = [
        s.promotion_queries.application(caller, a["application_id"], lang) for a in mine
    ]
    own = caller.person_id == employee_id
    inbox = s.notifications.inbox(caller, employee_id, limit=20) if own else None

    charts: dict[str, Any] = {}
    if readiness is not None:
        parts = potential_parts(lang, readiness["potential"], _)
        if parts is not None:
            charts["parts"] = parts
        indicators = readiness["potential"].get("indicators", {})
        names = list(indicators)
        ranks = readiness["indicator_ranks"]
        charts["indicators"] = _chart(
            lang,
            [_short(i18n.unmarked(i18n.label(indicators[n].get("label"), lang))) for n in names],
            [{"label": _("score (0–10)"), "data": [indicators[n]["score"] for n in names]}],
            notes=[
                _("rank %(rank)s of %(size)s")
                % {"rank": ranks.get(n, "–"), "size": readiness["team_size"]}
                for n in names
            ],
            max=10,
            horizontal=True,
            height=60 + 24 * len(names),
        )
    if rep_week is not None and rep_week.lines:
        # Items differ in scale (amounts, counts): each is drawn as a share of its plan.
        lines = rep_week.lines
        goals = [line.planned if line.planned is not None else line.target for line in lines]
        charts["week"] = _chart(
            lang,
            [_short(i18n.unmarked(i18n.label(line.label, lang))) for line in lines],
            [
                {
                    "label": _("actual (percent of plan)"),
                    "data": [
                        round(100 * line.actual / goal, 1) if goal else None
                        for line, goal in zip(lines, goals, strict=True)
                    ],
                },
                {
                    "label": _("plan (100 percent)"),
                    "data": [100 for _line in lines],
                    "type": "line",
                    "color": "#dc2626",
                },
            ],
            notes=[
                _("%(actual)s of %(goal)s")
                % {"actual": i18n.number(line.actual, lang), "goal": i18n.number(goal, lang)}
                for line, goal in zip(lines, goals, strict=True)
            ],
        )
    charts.update(person_charts(PersonCharts(s.read_pool), caller, employee_id, lang, _))
    return _render(
        request,
        "employee.html",
        {
            "person": person,
            "own": own,
            "readiness": readiness,
            "week": week,
            "rep_week": rep_week,
            "plan_form": _plan_form(rep_week, caller, own, datetime.now(UTC)),
            "planned": request.query_params.get("planned") == "1",
            "language_saved": request.query_params.get("language") == "saved",
            "plans": plans,
            "applications": applications,
            "inbox": inbox,
            "charts": charts,
        },
        caller,
    )


@router.post("/employee/plan")
async def submit_plan(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    week: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    """The rep's plan for the week, through the weekly-cycle workflow (its validator
    refuses a late, defaulted or insane plan with the reason; nothing is recorded).
    Sent from the week page (`back=week`), the answer is that page again."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    _ = await run_in_threadpool(_gettext, request)
    if caller.role != AccessRole.employee:
        raise PermissionDeniedError(
            Message.verbatim(  # already in the page's language
                _("Only reps submit a weekly plan, each their own.")
            )
        )
    if not _WEEK.match(week):
        raise DomainError(
            Message.verbatim(  # already in the page's language
                _("week: expected an ISO week like 2026-W48, got %(week)s") % {"week": week}
            )
        )
    form = await request.form()
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
    ctx = _context(request)
    s = ctx.services
    before = await run_in_threadpool(
        _optional, lambda: s.cycle_queries.rep_week(caller, caller.person_id, week)
    )
    revisions = before.plan_revisions if before is not None else 0
    cycles = await ctx.cycles()
    await cycles.submit_plan(caller, caller.person_id, week, items)

    def recorded() -> bool:
        now = _optional(lambda: s.cycle_queries.rep_week(caller, caller.person_id, week))
        return now is not None and now.plan_revisions > revisions

    await _until(recorded)
    if back == "week":
        return RedirectResponse(f"/week?week={week}&planned=1#plan", status_code=303)
    return RedirectResponse(f"/employee?week={week}&planned=1#week", status_code=303)


@router.post("/employee/language")
async def save_language(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
) -> Response:
    """One's own profile language. This browser's switch is cleared, so the pages follow
    the profile from now on (as every device where the person never switched does)."""
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    s = _services(request)
    await run_in_threadpool(s.people.set_language, caller, caller.person_id, language)

    def shown() -> bool:
        with s.read_pool.connection() as conn:
            return profile_locale(conn, caller.person_id) == language

    await _until(shown)
    response = RedirectResponse("/employee?language=saved#language", status_code=303)
    response.delete_cookie(LANG_COOKIE, path="/")
    return response
