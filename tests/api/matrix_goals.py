"""The goal cascade: HR and auditors see the company, a manager the teams of their
reports; employees and integrations are refused (their targets are in their week)."""

from __future__ import annotations

from typing import Any

from tests.api.matrix import Case

YEAR = 2026


def _teams(who: str, body: Any) -> None:
    assert body["year"] == YEAR and body["cascade_version"] >= 1
    teams = [t["team_id"] for t in body["items"]]
    assert body["total"] == len(teams) and body["next_cursor"] is None
    # S001 sees the team of their reports; M001 (transitively) also their own region.
    expected = {"manager:S001": ["T001"]}.get(who, ["R01", "T001"])
    assert teams == expected, teams
    assert all(p["team_id"] == t["team_id"] for t in body["items"] for p in t["people"])


CASES = [
    Case(
        "GET",
        f"/goals/{YEAR}",
        "/goals/{year}",
        {"hr:H001": "ok", "auditor:A001": "ok", "manager:S001": "ok", "manager:M001": "ok"},
        check=_teams,
    ),
    # A year out of range is named for everyone with a token.
    Case("GET", "/goals/1999", "/goals/{year}", {}, default="refused"),
]
