"""Development plans in the authorization matrix. Nothing here starts or changes a plan:
the start names an unknown employee, and every action on a plan names one that does not
exist, so a role that may act gets 404 and one that never may gets 403 (whatever the
id)."""

from __future__ import annotations

from typing import Any

from tests.api.matrix import Case, Outcome

READERS: dict[str, Outcome] = {
    "employee:E1": "ok",
    "employee:E2": "ok",
    "manager:S001": "ok",
    "manager:M001": "ok",
    "hr:H001": "ok",
    "auditor:A001": "ok",
}
NO_PLAN = "/plans/plan-E404-2030-01-01"
PLAN = "/plans/{plan_id}"
STEERERS: dict[str, Outcome] = {"manager:S001": 404, "manager:M001": 404, "hr:H001": 404}


def _plans_of_e1(who: str, body: Any) -> None:
    assert all(plan["employee_id"] == "E1" for plan in body["items"]), (who, body)


def _team_of(who: str, body: Any) -> None:
    reports = {"manager:S001": {"E1", "E2", "E3"}, "manager:M001": {"S001", "E1", "E2", "E3"}}
    if who in reports:
        assert {plan["employee_id"] for plan in body["items"]} <= reports[who], (who, body)


CASES = [
    Case(
        "POST",
        "/plans",
        "/plans",
        {"hr:H001": 404},
        json={"employee_id": "E404", "effective_date": "2030-01-01"},
    ),
    # E1's plans: E1, the manager chain, HR and auditors; not E2, and E2 cannot tell
    # whether E1 exists.
    Case(
        "GET",
        "/plans?employee_id=E1",
        "/plans",
        {**READERS, "employee:E2": 404},
        check=_plans_of_e1,
    ),
    Case("GET", "/plans?employee_id=E404", "/plans", {w: 404 for w in READERS}),
    Case(
        "GET",
        "/plans/team",
        "/plans/team",
        {"manager:S001": "ok", "manager:M001": "ok", "hr:H001": "ok", "auditor:A001": "ok"},
        check=_team_of,
    ),
    Case("GET", "/plans/overview", "/plans/overview", {"hr:H001": "ok", "auditor:A001": "ok"}),
    Case("GET", NO_PLAN, PLAN, {w: 404 for w in READERS}),
    Case(
        "POST",
        f"{NO_PLAN}/milestones/team_meetings/confirmation",
        f"{PLAN}/milestones/{{milestone_id}}/confirmation",
        STEERERS,
        json={"comment": "joined"},
    ),
    Case(
        "POST",
        f"{NO_PLAN}/adjustments",
        f"{PLAN}/adjustments",
        STEERERS,
        json={"action": "drop", "milestone_id": "team_goal", "reason": "reorganisation"},
    ),
]
