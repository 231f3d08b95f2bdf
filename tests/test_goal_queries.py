"""The goal cascade overview on a real PostgreSQL: company, team and individual targets
from last year's sales (+30% / +25% / +20% by default), per-person emphasis, the gap
between a team's target and its members' targets, and who may read it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from aggregates.base import DomainError, PermissionDeniedError
from aggregates.ladder import Role
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
from careerflow.cli.auth import ExitCode
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env
from projections.runner import ReadModels
from tests.cli_tokens import CliTokens
from tests.workflows.test_promotion_e2e import cli

ORG = [
    ("S1", "T1", None, Role.sales_supervisor),
    ("S2", "T2", None, Role.sales_supervisor),
    ("A1", "T1", "S1", Role.sales_rep),
    ("A2", "T1", "S1", Role.senior_sales_rep),
    ("B1", "T2", "S2", Role.sales_rep),
]


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(open_store(pg)) as s, ReadModels(pg, application_env(pg)) as rm:
        s.policies.seed(DEMO_HR)
        s.people.import_org(
            DEMO_HR,
            OrgImport(
                teams=[
                    TeamIn(team_id="T1", name="North", manager_id="S1"),
                    TeamIn(team_id="T2", name="South", manager_id="S2"),
                ],
                employees=[
                    EmployeeIn(
                        employee_id=e, name=e, role=r, team_id=t, manager_id=m,
                        hire_date=date(2020, 1, 1),
                    )
                    for e, t, m, r in ORG
                ],
            ),
        )  # fmt: skip
        rows = ["employee_id,period,metric,value,source,item"]
        # 2025: A1 sells 100,000 a month, A2 50,000 by weeks (2025-W10 belongs to March),
        # B1 nothing (a new hire: the role default).
        rows += [f"A1,2025-{m:02d},sales_amount,100000,crm," for m in range(1, 13)]
        rows += ["A2,2025-W10,sales_amount,600000,crm,"]
        s.ingest.ingest(DEMO_HR, ("\n".join(rows) + "\n").encode(), "csv", s.catalog(), "t")
        # A2 leans on growth: +50% instead of the individual +20%.
        s.policies.publish(
            DEMO_HR,
            "goal_cascade",
            "default",
            {"people": {"A2": {"growth_percent": 50}}},
            "A2 stretches",
        )
        rm.wait_caught_up(s.store.applications(), timeout=60)
        yield s


def test_the_cascade_adds_up_level_by_level(services: Engine) -> None:
    overview = services.goal_queries.cascade(DEMO_HR, 2026)
    assert overview.cascade_version == 2
    # Company: 1,200,000 + 600,000 last year, +30%.
    assert overview.company.previous_year_sales == 1_800_000
    assert overview.company.annual_target == 2_340_000
    north, south = overview.teams
    assert (north.team_id, north.team.previous_year_sales, north.team.annual_target) == (
        "T1",
        1_800_000,
        2_250_000,
    )
    people = {p.employee_id: p for p in overview.people}
    # A1: 100,000 a month +20%; A2: its one year's 600,000 over one month on record, +50%.
    assert people["A1"].annual_target == 1_440_000
    assert (people["A2"].monthly_sales_target, people["A2"].growth_percent) == (900_000, 50)
    assert people["B1"].baseline_source == "role_default"
    assert people["B1"].monthly_sales_target == 80_000 * 1.2
    assert north.individual_targets == 1_440_000 + 900_000 * 12
    assert north.gap == round(2_250_000 - north.individual_targets, 2)
    assert "S1" not in people  # a supervisor without sales of their own
    # South has no history: its team target is 0 and the new hire's default is the gap.
    assert (south.team.annual_target, south.gap) == (0, -80_000 * 1.2 * 12)


def test_who_may_read_the_cascade(services: Engine) -> None:
    mine = services.goal_queries.cascade(Principal(person_id="S2", role=AccessRole.manager), 2026)
    assert [t.team_id for t in mine.teams] == ["T2"]
    assert {p.employee_id for p in mine.people} == {"B1"}
    auditor = Principal(person_id="AU", role=AccessRole.auditor)
    assert len(services.goal_queries.cascade(auditor, 2026).teams) == 2
    with pytest.raises(PermissionDeniedError, match="your own targets"):
        services.goal_queries.cascade(Principal(person_id="A1", role=AccessRole.employee), 2026)
    with pytest.raises(DomainError, match="out of range"):
        services.goal_queries.cascade(DEMO_HR, 26)


async def test_the_cascade_on_the_command_line(
    services: Engine, pg: PostgresSettings, tmp_path: Path
) -> None:
    tokens = CliTokens(pg)
    shown = await cli(
        pg, "localhost:1", "unused", tmp_path, "cycle", "goals", "2026", *tokens.args("hr:H001")
    )
    assert shown.returncode == 0, shown.stderr
    assert "goal cascade 2026 (version 2)" in shown.stdout
    assert "2,340,000" in shown.stdout  # the company's target
    refused = await cli(
        pg, "localhost:1", "unused", tmp_path, "cycle", "goals", "2026", *tokens.args("employee:A1")
    )
    assert refused.returncode == ExitCode.REFUSED
    assert "your own targets are in your weekly view" in refused.stderr + refused.stdout
