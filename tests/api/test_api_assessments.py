"""360° assessments through the API on the real stack (PostgreSQL, read models, the
Temporal dev server and a worker): HR starts a round, raters rate (and are refused with
the reason), progress shows anonymous groups as counts only, results wait for the close;
and a closed round's reads as every caller prove the anonymity rules.

Time on the dev server is real, so a round started here cannot reach its deadline; the
closed round is made by the round's own commands, as its workflow runs them (open, the
ratings, the close with the anonymous ratings sealed), and the time-skipping tests in
tests/workflows cover the workflow's deadline, reminders and close."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from temporalio.client import WorkflowExecutionStatus

import tests.api.test_matrix as matrix
from activities.assessments import (
    AssessmentActivities,
    CloseRound,
    OpenRound,
    RateCommand,
    RoundRequest,
    SealedRating,
    sealed_order,
)
from aggregates.competency import RatingItem
from aggregates.ladder import Role
from careerflow.applications.people import EmployeeIn, OrgImport
from careerflow.demo_loader import DEMO_HR
from careerflow.principal import AccessRole, Principal
from tests.api.conftest import ApiStack
from tests.api.matrix_assessments import HIDDEN_SECRET, anonymity_cases
from workflows.assessment_round import AssessmentRoundWorkflow, assessment_workflow_id

API = "/api/v1"
HR = Principal(person_id="H001", role=AccessRole.hr)


def rep(person: str) -> Principal:
    return Principal(person_id=person, role=AccessRole.employee)


def manager(person: str) -> Principal:
    return Principal(person_id=person, role=AccessRole.manager)


def rating(ci: int, rm: int, rc: int, comment: str | None = None) -> dict[str, RatingItem]:
    return {
        "customer_insight": RatingItem(level=ci),
        "relationship_maintenance": RatingItem(level=rm),
        "resource_coordination": RatingItem(level=rc, comment=comment),
    }


def body(ci: int, rm: int, rc: int) -> dict[str, object]:
    return {
        "ratings": {
            "customer_insight": {"level": ci},
            "relationship_maintenance": {"level": rm},
            "resource_coordination": {"level": rc},
        }
    }


@dataclass
class Rounds:
    closed: str
    live: str


async def _caught_up(api: ApiStack) -> None:
    await asyncio.to_thread(api.caught_up)


def _closed_round(api: ApiStack, round_id: str) -> None:
    """E1 (self, manager S001, three of four anonymous peers) and S001 (self, manager
    M001, two of five anonymous reports), closed three days ago."""
    commands = AssessmentActivities(api.services.store.assessments)
    now = datetime.now(UTC)
    opened_at, deadline = now - timedelta(days=10), now - timedelta(days=3)
    commands.open(
        OpenRound(
            request=RoundRequest(round_id=round_id, employee_ids=["E1", "S001"], deadline=deadline),
            started_by=HR,
            workflow_id=assessment_workflow_id(round_id),
            now=opened_at,
        )
    )
    given = [
        (rep("E1"), "E1", rating(5, 5, 4)),
        (manager("S001"), "E1", rating(4, 4, 2, "escalates instead of coordinating")),
        (rep("E2"), "E1", rating(4, 3, 3, "peer note")),
        (rep("E3"), "E1", rating(3, 4, 2)),
        (rep("E4"), "E1", rating(4, 4, 3)),
        (manager("S001"), "S001", rating(4, 4, 4)),
        (manager("M001"), "S001", rating(3, 4, 4)),
        (rep("E1"), "S001", rating(1, 1, 1, HIDDEN_SECRET)),
        (rep("E2"), "S001", rating(2, 2, 2)),
    ]
    sealed: list[SealedRating] = []
    for i, (who, ratee, items) in enumerate(given):
        receipt = commands.rate(
            RateCommand(
                round_id=round_id,
                principal=who,
                ratee_id=ratee,
                ratings=items,
                key=f"setup-{i}",
                now=opened_at + timedelta(hours=i + 1),
            )
        )
        if receipt.anonymous:
            sealed.append(SealedRating(ratee_id=ratee, group=receipt.group, ratings=items))
    commands.close(
        CloseRound(round_id=round_id, sealed=sorted(sealed, key=sealed_order), now=deadline)
    )


@pytest.fixture(scope="module")
async def rounds(api: ApiStack) -> AsyncIterator[Rounds]:
    api.services.people.import_org(
        DEMO_HR,
        OrgImport(
            employees=[
                EmployeeIn(
                    employee_id=e,
                    name=e,
                    role=Role.sales_rep,
                    team_id="T001",
                    manager_id="S001",
                    hire_date=date(2024, 1, 1),
                )
                for e in ("E4", "E5")
            ]
        ),
    )
    await _caught_up(api)
    found = Rounds(closed="2026-closed", live="2026-live")
    _closed_round(api, found.closed)
    await _caught_up(api)
    try:
        yield found
    finally:
        handle = api.temporal.get_workflow_handle(assessment_workflow_id(found.live))
        with contextlib.suppress(Exception):
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test over")


async def test_a_live_round_through_the_api(api: ApiStack, rounds: Rounds) -> None:
    live = rounds.live
    deadline = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    start = {"round_id": live, "title": "Live", "employee_ids": ["E1"], "deadline": deadline}

    # Only HR starts a round; a bad request is refused whole with each reason.
    denied = await api.call("manager:S001", "POST", f"{API}/assessments/rounds", json=start)
    assert denied.status_code == 403
    assert "manager S001 may not start 360° assessment rounds" in denied.json()["detail"]
    bad = await api.call(
        "hr:H001",
        "POST",
        f"{API}/assessments/rounds",
        json={**start, "employee_ids": ["E1", "E99"], "deadline": "2030-01-01T00:00:00"},
    )
    assert bad.status_code == 422
    assert "the deadline needs a time zone" in bad.json()["detail"]
    unknown = await api.call(
        "hr:H001", "POST", f"{API}/assessments/rounds", json={**start, "employee_ids": ["E99"]}
    )
    assert unknown.status_code == 422 and "unknown employee 'E99'" in unknown.json()["detail"]
    reused = await api.call(
        "hr:H001", "POST", f"{API}/assessments/rounds", json={**start, "round_id": rounds.closed}
    )
    assert reused.status_code == 422
    assert "already ran and closed; choose another round id" in reused.json()["detail"]

    started = await api.call("hr:H001", "POST", f"{API}/assessments/rounds", json=start)
    assert started.status_code == 202, started.text
    assert started.json()["workflow_id"] == assessment_workflow_id(live)
    assert started.json()["ratees"] == 1
    again = await api.call("hr:H001", "POST", f"{API}/assessments/rounds", json=start)
    assert again.status_code == 202 and again.json()["workflow_id"] == started.json()["workflow_id"]
    handle = api.temporal.get_workflow_handle_for(
        AssessmentRoundWorkflow.run, assessment_workflow_id(live)
    )
    for _ in range(300):
        if (await handle.query(AssessmentRoundWorkflow.state)).opened:
            break
        await asyncio.sleep(0.2)

    rate_e1 = f"{API}/assessments/rounds/{live}/ratings/E1"
    # Refusals: who may rate, whom, and what a rating needs.
    hr = await api.call("hr:H001", "POST", rate_e1, json=body(3, 3, 3))
    assert hr.status_code == 403 and "raters (employees and managers)" in hr.json()["detail"]
    auditor = await api.call("auditor:A001", "POST", rate_e1, json=body(3, 3, 3))
    assert auditor.status_code == 403
    stranger = await api.call(
        "manager:M001", "POST", rate_e1, json=body(3, 3, 3)
    )  # E1's manager's manager: not one of E1's raters
    assert stranger.status_code == 422
    assert "M001 has no rating task for E1 in round 2026-live" in stranger.json()["detail"]
    partial = await api.call(
        "employee:E2",
        "POST",
        rate_e1,
        json={"ratings": {"customer_insight": {"level": 4}}},
    )
    assert partial.status_code == 422
    assert "rate every competency; missing: relationship_maintenance" in partial.json()["detail"]
    wrong = await api.call(
        "employee:E2",
        "POST",
        rate_e1,
        json={"ratings": {"customer_insight": {"level": "four"}}},
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "ratings.customer_insight.level"

    # An anonymous peer's rating: the receipt says taken, with no moment.
    taken = await api.call("employee:E2", "POST", rate_e1, json=body(4, 3, 2))
    assert taken.status_code == 200, taken.text
    assert taken.json() == {
        "round_id": live,
        "ratee_id": "E1",
        "group": "peers",
        "anonymous": True,
        "late": False,
        "remaining": 0,
    }
    named = await api.call("manager:S001", "POST", rate_e1, json=body(4, 4, 3))
    assert named.status_code == 200 and named.json()["group"] == "manager"
    twice = await api.call("employee:E2", "POST", rate_e1, json=body(5, 5, 5))
    assert twice.status_code == 422
    assert "E2 already rated E1 in round 2026-live; ratings are final" in twice.json()["detail"]
    await _caught_up(api)

    # Progress: named groups by name, the anonymous peers as counts only.
    progress = await api.call("hr:H001", "GET", f"{API}/assessments/rounds/{live}/progress")
    assert progress.status_code == 200, progress.text
    groups = {g["group"]: g for g in progress.json()["items"][0]["groups"]}
    assert (groups["peers"]["asked"], groups["peers"]["rated"]) == (4, 1)
    assert groups["peers"]["anonymous"] is True and groups["peers"]["raters"] is None
    assert groups["manager"]["raters"] == [
        {"employee_id": "S001", "name": "主管一", "rated": True, "late": False}
    ]
    assert groups["self"]["raters"][0]["rated"] is False
    # E2's own task list says done; nobody learns when.
    tasks = await api.call("employee:E2", "GET", f"{API}/assessments/tasks")
    mine = [t for t in tasks.json()["items"] if t["round_id"] == live]
    assert [(t["ratee_id"], t["group"], t["rated"]) for t in mine] == [("E1", "peers", True)]
    # No results before the close, for anyone.
    for who, path in (
        ("employee:E1", f"/rounds/{live}/profiles/E1"),
        ("manager:S001", f"/rounds/{live}/teams/S001"),
        ("hr:H001", f"/rounds/{live}/gaps"),
    ):
        early = await api.call(who, "GET", f"{API}/assessments{path}")
        assert early.status_code == 422, (who, early.text)
        assert "is still open; results are published when it closes" in early.json()["detail"]
    listed = await api.call("hr:H001", "GET", f"{API}/assessments/rounds")
    assert {r["round_id"]: r["status"] for r in listed.json()["items"]} == {
        rounds.closed: "closed",
        live: "open",
    }


async def test_a_closed_round_as_every_caller(api: ApiStack, rounds: Rounds) -> None:
    for case in anonymity_cases(rounds.closed):
        await matrix.test_access(api, case)
    # The person's own view: the gap, its courses, the hidden group's reason.
    e1 = await api.call(
        "employee:E1", "GET", f"{API}/assessments/rounds/{rounds.closed}/profiles/E1"
    )
    rc = next(c for c in e1.json()["competencies"] if c["competency"] == "resource_coordination")
    assert (rc["overall"], rc["target"], rc["below_target"]) == (2.33, 3.5, True)
    assert [c["text"] for c in rc["comments"]] == [
        "escalates instead of coordinating",
        "peer note",
    ]
    s1 = await api.call(
        "manager:S001", "GET", f"{API}/assessments/rounds/{rounds.closed}/profiles/S001"
    )
    reports = next(g for g in s1.json()["competencies"][0]["groups"] if g["group"] == "reports")
    assert reports == {
        "group": "reports",
        "anonymous": True,
        "average": None,
        "raters": None,
        "hidden": True,
        "note": {"en": "hidden: fewer than 3 raters", "zh": "已隐藏：评价人少于3人"},
    }
