"""Every refusal of the API on the real stack names its kind: problem+json whose `type`
is /problems/<kind> (stable, whatever the language of the words), and the kind's page
says what it means."""

from __future__ import annotations

from typing import Any

import pytest

from aggregates.seed_policies import seed_documents
from careerflow.api.errors import PROBLEM, PROBLEM_KINDS
from tests.api.conftest import ApiStack

CRITERIA = {(kind, key): doc.model_dump(mode="json") for kind, key, doc in seed_documents()}[
    ("promotion_criteria", "sales_manager")
]


async def _kinds(api: ApiStack, lang: str) -> dict[str, Any]:
    """One refusal of each kind the API can be made to give, by what it is."""
    said = {"Accept-Language": lang}
    body = {"person_id": "E1", "role": "employee", "label": "x"}
    calls: dict[str, tuple[str | None, str, str, dict[str, Any]]] = {
        "unauthenticated": (None, "GET", "/api/v1/me", {}),
        "forbidden": ("employee:E1", "GET", "/api/v1/tokens", {}),
        "not-found": (
            "hr:H001", "POST", "/api/v1/tokens/000000000000/revoke", {"json": {"reason": "x"}}
        ),
        "invalid": ("hr:H001", "POST", "/api/v1/tokens", {"json": {**body, "role": "king"}}),
        "refused": ("hr:H001", "POST", "/api/v1/tokens", {"json": {**body, "person_id": "E404"}}),
        "field-invalid": (
            "hr:H001",
            "POST",
            "/api/v1/policies/promotion_criteria/sales_manager",
            {"json": {"document": {**CRITERIA, "window_months": "a year"}, "note": ""}},
        ),
        "unsupported-media-type": (
            "integration:crm",
            "POST",
            "/api/v1/metrics/exports",
            {"content": b"x", "headers": {"Content-Type": "text/plain"}},
        ),
        "method-not-allowed": ("hr:H001", "DELETE", "/api/v1/tokens", {}),
    }  # fmt: skip
    answers = {}
    for kind, (who, method, path, extra) in calls.items():
        headers = {**said, **extra.pop("headers", {})}
        answers[kind] = await api.call(who, method, path, headers=headers, **extra)
    return answers


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_each_refusal_names_its_kind(api: ApiStack, lang: str) -> None:
    answers = await _kinds(api, lang)
    for kind, answer in answers.items():
        assert answer.status_code == PROBLEM_KINDS[kind], (kind, answer.text)
        assert answer.headers["content-type"].startswith(PROBLEM), kind
        problem = answer.json()
        assert problem["type"] == f"/problems/{kind}", (kind, problem)
        assert problem["status"] == answer.status_code
        assert answer.headers["content-language"] in ("zh-CN", "en")  # words: any language
    assert answers["field-invalid"].json()["errors"][0]["field"] == "document.window_months"
    assert answers["invalid"].json()["errors"][0]["field"] == "role"
    assert answers["refused"].json()["errors"] == []


async def test_the_type_leads_to_a_page_about_the_kind(api: ApiStack) -> None:
    answer = await api.call("employee:E1", "GET", "/api/v1/tokens")
    page = await api.http.get(answer.json()["type"], headers={"Accept-Language": "en"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Forbidden" in page.text and "(403)" in page.text
