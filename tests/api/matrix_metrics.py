"""Metric exports: integrations and HR push them (all or nothing; the same file twice is
one batch), nobody else; an employee's measurements follow the row rules."""

from __future__ import annotations

from typing import Any

from tests.api.matrix import Case, Outcome

PUSHERS: dict[str, Outcome] = {"integration:crm": "ok", "hr:H001": "ok"}
CSV = {"Content-Type": "text/csv"}
# Week periods far in the past: they move no evaluation month and no other case's data.
GOOD_CSV = b"employee_id,period,metric,value,source\nE3,2020-W10,customer_visits,9,crm\n"
BAD_CSV = b"employee_id,period,metric,value,source\nE3,2020-W10,customer_visits,lots,crm\n"
ROWS = {
    "rows": [
        {
            "employee_id": "E3",
            "period": "2020-W11",
            "metric": "customer_visits",
            "value": 7,
            "source": "crm",
        }
    ]
}
SEES_E1: dict[str, Outcome] = {
    "employee:E1": "ok",
    "manager:S001": "ok",
    "manager:M001": "ok",
    "hr:H001": "ok",
    "auditor:A001": "ok",
}


def _one_row(who: str, body: Any) -> None:
    assert body["rows"] == 1 and body["employees"] == 1, who


CASES = [
    Case(
        "POST",
        "/metrics/exports",
        "/metrics/exports",
        PUSHERS,
        content=GOOD_CSV,
        headers=CSV,
        check=_one_row,
    ),
    Case("POST", "/metrics/exports", "/metrics/exports", PUSHERS, json=ROWS, check=_one_row),
    Case(
        "POST",
        "/metrics/exports",
        "/metrics/exports",
        {"integration:crm": "refused", "hr:H001": "refused"},
        content=BAD_CSV,
        headers=CSV,
    ),
    Case(
        "GET",
        "/employees/E1/measurements",
        "/employees/{employee_id}/measurements",
        SEES_E1,
        404,
    ),
    Case("GET", "/employees/NOPE/measurements", "/employees/{employee_id}/measurements", {}, 404),
]
