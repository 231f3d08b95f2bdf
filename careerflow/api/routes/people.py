"""People: an employee's record and readiness ("how far am I from promotion?"), a team's
members, and HR's organisation import. Row rules: employees see themselves, managers
their reports (transitively), HR and auditors everyone; anything else is 404."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from psycopg import Connection
from psycopg.rows import DictRow
from pydantic import BaseModel, ConfigDict, Field

from aggregates.base import NotFoundError
from aggregates.criteria_evaluation import CriteriaEvaluation
from aggregates.document_types import Label
from aggregates.evaluation import PotentialScore, Suggestion, weakest_indicators
from aggregates.ladder import Role
from careerflow.api.auth import Caller, Context
from careerflow.api.context import ApiContext
from careerflow.api.errors import Problem, problem_responses
from careerflow.api.paging import PAGED, Paging
from careerflow.applications.people import ImportResult, LanguageSetting, OrgImport
from careerflow.principal import AccessRole, Principal
from projections import people as people_view
from projections.paging import Page
from projections.people_queries import Person
from projections.visibility import EVERYONE, reports_of
from words.catalogue import in_every_language, said_in
from words.messages import Message

router = APIRouter(tags=["people"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem}}


class EmployeeOut(BaseModel):
    """An employee as the directory shows them."""

    employee_id: str
    name: str
    role: Role
    team_id: str
    team_name: str | None
    manager_id: str | None
    manager_name: str | None
    hire_date: date
    active: bool
    language: str = Field(
        description="the profile's language (zh or en): notifications, and pages and API "
        "answers unless the person switched"
    )


class LanguageIn(BaseModel):
    """A profile's language."""

    model_config = ConfigDict(extra="forbid")

    language: Literal["zh", "en"] = Field(description="zh (Simplified Chinese) or en (English)")


class Readiness(BaseModel):
    """Potential score with each indicator's rank in the team, and the distance to the
    next role: each criterion met or not, with a suggestion where it is not."""

    employee_id: str
    role: Role
    as_of_month: str | None = Field(description="the month the evaluation is as of")
    score: float = Field(description="potential score, 0..10")
    team_rank: int = Field(description="1 = the best potential score in the team")
    team_size: int
    indicator_ranks: dict[str, int] = Field(description="indicator -> rank in the team (1 = best)")
    potential: PotentialScore
    suggestions: list[Suggestion] = Field(description="hints for the weakest indicators")
    next_role: Role | None
    eligible: bool | None = Field(description="every criterion for the next role is met")
    unmet: list[str] = Field(description="ids of the criteria not met yet")
    evaluation: CriteriaEvaluation | None
    summary: Label | None = Field(
        description='e.g. "sales 130% ✓, repurchase 55% ✗ → increase follow-up visits"'
    )
    policy_versions: dict[str, int] = Field(description="the policy versions this used")


class TeamMember(BaseModel):
    employee_id: str
    name: str
    role: Role
    manager_id: str | None
    hire_date: date


class TeamMembers(Page[TeamMember]):
    """A team and a page of its active members (`items`), by employee id."""

    team_id: str
    name: str
    manager_id: str | None
    parent_team_id: str | None


class Directory(Page[Person]):
    """A page of the people directory: active people by name (then id)."""

    offset: int = Field(description="How many rows come before this page (for 51-100 of N).")


ReadinessFilter = Literal["eligible", "not_eligible", "pool", "none"]


@router.get(
    "/employees",
    response_model=Directory,
    summary="The people directory, a page at a time",
    responses=PAGED,
)
def directory(
    caller: Caller,
    ctx: Context,
    page: Paging,
    q: Annotated[str, Query(max_length=100, description="A search on the name or id.")] = "",
    team: Annotated[str, Query(max_length=100, description="Only this team's members.")] = "",
    role: Annotated[Role | None, Query(description="Only people in this role.")] = None,
    region: Annotated[
        str, Query(max_length=100, description="Only people in this region (a top team).")
    ] = "",
    readiness: Annotated[
        ReadinessFilter | None,
        Query(
            description="eligible (ready for the next role), not_eligible, pool (in the "
            "candidate pool) or none (no readiness yet)."
        ),
    ] = None,
) -> Directory:
    """Active people matching the filters, as the /people page lists them: managers see
    their reports (transitively), HR and auditors everyone; employees are refused."""
    found = ctx.services.people_queries.directory(
        caller,
        q=q,
        team=team,
        role=role.value if role else "",
        region=region,
        readiness=readiness or "",
        limit=page.limit,
        cursor=page.cursor,
    )
    return Directory.model_validate(found.model_dump())


@router.get("/employees/{employee_id}", response_model=EmployeeOut, responses=NOT_FOUND)
def get_employee(employee_id: str, caller: Caller, ctx: Context) -> EmployeeOut:
    """An employee's record (themselves, their manager chain, HR, auditors)."""
    return EmployeeOut.model_validate(ctx.services.queries.employee(caller, employee_id))


@router.put(
    "/employees/{employee_id}/language",
    response_model=LanguageSetting,
    responses=problem_responses("employee", "the people service"),
)
def set_language(
    employee_id: str, body: LanguageIn, caller: Caller, ctx: Context
) -> LanguageSetting:
    """Set a profile's language: people set their own (`/me/language` too), HR anyone's.
    Idempotent: `changed` is false when it was already that language."""
    return ctx.services.people.set_language(caller, employee_id, body.language)


@router.get("/employees/{employee_id}/readiness", response_model=Readiness, responses=NOT_FOUND)
def get_readiness(employee_id: str, caller: Caller, ctx: Context) -> Readiness:
    """How far the employee is from promotion: score, ranks, criteria ✓/✗, suggestions."""
    found = ctx.services.queries.readiness(caller, employee_id)
    potential = PotentialScore.model_validate(found["potential"])
    evaluation = (
        CriteriaEvaluation.model_validate(found["evaluation"]) if found["evaluation"] else None
    )
    return Readiness(
        employee_id=found["employee_id"],
        role=found["role"],
        as_of_month=found["as_of_month"],
        score=found["score"],
        team_rank=found["team_rank"],
        team_size=found["team_size"],
        indicator_ranks=found["indicator_ranks"],
        potential=potential,
        suggestions=_suggestions(ctx, potential),
        next_role=found["next_role"],
        eligible=found["eligible"],
        unmet=[r.id for r in evaluation.unmet()] if evaluation else [],
        evaluation=evaluation,
        summary=(
            {lang: said_in(evaluation.summary_message(), lang) for lang in ("en", "zh")}
            if evaluation
            else None
        ),
        policy_versions=found["policy_versions"],
    )


def _suggestions(ctx: ApiContext, potential: PotentialScore) -> list[Suggestion]:
    try:
        return weakest_indicators(potential, ctx.services.catalog(), labels=in_every_language)
    except (KeyError, NotFoundError):
        # The catalog in force no longer names an indicator: no hint beats a wrong one.
        return []


@router.get(
    "/teams/{team_id}/members",
    response_model=TeamMembers,
    summary="A team's members, a page at a time",
    responses={**NOT_FOUND, **PAGED},
)
def team_members(
    team_id: str,
    caller: Caller,
    ctx: Context,
    page: Paging,
    role: Annotated[Role | None, Query(description="Only members in this role.")] = None,
    q: Annotated[str, Query(max_length=100, description="A search on the name or id.")] = "",
) -> TeamMembers:
    """A team's active members (its manager or anyone above, HR, auditors)."""
    caller.require(
        AccessRole.manager,
        AccessRole.hr,
        AccessRole.auditor,
        AccessRole.system,
        action=Message("see a team's members"),
    )
    with ctx.services.read_pool.connection() as conn:
        team = _visible_team(conn, caller, team_id)  # type: ignore[arg-type]
        found = people_view.team_members_paged(
            conn, team_id, page, role.value if role else None, q or None
        )
    return TeamMembers(
        items=[TeamMember.model_validate(r) for r in found.items],
        total=found.total,
        limit=found.limit,
        next_cursor=found.next_cursor,
        team_id=team["team_id"],
        name=team["name"],
        manager_id=team["manager_id"],
        parent_team_id=team["parent_team_id"],
    )


def _visible_team(conn: Connection[DictRow], caller: Principal, team_id: str) -> DictRow:
    """The team, if the caller manages it or a team above it (or sees everyone); an
    unknown team and a hidden one look the same."""
    team: DictRow | None = people_view.team_record(conn, team_id)
    hidden = NotFoundError("no team {team_id!r} that you can see", team_id=team_id)
    if team is None:
        raise hidden
    if caller.role in EVERYONE:
        return team
    managers = people_view.managers_above_team(conn, team_id)
    if caller.person_id in managers:
        return team
    if team["manager_id"] and team["manager_id"] in reports_of(conn, caller.person_id):
        return team
    raise hidden


@router.post(
    "/organisation/import",
    response_model=ImportResult,
    responses={422: {"model": Problem}},
)
def import_organisation(body: OrgImport, caller: Caller, ctx: Context) -> ImportResult:
    """HR: create or update teams and employees in one transaction (idempotent)."""
    return ctx.services.people.import_org(caller, body)
