"""Audit endpoints: auditors and HR read, nobody changes anything (HR's backfill of an
old store's chain aside, which on this chained store chains nothing).

The matrix's stack has E1's month MONTH closed (test_matrix.py closes it), so the month's
history, state and re-evaluation carry real bonus and commission figures: HR gets them,
the auditor gets every pay field empty (the forbidden-field check fails on a leak)."""

from __future__ import annotations

from typing import Any

from tests.api.matrix import Case, Outcome

READERS: dict[str, Outcome] = {"auditor:A001": "ok", "hr:H001": "ok"}
MONTH = "2020-01"  # closed for E1 on the matrix's stack
# The pay fields of a bonus or commission result (projections.visibility.PAY_FIELDS)
# by names no other part of a month uses ("lines" is also the KPI score's: the checks
# below look at the results' own lines).
NO_PAY = {"auditor:A001": ["amount", "target_met", "inputs"]}


def _results(body: Any) -> list[dict[str, Any]]:
    """Every bonus and commission result in a history or a state."""
    if isinstance(body, dict):
        found = [body] if "rules_version" in body and "amount" in body else []
        return found + [r for v in body.values() for r in _results(v)]
    if isinstance(body, list):
        return [r for v in body for r in _results(v)]
    return []


def _pay_for_hr_only(who: str, body: Any) -> None:
    results = _results(body)
    assert len(results) >= 2, "the month's bonus and commission are in the answer"
    if who == "hr:H001":
        assert all(r["amount"] is not None and r["inputs"] for r in results), body
    else:
        assert all(r["amount"] is r["inputs"] is r["lines"] is None for r in results), body
    redacted = body[0]["pay_redacted"] if isinstance(body, list) else body["pay_redacted"]
    assert redacted is (who != "hr:H001")


def _reevaluated(who: str, body: Any) -> None:
    assert body["identical"] is True and body["pay_redacted"] is (who != "hr:H001")
    assert {"bonus", "commission"} <= {d["decision"] for d in body["decisions"]}


def pay_cases(month: str) -> list[Case]:
    """E1's closed month through every audit read, for a stack where it exists."""
    return [
        Case(
            "GET",
            f"/audit/history/month/E1/{month}",
            "/audit/history/{kind}/{ident}",
            READERS,
            forbidden_fields=NO_PAY,
            check=_pay_for_hr_only,
        ),
        Case(
            "GET",
            f"/audit/state/month/E1/{month}",
            "/audit/state/{kind}/{ident}",
            READERS,
            forbidden_fields=NO_PAY,
            check=_pay_for_hr_only,
        ),
        Case(
            "GET",
            f"/audit/state/month/E1/{month}?version=2",
            "/audit/state/{kind}/{ident}",
            READERS,
            forbidden_fields=NO_PAY,
        ),
        Case(
            "POST",
            f"/audit/reevaluate/month/E1/{month}",
            "/audit/reevaluate/{kind}/{ident}",
            READERS,
            forbidden_fields={"auditor:A001": ["recorded", "recomputed"]},
            check=_reevaluated,
        ),
    ]


def _nothing_to_chain(who: str, body: Any) -> None:
    assert body["chained"] == 0, body


def _started(who: str, body: Any) -> None:
    assert body["verify_id"].startswith("audit-verify-"), body


def _items(who: str, body: Any) -> None:
    assert {"application", "month", "support", "assessment"} <= set(body["kinds"])
    assert any(i["kind"] == "month" and i["ident"] == f"E1/{MONTH}" for i in body["items"])


def _e1_months(who: str, body: Any) -> None:
    assert body["kinds"] == ["month"] and body["person"] == "E1"
    assert [(i["kind"], i["ident"]) for i in body["items"]] == [("month", f"E1/{MONTH}")]


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
    Case(
        "POST",
        "/audit/verifications",
        "/audit/verifications",
        READERS,
        check=_started,
    ),
    Case(
        "GET",
        "/audit/verifications/audit-verify-none",
        "/audit/verifications/{verify_id}",
        {"auditor:A001": 404, "hr:H001": 404},
    ),
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
    *pay_cases(MONTH),
    Case(
        "POST",
        "/audit/reevaluate/month/E1/2019-01",
        "/audit/reevaluate/{kind}/{ident}",
        {"auditor:A001": 404, "hr:H001": 404},
    ),
    # Support requests and 360° rounds: none on this stack (test_api_audit.py has them).
    Case(
        "GET",
        "/audit/history/support/SRNONE",
        "/audit/history/{kind}/{ident}",
        {"auditor:A001": 404, "hr:H001": 404},
    ),
    Case(
        "GET",
        "/audit/state/assessment/none",
        "/audit/state/{kind}/{ident}",
        {"auditor:A001": 404, "hr:H001": 404},
    ),
    Case(
        "POST",
        "/audit/reevaluate/assessment/none",
        "/audit/reevaluate/{kind}/{ident}",
        {"auditor:A001": 404, "hr:H001": 404},
    ),
    Case("GET", "/audit/items", "/audit/items", READERS, check=_items),
    Case("GET", "/audit/items?kind=month&person=E1", "/audit/items", READERS, check=_e1_months),
    Case(
        "GET",
        "/audit/items?kind=gossip",
        "/audit/items",
        {},
        default="refused",  # the kind is named, for everyone with a token
    ),
    # HR only; on a store chained from its first event there is nothing to chain.
    Case(
        "POST",
        "/audit/backfill-chain",
        "/audit/backfill-chain",
        {"hr:H001": "ok"},
        check=_nothing_to_chain,
    ),
]
