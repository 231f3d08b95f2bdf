"""Support requests through the API on the real stack (PostgreSQL, read models, the
Temporal dev server and a worker): HR names the support staff in a support_process
version and issues their tokens; a rep raises requests, the team acknowledges (the SLA is
met in real time), answers, the rep reopens and confirms; each refusal says why and
changes nothing; the rep's requests, a team's queue and compliance show it, to those who
may see them. Breaches need the SLA to pass: tests/workflows cover them."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from aggregates.base import DomainError
from aggregates.support_process import SupportProcess, support_process_v1
from aggregates.support_request import support_uuid
from careerflow.demo_loader import DEMO_HR
from careerflow.principal import AccessRole
from tests.api.conftest import ApiStack

API = "/api/v1"


def _process() -> dict[str, Any]:
    """Version 2: real people on the teams (S001, a sales manager, also covers after-
    sales), and the clock running around the clock so real-time tests are deterministic."""
    v1 = support_process_v1()
    teams = v1.model_dump(mode="json")["teams"]
    teams["product"].update(lead_id="PD01", members=["PD01", "PD02"])
    teams["after_sales"].update(lead_id="S001", members=["S001"])
    doc = SupportProcess.model_validate(
        {**v1.model_dump(mode="json"), "teams": teams, "office_hours": None}
    )
    return doc.model_dump(mode="json")


async def _caught_up(api: ApiStack) -> None:
    await asyncio.to_thread(api.caught_up)


@pytest.fixture(scope="module")
async def staff(api: ApiStack) -> ApiStack:
    """Support staff: version 2 published, tokens for the product team issued."""
    api.services.policies.publish(DEMO_HR, "support_process", "default", _process(), "staff")
    await _caught_up(api)
    for person in ("PD01", "PD02"):
        token = api.services.tokens.issue(DEMO_HR, person, AccessRole.employee, "support")
        api.tokens[f"employee:{person}"] = token.token
    return api


def test_only_support_staff_outside_the_organisation_get_employee_tokens(staff: ApiStack) -> None:
    tokens = staff.services.tokens
    with pytest.raises(DomainError, match="unknown employee 'ZZ99'"):
        tokens.issue(DEMO_HR, "ZZ99", AccessRole.employee)
    # Being on a support team makes one neither a manager nor a person of the org.
    with pytest.raises(DomainError, match="unknown employee 'PD01'"):
        tokens.issue(DEMO_HR, "PD01", AccessRole.manager)


async def _raise(api: ApiStack, who: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.call(who, "POST", f"{API}/support/requests", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def _step(
    api: ApiStack, who: str, request_id: str, step: str, body: Any = None, status: int = 200
) -> dict[str, Any]:
    response = await api.call(who, "POST", f"{API}/support/requests/{request_id}/{step}", json=body)
    assert response.status_code == status, f"{who} {step}: {response.text}"
    data: dict[str, Any] = response.json()
    return data


async def test_a_request_from_raising_to_confirmation(staff: ApiStack) -> None:
    api = staff
    raised = await _raise(
        api,
        "employee:E1",
        {
            "category": "product",
            "text": "The client needs a customised service: when can the product team answer?",
            "customer": "Hangzhou Lianxin",
        },
    )
    rid = raised["request_id"]
    assert (raised["team"], raised["response_minutes_allowed"], raised["process_version"]) == (
        "product",
        30,
        2,
    )
    due = datetime.fromisoformat(raised["due_at"])
    assert (due - datetime.fromisoformat(raised["raised_at"])).total_seconds() == 30 * 60
    await _caught_up(api)

    # Who sees it: the rep, the manager chain, the product team, HR, auditors.
    for who, status in (
        ("employee:E1", 200),
        ("manager:S001", 200),
        ("manager:M001", 200),
        ("employee:PD02", 200),
        ("hr:H001", 200),
        ("auditor:A001", 200),
        ("employee:E2", 404),
        ("integration:crm", 404),
    ):
        response = await api.call(who, "GET", f"{API}/support/requests/{rid}")
        assert response.status_code == status, f"{who}: {response.text}"

    # Refusals, each with its reason; nothing is recorded.
    refused = await _step(api, "employee:PD02", rid, "answer", {"text": "soon"}, 422)
    assert "acknowledge it before answering" in refused["detail"]
    refused = await _step(api, "employee:E1", rid, "confirm", status=422)
    assert "has no answer to confirm yet" in refused["detail"]
    refused = await _step(api, "manager:S001", rid, "acknowledge", status=403)
    assert "S001 is not on the Product team (PD01, PD02)" in refused["detail"]
    await _step(api, "employee:E2", rid, "confirm", status=404)
    await _step(api, "auditor:A001", rid, "acknowledge", status=403)
    events = api.services.store.support.events.get(support_uuid(rid))
    assert [type(e).__name__ for e in events] == ["Raised"]

    # The product team takes it at once: the SLA is met.
    acked = await _step(api, "employee:PD01", rid, "acknowledge")
    assert (acked["status"], acked["acknowledged_by"], acked["sla_met"]) == (
        "acknowledged",
        "PD01",
        True,
    )
    refused = await _step(api, "employee:PD02", rid, "acknowledge", status=422)
    assert "already acknowledged by PD01" in refused["detail"]
    await _caught_up(api)
    queue = (await api.call("employee:PD02", "GET", f"{API}/support/teams/product/queue")).json()
    assert [r["request_id"] for r in queue["items"]] == [rid]
    assert queue["items"][0]["clock"]["sla_met"] is True
    forbidden = await api.call("employee:E1", "GET", f"{API}/support/teams/product/queue")
    assert forbidden.status_code == 403 and "not on the product team" in forbidden.json()["detail"]

    # Answered, reopened with a reason, answered again, confirmed.
    await _step(api, "employee:PD01", rid, "answer", {"text": "A proposal by Friday."})
    refused = await _step(api, "employee:E1", rid, "reopen", {"reason": ""}, 422)
    assert refused["errors"][0]["field"] == "reason"
    reopened = await _step(
        api, "employee:E1", rid, "reopen", {"reason": "The client needs a delivery date too."}
    )
    assert (reopened["status"], reopened["reopens"]) == ("reopened", 1)
    await _step(api, "employee:PD02", rid, "answer", {"text": "Delivery on the 20th."})
    confirmed = await _step(api, "employee:E1", rid, "confirm")
    assert (confirmed["status"], confirmed["answers"]) == ("resolved", 2)

    await _caught_up(api)
    view = (await api.call("employee:E1", "GET", f"{API}/support/requests/{rid}")).json()
    assert [(s["kind"], s["actor"]) for s in view["steps"]] == [
        ("Raised", "E1"),
        ("Acknowledged", "PD01"),
        ("Answered", "PD01"),
        ("Reopened", "E1"),
        ("Answered", "PD02"),
        ("Confirmed", "E1"),
    ]
    assert view["steps"][3]["text"] == "The client needs a delivery date too."
    assert view["clock"]["breached"] is False and view["clock"]["minutes_left"] is None
    mine = (await api.call("employee:E1", "GET", f"{API}/support/requests/mine")).json()
    assert [(r["request_id"], r["status"]) for r in mine["items"]] == [(rid, "resolved")]
    assert (mine["open"], mine["breached"]) == (0, 0)
    # A finished request: the record says why (its workflow has ended).
    refused = await _step(api, "employee:E1", rid, "confirm", status=422)
    assert "is resolved" in refused["detail"]

    # Compliance: HR sees every team, the product team its own, a rep nothing.
    compliance = (await api.call("hr:H001", "GET", f"{API}/support/compliance")).json()
    product = [w for w in compliance["items"] if w["team"] == "product"]
    assert [(w["count"], w["met"], w["breached"]) for w in product] == [(1, 1, 0)]
    assert product[0]["median_response_minutes"] is not None
    own = (await api.call("employee:PD01", "GET", f"{API}/support/compliance")).json()
    assert {w["team"] for w in own["items"]} == {"product"}
    refused_c = await api.call("employee:PD01", "GET", f"{API}/support/compliance?team=finance")
    assert refused_c.status_code == 403
    assert (await api.call("employee:E1", "GET", f"{API}/support/compliance")).status_code == 403


async def test_a_team_member_acts_with_their_own_role(staff: ApiStack) -> None:
    """S001 is a sales manager and, in version 2, the after-sales team."""
    api = staff
    raised = await _raise(
        api, "employee:E2", {"category": "after_sales", "text": "Installation fails on site"}
    )
    rid = raised["request_id"]
    assert raised["escalate_to"] == ["S001", "HR"]
    await _caught_up(api)
    queue = (await api.call("manager:S001", "GET", f"{API}/support/teams/after_sales/queue")).json()
    assert [r["request_id"] for r in queue["items"]] == [rid]
    assert queue["items"][0]["clock"]["breached"] is False
    await _step(api, "manager:S001", rid, "acknowledge")
    await _step(api, "manager:S001", rid, "answer", {"text": "An engineer comes at 14:00."})
    refused = await _step(api, "employee:E1", rid, "confirm", status=404)  # not E1's
    assert rid in refused["detail"]
    done = await _step(api, "employee:E2", rid, "confirm")
    assert done["status"] == "resolved"


async def test_raising_is_refused_with_the_reason(staff: ApiStack) -> None:
    api = staff
    response = await api.call(
        "employee:E1", "POST", f"{API}/support/requests", json={"category": "legal", "text": "x"}
    )
    assert response.status_code == 422
    assert (
        "unknown support category 'legal'; use one of: after_sales, finance, product"
        in (response.json()["detail"])
    )
    response = await api.call(
        "employee:E1", "POST", f"{API}/support/requests", json={"category": "product", "text": ""}
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "text"
    response = await api.call(
        "manager:S001",
        "POST",
        f"{API}/support/requests",
        json={"category": "product", "text": "help"},
    )
    assert response.status_code == 403
    # A client key makes a retry safe: the same request comes back.
    body = {"category": "finance", "text": "Payment terms?", "request_id": "E1-retry-0001"}
    first = await _raise(api, "employee:E1", body)
    second = await _raise(api, "employee:E1", body)
    assert first["raised_at"] == second["raised_at"]
    taken = await api.call("employee:E2", "POST", f"{API}/support/requests", json=body)
    assert taken.status_code == 422 and "already taken" in taken.json()["detail"]
    # Finish it, so nothing keeps running after the module.
    await api.call("hr:H001", "GET", f"{API}/support/requests/E1-retry-0001")
    handle = api.temporal.get_workflow_handle("support-E1-retry-0001")
    await handle.terminate("test over")
