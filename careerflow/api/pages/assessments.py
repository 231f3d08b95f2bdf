"""360° assessments on the pages (issue 18, S4): a rater's tasks and the rating form (one
fieldset per competency, the scale as a row of thumb-sized choices, a comment each), and
a person's competency profile of a closed round (radar: self, manager, peers, reports and
the target, with its figures and the courses for the gaps). Reads come from
projections.assessment_queries; a rating goes through AssessmentProcessService (the API's
path: the same rules, the same refusals).

    /assessments                              my rating tasks and my closed rounds' profiles
    /assessments/{round}/rate/{ratee}         the rating form (read-only once sent)
    POST /assessments/{round}/rate/{ratee}    send the rating (final)
    /assessments/{round}/profile[?employee=]  a profile: one's own, or a report's
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.competency import GROUPS, RatingItem
from careerflow.api import i18n
from careerflow.api.i18n import N_
from careerflow.api.pages.guard import _caller, _check_csrf, router
from careerflow.api.pages.reads import _context, _services, _until
from careerflow.api.pages.rendering import _gettext, _lang, _render
from careerflow.principal import Principal
from careerflow.services.assessment_process import require_rater
from projections.assessment_profiles import ProfileView
from projections.assessment_tasks import RatingForm

DONE = ("rated",)
GROUP_WORDS = {
    "self": N_("Self"),
    "manager": N_("Manager"),
    "peers": N_("Peers"),
    "reports": N_("Direct reports"),
}
COLOURS = {
    "self": "#2563eb",
    "manager": "#16a34a",
    "peers": "#f59e0b",
    "reports": "#7c3aed",
    "target": "#6b7280",
}


def _done(value: str) -> str | None:
    return value if value in DONE else None


# -- my tasks and my profiles ------------------------------------------------------------
@router.get("/assessments", response_class=HTMLResponse)
def my_assessments(request: Request, cursor: str = "", done: str = "") -> Response:
    caller = _caller(request)
    queries = _services(request).assessment_queries
    tasks = queries.my_tasks(caller)
    profiles = queries.profiles_of(caller, caller.person_id, cursor or None)
    return _render(
        request,
        "assessments/index.html",
        {
            "open_tasks": [t for t in tasks.tasks if not t.rated and t.status != "closed"],
            "done_tasks": [t for t in tasks.tasks if t.rated or t.status == "closed"],
            "profiles": profiles,
            "first": not cursor,
            "done": _done(done),
            "now": datetime.now(UTC),
            "group_words": GROUP_WORDS,
        },
        caller,
    )


# -- the rating form ---------------------------------------------------------------------
def _rating_page(
    request: Request,
    caller: Principal,
    round_id: str,
    ratee_id: str,
    done: str = "",
    error: str | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    require_rater(caller)
    form = _services(request).assessment_queries.rating_form(caller, round_id, ratee_id)
    return _render(
        request,
        "assessments/rate.html",
        {
            "f": form,
            "open": not form.rated and form.status != "closed",
            "late": not form.rated
            and (form.status == "late ratings" or form.deadline < datetime.now(UTC)),
            "group_words": GROUP_WORDS,
            "done": _done(done),
            "error": error,
            "values": values or {},
        },
        caller,
        status=422 if error else 200,
    )


@router.get("/assessments/{round_id}/rate/{ratee_id}", response_class=HTMLResponse)
def rating_form(request: Request, round_id: str, ratee_id: str, done: str = "") -> Response:
    return _rating_page(request, _caller(request), round_id, ratee_id, done)


def _ratings(form: RatingForm, values: dict[str, Any]) -> dict[str, RatingItem]:
    """The form's fields as the rating: a level per competency (a missing or odd one is
    left out, so the service's rule says what is missing), an optional comment."""
    out: dict[str, RatingItem] = {}
    for c in form.competencies:
        level = str(values.get(f"level_{c.competency}", "")).strip()
        comment = str(values.get(f"comment_{c.competency}", "")).strip()
        if not level.isdigit():
            continue
        out[c.competency] = RatingItem(level=int(level), comment=comment or None)
    return out


@router.post("/assessments/{round_id}/rate/{ratee_id}")
async def rate(request: Request, round_id: str, ratee_id: str) -> Response:
    caller = await run_in_threadpool(_caller, request)
    data = await request.form()
    _check_csrf(request, str(data.get("csrf", "")))
    require_rater(caller)
    s = _services(request)
    form = await run_in_threadpool(s.assessment_queries.rating_form, caller, round_id, ratee_id)
    values = {k: str(v) for k, v in data.items() if k.startswith(("level_", "comment_"))}
    ratings = _ratings(form, values)
    missing = [c for c in form.competencies if c.competency not in ratings]
    if missing and not form.rated and form.status != "closed":  # the form, not yet the rule
        gettext = await run_in_threadpool(_gettext, request)
        lang = _lang(request)
        names = ("、" if lang == "zh" else ", ").join(i18n.label(c.label, lang) for c in missing)
        said = gettext("Choose a level for each competency: %(names)s") % {"names": names}
        return await run_in_threadpool(
            _rating_page, request, caller, round_id, ratee_id, "", said, values
        )
    try:
        flow = await _context(request).assessments()
        await flow.rate(caller, round_id, ratee_id, ratings)
    except DomainError as exc:
        if isinstance(exc, (NotFoundError, PermissionDeniedError)):
            raise
        said = i18n.say(exc, _lang(request))
        return await run_in_threadpool(
            _rating_page, request, caller, round_id, ratee_id, "", said, values
        )

    def recorded() -> bool:
        return s.assessment_queries.rating_form(caller, round_id, ratee_id).rated

    await _until(recorded)
    return RedirectResponse(f"/assessments/{round_id}/rate/{ratee_id}?done=rated", status_code=303)


# -- a profile ---------------------------------------------------------------------------
def _radar(view: ProfileView, lang: str, gettext: Any) -> dict[str, Any]:
    """The radar's spec: one axis per competency, a dataset per group and the target;
    a hidden group's figure is null (the table below says why)."""
    labels = [i18n.label(c.label, lang) for c in view.competencies]
    datasets: list[dict[str, Any]] = []
    for group in GROUPS:
        scores = [next((g for g in c.groups if g.group == group), None) for c in view.competencies]
        if all(s is None for s in scores):
            continue
        datasets.append(
            {
                "label": gettext(GROUP_WORDS[group]),
                "data": [s.average if s is not None else None for s in scores],
                "color": COLOURS[group],
            }
        )
    datasets.append(
        {
            "label": gettext("Target"),
            "data": [c.target for c in view.competencies],
            "color": COLOURS["target"],
            "dashed": True,
        }
    )
    return {
        "kind": "radar",
        "labels": labels,
        "datasets": datasets,
        "max": view.scale_top,
        "locale": i18n.HTML_LANG[lang],
    }


@router.get("/assessments/{round_id}/profile", response_class=HTMLResponse)
def profile(request: Request, round_id: str, employee: str = "") -> Response:
    caller = _caller(request)
    employee_id = employee or caller.person_id
    view = _services(request).assessment_queries.profile(caller, round_id, employee_id)
    lang = _lang(request)
    gettext = _gettext(request)
    return _render(
        request,
        "assessments/profile.html",
        {
            "p": view,
            "own": employee_id == caller.person_id,
            "radar": _radar(view, lang, gettext),
            "groups": [
                g for g in GROUPS if any(x.group == g for c in view.competencies for x in c.groups)
            ],
            "group_words": GROUP_WORDS,
        },
        caller,
    )
