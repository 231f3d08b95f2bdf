"""Tokens through the API on the real stack: HR issues one (shown once), it works at
once, the listing never carries a secret, and a revoked token stops working."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import ApiStack


async def issue(api: ApiStack, body: dict[str, Any]) -> Any:
    response = await api.call("hr:H001", "POST", "/api/v1/tokens", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_issued_token_works_until_it_is_revoked(api: ApiStack) -> None:
    issued = await issue(api, {"person_id": "E3", "role": "employee", "label": "phone", "days": 30})
    assert (issued["person_id"], issued["role"]) == ("E3", "employee")
    assert issued["token"].startswith(f"cf_{issued['token_id']}.")
    assert issued["expires_at"] is not None
    bearer = {"Authorization": f"Bearer {issued['token']}"}
    me = await api.http.get("/api/v1/me", headers=bearer)
    assert me.status_code == 200 and me.json() == {"person_id": "E3", "role": "employee"}

    api.caught_up()
    for who in ("hr:H001", "auditor:A001"):
        listed = await api.call(who, "GET", "/api/v1/tokens")
        assert listed.status_code == 200
        mine = next(t for t in listed.json()["items"] if t["token_id"] == issued["token_id"])
        assert (mine["person_id"], mine["role"], mine["label"], mine["issued_by"]) == (
            "E3",
            "employee",
            "phone",
            "H001",
        )
        assert mine["revoked_at"] is None
        secret = issued["token"].split(".", 1)[1]
        assert secret not in listed.text
        assert all("token" not in t and "secret_hash" not in t for t in listed.json()["items"])

    revoked = await api.call(
        "hr:H001",
        "POST",
        f"/api/v1/tokens/{issued['token_id']}/revoke",
        json={"reason": "phone lost"},
    )
    assert revoked.status_code == 200
    assert revoked.json() == {
        "token_id": issued["token_id"],
        "revoked": True,
        "already_revoked": False,
    }
    after = await api.http.get("/api/v1/me", headers=bearer)
    assert after.status_code == 401 and "revoked" in after.json()["detail"]
    twice = await api.call(
        "hr:H001", "POST", f"/api/v1/tokens/{issued['token_id']}/revoke", json={"reason": "again"}
    )
    assert twice.json()["already_revoked"] is True
    api.caught_up()
    listed = await api.call("auditor:A001", "GET", "/api/v1/tokens")
    mine = next(t for t in listed.json()["items"] if t["token_id"] == issued["token_id"])
    assert mine["revoked_at"] is not None


async def test_an_integration_token_pushes_metrics(api: ApiStack) -> None:
    issued = await issue(
        api, {"person_id": "attendance", "role": "integration", "label": "badge system", "days": 0}
    )
    assert issued["expires_at"] is None
    pushed = await api.http.post(
        "/api/v1/metrics/exports",
        content=b"employee_id,period,metric,value,source\nE3,2026-09,customer_visits,4,badge\n",
        headers={"Authorization": f"Bearer {issued['token']}", "Content-Type": "text/csv"},
    )
    assert pushed.status_code == 200, pushed.text


async def test_only_hr_issues_and_revokes_and_mistakes_are_named(api: ApiStack) -> None:
    body = {"person_id": "E1", "role": "employee"}
    for who in ("employee:E1", "manager:M001", "auditor:A001", "integration:crm"):
        denied = await api.call(who, "POST", "/api/v1/tokens", json=body)
        assert denied.status_code == 403 and "may not issue API tokens" in denied.json()["detail"]
    listing = await api.call("manager:M001", "GET", "/api/v1/tokens")
    assert listing.status_code == 403
    victim = api.tokens["employee:E2"].split(".")[0].removeprefix("cf_")
    for who in ("employee:E2", "auditor:A001"):
        refused = await api.call(
            who, "POST", f"/api/v1/tokens/{victim}/revoke", json={"reason": "x"}
        )
        assert refused.status_code == 403
    assert (await api.call("employee:E2", "GET", "/api/v1/me")).status_code == 200

    unknown = await api.call(
        "hr:H001", "POST", "/api/v1/tokens/000000000000/revoke", json={"reason": "x"}
    )
    assert unknown.status_code == 404 and "no token '000000000000'" in unknown.json()["detail"]
    no_reason = await api.call(
        "hr:H001", "POST", f"/api/v1/tokens/{victim}/revoke", json={"reason": ""}
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    nobody = await api.call("hr:H001", "POST", "/api/v1/tokens", json={**body, "person_id": "E404"})
    assert nobody.status_code == 422 and "unknown employee 'E404'" in nobody.json()["detail"]
    system = await api.call("hr:H001", "POST", "/api/v1/tokens", json={**body, "role": "system"})
    assert system.status_code == 422 and "system tokens" in system.json()["detail"]
    bad_role = await api.call("hr:H001", "POST", "/api/v1/tokens", json={**body, "role": "king"})
    assert bad_role.status_code == 422
    assert bad_role.json()["errors"][0]["field"] == "role"
    negative = await api.call("hr:H001", "POST", "/api/v1/tokens", json={**body, "days": -1})
    assert negative.json()["errors"][0]["field"] == "days"
