"""The 360° assessment endpoints. The matrix's stack has the organisation and the seeded
competency model but no round (nothing here starts one), so every outcome is the same
whatever order the callers come in. `anonymity_cases` are the reads of a closed round;
test_api_assessments.py runs them, on its own stack, as every caller.

Anonymity, for every caller: no answer has a rater id, a per-rating moment or the
individual ratings (`ANONYMITY_KEYS` never carry a value); hidden groups have neither
an average nor a count; anonymous groups list no raters in progress; and a hidden
group's comment appears nowhere."""

from __future__ import annotations

import json
from typing import Any

from tests.api.matrix import CALLER_NAMES, Case, Outcome, paged

ROUND = "never-started"  # no such round on the matrix's stack
RATING = {
    "ratings": {
        "customer_insight": {"level": 4},
        "relationship_maintenance": {"level": 3},
        "resource_coordination": {"level": 2, "comment": "involve product earlier"},
    }
}
ANONYMITY_KEYS = ["rater_id", "rater", "rated_at", "submitted_at", "ratings", "timestamp"]
NOBODY_SEES_RATERS: dict[str, list[str]] = {who: ANONYMITY_KEYS for who in CALLER_NAMES}
HIDDEN_SECRET = "only-two-reports secret"
"""A comment of one of S001's two anonymous reports: hidden with their group."""

READERS: dict[str, Outcome] = {"hr:H001": "ok", "auditor:A001": "ok"}
SEES_E1: dict[str, Outcome] = {
    who: "ok" for who in ("employee:E1", "manager:S001", "manager:M001", "hr:H001", "auditor:A001")
}
SEES_S001: dict[str, Outcome] = {
    who: "ok" for who in ("manager:S001", "manager:M001", "hr:H001", "auditor:A001")
}
TEAM_READERS: dict[str, Outcome] = {
    "manager:S001": 404,
    "manager:M001": 404,
    "hr:H001": 404,
    "auditor:A001": 404,
}


def _no_rounds(who: str, body: Any) -> None:
    assert (body["items"], body["total"], body["next_cursor"]) == ([], 0, None)


def _no_tasks(who: str, body: Any) -> None:
    assert (body["items"], body["total"], body["open"]) == ([], 0, 0)


CASES = [
    Case("GET", "/assessments/rounds", "/assessments/rounds", READERS, check=_no_rounds),
    # HR gets past access control and is refused for the deadline (already passed), so
    # nothing starts on the matrix's stack.
    Case(
        "POST",
        "/assessments/rounds",
        "/assessments/rounds",
        {"hr:H001": "refused"},
        json={"round_id": "matrix", "employee_ids": ["E1"], "deadline": "2020-01-01T00:00:00Z"},
    ),
    Case(
        "GET",
        f"/assessments/rounds/{ROUND}/progress",
        "/assessments/rounds/{round_id}/progress",
        {"hr:H001": 404, "auditor:A001": 404},
    ),
    Case(
        "GET",
        f"/assessments/rounds/{ROUND}/gaps",
        "/assessments/rounds/{round_id}/gaps",
        {"hr:H001": 404, "auditor:A001": 404},
    ),
    Case(
        "GET",
        "/assessments/tasks",
        "/assessments/tasks",
        {who: "ok" for who in CALLER_NAMES if who not in ("none", "integration:crm")},
        check=_no_tasks,
        forbidden_fields=NOBODY_SEES_RATERS,
    ),
    # Raters (employees, managers) get as far as the missing round; the rest may not rate.
    Case(
        "POST",
        f"/assessments/rounds/{ROUND}/ratings/E1",
        "/assessments/rounds/{round_id}/ratings/{employee_id}",
        {"employee:E1": 404, "employee:E2": 404, "manager:S001": 404, "manager:M001": 404},
        json=RATING,
    ),
    # A profile: unknown round, or a person the caller may not see: 404 alike.
    Case(
        "GET",
        f"/assessments/rounds/{ROUND}/profiles/E1",
        "/assessments/rounds/{round_id}/profiles/{employee_id}",
        {},
        default=404,
        forbidden_fields=NOBODY_SEES_RATERS,
    ),
    # A person's closed rounds: none yet on this stack; whoever may not see E1 gets 404.
    Case(
        "GET",
        "/assessments/people/E1/profiles",
        "/assessments/people/{employee_id}/profiles",
        SEES_E1,
        default=404,
        check=_no_rounds,
    ),
    Case(
        "GET",
        "/assessments/people/S001/profiles?limit=1",
        "/assessments/people/{employee_id}/profiles",
        SEES_S001,
        default=404,
        check=_no_rounds,
    ),
    Case(
        "GET",
        "/assessments/people/E1/profiles?cursor=bm9wZQ",
        "/assessments/people/{employee_id}/profiles",
        {who: "refused" for who in SEES_E1},
        default=404,
    ),
    Case(
        "GET",
        f"/assessments/rounds/{ROUND}/teams/S001",
        "/assessments/rounds/{round_id}/teams/{manager_id}",
        TEAM_READERS,
        forbidden_fields=NOBODY_SEES_RATERS,
    ),
]


def _walk(body: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(body, dict):
        found.append(body)
        for v in body.values():
            found += _walk(v)
    elif isinstance(body, list):
        for v in body:
            found += _walk(v)
    return found


def anonymous_everywhere(who: str, body: Any) -> None:
    """Hidden groups show no figure, anonymous groups no raters, and the hidden group's
    comment is nowhere."""
    assert HIDDEN_SECRET not in json.dumps(body, ensure_ascii=False), who
    for node in _walk(body):
        if node.get("hidden") is True:
            assert node["average"] is None and node["raters"] is None, (who, node)
            assert node["note"]["en"] == "hidden: fewer than 3 raters", (who, node)
        if node.get("anonymous") is True and "asked" in node:  # a group's progress
            assert node.get("raters") is None, (who, node)
        if node.get("anonymous") is True and node.get("average") is not None:
            assert node["raters"] >= 3, (who, node)


def _e1_profile(who: str, body: Any) -> None:
    anonymous_everywhere(who, body)
    assert body["employee_id"] == "E1"
    rc = next(c for c in body["competencies"] if c["competency"] == "resource_coordination")
    peers = next(g for g in rc["groups"] if g["group"] == "peers")
    assert (peers["anonymous"], peers["raters"], peers["hidden"]) == (True, 3, False)
    assert rc["below_target"] is True
    assert [c["course"] for c in body["courses"]] == [
        "Cross-Department Communication Skills",
        "Big-Client Resource Coordination",
    ]


def _s001_profile(who: str, body: Any) -> None:
    anonymous_everywhere(who, body)
    for score in body["competencies"]:
        reports = next(g for g in score["groups"] if g["group"] == "reports")
        assert reports["hidden"] is True


def _team(who: str, body: Any) -> None:
    anonymous_everywhere(who, body)
    assert [p["employee_id"] for p in body["items"]] == ["E1"]
    assert body["total"] == 1 and body["next_cursor"] is None, (who, body)


def _progress(who: str, body: Any) -> None:
    anonymous_everywhere(who, body)
    assert body["round"]["status"] == "closed"
    assert body["total"] == len(body["items"]) and body["next_cursor"] is None, body


def _gaps(who: str, body: Any) -> None:
    rc = next(g for g in body["competencies"] if g["competency"] == "resource_coordination")
    assert rc["text"]["en"] == "50% (1 of 2) have a resource coordination gap"


def _closed_rounds(round_id: str) -> Any:
    def check(who: str, body: Any) -> None:
        paged(who, body)
        assert [r["round_id"] for r in body["items"]] == [round_id], (who, body)
        assert body["total"] == 1 and body["next_cursor"] is None, (who, body)
        assert body["items"][0]["gaps"] >= 1, (who, body)

    return check


def anonymity_cases(round_id: str) -> list[Case]:
    """A closed round's reads as every caller: who sees what, and that nothing in any
    answer identifies an anonymous rater."""
    base = f"/assessments/rounds/{round_id}"
    return [
        Case(
            "GET",
            "/assessments/people/E1/profiles",
            "/assessments/people/{employee_id}/profiles",
            SEES_E1,
            default=404,
            forbidden_fields=NOBODY_SEES_RATERS,
            check=_closed_rounds(round_id),
        ),
        Case(
            "GET",
            f"{base}/profiles/E1",
            "/assessments/rounds/{round_id}/profiles/{employee_id}",
            SEES_E1,
            default=404,
            forbidden_fields=NOBODY_SEES_RATERS,
            check=_e1_profile,
        ),
        Case(
            "GET",
            f"{base}/profiles/S001",
            "/assessments/rounds/{round_id}/profiles/{employee_id}",
            SEES_S001,
            default=404,
            forbidden_fields=NOBODY_SEES_RATERS,
            check=_s001_profile,
        ),
        Case(
            "GET",
            f"{base}/teams/S001",
            "/assessments/rounds/{round_id}/teams/{manager_id}",
            SEES_S001,
            forbidden_fields=NOBODY_SEES_RATERS,
            check=_team,
        ),
        Case(
            "GET",
            f"{base}/progress",
            "/assessments/rounds/{round_id}/progress",
            READERS,
            forbidden_fields=NOBODY_SEES_RATERS,
            check=_progress,
        ),
        Case(
            "GET",
            f"{base}/gaps",
            "/assessments/rounds/{round_id}/gaps",
            READERS,
            forbidden_fields=NOBODY_SEES_RATERS,
            check=_gaps,
        ),
        Case(
            "GET",
            "/assessments/tasks",
            "/assessments/tasks",
            {who: "ok" for who in CALLER_NAMES if who not in ("none", "integration:crm")},
            forbidden_fields=NOBODY_SEES_RATERS,
            check=anonymous_everywhere,
        ),
    ]
