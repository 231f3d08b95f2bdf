"""The people directory (/people: search by name or id, filters by team, role, region and
readiness, paged) and HR's candidate pool (/hr/pool: sorted, filtered, paged), each
exported as CSV (UTF-8 with a BOM) or XLSX with every matching row (?format=csv|xlsx).

Reads only projections.people_queries (the access rules are theirs: HR and auditors see
everyone, a manager their reports, an employee is refused)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from careerflow import exports
from careerflow.api import i18n
from careerflow.api.i18n import N_, Gettext
from careerflow.api.pages.downloads import _download
from careerflow.api.pages.guard import _caller, router
from careerflow.api.pages.reads import _services
from careerflow.api.pages.rendering import _gettext, _lang, _link, _render
from projections.people_queries import (
    POOL_SORTS,
    READINESS_CHOICES,
    Candidate,
    Choices,
    Person,
)

Format = Literal["", "html", "csv", "xlsx"]
Limit = Annotated[int, Query(ge=1, le=200)]
READINESS_NAMES = {
    "eligible": N_("ready for the next role"),
    "not_eligible": N_("not yet ready"),
    "pool": N_("in the candidate pool"),
    "none": N_("no readiness yet"),
}
SORT_NAMES = {
    "score": N_("potential score"),
    "team": N_("team"),
    "role": N_("role"),
}


def _options(choices: Choices, lang: str, _: Gettext) -> dict[str, list[tuple[str, str, bool]]]:
    """The filter form's choices: (value, text, is data without language)."""
    return {
        "team_options": [(c.value, c.name, True) for c in choices.teams],
        "region_options": [(c.value, c.name, True) for c in choices.regions],
        "role_options": [(r, i18n.role_label(r, lang), False) for r in choices.roles],
        "readiness_options": [(k, _(READINESS_NAMES[k]), False) for k in READINESS_CHOICES],
    }


def _readiness_text(person: Person, _: Gettext, lang: str) -> str:
    if person.eligible is None:
        return _("no readiness yet")
    if person.eligible:
        if person.next_role:
            return _("ready for %(role)s") % {"role": i18n.role_label(person.next_role, lang)}
        return _("ready for the next role")
    if person.next_role:
        return _("not yet ready for %(role)s") % {"role": i18n.role_label(person.next_role, lang)}
    return _("not yet ready")


# -- the directory ---------------------------------------------------------------------
@router.get("/people", response_class=HTMLResponse)
def people_page(
    request: Request,
    q: str = "",
    team: str = "",
    role: str = "",
    region: str = "",
    readiness: Literal["", "eligible", "not_eligible", "pool", "none"] = "",
    cursor: str = "",
    limit: Limit = 50,
    format: Format = "",
) -> Response:
    caller = _caller(request)
    s = _services(request)
    lang = _lang(request)
    _ = _gettext(request)
    queries = s.people_queries
    filters: dict[str, Any] = {
        "q": q.strip(),
        "team": team,
        "role": role,
        "region": region,
        "readiness": readiness,
    }
    if format in ("csv", "xlsx"):
        rows = (
            {
                "employee_id": p.employee_id,
                "name": p.name,
                "role": i18n.role_label(p.role, lang),
                "team": p.team_name or p.team_id,
                "region": p.region_name or p.region_id,
                "manager": p.manager_name or p.manager_id,
                "score": p.score,
                "readiness": _readiness_text(p, _, lang),
                "pool": _("yes") if p.in_pool else _("no"),
            }
            for p in queries.directory_all(caller, **filters)
        )
        columns = [
            exports.Column("employee_id", _("Employee id")),
            exports.Column("name", _("Name")),
            exports.Column("role", _("Role")),
            exports.Column("team", _("Team")),
            exports.Column("region", _("Region")),
            exports.Column("manager", _("Manager")),
            exports.Column("score", _("Potential score")),
            exports.Column("readiness", _("Readiness")),
            exports.Column("pool", _("In the candidate pool")),
        ]
        return _download(request, format, "people", _("People"), columns, rows)
    found = queries.directory(caller, limit=limit, cursor=cursor or None, **filters)
    choices = queries.choices(caller)
    kept = {**filters, "limit": limit if limit != 50 else ""}
    return _render(
        request,
        "people/directory.html",
        {
            "found": found,
            "filters": filters,
            "filtered": any(filters.values()),
            **_options(choices, lang, _),
            "readiness_text": {p.employee_id: _readiness_text(p, _, lang) for p in found.items},
            "first_url": _link("/people", kept) if cursor else None,
            "next_url": _link("/people", {**kept, "cursor": found.next_cursor})
            if found.next_cursor
            else None,
            "export_urls": {f: _link("/people", {**filters, "format": f}) for f in ("csv", "xlsx")},
        },
        caller,
    )


# -- the candidate pool ----------------------------------------------------------------
def _pool_row(c: Candidate, lang: str) -> dict[str, object]:
    return {
        "rank": c.rank,
        "employee_id": c.employee_id,
        "name": c.name,
        "role": i18n.role_label(c.role, lang),
        "team": c.team_name or c.team_id,
        "score": c.score,
    }


@router.get("/hr/pool", response_class=HTMLResponse)
def pool_page(
    request: Request,
    sort: Literal["score", "team", "role"] = "score",
    role: str = "",
    team: str = "",
    cursor: str = "",
    limit: Limit = 50,
    format: Format = "",
) -> Response:
    # Who may see the pool (and whom in it) is the query's rule: HR and auditors all of
    # it, a manager the members among their reports, an employee nothing.
    caller = _caller(request)
    s = _services(request)
    lang = _lang(request)
    _ = _gettext(request)
    queries = s.people_queries
    filters: dict[str, Any] = {"sort": sort, "role": role, "team": team}
    if format in ("csv", "xlsx"):
        columns = [
            exports.Column("rank", _("Rank")),
            exports.Column("employee_id", _("Employee id")),
            exports.Column("name", _("Name")),
            exports.Column("role", _("Role")),
            exports.Column("team", _("Team")),
            exports.Column("score", _("Potential score")),
        ]
        rows = (_pool_row(c, lang) for c in queries.pool_all(caller, **filters))
        return _download(request, format, "candidate-pool", _("Candidate pool"), columns, rows)
    found = queries.pool(caller, limit=limit, cursor=cursor or None, **filters)
    kept = {
        **filters,
        "sort": sort if sort != "score" else "",
        "limit": limit if limit != 50 else "",
    }
    return _render(
        request,
        "people/pool.html",
        {
            "found": found,
            "filters": filters,
            **_options(queries.choices(caller), lang, _),
            "sort_options": [(key, _(SORT_NAMES[key]), False) for key in POOL_SORTS],
            "first_url": _link("/hr/pool", kept) if cursor else None,
            "next_url": _link("/hr/pool", {**kept, "cursor": found.next_cursor})
            if found.next_cursor
            else None,
            "export_urls": {
                f: _link("/hr/pool", {**kept, "limit": "", "format": f}) for f in ("csv", "xlsx")
            },
        },
        caller,
    )
