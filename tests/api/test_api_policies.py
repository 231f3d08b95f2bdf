"""Policy documents through the API on the real stack: everyone reads what is in force;
HR checks drafts and publishes versions, and a new criteria version reaches every
employee's readiness at once while the old version stays readable."""

from __future__ import annotations

import copy
from typing import Any

from aggregates.calendar_periods import months_back
from aggregates.seed_policies import seed_documents
from tests.api.conftest import ApiStack
from tests.workflows.promotion_support import year_of_metrics

AS_OF = "2026-09"
SEED: dict[tuple[str, str], dict[str, Any]] = {
    (kind, key): doc.model_dump(mode="json") for kind, key, doc in seed_documents()
}
COURSE = "Live-Stream Sales Skills"
LIVE = {"en": "complete *Live-Stream Sales Skills*", "zh": "完成《直播销售技巧》"}


def catalog_v2() -> dict[str, Any]:
    doc = copy.deepcopy(SEED[("metric_catalog", "default")])
    doc["metrics"]["live_stream_conversion"] = {
        "label": {"en": "live-stream conversion", "zh": "直播转化率"},
        "unit": "percent",
        "direction": "higher",
        "window": "mean",
        "dimension": "performance",
        "improve_course": COURSE,
    }
    doc["courses"][COURSE] = {"en": COURSE, "zh": "直播销售技巧"}
    return doc


def criteria_v2() -> dict[str, Any]:
    doc = copy.deepcopy(SEED[("promotion_criteria", "sales_supervisor")])
    doc["criteria"] += [
        {
            "type": "metric",
            "id": "livestream",
            "label": {"en": "live-stream conversion", "zh": "直播转化率"},
            "metric": "live_stream_conversion",
            "op": ">=",
            "threshold": 2,
            "suggestion": LIVE,
        },
        {
            "type": "courses",
            "id": "livestream_course",
            "label": {"en": "live-stream course", "zh": "直播课程"},
            "courses": [COURSE],
            "suggestion": LIVE,
        },
    ]
    return doc


async def push(api: ApiStack, rows: list[tuple[str, str, str, float, str]]) -> None:
    lines = ["employee_id,period,metric,value,source,item"]
    lines += [f"{e},{p},{m},{v},crm,{item}" for e, p, m, v, item in rows]
    response = await api.call(
        "integration:crm",
        "POST",
        "/api/v1/metrics/exports",
        content=("\n".join(lines) + "\n").encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    api.caught_up()


async def readiness(api: ApiStack, employee_id: str) -> Any:
    response = await api.call(
        f"employee:{employee_id}", "GET", f"/api/v1/employees/{employee_id}/readiness"
    )
    assert response.status_code == 200, response.text
    return response.json()


async def publish(api: ApiStack, kind: str, key: str, document: Any, note: str = "") -> Any:
    return await api.call(
        "hr:H001",
        "POST",
        f"/api/v1/policies/{kind}/{key}",
        json={"document": document, "note": note},
    )


async def test_everyone_reads_the_documents_in_force(api: ApiStack) -> None:
    listed = await api.call("employee:E1", "GET", "/api/v1/policies")
    assert listed.status_code == 200
    in_force = {(p["kind"], p["key"]): p for p in listed.json()["items"]}
    assert set(in_force) == {*SEED, ("promotion_process", "default")}
    assert {p["version"] for p in in_force.values()} == {1}
    assert in_force[("metric_catalog", "default")]["note"] == "seed (domain.md)"
    criteria = await api.call(
        "integration:crm", "GET", "/api/v1/policies", params={"kind": "promotion_criteria"}
    )
    assert sorted(p["key"] for p in criteria.json()["items"]) == [
        "sales_manager",
        "sales_supervisor",
        "senior_sales_rep",
    ]

    shown = await api.call(
        "manager:S001", "GET", "/api/v1/policies/promotion_criteria/sales_supervisor"
    )
    assert shown.status_code == 200
    body = shown.json()
    assert (body["version"], body["current"], body["published_by"]) == (1, True, "H001")
    assert body["document"] == SEED[("promotion_criteria", "sales_supervisor")]
    assert body["published_at"] is not None

    for path, reason in [
        ("/policies/promotion_criteria/sales_supervisor?version=9", "has no version 9"),
        ("/policies/promotion_criteria/nobody", "no promotion_criteria/nobody has been published"),
        ("/policies/nope/default/versions", "no nope/default has been published"),
    ]:
        missing = await api.call("employee:E1", "GET", "/api/v1" + path)
        assert missing.status_code == 404, path
        assert reason in missing.json()["detail"]


async def test_a_new_criterion_reaches_readiness_and_the_old_version_stays(api: ApiStack) -> None:
    await push(api, year_of_metrics("E1", AS_OF, {}, mentored=2))
    before = await readiness(api, "E1")
    assert before["eligible"] is True
    assert before["policy_versions"]["promotion_criteria/sales_supervisor"] == 1

    # The criterion names a metric the catalog does not have yet: the draft says so.
    draft = await api.call(
        "hr:H001",
        "POST",
        "/api/v1/policies/promotion_criteria/sales_supervisor/check",
        json={"document": criteria_v2()},
    )
    assert draft.status_code == 200
    check = draft.json()
    assert (check["valid"], check["current_version"], check["changed"]) == (False, 1, True)
    assert all(p["field"] == "document" for p in check["problems"])
    assert any("live_stream_conversion" in p["message"] for p in check["problems"])
    early = await publish(api, "promotion_criteria", "sales_supervisor", criteria_v2())
    assert early.status_code == 422
    assert "does not fit the policies in force" in early.json()["detail"]

    catalog_check = await api.call(
        "hr:H001",
        "POST",
        "/api/v1/policies/metric_catalog/default/check",
        json={"document": catalog_v2()},
    )
    assert catalog_check.json()["valid"] is True
    catalog = await publish(api, "metric_catalog", "default", catalog_v2(), "live-stream sales")
    assert catalog.status_code == 200, catalog.text
    assert catalog.json() == {
        "kind": "metric_catalog",
        "key": "default",
        "version": 2,
        "previous_version": 1,
        "changed": True,
    }
    criteria = await publish(
        api, "promotion_criteria", "sales_supervisor", criteria_v2(), "live-stream ≥ 2%"
    )
    assert criteria.status_code == 200, criteria.text
    assert criteria.json()["version"] == 2 and criteria.json()["changed"]

    api.caught_up()
    after = await readiness(api, "E1")
    assert after["policy_versions"]["promotion_criteria/sales_supervisor"] == 2
    assert after["eligible"] is False
    assert after["unmet"] == ["livestream", "livestream_course"]
    live = next(r for r in after["evaluation"]["results"] if r["id"] == "livestream")
    assert live["met"] is False and live["suggestion"] == LIVE
    assert "live-stream conversion" in after["summary"]["en"]

    versions = await api.call(
        "auditor:A001", "GET", "/api/v1/policies/promotion_criteria/sales_supervisor/versions"
    )
    assert [(v["version"], v["note"]) for v in versions.json()["items"]] == [
        (1, "seed (domain.md)"),
        (2, "live-stream ≥ 2%"),
    ]
    old = await api.call(
        "employee:E1", "GET", "/api/v1/policies/promotion_criteria/sales_supervisor?version=1"
    )
    assert old.json()["current"] is False
    assert "livestream" not in {c["id"] for c in old.json()["document"]["criteria"]}
    new = await api.call(
        "employee:E1", "GET", "/api/v1/policies/promotion_criteria/sales_supervisor"
    )
    assert new.json()["version"] == 2 and new.json()["current"] is True

    # Meeting the new criteria makes E1 eligible again.
    months = months_back(AS_OF, 3)
    await push(
        api,
        [("E1", m, "live_stream_conversion", 2.5, "") for m in months]
        + [("E1", months[-1], "course_completed", 95.0, COURSE)],
    )
    again = await readiness(api, "E1")
    assert again["eligible"] is True and again["unmet"] == []


async def test_publishing_is_for_hr_and_problems_name_the_field(api: ApiStack) -> None:
    invalid = {**SEED[("promotion_criteria", "sales_manager")], "window_months": "a year"}
    refused = await publish(api, "promotion_criteria", "sales_manager", invalid)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in refused.json()["errors"]] == ["document.window_months"]
    assert "promotion_criteria/sales_manager is not valid" in refused.json()["detail"]

    wrong_key = await publish(
        api, "promotion_criteria", "sales_manager", SEED[("promotion_criteria", "sales_supervisor")]
    )
    assert wrong_key.status_code == 422
    assert wrong_key.json()["errors"][0]["field"] == "key"
    assert "must match" in wrong_key.json()["detail"]

    unknown = await publish(api, "dress_code", "default", {"ties": True})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "kind"

    checked = await api.call(
        "hr:H001",
        "POST",
        "/api/v1/policies/promotion_criteria/sales_manager/check",
        json={"document": invalid},
    )
    assert checked.status_code == 200
    assert [p["field"] for p in checked.json()["problems"]] == ["document.window_months"]

    same = await publish(api, "bonus_rules", "default", SEED[("bonus_rules", "default")])
    assert same.status_code == 200
    assert same.json()["changed"] is False and same.json()["version"] == 1

    document = SEED[("bonus_rules", "default")]
    for who in ("employee:E1", "manager:M001", "auditor:A001", "integration:crm"):
        denied = await api.call(
            who, "POST", "/api/v1/policies/bonus_rules/default", json={"document": document}
        )
        assert denied.status_code == 403, who
        assert "may not publish policy documents" in denied.json()["detail"]
        draft = await api.call(
            who, "POST", "/api/v1/policies/bonus_rules/default/check", json={"document": document}
        )
        assert draft.status_code == 403, who
    api.caught_up()
    versions = await api.call("hr:H001", "GET", "/api/v1/policies/bonus_rules/default/versions")
    assert [v["version"] for v in versions.json()["items"]] == [1]


BIG_CLIENT_KPIS: dict[str, Any] = {
    "kpis": [
        {"metric": "big_client_signing_rate", "weight_percent": 30, "zero_at": 0, "full_at": 50},
        {"metric": "retention_rate", "weight_percent": 25, "zero_at": 50, "full_at": 100},
        {"metric": "satisfaction", "weight_percent": 20, "zero_at": 60, "full_at": 100},
        {"metric": "small_deal_volume", "weight_percent": 25, "zero_at": 0, "full_at": 20},
    ]
}


async def test_hr_reweights_the_kpis_and_readiness_records_the_version(api: ApiStack) -> None:
    """Seed 004's KPI re-weighting published as data: refused while it would count a
    metric twice or does not add up to 100, then in force for every readiness row."""
    await push(api, year_of_metrics("E1", AS_OF, {}, mentored=2))
    before = await readiness(api, "E1")
    assert before["policy_versions"]["kpi_weights/default"] == 1
    assert SEED[("kpi_weights", "default")]["kpis"][0]["metric"] == "sales_completion"

    short = {"kpis": [{**k, "weight_percent": 20} for k in BIG_CLIENT_KPIS["kpis"]]}
    checked = await api.call(
        "hr:H001", "POST", "/api/v1/policies/kpi_weights/default/check", json={"document": short}
    )
    assert checked.status_code == 200
    (problem,) = checked.json()["problems"]
    assert problem["field"] == "document.kpis"
    assert "KPI weights must sum to 100, got 80" in problem["message"]

    twice = await publish(api, "kpi_weights", "default", BIG_CLIENT_KPIS, "big clients")
    assert twice.status_code == 422, twice.text
    assert "'satisfaction' is a KPI and is weighted under customer" in twice.json()["detail"]

    weights = copy.deepcopy(SEED[("potential_weights", "default")])
    customer = weights["dimensions"]["customer"]
    customer["indicators"] = [i for i in customer["indicators"] if i["metric"] != "satisfaction"]
    assert (await publish(api, "potential_weights", "default", weights)).status_code == 200
    published = await publish(api, "kpi_weights", "default", BIG_CLIENT_KPIS, "big clients")
    assert published.status_code == 200, published.text
    assert published.json()["version"] == 2

    api.caught_up()
    after = await readiness(api, "E1")
    assert after["policy_versions"]["kpi_weights/default"] == 2
    assert after["score"] != before["score"]
