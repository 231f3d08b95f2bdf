"""Audit endpoints: auditors and HR read, nobody changes anything."""

from __future__ import annotations

from tests.api.matrix import Case

READERS = {"auditor:A001": "ok", "hr:H001": "ok"}

CASES = [
    Case(
        "GET",
        "/audit/history/policy/promotion_criteria/sales_supervisor",
        "/audit/history/{kind}/{ident}",
        READERS,
    ),
    Case(
        "GET",
        "/audit/history/employee/E1?format=jsonl",
        "/audit/history/{kind}/{ident}",
        READERS,
    ),
    Case("POST", "/audit/replay-workflows?limit=5", "/audit/replay-workflows", READERS),
    Case("POST", "/audit/verify", "/audit/verify", READERS, json={"anchors": {}}),
    Case("POST", "/audit/check-projections", "/audit/check-projections", READERS),
    Case(
        "GET",
        "/audit/state/policy/promotion_criteria/sales_supervisor?version=1",
        "/audit/state/{kind}/{ident}",
        READERS,
    ),
    Case(
        "GET",
        "/audit/readiness/E1?at=2030-01-01T00:00:00Z",
        "/audit/readiness/{employee_id}",
        READERS,
    ),
    Case(
        "GET",
        "/audit/candidate-pool?at=2020-01-01T00:00:00%2B08:00",
        "/audit/candidate-pool",
        READERS,
    ),
    Case(
        "POST",
        "/audit/what-if/potential_weights/default",
        "/audit/what-if/{kind}/{key}",
        {"auditor:A001": "refused", "hr:H001": "refused"},
        json={"document": {"dimensions": {}}},
    ),
    Case(
        "POST",
        "/audit/reevaluate/month/E1/2020-01",
        "/audit/reevaluate/{kind}/{ident}",
        {"auditor:A001": 404, "hr:H001": 404},
    ),
]
