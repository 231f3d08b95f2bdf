"""People: an employee and their readiness follow the row rules (self, manager chain,
HR, auditors; anyone else 404, like an unknown id); a team's members are for its
managers and HR/auditors; only HR imports the organisation."""

from __future__ import annotations

from typing import Any

from tests.api.matrix import Case, Outcome

OK = "ok"
# Who sees E1 (and E2): themselves, S001 and M001 above them, HR and auditors.
SEES_E1: dict[str, Outcome] = {
    "employee:E1": OK,
    "manager:S001": OK,
    "manager:M001": OK,
    "hr:H001": OK,
    "auditor:A001": OK,
}
SEES_E2: dict[str, Outcome] = {**SEES_E1, "employee:E1": 404, "employee:E2": OK}
SEES_S001: dict[str, Outcome] = {
    "manager:S001": OK,
    "manager:M001": OK,
    "hr:H001": OK,
    "auditor:A001": OK,
}
# Employees and integrations never list teams (403); a manager who is not above a team
# gets what an unknown team gives (404).
NO_TEAMS: dict[str, Outcome] = {"employee:E1": 403, "employee:E2": 403, "integration:crm": 403}

E3_AGAIN = {
    "employees": [
        {
            "employee_id": "E3",
            "name": "新人",
            "role": "sales_rep",
            "team_id": "T001",
            "manager_id": "S001",
            "hire_date": "2020-01-01",
            "email": "e3@example.invalid",
        }
    ]
}
UNKNOWN_MANAGER = {
    "employees": [{**E3_AGAIN["employees"][0], "employee_id": "E9", "manager_id": "NOPE"}]
}


def _is(employee_id: str) -> Any:
    def check(who: str, body: Any) -> None:
        assert body["employee_id"] == employee_id, who

    return check


def _members(*expected: str) -> Any:
    def check(who: str, body: Any) -> None:
        assert [m["employee_id"] for m in body["items"]] == list(expected), who
        assert body["total"] == len(expected), who

    return check


def _language_kept(who: str, body: Any) -> None:
    assert (body["employee_id"], body["language"], body["changed"]) == ("E1", "zh", False), who


def _nothing_changed(who: str, body: Any) -> None:
    assert (body["employees_added"], body["employees_moved"]) == (0, 0), who


CASES = [
    Case("GET", "/employees/E1", "/employees/{employee_id}", SEES_E1, 404, check=_is("E1")),
    Case("GET", "/employees/S001", "/employees/{employee_id}", SEES_S001, 404),
    Case("GET", "/employees/NOPE", "/employees/{employee_id}", {}, 404),
    Case(
        "GET",
        "/employees/E1/readiness",
        "/employees/{employee_id}/readiness",
        SEES_E1,
        404,
        check=_is("E1"),
    ),
    Case("GET", "/employees/E2/readiness", "/employees/{employee_id}/readiness", SEES_E2, 404),
    Case("GET", "/employees/NOPE/readiness", "/employees/{employee_id}/readiness", {}, 404),
    # The directory: managers see their reports, HR and auditors everyone.
    Case(
        "GET",
        "/employees",
        "/employees",
        {**NO_TEAMS, "manager:S001": OK, "manager:M001": OK, "hr:H001": OK, "auditor:A001": OK},
    ),
    Case(
        "GET",
        "/teams/T001/members",
        "/teams/{team_id}/members",
        {**NO_TEAMS, "manager:S001": OK, "manager:M001": OK, "hr:H001": OK, "auditor:A001": OK},
        check=_members("E1", "E2", "E3", "S001"),
    ),
    Case(
        "GET",
        "/teams/R01/members",
        "/teams/{team_id}/members",
        {**NO_TEAMS, "manager:S001": 404, "manager:M001": OK, "hr:H001": OK, "auditor:A001": OK},
        check=_members("M001"),
    ),
    Case("GET", "/teams/NOPE/members", "/teams/{team_id}/members", NO_TEAMS, 404),
    # A profile language: the person's own, or HR's to set (zh: what E1 has already).
    Case(
        "PUT",
        "/employees/E1/language",
        "/employees/{employee_id}/language",
        {"employee:E1": OK, "hr:H001": OK},
        json={"language": "zh"},
        check=_language_kept,
    ),
    Case(
        "PUT",
        "/employees/NOPE/language",
        "/employees/{employee_id}/language",
        {"hr:H001": 404},
        json={"language": "zh"},
    ),
    Case(
        "PUT",
        "/employees/E1/language",
        "/employees/{employee_id}/language",
        {},
        "refused",
        json={"language": "fr"},
    ),
    Case(
        "POST",
        "/organisation/import",
        "/organisation/import",
        {"hr:H001": OK},
        json=E3_AGAIN,
        check=_nothing_changed,
    ),
    Case(
        "POST",
        "/organisation/import",
        "/organisation/import",
        {"hr:H001": "refused"},
        json=UNKNOWN_MANAGER,
    ),
]
