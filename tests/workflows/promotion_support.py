"""A small, controlled organisation for the promotion workflow tests."""

from __future__ import annotations

from datetime import date

from aggregates.calendar_periods import months_back
from aggregates.ladder import Role
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine

TEAM = [
    ("M001", "区域经理", Role.sales_manager, "R01", None),
    ("S001", "主管一", Role.sales_supervisor, "T001", "M001"),
    ("E1", "达标者", Role.senior_sales_rep, "T001", "S001"),
    ("E2", "复购不足", Role.senior_sales_rep, "T001", "S001"),
    ("E3", "新人", Role.sales_rep, "T001", "S001"),
]

GOOD = {
    "sales_completion": 130.0,
    "repurchase_rate": 65.0,
    "satisfaction": 95.0,
    "collaboration_score": 9.0,
}


def build_org(services: Engine) -> None:
    services.policies.seed(DEMO_HR)
    services.people.import_org(
        DEMO_HR,
        OrgImport(
            teams=[
                TeamIn(team_id="R01", name="Region", manager_id="M001"),
                TeamIn(team_id="T001", name="Team 1", manager_id="S001", parent_team_id="R01"),
            ],
            employees=[
                EmployeeIn(
                    employee_id=e,
                    name=n,
                    role=r,
                    team_id=t,
                    manager_id=m,
                    hire_date=date(2020, 1, 1),
                    email=f"{e.lower()}@example.invalid",
                )
                for e, n, r, t, m in TEAM
            ],
        ),
    )


def hire_rep(
    services: Engine, employee_id: str, team_id: str, manager_id: str, locale: str
) -> None:
    """One more sales rep, with their profile's language."""
    services.people.import_org(
        DEMO_HR,
        OrgImport(
            employees=[
                EmployeeIn(
                    employee_id=employee_id,
                    name=f"Rep {employee_id}",
                    role=Role.sales_rep,
                    team_id=team_id,
                    manager_id=manager_id,
                    hire_date=date(2021, 3, 1),
                    locale=locale,
                )
            ]
        ),
    )


def ingest(services: Engine, rows: list[tuple[str, str, str, float, str]]) -> None:
    lines = ["employee_id,period,metric,value,source,item"]
    lines += [f"{e},{p},{m},{v},crm,{item}" for e, p, m, v, item in rows]
    services.ingest.ingest(
        DEMO_HR, ("\n".join(lines) + "\n").encode(), "csv", services.catalog(), "test"
    )


def year_of_metrics(
    employee_id: str, as_of_month: str, overrides: dict[str, float], mentored: int
) -> list[tuple[str, str, str, float, str]]:
    values = {**GOOD, **overrides}
    months = months_back(as_of_month, 12)
    rows = [(employee_id, month, m, v, "") for month in months for m, v in values.items()]
    rows += [(employee_id, months[i], "new_hires_mentored", 1.0, "") for i in range(mentored)]
    rows += [
        (employee_id, months[2], "course_completed", 92.0, "Team Management"),
        (employee_id, months[5], "course_completed", 88.0, "Customer Relationships"),
    ]
    return rows
