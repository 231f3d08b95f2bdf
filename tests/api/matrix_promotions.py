"""Promotions in the authorization matrix. Nothing here starts or changes an application:
starts are refused by a business rule or name an unknown employee, and every action on
an application names one that does not exist, so a role that may act gets 404 and one
that never may gets 403 (whatever the id)."""

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
HR_AND_AUDITORS: dict[str, Outcome] = {"hr:H001": "ok", "auditor:A001": "ok"}
NOBODY = "/promotions/applications/no-such-application"
APPLICATION = "/promotions/applications/{application_id}"


# Whose rows each caller may see (M001 manages S001, S001 manages E1, E2 and E3).
SEES: dict[str, set[str] | None] = {
    "employee:E1": {"E1"},
    "employee:E2": {"E2"},
    "manager:S001": {"S001", "E1", "E2", "E3"},
    "manager:M001": {"M001", "S001", "E1", "E2", "E3"},
    "hr:H001": None,
    "auditor:A001": None,
}


def _only_visible_rows(who: str, body: Any) -> None:
    allowed = SEES[who]
    if allowed is not None:
        assert {row["employee_id"] for row in body["items"]} <= allowed, (who, body)


def _pipeline(who: str, body: Any) -> None:
    assert {"manager_review", "hr_review", "returned"} <= set(body["stages"]), body


CASES = [
    # Start: employees apply for themselves, HR for anyone.
    Case(
        "POST",
        "/promotions/applications",
        "/promotions/applications",
        # E1 is a senior sales rep: sales manager is not the next rung.
        {"employee:E1": "refused", "hr:H001": "refused"},
        json={"employee_id": "E1", "target_role": "sales_manager"},
    ),
    Case(
        "POST",
        "/promotions/applications",
        "/promotions/applications",
        {"hr:H001": 404},
        json={"employee_id": "E404"},
    ),
    # Reads.
    Case(
        "GET",
        "/promotions/applications",
        "/promotions/applications",
        READERS,
        check=_only_visible_rows,
    ),
    Case(
        "GET",
        "/promotions/applications?stage=manager_review",
        "/promotions/applications",
        READERS,
        check=_only_visible_rows,
    ),
    Case("GET", NOBODY, APPLICATION, {w: 404 for w in READERS}),
    Case("GET", "/promotions/returned", "/promotions/returned", READERS, check=_only_visible_rows),
    Case(
        "GET",
        "/promotions/pipeline",
        "/promotions/pipeline",
        HR_AND_AUDITORS,
        check=_pipeline,
    ),
    Case("GET", "/promotions/cycle-times", "/promotions/cycle-times", HR_AND_AUDITORS),
    Case(
        "GET",
        "/promotions/candidate-pool",
        "/promotions/candidate-pool",
        {"manager:S001": "ok", "manager:M001": "ok", **HR_AND_AUDITORS},
        check=_only_visible_rows,
    ),
    # Actions on an application.
    Case(
        "POST",
        f"{NOBODY}/decision",
        f"{APPLICATION}/decision",
        {"manager:S001": 404, "manager:M001": 404, "hr:H001": 404},
        json={"approve": True, "comment": "approve; focus on management skills"},
    ),
    Case(
        "POST",
        f"{NOBODY}/resubmission",
        f"{APPLICATION}/resubmission",
        {w: 404 for w in ("employee:E1", "employee:E2", "manager:S001", "manager:M001", "hr:H001")},
    ),
    Case(
        "POST",
        f"{NOBODY}/withdrawal",
        f"{APPLICATION}/withdrawal",
        {w: 404 for w in ("employee:E1", "employee:E2", "manager:S001", "manager:M001", "hr:H001")},
        json={"reason": "changed my mind"},
    ),
    Case(
        "POST",
        f"{NOBODY}/hr-review",
        f"{APPLICATION}/hr-review",
        {"hr:H001": 404},
        json={"outcome": "confirm"},
    ),
]
