"""Promotion round trips through the API on the real stack: people apply, managers decide,
HR reviews, and the read models (application, timeline, lists, pipeline, cycle times,
returned applications) show it. Refused calls say why and change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import httpx

from aggregates.calendar_periods import shift_month
from aggregates.plan_template import add_months
from tests.api.conftest import ApiStack
from tests.workflows.promotion_support import ingest, year_of_metrics

API = "/api/v1"
APPLICATIONS = f"{API}/promotions/applications"
T = TypeVar("T")


def report_month() -> str:
    """Reports use the complete month before the application day (the workflow's UTC day)."""
    return shift_month(f"{datetime.now(UTC):%Y-%m}", -1)


async def caught_up(api: ApiStack) -> None:
    await asyncio.to_thread(api.caught_up)


async def eventually(check: Callable[[], Awaitable[T | None]], what: str, timeout: float = 30) -> T:
    """Polls workflow-driven state until `check` answers something."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await check()
        if found is not None:
            return found
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def at_stage(api: ApiStack, who: str, application_id: str, stage: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        await caught_up(api)
        r = await api.call(who, "GET", f"{APPLICATIONS}/{application_id}")
        if r.status_code == 404:  # the workflow has not recorded the application yet
            return None
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body if body["stage"] == stage else None

    return await eventually(check, f"{application_id} at {stage}")


async def act(
    api: ApiStack, who: str, application_id: str, action: str, json: Any = None
) -> httpx.Response:
    """An action on the application; retried while the workflow has not yet reached the
    stage that the read model already shows (the report is recorded just before)."""

    async def attempt() -> httpx.Response | None:
        r = await api.call(who, "POST", f"{APPLICATIONS}/{application_id}/{action}", json=json)
        busy = r.status_code == 422 and "not manager review" in r.json()["detail"]
        return None if busy else r

    return await eventually(attempt, f"{action} on {application_id}")


def problem(r: httpx.Response, status: int, words: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert words in r.json()["detail"], r.text


def kinds(detail: dict[str, Any]) -> list[str]:
    return [step["kind"] for step in detail["timeline"]]


async def test_apply_approve_confirm_and_the_read_models(api: ApiStack) -> None:
    ingest(api.services, year_of_metrics("E1", report_month(), {}, mentored=2))
    await caught_up(api)

    other = await api.call("employee:E2", "POST", APPLICATIONS, json={"employee_id": "E1"})
    problem(other, 403, "employees apply for themselves")
    skip = await api.call(
        "employee:E1", "POST", APPLICATIONS, json={"target_role": "sales_manager"}
    )
    problem(skip, 422, "is not the next rung")
    bad = await api.call("employee:E1", "POST", APPLICATIONS, json={"target_role": "ceo"})
    problem(bad, 422, "target_role")

    r = await api.call("employee:E1", "POST", APPLICATIONS, json={})
    assert r.status_code == 200, r.text
    started = r.json()
    assert (started["employee_id"], started["target_role"]) == ("E1", "sales_supervisor")
    application_id = started["application_id"]
    again = await api.call("hr:H001", "POST", APPLICATIONS, json={"employee_id": "E1"})
    assert again.status_code == 200 and again.json()["application_id"] == application_id

    detail = await at_stage(api, "employee:E1", application_id, "manager_review")
    assert detail["eligible"] is True and detail["manager_id"] == "S001"
    assert detail["evaluation"]["eligible"] is True
    assert kinds(detail)[:2] == ["Started", "Submitted"]

    # Someone not allowed to see it cannot tell it from an application that does not exist.
    for path, method, body in [
        ("", "GET", None),
        ("/withdrawal", "POST", {"reason": "x"}),
        ("/resubmission", "POST", None),
    ]:
        hidden = await api.call(
            "employee:E2", method, f"{APPLICATIONS}/{application_id}{path}", json=body
        )
        unknown = await api.call(
            "employee:E2", method, f"{APPLICATIONS}/no-such-one{path}", json=body
        )
        assert hidden.status_code == unknown.status_code == 404, (path, hidden.text)
        assert hidden.json()["detail"] == f"no application {application_id!r} that you can see"
        assert unknown.json()["detail"] == "no application 'no-such-one' that you can see"

    # Wrong deciders: a reason each, and nothing changes.
    problem(
        await act(api, "manager:M001", application_id, "decision", {"approve": True}),
        422,
        "is not E1's manager (S001)",
    )
    problem(
        await act(api, "employee:E1", application_id, "decision", {"approve": True}),
        403,
        "may not decide on promotion applications",
    )
    problem(
        await act(api, "auditor:A001", application_id, "decision", {"approve": True}),
        403,
        "may not decide",
    )
    problem(
        await act(api, "manager:S001", application_id, "decision", {"approve": False}),
        422,
        "a rejection needs a comment",
    )
    problem(await act(api, "manager:S001", application_id, "decision", {}), 422, "approve")
    await caught_up(api)
    unchanged = (await api.call("hr:H001", "GET", f"{APPLICATIONS}/{application_id}")).json()
    assert unchanged["stage"] == "manager_review"
    assert unchanged["timeline"] == detail["timeline"]

    # The manager approves; HR confirms.
    comment = "approve; focus on management skills"
    decided = await act(
        api, "manager:S001", application_id, "decision", {"approve": True, "comment": comment}
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["stage"] == "hr_review"
    twice = await api.call(
        "manager:S001", "POST", f"{APPLICATIONS}/{application_id}/decision", json={"approve": True}
    )
    problem(twice, 422, "not manager review")
    problem(
        await act(api, "manager:S001", application_id, "hr-review", {"outcome": "confirm"}),
        403,
        "may not review promotion applications",
    )
    problem(
        await act(api, "hr:H001", application_id, "hr-review", {"outcome": "override_decline"}),
        422,
        "an override needs a reason",
    )
    confirmed = await act(
        api, "hr:H001", application_id, "hr-review", {"outcome": "confirm", "reason": "all met"}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["stage"] == "approved"

    # The applicant sees every step, with who decided and why.
    await caught_up(api)
    mine = (await api.call("employee:E1", "GET", f"{APPLICATIONS}/{application_id}")).json()
    assert mine["stage"] == "approved" and mine["decided_at"]
    today = datetime.now(UTC).date()
    assert mine["effective_date"] == add_months(date(today.year, today.month, 1), 1).isoformat()
    steps = {step["kind"]: step for step in mine["timeline"]}
    assert {"Started", "Submitted", "ManagerDecided", "HrConfirmed", "Announced"} <= set(steps)
    assert (steps["ManagerDecided"]["actor"], steps["ManagerDecided"]["comment"]) == (
        "S001",
        comment,
    )
    assert steps["HrConfirmed"]["actor"] == "H001"
    assert [s["seq"] for s in mine["timeline"]] == sorted(s["seq"] for s in mine["timeline"])

    # Lists: each caller sees what they may.
    def ids(r: httpx.Response) -> set[str]:
        assert r.status_code == 200, r.text
        return {a["application_id"] for a in r.json()["items"]}

    assert application_id in ids(await api.call("employee:E1", "GET", APPLICATIONS))
    assert application_id not in ids(await api.call("employee:E2", "GET", APPLICATIONS))
    approved = f"{APPLICATIONS}?stage=approved"
    assert application_id in ids(await api.call("manager:S001", "GET", approved))
    assert application_id in ids(await api.call("manager:M001", "GET", approved))
    assert application_id in ids(await api.call("auditor:A001", "GET", approved))
    waiting = f"{APPLICATIONS}?stage=manager_review"
    assert application_id not in ids(await api.call("hr:H001", "GET", waiting))
    problem(await api.call("hr:H001", "GET", f"{APPLICATIONS}?stage=limbo"), 422, "stage")

    # HR's pipeline and cycle time.
    r = await api.call("hr:H001", "GET", f"{API}/promotions/pipeline?stage=approved")
    assert r.status_code == 200, r.text
    pipeline = r.json()
    in_approved = pipeline["items"]
    assert [a["application_id"] for a in in_approved] == [application_id]
    assert pipeline["stages"]["approved"] == 1 and pipeline["total"] == 1
    assert 0 <= in_approved[0]["age_working_days"] < 1
    problem(await api.call("manager:S001", "GET", f"{API}/promotions/pipeline"), 403, "hr")
    r = await api.call("auditor:A001", "GET", f"{API}/promotions/cycle-times")
    assert r.status_code == 200, r.text
    times = r.json()
    mine_time = next(a for a in times["items"] if a["application_id"] == application_id)
    assert mine_time["working_days"] < 1 and mine_time["stage"] == "approved"
    assert times["target_working_days"] == 5
    assert times["within_target"] is True

    # Announced: too late to withdraw; others may not withdraw at all.
    problem(
        await act(api, "manager:S001", application_id, "withdrawal", {"reason": "no"}),
        403,
        "only the applicant (E1) or HR",
    )
    problem(
        await act(api, "employee:E1", application_id, "withdrawal", {"reason": "no"}),
        422,
        "already announced",
    )


async def test_returned_resubmitted_and_approved_by_hr_override(api: ApiStack) -> None:
    ingest(api.services, year_of_metrics("E2", report_month(), {"repurchase_rate": 50.0}, 2))
    await caught_up(api)
    r = await api.call("hr:H001", "POST", APPLICATIONS, json={"employee_id": "E2"})
    assert r.status_code == 200, r.text
    application_id = r.json()["application_id"]
    detail = await at_stage(api, "manager:S001", application_id, "manager_review")
    assert detail["eligible"] is False
    assert [c["id"] for c in detail["unmet"]] == ["repurchase"]

    # The manager approves; the automatic check returns it with the reason.
    r = await act(api, "manager:S001", application_id, "decision", {"approve": True})
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "returned"
    await caught_up(api)

    def returned_ids(r: httpx.Response) -> dict[str, Any]:
        assert r.status_code == 200, r.text
        return {a["application_id"]: a for a in r.json()["items"]}

    mine = returned_ids(await api.call("employee:E2", "GET", f"{API}/promotions/returned"))
    assert mine[application_id]["returned_count"] == 1
    reason = mine[application_id]["unmet"][0]
    assert reason["id"] == "repurchase" and reason["met"] is False
    assert "Repurchase Techniques" in reason["suggestion"]["en"]
    assert application_id in returned_ids(
        await api.call("manager:S001", "GET", f"{API}/promotions/returned")
    )
    assert application_id not in returned_ids(
        await api.call("employee:E1", "GET", f"{API}/promotions/returned")
    )
    timeline = (await api.call("employee:E2", "GET", f"{APPLICATIONS}/{application_id}")).json()
    returned_step = next(s for s in timeline["timeline"] if s["kind"] == "Returned")
    assert any("repurchase" in line for line in returned_step["detail"]["unmet"])
    # Stored as messages, the unmet criteria are said in the reader's language.
    zh = await api.call(
        "employee:E2",
        "GET",
        f"{APPLICATIONS}/{application_id}",
        headers={"Accept-Language": "zh-CN", "Cookie": "careerflow_lang=zh"},
    )
    zh_step = next(s for s in zh.json()["timeline"] if s["kind"] == "Returned")
    assert zh_step["detail"]["unmet"] and all(
        any("\u4e00" <= ch <= "\u9fff" for ch in line) for line in zh_step["detail"]["unmet"]
    ), zh_step["detail"]["unmet"]
    assert zh_step["detail"]["unmet"] != returned_step["detail"]["unmet"]

    # Resubmission: the applicant (or HR), not the manager, not another employee.
    problem(
        await act(api, "manager:S001", application_id, "resubmission"),
        403,
        "only the applicant (E2) or HR",
    )
    problem(await act(api, "employee:E1", application_id, "resubmission"), 404, "no application")
    r = await act(api, "employee:E2", application_id, "resubmission")
    assert r.status_code == 200, r.text
    assert (r.json()["stage"], r.json()["round"]) == ("manager_review", 2)
    problem(await act(api, "employee:E2", application_id, "resubmission"), 422, "resubmitted")

    r = await act(api, "manager:S001", application_id, "decision", {"approve": True})
    assert r.status_code == 200 and r.json()["stage"] == "returned", r.text

    # HR approves despite the unmet criterion, with a reason.
    problem(
        await act(api, "hr:H001", application_id, "hr-review", {"outcome": "override_approve"}),
        422,
        "an override needs a reason",
    )
    problem(
        await act(api, "hr:H001", application_id, "hr-review", {"outcome": "confirm"}),
        422,
        "HR confirms at stage hr_review",
    )
    why = "strong customer results; repurchase is improving"
    r = await act(
        api, "hr:H001", application_id, "hr-review", {"outcome": "override_approve", "reason": why}
    )
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "approved"
    await caught_up(api)
    final = (await api.call("employee:E2", "GET", f"{APPLICATIONS}/{application_id}")).json()
    assert final["stage"] == "approved" and final["returned_count"] == 2
    overridden = next(s for s in final["timeline"] if s["kind"] == "HrOverridden")
    assert (overridden["actor"], overridden["comment"]) == ("H001", why)


async def test_rejected_then_a_new_application_withdrawn(api: ApiStack) -> None:
    # S001, a supervisor, applies for sales manager; M001 is S001's manager.
    r = await api.call("manager:S001", "POST", APPLICATIONS, json={})
    assert r.status_code == 200, r.text
    assert r.json()["target_role"] == "sales_manager"
    first = r.json()["application_id"]
    await at_stage(api, "manager:M001", first, "manager_review")

    problem(
        await act(api, "manager:S001", first, "decision", {"approve": True}),
        422,
        "is not S001's manager (M001)",
    )
    why = "not yet: build the team's pipeline review first"
    r = await act(api, "manager:M001", first, "decision", {"approve": False, "comment": why})
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "rejected"
    await caught_up(api)
    seen = (await api.call("manager:S001", "GET", f"{APPLICATIONS}/{first}")).json()
    assert seen["stage"] == "rejected" and seen["decided_at"]
    decision = next(s for s in seen["timeline"] if s["kind"] == "ManagerDecided")
    assert (decision["actor"], decision["comment"]) == ("M001", why)

    # A new application is a new id (once the rejected one's workflow has closed); the
    # closed one cannot be steered any more.
    async def reapply() -> str | None:
        r = await api.call("manager:S001", "POST", APPLICATIONS, json={})
        assert r.status_code == 200, r.text
        found: str = r.json()["application_id"]
        return None if found == first else found

    second = await eventually(reapply, "a second application")
    problem(
        await act(api, "manager:M001", first, "decision", {"approve": True}),
        422,
        "the application is closed (rejected)",
    )
    await at_stage(api, "manager:S001", second, "manager_review")
    r = await act(api, "manager:S001", second, "withdrawal", {"reason": "moving to key accounts"})
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "withdrawn"
    problem(
        await act(api, "manager:S001", second, "withdrawal", {"reason": "again"}),
        422,
        "the application is closed (withdrawn)",
    )
    await caught_up(api)
    gone = (await api.call("hr:H001", "GET", f"{APPLICATIONS}/{second}")).json()
    assert gone["stage"] == "withdrawn"
    withdrawn = next(s for s in gone["timeline"] if s["kind"] == "Withdrawn")
    assert (withdrawn["actor"], withdrawn["comment"]) == ("S001", "moving to key accounts")

    times = (await api.call("hr:H001", "GET", f"{API}/promotions/cycle-times")).json()
    stages = {a["application_id"]: a["stage"] for a in times["items"]}
    assert (stages[first], stages[second]) == ("rejected", "withdrawn")


async def test_candidate_pool_by_role(api: ApiStack) -> None:
    await caught_up(api)
    everyone = await api.call("hr:H001", "GET", f"{API}/promotions/candidate-pool")
    assert everyone.status_code == 200, everyone.text
    team = await api.call("manager:S001", "GET", f"{API}/promotions/candidate-pool")
    assert team.status_code == 200, team.text
    members = {m["employee_id"] for m in team.json()["items"]}
    assert members <= {"E1", "E2", "E3"}
    assert members <= {m["employee_id"] for m in everyone.json()["items"]}
    problem(
        await api.call("employee:E1", "GET", f"{API}/promotions/candidate-pool"), 403, "the pool"
    )
