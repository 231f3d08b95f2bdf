"""People through the API on the real stack: employee records and readiness by the row
rules, a team's members, and HR's organisation import."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import ApiStack
from tests.workflows.promotion_support import year_of_metrics

AS_OF = "2026-09"


async def get(api: ApiStack, who: str, path: str) -> Any:
    response = await api.call(who, "GET", f"/api/v1{path}")
    assert response.status_code == 200, f"{who} {path}: {response.text}"
    return response.json()


async def push_year(api: ApiStack) -> None:
    """A year of metrics through the API: E1 meets every supervisor criterion, E2 falls
    short on repurchase (55% against 60%)."""
    rows = year_of_metrics("E1", AS_OF, {}, mentored=2)
    rows += year_of_metrics("E2", AS_OF, {"repurchase_rate": 55.0}, mentored=2)
    lines = ["employee_id,period,metric,value,source,item"]
    lines += [f"{e},{p},{m},{v},crm,{item}" for e, p, m, v, item in rows]
    response = await api.call(
        "integration:crm",
        "POST",
        "/api/v1/metrics/exports",
        content=("\n".join(lines) + "\n").encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    api.caught_up()


async def test_an_employee_record_follows_the_row_rules(api: ApiStack) -> None:
    me = await get(api, "employee:E1", "/employees/E1")
    assert me == {
        "employee_id": "E1",
        "name": "达标者",
        "role": "senior_sales_rep",
        "team_id": "T001",
        "team_name": "Team 1",
        "manager_id": "S001",
        "manager_name": "主管一",
        "hire_date": "2020-01-01",
        "active": True,
        "language": "zh",
    }
    for who in ("manager:S001", "manager:M001", "hr:H001", "auditor:A001"):
        assert (await get(api, who, "/employees/E1"))["employee_id"] == "E1"
    # Someone not allowed cannot tell a colleague from nobody.
    colleague = await api.call("employee:E2", "GET", "/api/v1/employees/E1")
    nobody = await api.call("employee:E2", "GET", "/api/v1/employees/E404")
    assert colleague.status_code == nobody.status_code == 404
    assert colleague.json()["detail"].replace("E1", "?") == nobody.json()["detail"].replace(
        "E404", "?"
    )
    boss = await api.call("manager:S001", "GET", "/api/v1/employees/M001")
    assert boss.status_code == 404


async def test_how_far_am_i_from_promotion(api: ApiStack) -> None:
    await push_year(api)
    mine = await get(api, "employee:E1", "/employees/E1/readiness")
    assert (mine["as_of_month"], mine["next_role"], mine["eligible"]) == (
        AS_OF,
        "sales_supervisor",
        True,
    )
    assert mine["unmet"] == []
    assert all(r["met"] for r in mine["evaluation"]["results"])
    assert 0 < mine["score"] <= 10
    assert mine["team_size"] == 4 and 1 <= mine["team_rank"] <= 4
    assert set(mine["indicator_ranks"]) == set(mine["potential"]["indicators"])
    assert mine["policy_versions"]

    short = await get(api, "employee:E2", "/employees/E2/readiness")
    assert short["eligible"] is False
    assert short["unmet"] == ["repurchase"]
    repurchase = next(r for r in short["evaluation"]["results"] if r["id"] == "repurchase")
    assert repurchase["met"] is False and repurchase["suggestion"]["en"]
    assert "repurchase" in short["summary"]["en"] and "✗" in short["summary"]["en"]
    assert repurchase["suggestion"]["en"] in short["summary"]["en"]
    assert short["indicator_ranks"]["repurchase_rate"] > mine["indicator_ranks"]["repurchase_rate"]
    assert all(s["text"]["en"] and s["text"]["zh"] for s in short["suggestions"])
    # The manager chain reads it too; a colleague gets what an unknown id gets.
    assert (await get(api, "manager:M001", "/employees/E2/readiness"))["unmet"] == ["repurchase"]
    other = await api.call("employee:E1", "GET", "/api/v1/employees/E2/readiness")
    unknown = await api.call("employee:E1", "GET", "/api/v1/employees/E404/readiness")
    assert other.status_code == unknown.status_code == 404
    assert (
        await api.call("integration:crm", "GET", "/api/v1/employees/E1/readiness")
    ).status_code == 404


async def test_a_team_is_listed_for_its_managers_and_hr(api: ApiStack) -> None:
    team = await get(api, "manager:S001", "/teams/T001/members")
    assert (team["name"], team["manager_id"], team["parent_team_id"]) == ("Team 1", "S001", "R01")
    assert team["total"] == 4 and team["next_cursor"] is None
    assert [(m["employee_id"], m["role"]) for m in team["items"]] == [
        ("E1", "senior_sales_rep"),
        ("E2", "senior_sales_rep"),
        ("E3", "sales_rep"),
        ("S001", "sales_supervisor"),
    ]
    assert await get(api, "manager:M001", "/teams/T001/members") == team
    assert await get(api, "auditor:A001", "/teams/T001/members") == team
    above = await api.call("manager:S001", "GET", "/api/v1/teams/R01/members")
    assert above.status_code == 404
    rep = await api.call("employee:E1", "GET", "/api/v1/teams/T001/members")
    assert rep.status_code == 403 and "may not see a team's members" in rep.json()["detail"]


def _person(employee_id: str, team_id: str, manager_id: str, role: str = "sales_rep") -> Any:
    return {
        "employee_id": employee_id,
        "name": f"new {employee_id}",
        "role": role,
        "team_id": team_id,
        "manager_id": manager_id,
        "hire_date": "2026-10-01",
    }


async def test_hr_imports_the_organisation(api: ApiStack) -> None:
    org = {
        "teams": [
            {"team_id": "T002", "name": "Team 2", "manager_id": "S002", "parent_team_id": "R01"}
        ],
        "employees": [
            _person("S002", "T002", "M001", "sales_supervisor"),
            _person("E5", "T002", "S002"),
        ],
    }
    imported = await api.call("hr:H001", "POST", "/api/v1/organisation/import", json=org)
    assert imported.status_code == 200, imported.text
    assert imported.json() | {"notification_id": None} == {
        "teams_changed": 1,
        "employees_added": 2,
        "employees_moved": 0,
        "notification_id": None,
    }
    again = await api.call("hr:H001", "POST", "/api/v1/organisation/import", json=org)
    assert again.json() == {
        "teams_changed": 0,
        "employees_added": 0,
        "employees_moved": 0,
        "notification_id": None,
    }
    api.caught_up()
    assert [
        m["employee_id"] for m in (await get(api, "manager:M001", "/teams/T002/members"))["items"]
    ] == ["E5", "S002"]
    assert (await get(api, "hr:H001", "/employees/E5"))["manager_name"] == "new S002"
    assert (await api.call("manager:S001", "GET", "/api/v1/employees/E5")).status_code == 404

    # E5 moves to S001's team: S001 sees them from then on.
    moved = await api.call(
        "hr:H001",
        "POST",
        "/api/v1/organisation/import",
        json={"employees": [_person("E5", "T001", "S001")]},
    )
    assert moved.json()["employees_moved"] == 1
    api.caught_up()
    assert (await get(api, "manager:S001", "/employees/E5"))["team_id"] == "T001"


async def test_a_bad_import_changes_nothing(api: ApiStack) -> None:
    unknown = {"employees": [_person("E9", "T001", "NOPE")]}
    refused = await api.call("hr:H001", "POST", "/api/v1/organisation/import", json=unknown)
    assert refused.status_code == 422
    assert "nothing was imported" in refused.json()["detail"]
    assert "manager 'NOPE' is unknown" in refused.json()["detail"]
    invalid = {"employees": [{**_person("E9", "T001", "S001"), "role": "ceo"}]}
    bad_role = await api.call("hr:H001", "POST", "/api/v1/organisation/import", json=invalid)
    assert bad_role.status_code == 422
    assert [e["field"] for e in bad_role.json()["errors"]] == ["employees.0.role"]
    denied = await api.call("manager:M001", "POST", "/api/v1/organisation/import", json=unknown)
    assert (
        denied.status_code == 403 and "may not change the organisation" in denied.json()["detail"]
    )
    api.caught_up()
    assert (await api.call("hr:H001", "GET", "/api/v1/employees/E9")).status_code == 404
