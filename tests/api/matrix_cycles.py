"""The weekly cycle's endpoints. The matrix's stack has the organisation but no launched
week or closed month (nothing here starts one), so reads of a rep's week or statement
are 404 for everyone and plans and feedback find no running week: every outcome is the
same whatever order the callers come in. `pay_cases` are the same reads once a week and
a month exist; test_api_cycles.py runs them, on its own stack, as every caller."""

from __future__ import annotations

from typing import Any

from tests.api.matrix import Case, Outcome

WEEK = "2026-W10"  # never launched on the matrix's stack
MONTH = "2026-01"  # never closed there
PLAN = {"items": {"customer_visits": 10, "new_customers": 4, "sales_amount": 25000}}

# Pay is for the person, their manager chain and HR: nobody else gets a figure.
PAY_SEEN = ("employee:E1", "manager:S001", "manager:M001", "hr:H001")
NO_PAY = ("employee:E2", "auditor:A001", "integration:crm")
WEEK_PAY = ["bonus", "commission"]
STATEMENT_PAY = ["amount", "target_met", "inputs", "lines"]

# Who may see E1 at all: E1, the manager chain, HR and auditors; the rest see nobody.
SEES_E1: dict[str, Outcome] = {who: "ok" for who in (*PAY_SEEN, "auditor:A001")}


def _board_of_s001(who: str, body: Any) -> None:
    assert body["manager_id"] == "S001" and body["week"] == WEEK
    assert [r["employee_id"] for r in body["items"]] == ["E1", "E2", "E3"]
    assert not any(r["has_cycle"] for r in body["items"]) and body["totals"]["reps"] == 3


def _no_completion(who: str, body: Any) -> None:
    assert body["week"] == WEEK and body["items"] == [] and body["total"] == 0
    assert body["overall"]["cycles"] == 0


def _schedules(who: str, body: Any) -> None:
    assert [s["schedule_id"] for s in body] == [
        "careerflow-weekly-cycles",
        "careerflow-month-close",
    ]


def _created(who: str, body: Any) -> None:
    _schedules(who, body)
    assert all(s["created"] and s["next_runs"] for s in body)


CASES = [
    # A rep's week and a month statement: nobody has one here; pay would be hidden.
    Case(
        "GET",
        f"/cycles/E1/{WEEK}",
        "/cycles/{employee_id}/{week}",
        {},
        default=404,
        forbidden_fields={who: WEEK_PAY for who in NO_PAY},
    ),
    Case(
        "GET",
        f"/cycles/E1/months/{MONTH}",
        "/cycles/{employee_id}/months/{month}",
        {},
        default=404,
        forbidden_fields={who: STATEMENT_PAY for who in NO_PAY},
    ),
    # Malformed periods are named (422) for everyone with a token.
    Case("GET", "/cycles/E1/2026-48", "/cycles/{employee_id}/{week}", {}, default="refused"),
    Case(
        "GET",
        "/cycles/E1/months/2026-W48",
        "/cycles/{employee_id}/months/{month}",
        {},
        default="refused",
    ),
    # The rep's plan: only the rep (who finds no running week here); other reps see
    # nobody; every other role is refused.
    Case(
        "PUT",
        f"/cycles/E1/{WEEK}/plan",
        "/cycles/{employee_id}/{week}/plan",
        {"employee:E1": 404, "employee:E2": 404},
        json=PLAN,
    ),
    # Feedback: managers who see the rep get as far as the (missing) week.
    Case(
        "POST",
        f"/cycles/E1/{WEEK}/feedback",
        "/cycles/{employee_id}/{week}/feedback",
        {"manager:S001": 404, "manager:M001": 404},
        json={"text": "good week"},
    ),
    Case(
        "GET",
        f"/cycles/weeks/{WEEK}/teams/S001",
        "/cycles/weeks/{week}/teams/{manager_id}",
        {"manager:S001": "ok", "manager:M001": "ok", "hr:H001": "ok", "auditor:A001": "ok"},
        check=_board_of_s001,
    ),
    Case(
        "GET",
        f"/cycles/weeks/{WEEK}/completion",
        "/cycles/weeks/{week}/completion",
        {"hr:H001": "ok", "auditor:A001": "ok"},
        check=_no_completion,
    ),
    # A launch that would start real weeks is left to test_api_cycles.py; here HR gets
    # past access control and is refused for the period (a month given for a week).
    Case(
        "POST",
        "/cycles/launches",
        "/cycles/launches",
        {"hr:H001": "refused"},
        json={"kind": "week", "period": "2026-11"},
    ),
    # A month not over yet is refused (its pay would be fixed on part of its sales).
    Case(
        "POST",
        "/cycles/launches",
        "/cycles/launches",
        {"hr:H001": "refused"},
        json={"kind": "month", "period": "2999-01"},
    ),
    Case(
        "GET",
        "/cycles/schedules",
        "/cycles/schedules",
        {"hr:H001": "ok", "auditor:A001": "ok"},
        check=_schedules,
    ),
    Case("PUT", "/cycles/schedules", "/cycles/schedules", {"hr:H001": "ok"}, check=_created),
]


def _sees_week_pay(who: str, body: Any) -> None:
    expected = body["expected"]
    if who in PAY_SEEN:
        assert expected["redacted"] is False
        assert expected["bonus"]["amount"] is not None
        assert expected["commission"]["amount"] is not None
    else:
        assert expected["redacted"] is True


def _sees_statement_pay(who: str, body: Any) -> None:
    if who in PAY_SEEN:
        assert body["redacted"] is False
        assert body["bonus"]["amount"] is not None
        assert body["commission"]["amount"] is not None
    else:
        assert body["redacted"] is True


def pay_cases(week: str, month: str) -> list[Case]:
    """E1's week and E1's closed month, for a stack where both exist: E1, the manager
    chain and HR see the figures; the auditor sees the rest; E2 does not see E1."""
    return [
        Case(
            "GET",
            f"/cycles/E1/{week}",
            "/cycles/{employee_id}/{week}",
            SEES_E1,
            default=404,
            forbidden_fields={who: WEEK_PAY for who in NO_PAY},
            check=_sees_week_pay,
        ),
        Case(
            "GET",
            f"/cycles/E1/months/{month}",
            "/cycles/{employee_id}/months/{month}",
            SEES_E1,
            default=404,
            forbidden_fields={who: STATEMENT_PAY for who in NO_PAY},
            check=_sees_statement_pay,
        ),
    ]
