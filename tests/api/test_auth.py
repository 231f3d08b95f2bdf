"""Tokens: issued by HR (hashed at rest, shown once), bound to a person and role,
revocable; a bad token is 401 problem+json, and the API says who the caller is."""

from __future__ import annotations

import pytest

from aggregates.access_token import AccessToken, token_uuid
from aggregates.base import DomainError, PermissionDeniedError
from careerflow.demo_loader import DEMO_HR
from careerflow.principal import AccessRole, Principal
from tests.api.conftest import ApiStack


async def test_a_token_identifies_its_person_and_role(api: ApiStack) -> None:
    response = await api.call("manager:S001", "GET", "/api/v1/me")
    assert response.json() == {"person_id": "S001", "role": "manager"}


async def test_bad_tokens_are_401_with_a_reason(api: ApiStack) -> None:
    for header, reason in [
        ({}, "no token"),
        ({"Authorization": "Bearer nonsense"}, "malformed token"),
        ({"Authorization": "Bearer cf_000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, "unknown"),
    ]:
        response = await api.http.get("/api/v1/me", headers=header)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert reason in response.json()["detail"]
        assert response.headers["www-authenticate"] == "Bearer"
    # A real token id with a wrong secret says no more than an unknown one.
    token_id = api.tokens["employee:E1"].split(".")[0]
    response = await api.http.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token_id}.{'B' * 30}"}
    )
    assert response.status_code == 401
    assert "unknown token" in response.json()["detail"]


async def test_tokens_are_stored_hashed_and_revocable(api: ApiStack) -> None:
    issued = api.services.tokens.issue(DEMO_HR, "E3", AccessRole.employee, "phone")
    secret = issued.token.split(".", 1)[1]
    stored: AccessToken = api.services.store.access.repository.get(token_uuid(issued.token_id))
    assert secret not in stored.secret_hash
    for event in api.services.store.access.events.get(token_uuid(issued.token_id)):
        assert secret not in event.model_dump_json()
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert (await api.http.get("/api/v1/me", headers=headers)).status_code == 200
    assert api.services.tokens.revoke(DEMO_HR, issued.token_id, "phone lost")
    response = await api.http.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    api.caught_up()
    listed = {t.token_id: t for t in api.services.tokens.list_tokens(DEMO_HR)}
    assert listed[issued.token_id].revoked_at is not None


def test_only_hr_issues_tokens_and_only_for_people_who_exist(api: ApiStack) -> None:
    manager = Principal(person_id="S001", role=AccessRole.manager)
    with pytest.raises(PermissionDeniedError):
        api.services.tokens.issue(manager, "E1", AccessRole.employee)
    with pytest.raises(DomainError, match="unknown employee 'NOPE'"):
        api.services.tokens.issue(DEMO_HR, "NOPE", AccessRole.employee)
    with pytest.raises(DomainError, match="system tokens"):
        api.services.tokens.issue(DEMO_HR, "x", AccessRole.system)
