"""360° assessment rounds for HR (issue 18, S11): the rounds (paged, newest first), the
form that starts one (title, a team and/or employee ids, the deadline in the company's
time zone, which groups rate anonymously) and a round's page: progress (anonymous groups
as counts only, each person's done and outstanding), the gaps once it has closed ("65%
have a resource coordination gap", a chart and its figures) and the exports. Auditors
read the same pages without the form.

Reads come from projections.assessment_rounds; a round starts through
AssessmentProcessService.start_round, the API's path (POST /api/v1/assessments/rounds),
which decides every refusal; the page says it in its language, on the same form (422).

    /hr/assessments[?cursor=&format=csv|xlsx]        the rounds and the start form
    POST /hr/assessments                             start a round
    /hr/assessments/{round}[?cursor=&limit=]          progress (50 people a page), gaps
    /hr/assessments/{round}?format=csv|xlsx[&table=gaps]  exports (every person)
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from activities.assessments import ANONYMOUS_DEFAULT, RoundRequest
from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.competency import CompetencyGap
from careerflow import exports
from careerflow.api import i18n
from careerflow.api.i18n import N_, Gettext
from careerflow.api.pages.downloads import Format, _download
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.people import Limit
from careerflow.api.pages.reads import _context, _services, _until
from careerflow.api.pages.rendering import _gettext, _lang, _link, _render, _time_zone
from careerflow.api.pages.views import _chart
from careerflow.principal import AccessRole, Principal
from careerflow.services.assessment_process import AssessmentProcessService
from projections.assessment_rounds import RoundProgress, RoundProgressView
from projections.paging import every

GROUP_WORDS = {
    "self": N_("self"),
    "manager": N_("manager"),
    "peers": N_("peers"),
    "reports": N_("direct reports"),
}
ANONYMOUS_CHOICES = ("peers", "reports")
_SPLIT = re.compile(r"[\s,;，；、]+")
BELOW_COLOUR = "#dc2626"
PEOPLE_PAGE = 50
"""People on a round's page (its progress table), the API's default page."""


async def _process(request: Request) -> AssessmentProcessService:
    ctx = _context(request)
    return ctx.services.assessment_process(await ctx.client(), ctx.task_queue)


def group_word(group: str, _: Gettext) -> str:
    return _(GROUP_WORDS[group]) if group in GROUP_WORDS else i18n.words(group)


def _local(value: datetime | None, zone: str) -> str:
    """A moment in the company's zone as ISO-8601 (exports)."""
    moment = i18n.local_time(value, zone)
    return moment.isoformat(timespec="minutes") if moment else ""


# -- the rounds and the start form -------------------------------------------------------
def _default_deadline(zone: str) -> str:
    """A week from today, 18:00 in the company's zone (the form's suggestion)."""
    today = datetime.now(ZoneInfo(zone)).date() + timedelta(days=7)
    return datetime.combine(today, time(18, 0)).strftime("%Y-%m-%dT%H:%M")


def _default_values(zone: str) -> dict[str, Any]:
    now = datetime.now(ZoneInfo(zone))
    return {
        "round_id": f"{now:%Y-%m-%d}-360",
        "title": "",
        "team_id": "",
        "employee_ids": "",
        "deadline": _default_deadline(zone),
        "anonymous": list(ANONYMOUS_DEFAULT),
    }


def _list(
    request: Request,
    caller: Principal,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    s = _services(request)
    cursor = request.query_params.get("cursor", "") if request.method == "GET" else ""
    found = s.assessment_queries.rounds_page(caller, cursor=cursor or None)
    can_start = caller.role == AccessRole.hr
    zone = _time_zone(request)
    context: dict[str, Any] = {
        "found": found,
        "can_start": can_start,
        "teams": s.people_queries.choices(caller).teams if can_start else [],
        "values": _default_values(zone),
        "anonymous_choices": [(g, group_word(g, _gettext(request))) for g in ANONYMOUS_CHOICES],
        "done": request.query_params.get("done", "") if request.method == "GET" else "",
        "first_url": "/hr/assessments" if cursor else None,
        "next_url": _link("/hr/assessments", {"cursor": found.next_cursor})
        if found.next_cursor
        else None,
        "export_urls": {f: f"/hr/assessments?format={f}" for f in ("csv", "xlsx")},
        **(extra or {}),
    }
    return _render(request, "rounds/list.html", context, caller, status=status)


def _rounds_export(request: Request, caller: Principal, fmt: Literal["csv", "xlsx"]) -> Response:
    s = _services(request)
    _ = _gettext(request)
    zone = _time_zone(request)
    rows = (
        {
            "round_id": r.round_id,
            "title": r.title,
            "status": i18n.term(r.status, _),
            "started_at": _local(r.started_at, zone),
            "deadline": _local(r.deadline, zone),
            "close_at": _local(r.close_at, zone),
            "ratees": r.ratees,
            "asked": r.asked,
            "rated": r.rated,
            "late": r.late,
        }
        for r in every(lambda page: s.assessment_queries.rounds_paged(caller, page))
    )
    columns = [
        exports.Column("round_id", _("Round")),
        exports.Column("title", _("Title")),
        exports.Column("status", _("Status")),
        exports.Column("started_at", _("Started")),
        exports.Column("deadline", _("Deadline")),
        exports.Column("close_at", _("Closes")),
        exports.Column("ratees", _("People assessed")),
        exports.Column("asked", _("Ratings asked")),
        exports.Column("rated", _("Ratings given")),
        exports.Column("late", _("Late ratings")),
    ]
    return _download(request, fmt, "assessment-rounds", _("360° rounds"), columns, rows)


@router.get("/hr/assessments", response_class=HTMLResponse)
def rounds_page(request: Request, format: Format = "") -> Response:
    caller = _caller(request)
    if format in ("csv", "xlsx"):
        return _rounds_export(request, caller, format)
    return _list(request, caller)


def _deadline(text: str, zone: str, _: Gettext) -> datetime | str:
    """The form's local date and time in the company's zone, or what is wrong with it."""
    try:
        local = datetime.fromisoformat(text.strip())
    except ValueError:
        return _("Deadline: a date and a time, e.g. 2026-12-15 18:00.")
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(zone))
    return local


@router.post("/hr/assessments", response_class=HTMLResponse)
async def start_round(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    round_id: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    team_id: Annotated[str, Form()] = "",
    employee_ids: Annotated[str, Form()] = "",
    deadline: Annotated[str, Form()] = "",
    anonymous: Annotated[list[str] | None, Form()] = None,
) -> Response:
    caller = await run_in_threadpool(_caller, request)
    _check_csrf(request, csrf)
    _ = _gettext(request)
    zone = await run_in_threadpool(_time_zone, request)
    chosen = [g for g in (anonymous or []) if g in ANONYMOUS_CHOICES]
    values = {
        "round_id": round_id.strip(),
        "title": title.strip(),
        "team_id": team_id,
        "employee_ids": employee_ids,
        "deadline": deadline,
        "anonymous": chosen,
    }

    async def refused(said: str) -> Response:
        context = {"error": said, "values": values}
        return await run_in_threadpool(_list, request, caller, context, 422)

    when = _deadline(deadline, zone, _)
    if isinstance(when, str):
        return await refused(when)
    ask = RoundRequest(
        round_id=round_id.strip(),
        title=title.strip()[:200],
        employee_ids=[e for e in _SPLIT.split(employee_ids.strip()) if e],
        team_id=team_id or None,
        deadline=when,
        anonymous=chosen,
    )
    flow = await _process(request)
    try:  # the API's call: it decides who may start and what a round needs
        started = await flow.start_round(caller, ask)
    except DomainError as exc:
        if isinstance(exc, (NotFoundError, PermissionDeniedError)):
            raise
        return await refused(i18n.say(exc, _lang(request)))
    queries = _services(request).assessment_queries

    def shown() -> bool:
        try:
            queries.progress(caller, started.round_id)
        except NotFoundError:
            return False
        return True

    await _until(shown, timeout=30.0)
    return RedirectResponse(f"/hr/assessments/{started.round_id}?done=started", status_code=303)


# -- one round: progress and gaps -------------------------------------------------------
def _gaps_chart(lang: str, gaps: list[CompetencyGap], title: str) -> dict[str, Any] | None:
    shown = [g for g in gaps if g.share is not None]
    if not shown:
        return None
    return _chart(
        lang,
        [i18n.unmarked(i18n.label(g.label, lang)) for g in shown],
        [
            {
                "label": title,
                "data": [round((g.share or 0) * 100) for g in shown],
                "color": BELOW_COLOUR,
            }
        ],
        horizontal=True,
        max=100,
        integer=True,
        height=80 + 48 * len(shown),
        notes=[i18n.unmarked(i18n.label(g.text, lang)) for g in shown],
    )


def _progress_rows(found: RoundProgress, _: Gettext) -> list[dict[str, object]]:
    return [
        {
            "employee_id": r.employee_id,
            "name": r.name,
            "team": r.team_id,
            "rated": r.rated,
            "asked": r.asked,
            "outstanding": r.asked - r.rated,
            **{
                f"group_{g.group}": _("%(rated)s of %(asked)s")
                % {"rated": g.rated, "asked": g.asked}
                for g in r.groups
            },
        }
        for r in found.ratees
    ]


def _round_export(
    request: Request,
    found: RoundProgress,
    gaps: list[CompetencyGap],
    courses: dict[str, dict[str, str]],
    fmt: Literal["csv", "xlsx"],
    table: str,
) -> Response:
    _ = _gettext(request)
    lang = _lang(request)
    rid = found.round.round_id
    if table == "gaps":
        columns = [
            exports.Column("competency", _("Competency")),
            exports.Column("target", _("Target level")),
            exports.Column("assessed", _("People assessed")),
            exports.Column("below", _("Below target")),
            exports.Column("share", _("Share below target")),
            exports.Column("average", _("Average level")),
            exports.Column("text", _("In words")),
            exports.Column("courses", _("Suggested courses")),
        ]
        rows = [
            {
                "competency": i18n.unmarked(i18n.label(g.label, lang)),
                "target": g.target,
                "assessed": g.assessed,
                "below": g.below_target,
                "share": g.share,
                "average": g.average,
                "text": i18n.unmarked(i18n.label(g.text, lang)),
                "courses": "; ".join(
                    i18n.unmarked(i18n.label(courses.get(c, {"en": c, "zh": c}), lang))
                    for c in g.courses
                ),
            }
            for g in gaps
        ]
        return _download(request, fmt, f"{rid}-gaps", _("360° gaps"), columns, rows)
    columns = [
        exports.Column("employee_id", _("Employee id")),
        exports.Column("name", _("Name")),
        exports.Column("team", _("Team")),
        exports.Column("rated", _("Ratings given")),
        exports.Column("asked", _("Ratings asked")),
        exports.Column("outstanding", _("Outstanding")),
        *(exports.Column(f"group_{g.group}", group_word(g.group, _)) for g in found.groups),
    ]
    progress = _progress_rows(found, _)
    return _download(request, fmt, f"{rid}-progress", _("360° progress"), columns, progress)


@router.get("/hr/assessments/{round_id}", response_class=HTMLResponse)
def round_page(
    request: Request,
    round_id: str,
    format: Format = "",
    table: str = "",
    done: str = "",
    cursor: str = "",
    limit: Limit = PEOPLE_PAGE,
) -> Response:
    caller = _caller(request)
    s = _services(request)
    lang = _lang(request)
    _ = _gettext(request)
    # The page shows a page of people; the summary, its groups and the gaps count all.
    found: RoundProgressView = s.assessment_queries.progress_page(
        caller, round_id, limit=limit, cursor=cursor or None
    )
    closed = found.round.status == "closed"
    report = s.assessment_queries.gaps(caller, round_id) if closed else None
    gaps = report.competencies if report else []
    courses = report.courses if report else {}
    if format in ("csv", "xlsx"):  # every person, page after page
        everyone = s.assessment_queries.progress(caller, round_id)
        return _round_export(request, everyone, gaps, courses, format, table)
    base = f"/hr/assessments/{round_id}"
    kept = {"limit": limit if limit != PEOPLE_PAGE else ""}
    title = _("Share of people below the target level (%)")
    return _render(
        request,
        "rounds/round.html",
        {
            "found": found,
            "r": found.round,
            "closed": closed,
            "gaps": gaps,
            "courses": courses,
            "gaps_chart": _gaps_chart(lang, gaps, title),
            "chart_title": title,
            "group_word": lambda g: group_word(g, _),
            "done": done if done == "started" else "",
            "first_url": _link(base, kept) if cursor else None,
            "next_url": _link(base, {**kept, "cursor": found.next_cursor})
            if found.next_cursor
            else None,
            "export_urls": {f: f"{base}?format={f}" for f in ("csv", "xlsx")},
            "gap_export_urls": {f: f"{base}?format={f}&table=gaps" for f in ("csv", "xlsx")},
        },
        caller,
    )
