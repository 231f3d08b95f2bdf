"""Support requests' endpoints. The matrix's stack has the version-1 support_process
(its teams are support staff, none of them a matrix caller) and no request: raising with
an unknown category is refused for reps, steps on a request that does not exist are 404,
and queues and compliance are for HR and auditors. test_api_support.py runs the real
round trips on its own stack."""

from __future__ import annotations

from typing import Any

from tests.api.matrix import Case, Outcome

MISSING = "SR0000000000"
REPS: dict[str, Outcome] = {"employee:E1": "ok", "employee:E2": "ok"}
OVERSEERS: dict[str, Outcome] = {"hr:H001": "ok", "auditor:A001": "ok"}
# Roles that change no support request.
READ_ONLY: dict[str, Outcome] = {"auditor:A001": 403, "integration:crm": 403}


def _no_requests(who: str, body: Any) -> None:
    assert body["employee_id"] == who.split(":")[1]
    assert (body["open"], body["items"], body["total"]) == (0, [], 0)


def _empty_queue(who: str, body: Any) -> None:
    assert body["team"] == "product" and body["lead_id"] == "PD01"
    assert (body["waiting"], body["items"], body["total"]) == (0, [], 0)


def _no_compliance(who: str, body: Any) -> None:
    assert (body["items"], body["total"], body["teams"]) == ([], 0, [])


CASES = [
    # Raising: reps only; an unknown category names the known ones.
    Case(
        "POST",
        "/support/requests",
        "/support/requests",
        {"employee:E1": "refused", "employee:E2": "refused"},
        json={"category": "legal", "text": "the client asks for a contract review"},
    ),
    Case(
        "GET",
        "/support/requests/mine",
        "/support/requests/mine",
        REPS,
        check=_no_requests,
    ),
    Case(
        "GET",
        f"/support/requests/{MISSING}",
        "/support/requests/{request_id}",
        {},
        default=404,
    ),
    # Steps on a request that does not exist: 404, except for roles that change nothing.
    Case(
        "POST",
        f"/support/requests/{MISSING}/acknowledge",
        "/support/requests/{request_id}/acknowledge",
        READ_ONLY,
        default=404,
    ),
    Case(
        "POST",
        f"/support/requests/{MISSING}/answer",
        "/support/requests/{request_id}/answer",
        READ_ONLY,
        default=404,
        json={"text": "a proposal by Friday"},
    ),
    Case(
        "POST",
        f"/support/requests/{MISSING}/confirm",
        "/support/requests/{request_id}/confirm",
        READ_ONLY,
        default=404,
    ),
    Case(
        "POST",
        f"/support/requests/{MISSING}/reopen",
        "/support/requests/{request_id}/reopen",
        READ_ONLY,
        default=404,
        json={"reason": "the delivery date is missing"},
    ),
    # Queues: the team (nobody here), HR and auditors; an unknown team is 404.
    Case(
        "GET",
        "/support/teams/product/queue",
        "/support/teams/{team}/queue",
        OVERSEERS,
        check=_empty_queue,
    ),
    Case(
        "GET",
        "/support/teams/legal/queue",
        "/support/teams/{team}/queue",
        {"integration:crm": 403},
        default=404,
    ),
    # Compliance: HR and auditors (team people their own team; nobody here).
    Case(
        "GET",
        "/support/compliance",
        "/support/compliance",
        OVERSEERS,
        check=_no_compliance,
    ),
    Case(
        "GET",
        "/support/compliance?since=2026-48",
        "/support/compliance",
        {"hr:H001": "refused", "auditor:A001": "refused"},
    ),
]
