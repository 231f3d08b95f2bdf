"""360° results from the read model, through the access rules: a person's profile of a
closed round and the closed rounds they were assessed in (the person, their manager
chain, HR, auditors), and a manager's team: the rounds that assessed it and its
profiles, a page at a time, beside the team's gaps over every profile.

Results exist only once a round has closed, and a group of fewer raters than the
competency model's minimum has no average (its note says why)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from aggregates.base import NotFoundError
from aggregates.competency import CompetencyGap, CompetencyProfile, CompetencyScore, gap_summary
from aggregates.documents import MetricCatalog
from careerflow.principal import AccessRole, Principal
from projections.assessment_rounds import (
    AssessmentReads,
    RoundSummary,
    competency_model,
    course_title,
    metric_catalog,
    require_closed,
    summary_of,
)
from projections.paging import MAX_LIMIT, Key, Page, PageRequest, every, keyset, rows_before
from projections.visibility import reports_of, require_visible
from words.catalogue import in_every_language
from words.messages import Message


class CourseRef(BaseModel):
    course: str
    title: dict[str, str]


class ProfileView(BaseModel):
    """A person's results of a closed round: per competency each group's average (hidden
    below the minimum group size), the overall level, the target and the gap."""

    round_id: str
    title: str
    closed_at: datetime | None
    employee_id: str
    name: str
    manager_id: str | None
    team_id: str
    model_version: int
    scale_top: int
    competencies: list[CompetencyScore]
    gaps: list[str]
    courses: list[CourseRef]


class TeamProfiles(BaseModel):
    """Every published profile of the manager's reports (the team's page, the CLI)."""

    round_id: str
    manager_id: str
    profiles: list[ProfileView]
    gaps: list[CompetencyGap]
    """The team's share below target per competency (over every profile)."""


class TeamProfilesPage(Page[ProfileView]):
    """A page of the published profiles of the manager's reports (by person id), beside
    the team's share below target per competency over every profile, not the page's."""

    round_id: str
    manager_id: str
    gaps: list[CompetencyGap]


class TeamProfilesView(TeamProfilesPage):
    """The team's page: a page of profiles with how many come before it (for "51-100 of
    1,234"), beside the team's gaps over every profile."""

    offset: int


class ProfileRow(BaseModel):
    """One closed round in which a person was assessed (their profile is published)."""

    round_id: str
    title: str
    closed_at: datetime
    gaps: int


class ProfilesPage(BaseModel):
    """A page of a person's closed rounds, newest first; `next_cursor` None on the last."""

    items: list[ProfileRow]
    total: int
    limit: int
    next_cursor: str | None


class ProfileQueries(AssessmentReads):
    # -- profiles ----------------------------------------------------------------------
    def profiles_of(
        self, principal: Principal, employee_id: str, cursor: str | None = None, limit: int = 20
    ) -> ProfilesPage:
        """The closed rounds in which the person was assessed, newest first, paged
        (keyset on the close time and the round id). The person, their manager chain,
        HR and auditors."""
        limit = max(1, min(limit, MAX_LIMIT))
        with self._connection() as conn:
            require_visible(conn, principal, employee_id)
            rows, total, next_cursor = keyset(
                conn,
                name="profiles",
                select="SELECT r.round_id, r.title, r.closed_at, "
                "jsonb_array_length(coalesce(p.gaps, '[]'::jsonb)) AS gaps",
                source="FROM rm_assessment_profile p JOIN rm_assessment_round r USING (round_id) "
                "WHERE p.employee_id = %(employee_id)s AND p.profile IS NOT NULL "
                "AND r.status = 'closed' AND r.closed_at IS NOT NULL",
                params={"employee_id": employee_id},
                keys=(
                    Key("r.closed_at", "timestamptz", "closed_at"),
                    Key("r.round_id", "text", "round_id"),
                ),
                limit=limit,
                cursor=cursor,
                descending=True,
            )
        return ProfilesPage(
            items=[ProfileRow.model_validate(r) for r in rows],
            total=total,
            limit=limit,
            next_cursor=next_cursor,
        )

    def profile(self, principal: Principal, round_id: str, employee_id: str) -> ProfileView:
        with self._connection() as conn:
            require_visible(conn, principal, employee_id)
            rnd = self._round(conn, round_id)
            row = conn.execute(
                "SELECT * FROM rm_assessment_profile WHERE round_id = %s AND employee_id = %s",
                (round_id, employee_id),
            ).fetchone()
            if row is None:
                raise NotFoundError(
                    "{employee_id} is not assessed in round {round_id}",
                    employee_id=employee_id,
                    round_id=round_id,
                )
            require_closed(rnd)
            catalog = metric_catalog(conn)
        return _view(rnd, dict(row), catalog)

    def team(self, principal: Principal, round_id: str, manager_id: str) -> TeamProfiles:
        """Every published profile of the team (the CLI, exports): the pages of
        `team_paged`."""
        first = self.team_paged(principal, round_id, manager_id, PageRequest(limit=1))
        views = every(lambda page: self.team_paged(principal, round_id, manager_id, page))
        return TeamProfiles(
            round_id=round_id, manager_id=manager_id, profiles=views, gaps=first.gaps
        )

    def team_paged(
        self, principal: Principal, round_id: str, manager_id: str, page: PageRequest
    ) -> TeamProfilesPage:
        """A page of the published profiles of the manager's reports (the access rules'
        scope), by person id; the team's gaps count every profile."""
        principal.require(
            AccessRole.manager,
            AccessRole.hr,
            AccessRole.auditor,
            AccessRole.system,
            action=Message("see a team's 360° profiles"),
        )
        with self._connection() as conn:
            require_visible(conn, principal, manager_id)
            rnd = self._round(conn, round_id)
            require_closed(rnd)
            params = {"round_id": round_id, "team": sorted(reports_of(conn, manager_id))}
            rows, total, next_cursor = keyset(
                conn,
                name=_team_list(round_id, manager_id),
                select="SELECT *",
                source=_TEAM_SOURCE,
                params=params,
                keys=_TEAM_KEYS,
                limit=page.limit,
                cursor=page.cursor,
            )
            every_profile = conn.execute(
                "SELECT profile " + _TEAM_SOURCE + " ORDER BY employee_id", params
            ).fetchall()
            catalog = metric_catalog(conn)
            model = competency_model(conn, rnd["model_key"], rnd["model_version"])
        profiles = [CompetencyProfile.model_validate(r["profile"]) for r in every_profile]
        return TeamProfilesPage(
            items=[_view(rnd, r, catalog) for r in rows],
            total=total,
            limit=page.limit,
            next_cursor=next_cursor,
            round_id=round_id,
            manager_id=manager_id,
            gaps=gap_summary(model, profiles, labels=in_every_language) if model else [],
        )

    def team_page(
        self,
        principal: Principal,
        round_id: str,
        manager_id: str,
        limit: int = 50,
        cursor: str | None = None,
    ) -> TeamProfilesView:
        """A page of the team's profiles (the API's keyset and cursors), with how many
        come before it; the team's gaps count every profile."""
        limit = max(1, min(MAX_LIMIT, int(limit)))
        page = PageRequest(limit=limit, cursor=cursor)
        found = self.team_paged(principal, round_id, manager_id, page)
        with self._connection() as conn:
            offset = rows_before(
                conn,
                name=_team_list(round_id, manager_id),
                source=_TEAM_SOURCE,
                params={"round_id": round_id, "team": sorted(reports_of(conn, manager_id))},
                keys=_TEAM_KEYS,
                cursor=cursor,
            )
        return TeamProfilesView(**found.model_dump(), offset=offset)

    def team_rounds(self, principal: Principal, manager_id: str) -> list[RoundSummary]:
        """The rounds that assessed any of the manager's reports, newest first (the
        latest 50): a manager's picker on the team's 360° page."""
        principal.require(
            AccessRole.manager,
            AccessRole.hr,
            AccessRole.auditor,
            AccessRole.system,
            action=Message("see a team's 360° profiles"),
        )
        with self._connection() as conn:
            require_visible(conn, principal, manager_id)
            team = sorted(reports_of(conn, manager_id))
            rows = conn.execute(
                "SELECT * FROM rm_assessment_round r WHERE EXISTS (SELECT 1 "
                "FROM rm_assessment_profile p WHERE p.round_id = r.round_id "
                "AND p.employee_id = ANY(%s)) ORDER BY started_at DESC, round_id LIMIT 50",
                (team,),
            ).fetchall()
        return [summary_of(r) for r in rows]


_TEAM_SOURCE = (
    "FROM rm_assessment_profile WHERE round_id = %(round_id)s "
    "AND employee_id = ANY(%(team)s) AND profile IS NOT NULL"
)
_TEAM_KEYS = (Key("employee_id", "text", "employee_id"),)


def _team_list(round_id: str, manager_id: str) -> str:
    """The name tying a team page's cursors to its round and manager."""
    return f"team:{round_id}:{manager_id}"


def _view(rnd: dict[str, Any], row: dict[str, Any], catalog: MetricCatalog | None) -> ProfileView:
    profile = CompetencyProfile.model_validate(row["profile"])
    return ProfileView(
        round_id=rnd["round_id"],
        title=rnd["title"],
        closed_at=rnd["closed_at"],
        employee_id=row["employee_id"],
        name=row["name"],
        manager_id=row["manager_id"],
        team_id=row["team_id"],
        model_version=profile.model_version,
        scale_top=profile.scale_top,
        competencies=profile.competencies,
        gaps=profile.gaps,
        courses=[CourseRef(course=c, title=course_title(catalog, c)) for c in profile.courses],
    )
