"""The goal cascade for a year, from the read model: the company's annual target (last
year's sales grown by the company rate), each team's (its members' last-year sales grown
by the team rate) and the sum of the individual targets the cascade gives the team's
reps, with the gap between the two; so HR sees whether the levels add up."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.calendar_periods import month_of
from aggregates.documents import Measurement
from aggregates.goals import GoalCascade, derive_targets
from aggregates.ladder import Role
from aggregates.periods import period_value
from careerflow.principal import AccessRole, Principal
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


class GoalQueries:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    @contextmanager
    def _connection(self) -> Iterator[Connection[DictRow]]:
        with self.pool.connection() as conn:
            yield cast(Connection[DictRow], conn)

    def cascade(self, principal: Principal, year: int) -> CascadeOverview:
        """HR and auditors see the whole company; a manager sees the teams of their
        reports (and the company level); employees use their own week view instead."""
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
            visible = (
                None
                if principal.role in EVERYONE
                else reports_of(conn, principal.person_id) | {principal.person_id}
            )
        months = [f"{year - 1}-{m:02d}" for m in range(1, 13)]
        all_months = sorted({f"{y}-{m:02d}" for y in (year - 2, year - 1) for m in range(1, 13)})
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
            teams[s["team_id"]].append(s)
        individual: dict[str, float] = defaultdict(float)
        for p in people:
            individual[p.team_id] += p.annual_target
        team_goals = []
        for team_id, members in sorted(teams.items()):
            if visible is not None and not any(m["employee_id"] in visible for m in members):
                continue
            before = math.fsum(previous[m["employee_id"]] for m in members)
            level = _level(before, cascade.team_growth_percent)
            team_goals.append(
                TeamGoal(
                    team_id=team_id,
                    name=members[0]["name"] or team_id,
                    manager_id=members[0]["manager_id"],
                    members=len(members),
                    team=level,
                    individual_targets=round(individual[team_id], 2),
                    gap=round(level.annual_target - individual[team_id], 2),
                )
            )
        shown = {t.team_id for t in team_goals}
        return CascadeOverview(
            year=year,
            cascade_version=version,
            company=_level(math.fsum(previous.values()), cascade.company_growth_percent),
            teams=team_goals,
            people=[p for p in people if p.team_id in shown],
        )


def _level(previous: float, growth: float) -> Level:
    return Level(
        previous_year_sales=round(previous, 2),
        growth_percent=growth,
        annual_target=round(previous * (1 + growth / 100), 2),
    )
