"""The goal cascade for a year, from the read model: the company's annual target (last
year's sales grown by the company rate), each team's (its members' last-year sales grown
by the team rate) and the sum of the individual targets the cascade gives the team's
reps, with the gap between the two; so HR sees whether the levels add up."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from pydantic import BaseModel

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.calendar_periods import month_of
from aggregates.documents import Measurement
from aggregates.goals import GoalCascade, derive_targets
from aggregates.ladder import Role
from aggregates.periods import period_value
from careerflow.principal import AccessRole, Principal
from projections.paging import Key, Page, PageRequest, every, keyset
from projections.pooled import PooledReads
from projections.visibility import EVERYONE, reports_of


class Level(BaseModel):
    previous_year_sales: float
    growth_percent: float
    annual_target: float


class TeamGoal(BaseModel):
    team_id: str
    name: str
    manager_id: str | None
    members: int
    team: Level
    individual_targets: float
    """The sum of the members' annual targets from the cascade's individual level."""
    gap: float
    """Team target minus the individual targets: what the team must find beyond them."""


class PersonGoal(BaseModel):
    employee_id: str
    team_id: str
    baseline_source: str
    monthly_sales_target: float
    annual_target: float
    growth_percent: float


class CascadeOverview(BaseModel):
    year: int
    cascade_version: int
    company: Level
    teams: list[TeamGoal]
    people: list[PersonGoal]


class TeamTargets(TeamGoal):
    """A team's goal with the individual targets of its reps."""

    people: list[PersonGoal]


class CascadePage(Page[TeamTargets]):
    """A page of the cascade's teams (by id), each with its reps' targets, beside the
    company level (over every team)."""

    year: int
    cascade_version: int
    company: Level


class GoalQueries(PooledReads):
    def cascade(self, principal: Principal, year: int) -> CascadeOverview:
        """Every team the caller may see (the goals page's export, the CLI): the pages of
        `cascade_paged`."""
        first = self.cascade_paged(principal, year, PageRequest(limit=1))
        teams = every(lambda page: self.cascade_paged(principal, year, page))
        return CascadeOverview(
            year=year,
            cascade_version=first.cascade_version,
            company=first.company,
            teams=[TeamGoal.model_validate(t.model_dump(exclude={"people"})) for t in teams],
            people=[p for t in teams for p in t.people],
        )

    def cascade_paged(self, principal: Principal, year: int, page: PageRequest) -> CascadePage:
        """A page of teams (by id) with their targets and their reps'. HR and auditors
        see the whole company; a manager the teams of their reports (and the company
        level); employees use their own week view instead."""
        if not 2000 <= year <= 2100:
            raise DomainError("year {year} is out of range; give a year like 2026", year=year)
        if principal.role not in (*EVERYONE, AccessRole.manager):
            raise PermissionDeniedError(
                "{role} cannot read the goal cascade; your own targets are in your weekly view",
                role=principal.role.value,
            )
        with self._connection() as conn:
            row = conn.execute(
                "SELECT document, version FROM rm_policy WHERE kind = 'goal_cascade' "
                "AND key = 'default' ORDER BY version DESC LIMIT 1"
            ).fetchone()
            if row is None:
                raise NotFoundError("no goal_cascade has been published")
            cascade = GoalCascade.model_validate(row["document"])
            version = int(row["version"])
            visible = (
                None
                if principal.role in EVERYONE
                else sorted(reports_of(conn, principal.person_id) | {principal.person_id})
            )
            shown, total, next_cursor = keyset(
                conn,
                name=f"goals:{year}",
                select="SELECT team_id",
                source="FROM (SELECT DISTINCT team_id FROM rm_employee WHERE active "
                "AND (%(visible)s::text[] IS NULL OR employee_id = ANY(%(visible)s))) t "
                "WHERE TRUE",
                params={"visible": visible},
                keys=(Key("team_id", "text", "team_id"),),
                limit=page.limit,
                cursor=page.cursor,
            )
            # The company level sums everyone's last year: every active person's sales.
            staff: list[Any] = conn.execute(
                "SELECT e.employee_id, e.team_id, e.role, t.name, t.manager_id "
                "FROM rm_employee e LEFT JOIN rm_team t USING (team_id) WHERE e.active "
                "ORDER BY e.employee_id"
            ).fetchall()
            sales: dict[str, list[Measurement]] = defaultdict(list)
            for m in conn.execute(
                "SELECT employee_id, period, metric, value, source FROM rm_measurement "
                "WHERE metric = 'sales_amount' AND left(period, 4) BETWEEN %s AND %s",
                (f"{year - 2:04d}", f"{year:04d}"),
            ).fetchall():
                sales[m["employee_id"]].append(Measurement.model_validate(m))
        months = [f"{year - 1}-{m:02d}" for m in range(1, 13)]
        all_months = sorted({f"{y}-{m:02d}" for y in (year - 2, year - 1) for m in range(1, 13)})
        on_page = {r["team_id"] for r in shown}
        people: list[PersonGoal] = []
        previous: dict[str, float] = {}
        for s in staff:
            ledger = sales.get(s["employee_id"], [])
            monthly = {
                month: value
                for month in all_months
                if (value := period_value(ledger, "sales_amount", month, summed=True)) is not None
            }
            previous[s["employee_id"]] = math.fsum(monthly.get(m, 0.0) for m in months)
            if s["team_id"] not in on_page:
                continue
            if not any(month_of(m.period) < f"{year}-01" for m in ledger) and Role(
                s["role"]
            ) not in (Role.sales_rep, Role.senior_sales_rep):
                continue  # managers without their own sales carry no individual target
            targets = derive_targets(
                cascade, version, s["employee_id"], s["team_id"], Role(s["role"]),
                f"{year}-01", monthly,
            )  # fmt: skip
            people.append(
                PersonGoal(
                    employee_id=s["employee_id"],
                    team_id=s["team_id"],
                    baseline_source=targets.baseline.source,
                    monthly_sales_target=targets.monthly_sales_target,
                    annual_target=round(targets.monthly_sales_target * 12, 2),
                    growth_percent=targets.growth_percent,
                )
            )
        teams: dict[str, list[Any]] = defaultdict(list)
        for s in staff:
            if s["team_id"] in on_page:
                teams[s["team_id"]].append(s)
        items = []
        for r in shown:
            members = teams[r["team_id"]]
            mine = [p for p in people if p.team_id == r["team_id"]]
            individual = math.fsum(p.annual_target for p in mine)
            level = _level(
                math.fsum(previous[m["employee_id"]] for m in members),
                cascade.team_growth_percent,
            )
            items.append(
                TeamTargets(
                    team_id=r["team_id"],
                    name=members[0]["name"] or r["team_id"],
                    manager_id=members[0]["manager_id"],
                    members=len(members),
                    team=level,
                    individual_targets=round(individual, 2),
                    gap=round(level.annual_target - individual, 2),
                    people=mine,
                )
            )
        return CascadePage(
            items=items,
            total=total,
            limit=page.limit,
            next_cursor=next_cursor,
            year=year,
            cascade_version=version,
            company=_level(math.fsum(previous.values()), cascade.company_growth_percent),
        )


def _level(previous: float, growth: float) -> Level:
    return Level(
        previous_year_sales=round(previous, 2),
        growth_percent=growth,
        annual_target=round(previous * (1 + growth / 100), 2),
    )
