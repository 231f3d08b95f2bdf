"""Policy documents: everyone with a token reads them; only HR checks drafts and
publishes versions."""

from __future__ import annotations

from typing import Any

from aggregates.seed_policies import seed_documents
from tests.api.matrix import EVERYONE_OK, Case

SEED = {(kind, key): doc.model_dump(mode="json") for kind, key, doc in seed_documents()}
CRITERIA = SEED[("promotion_criteria", "sales_supervisor")]
# Republishing the version in force changes nothing, so HR's call is repeatable.
COMMISSION = SEED[("commission_rules", "default")]
INVALID = {**CRITERIA, "window_months": "a year"}
HR_ONLY: dict[str, Any] = {"hr:H001": "ok"}


def _lists_the_catalog(who: str, body: Any) -> None:
    assert ("metric_catalog", "default") in {(p["kind"], p["key"]) for p in body["items"]}, who


def _is_valid(who: str, body: Any) -> None:
    assert body["valid"] and body["problems"] == [], (who, body)


CASES = [
    Case("GET", "/policies", "/policies", EVERYONE_OK, check=_lists_the_catalog),
    Case(
        "GET",
        "/policies/promotion_criteria/sales_supervisor",
        "/policies/{kind}/{key}",
        EVERYONE_OK,
    ),
    Case(
        "GET",
        "/policies/promotion_criteria/sales_supervisor?version=1",
        "/policies/{kind}/{key}",
        EVERYONE_OK,
    ),
    Case("GET", "/policies/promotion_criteria/nope", "/policies/{kind}/{key}", {}, 404),
    Case(
        "GET",
        "/policies/promotion_criteria/sales_supervisor/versions",
        "/policies/{kind}/{key}/versions",
        EVERYONE_OK,
    ),
    Case("GET", "/policies/nope/default/versions", "/policies/{kind}/{key}/versions", {}, 404),
    Case(
        "POST",
        "/policies/commission_rules/default",
        "/policies/{kind}/{key}",
        HR_ONLY,
        json={"document": COMMISSION, "note": "matrix: same content"},
    ),
    Case(
        "POST",
        "/policies/promotion_criteria/sales_supervisor",
        "/policies/{kind}/{key}",
        {"hr:H001": "refused"},
        json={"document": INVALID},
    ),
    Case(
        "POST",
        "/policies/promotion_criteria/sales_supervisor/check",
        "/policies/{kind}/{key}/check",
        HR_ONLY,
        json={"document": CRITERIA},
        check=_is_valid,
    ),
]
