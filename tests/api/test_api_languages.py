"""The API says its errors in the caller's language, chosen per person as on the pages:
the language switch (its cookie), else the caller's profile locale, else the request's
Accept-Language, else Chinese; refusals from services, from aggregates behind workflow
activities and from workflow Update validators, and pydantic's validation complaints, all
translated (Content-Language says which)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from aggregates.employee import employee_uuid
from careerflow.api.errors import LANG_COOKIE
from careerflow.demo_loader import DEMO_HR
from careerflow.principal import AccessRole
from tests.api.conftest import ApiStack
from tests.api.test_api_promotions import (
    APPLICATIONS,
    at_stage,
    caught_up,
    report_month,
)
from tests.workflows.promotion_support import hire_rep, ingest, year_of_metrics

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_BROWSER = "en-GB,en;q=0.9"
CHINESE_BROWSER = "zh-CN,zh;q=0.9,en;q=0.5"


def asking(switch: str, accept_language: str = "") -> dict[str, str]:
    """A request's language preferences: the switch's cookie ("" when never switched;
    an explicit Cookie header replaces the test client's own) and Accept-Language."""
    return {"Cookie": f"{LANG_COOKIE}={switch}", "Accept-Language": accept_language}


def chinese(r: httpx.Response, status: int, *kept: str) -> dict[str, Any]:
    """A problem said in Chinese that still names the ids and values it is about."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["content-language"] == "zh-CN"
    body: dict[str, Any] = r.json()
    assert CJK.search(body["title"]) and CJK.search(body["detail"]), body
    for text in kept:
        assert text in body["detail"], (text, body)
    return body


def english(r: httpx.Response, status: int, words: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-language"] == "en"
    body: dict[str, Any] = r.json()
    assert words in body["detail"] and not CJK.search(body["detail"]), body
    return body


async def both(
    api: ApiStack, who: str | None, method: str, path: str, **kwargs: Any
) -> tuple[httpx.Response, httpx.Response]:
    """The same refused request switched to English and to Chinese, the browser asking for
    the other language each time (refusals change nothing)."""
    en = await api.call(who, method, path, headers=asking("en", CHINESE_BROWSER), **kwargs)
    zh = await api.call(who, method, path, headers=asking("zh", ENGLISH_BROWSER), **kwargs)
    return en, zh


async def test_refusals_before_any_workflow(api: ApiStack) -> None:
    # No token: nobody's profile; the switch, else the browser's language decides.
    en, zh = await both(api, None, "GET", f"{APPLICATIONS}/x")
    english(en, 401, "no token")
    chinese(zh, 401, "Authorization: Bearer <token>", "careerflow token issue")
    path = f"{APPLICATIONS}/x"
    english(await api.call(None, "GET", path, headers=asking("", ENGLISH_BROWSER)), 401, "token")
    chinese(await api.call(None, "GET", path, headers=asking("", CHINESE_BROWSER)), 401)
    # Nothing at all: Chinese.
    chinese(await api.call(None, "GET", path, headers=asking("")), 401)

    # A service's business rule, with its values kept.
    body = {"target_role": "sales_manager"}
    en, zh = await both(api, "employee:E1", "POST", APPLICATIONS, json=body)
    english(en, 422, "is not the next rung")
    chinese(zh, 422, "销售经理")  # the rung by its name

    # Not found, the caller's own words kept.
    en, zh = await both(api, "employee:E2", "GET", f"{APPLICATIONS}/no-such-one")
    english(en, 404, "no application 'no-such-one' that you can see")
    chinese(zh, 404, "'no-such-one'")

    # pydantic's complaints name the field, in the caller's language.
    en, zh = await both(api, "employee:E1", "POST", APPLICATIONS, json={"target_role": "ceo"})
    english(en, 422, "target_role")
    problem = chinese(zh, 422, "target_role")
    assert problem["errors"] and all(CJK.search(e["message"]) for e in problem["errors"])
    assert {e["field"] for e in problem["errors"]} == {e["field"] for e in en.json()["errors"]}

    # Starlette's own refusals too.
    en, zh = await both(api, "hr:H001", "GET", "/api/v1/no/such/path")
    english(en, 404, "no such path")
    chinese(zh, 404)


async def test_the_profile_before_the_browser(api: ApiStack) -> None:
    hire_rep(api.services, "E8", "T001", "S001", locale="en")
    await caught_up(api)
    issued = api.services.tokens.issue(DEMO_HR, "E8", AccessRole.employee, "language test")
    path = f"{APPLICATIONS}/no-such-one"

    async def as_e8(headers: dict[str, str]) -> httpx.Response:
        return await api.http.get(
            path, headers={"Authorization": f"Bearer {issued.token}", **headers}
        )

    # E8's profile says English: a Chinese browser does not change it; the switch does.
    english(await as_e8(asking("", CHINESE_BROWSER)), 404, "no application 'no-such-one'")
    chinese(await as_e8(asking("zh", ENGLISH_BROWSER)), 404, "'no-such-one'")
    # E1's profile says Chinese (the default locale), whatever the browser asks for...
    e1 = "employee:E1"
    chinese(await api.call(e1, "GET", path, headers=asking("", ENGLISH_BROWSER)), 404)
    # ... unless E1 switched to English.
    english(
        await api.call(e1, "GET", path, headers=asking("en", CHINESE_BROWSER)),
        404,
        "no application",
    )
    # H001 has no employee profile: the browser's language decides.
    english(
        await api.call("hr:H001", "GET", path, headers=asking("", ENGLISH_BROWSER)),
        404,
        "no application",
    )
    chinese(await api.call("hr:H001", "GET", path, headers=asking("", CHINESE_BROWSER)), 404)
    # An unknown switch value is no switch.
    english(await as_e8(asking("fr", CHINESE_BROWSER)), 404, "no application")


async def test_refusals_from_workflows_cross_temporal_translatable(api: ApiStack) -> None:
    ingest(api.services, year_of_metrics("E1", report_month(), {}, mentored=2))
    await caught_up(api)
    r = await api.call("employee:E1", "POST", APPLICATIONS, json={})
    assert r.status_code == 200, r.text
    application_id = r.json()["application_id"]
    await at_stage(api, "employee:E1", application_id, "manager_review")
    decide = f"{APPLICATIONS}/{application_id}/decision"

    # Refused by the workflow's Update validator.
    en, zh = await both(api, "manager:S001", "POST", decide, json={"approve": False})
    english(en, 422, "a rejection needs a comment")
    chinese(zh, 422)

    # Refused by a rule the decision activity runs on the aggregate.
    en, zh = await both(api, "manager:M001", "POST", decide, json={"approve": True})
    english(en, 422, "is not E1's manager (S001)")
    chinese(zh, 422, "E1", "S001")

    # Nothing was decided by any of them.
    detail = await at_stage(api, "employee:E1", application_id, "manager_review")
    assert [s["kind"] for s in detail["timeline"]][:2] == ["Started", "Submitted"]
    assert "ManagerDecided" not in [s["kind"] for s in detail["timeline"]]


async def test_people_set_their_profile_language(api: ApiStack) -> None:
    """PUT /me/language (and HR's PUT /employees/{id}/language) changes whose profile
    decides: errors, pages and notifications follow it from then on."""
    issued = api.services.tokens.issue(DEMO_HR, "E2", AccessRole.employee, "language test")
    e2 = {"Authorization": f"Bearer {issued.token}"}
    path = f"{APPLICATIONS}/no-such-one"

    async def e2_error() -> httpx.Response:
        return await api.http.get(path, headers={**e2, **asking("", CHINESE_BROWSER)})

    chinese(await e2_error(), 404)  # E2's profile: Chinese, the default
    r = await api.http.put("/api/v1/me/language", json={"language": "en"}, headers=e2)
    assert r.status_code == 200, r.text
    assert r.json() == {"employee_id": "E2", "language": "en", "changed": True}
    await caught_up(api)
    english(await e2_error(), 404, "no application 'no-such-one'")
    shown = await api.http.get("/api/v1/employees/E2", headers=e2)
    assert shown.json()["language"] == "en"
    # Idempotent: the language already set changes nothing.
    again = await api.http.put("/api/v1/me/language", json={"language": "en"}, headers=e2)
    assert again.json() == {"employee_id": "E2", "language": "en", "changed": False}

    # Refusals, each in the caller's language and changing nothing.
    bad = await api.http.put(
        "/api/v1/me/language", json={"language": "fr"}, headers={**e2, **asking("")}
    )
    english(bad, 422, "language")
    assert [e["field"] for e in bad.json()["errors"]] == ["language"]
    other = await api.call(
        "employee:E1", "PUT", "/api/v1/employees/E2/language", json={"language": "zh"}
    )
    english(other, 403, "may not change E2's language")
    audit = await api.call("auditor:A001", "PUT", "/api/v1/me/language", json={"language": "zh"})
    english(audit, 403, "people set their own")
    unknown = await api.call(
        "hr:H001", "PUT", "/api/v1/employees/E404/language", json={"language": "zh"}
    )
    english(unknown, 404, "'E404'")
    assert api.services.people.get("E2").locale == "en"

    # HR sets anyone's.
    hr = await api.call("hr:H001", "PUT", "/api/v1/employees/E2/language", json={"language": "zh"})
    assert hr.json() == {"employee_id": "E2", "language": "zh", "changed": True}
    await caught_up(api)
    chinese(await e2_error(), 404)
    # Each change is an event with who made it (the audit trail).
    changes = [
        (e.locale, e.meta.actor)
        for e in api.services.store.people.events.get(employee_uuid("E2"))
        if type(e).__name__ == "LanguageSet"
    ]
    assert changes == [("en", "E2"), ("zh", "H001")]
