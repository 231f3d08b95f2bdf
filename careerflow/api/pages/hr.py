"""HR's dashboard: the pipeline by stage and age, cycle times, the candidate pool,
returned applications, plans, the published documents and the calendar's gaps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from careerflow.api import i18n
from careerflow.api.i18n import N_
from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.reads import _services
from careerflow.api.pages.rendering import _gettext, _lang, _link, _render
from careerflow.api.pages.views import _chart
from careerflow.principal import AccessRole
from careerflow.services.calendar import CalendarService
from projections.paging import PageRequest
from projections.policies import criteria_versions, published_documents
from words.messages import Message

STAGE_ORDER = ("reporting", "manager_review", "returned", "hr_review", "approved")
AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    (N_("under 1 working day"), 1),
    (N_("1–2 working days"), 2),
    (N_("2–3 working days"), 3),
    (N_("3–5 working days"), 5),
    (N_("5 or more (past the target)"), float("inf")),
)
NAMED_PER_STAGE = 5  # the longest waiting; the rest are one link away (/hr/applications)
RETURNED_LIMIT = 10  # returned applications per page of the dashboard


# -- HR --------------------------------------------------------------------------------
@router.get("/hr", response_class=HTMLResponse)
def hr_page(
    request: Request,
    returned_cursor: str = "",
    returned_limit: Annotated[int, Query(ge=1, le=50)] = RETURNED_LIMIT,
) -> Response:
    caller = _caller(request)
    caller.require(AccessRole.hr, AccessRole.auditor, action=Message("open HR's dashboard"))
    s = _services(request)
    lang = _lang(request)
    _ = _gettext(request)
    pipeline = s.promotion_queries.pipeline(caller)
    cycle_times = s.promotion_queries.cycle_times(caller)
    returned = s.promotion_queries.returned_paged(
        caller, PageRequest(limit=returned_limit, cursor=returned_cursor or None)
    )
    with s.read_pool.connection() as conn:
        criteria = criteria_versions(conn)
        documents = published_documents(conn)
    stages = [st for st in STAGE_ORDER if st in pipeline["stages"]]
    target = float(pipeline["target_working_days"])
    buckets: list[list[int]] = [[0] * len(stages) for _bucket in AGE_BUCKETS]
    for i, st in enumerate(stages):
        for a in pipeline["stages"][st]["applications"]:
            age = a["age_working_days"]
            for b, (_bucket, upper) in enumerate(AGE_BUCKETS):
                if age < upper:
                    buckets[b][i] += 1
                    break
    colors = ["#16a34a", "#65a30d", "#f59e0b", "#ea580c", "#dc2626"]
    charts = {
        "pipeline": _chart(
            lang,
            [i18n.term(st, _) for st in stages],
            [
                {"label": _(name), "data": buckets[b], "color": colors[b]}
                for b, (name, _upper) in enumerate(AGE_BUCKETS)
            ],
            stacked=True,
            integer=True,
        )
    }
    decided = cycle_times["applications"]
    if decided:
        charts["cycle_times"] = _cycle_time_distribution(
            [a["working_days"] for a in decided], target, lang, _
        )
    return _render(
        request,
        "hr.html",
        {
            "pipeline": pipeline,
            "stages": stages,
            "cycle_times": cycle_times,
            # The top of the pool; the whole of it, paged, is /hr/pool.
            "pool": s.people_queries.pool(caller, limit=10),
            "named_per_stage": NAMED_PER_STAGE,
            # Returned applications a page at a time, newest first.
            "returned": returned,
            "returned_first_url": _returned_link(returned_limit, "") if returned_cursor else None,
            "returned_next_url": _returned_link(returned_limit, returned.next_cursor)
            if returned.next_cursor
            else None,
            "criteria": criteria,
            "documents": documents,
            "plans_overview": s.plan_queries.overview(caller),
            "charts": charts,
            # Years whose working days would be guessed: said until HR publishes them.
            "calendar_gaps": CalendarService(s.policies).gaps(datetime.now(UTC)),
        },
        caller,
    )


def _returned_link(limit: int, cursor: str) -> str:
    """The dashboard at a page of returned applications (the default size left out)."""
    kept: dict[str, str | int] = {"returned_cursor": cursor} if cursor else {}
    if limit != RETURNED_LIMIT:
        kept["returned_limit"] = limit
    return _link("/hr", kept) + "#returned"


def _cycle_time_distribution(
    days: list[float], target: float, lang: str, _: i18n.Gettext
) -> dict[str, Any]:
    """How many applications took how long: bins of half a working day up to twice the
    target (then one bin for the rest), those past the target in red — a distribution,
    not one bar per application."""
    width = 0.5
    edges = [i * width for i in range(int(2 * target / width) + 1)]
    within = [0] * len(edges)
    past = [0] * len(edges)
    for value in days:
        b = min(int(value / width), len(edges) - 1)
        (within if value <= target else past)[b] += 1
    labels = [
        f"{i18n.number(lo, lang, 1)}–{i18n.number(lo + width, lang, 1)}" for lo in edges[:-1]
    ] + [_("%(days)s or more") % {"days": i18n.number(edges[-1], lang, 1)}]
    return _chart(
        lang,
        labels,
        [
            {"label": _("within the target"), "data": within, "color": "#16a34a"},
            {
                "label": _("past the target (%(days)s working days)")
                % {"days": i18n.number(target, lang)},
                "data": past,
                "color": "#dc2626",
            },
        ],
        stacked=True,
        integer=True,
    )
