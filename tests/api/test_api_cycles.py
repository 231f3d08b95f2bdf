"""The weekly cycle through the API on the real stack (PostgreSQL, read models, the
Temporal dev server and a worker): HR launches next week, the rep plans (and is refused
with the reason), the manager's board and HR's completion rates show it; HR closes last
month and the statement shows the pay to those who may see it and hides it from the rest;
the goal cascade; the schedules.

Time on the dev server is real: next week's plan deadline is always ahead, Friday's
report is out of reach (tests/workflows cover it), and last month's close runs at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import WorkflowExecutionStatus

import tests.api.test_matrix as matrix
from activities.cycles import cycle_batch_workflow_id, month_batch_workflow_id
from aggregates.calendar_periods import month_of, shift_month
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.weekly_cycle import cycle_uuid
from careerflow.services.cycle_process import MONTHLY_SCHEDULE_ID, WEEKLY_SCHEDULE_ID
from tests.api.conftest import ApiStack
from tests.api.matrix_cycles import pay_cases
from tests.cycle_weeks import week_ready
from tests.workflows.promotion_support import ingest

API = "/api/v1"
REPS = ("E1", "E2", "E3")  # build_org's reps; S001 and M001 are not in the cycle
PLAN = {"customer_visits": 10.0, "new_customers": 4.0, "sales_amount": 25_000.0}
ZONE = ZoneInfo(WeeklyCycleSettings().time_zone)


@dataclass
class Periods:
    week: str
    """Next ISO week: launched by HR through the API; its plan deadline is days away."""
    closed: str
    """Last month: closed by HR through the API (a close runs at once)."""
    baseline_year: int
    baseline: float
    """E1's sales in `baseline_year`, the goal cascade's previous year."""


async def _terminate(api: ApiStack, workflow_ids: list[str]) -> None:
    """Stops what this module started that still runs."""
    for workflow_id in workflow_ids:
        handle = api.temporal.get_workflow_handle(workflow_id)
        with contextlib.suppress(Exception):
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test over")


async def _caught_up(api: ApiStack) -> None:
    await asyncio.to_thread(api.caught_up)


@pytest.fixture(scope="module")
async def periods(api: ApiStack) -> AsyncIterator[Periods]:
    """E1's sales history, next week launched and last month closed, all through the API
    as HR; whatever still runs is terminated afterwards."""
    now = datetime.now(ZONE)
    iso = (now + timedelta(days=7)).isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    closed = shift_month(now.strftime("%Y-%m"), -1)
    # Last year's 100,000 a month makes E1's monthly target 120,000 (the seeded +20%),
    # so a weekly plan of 25,000 is within bounds. In January the week's baseline year
    # is the closed month's year: not twice.
    years = {int(month_of(week)[:4]) - 1, int(closed[:4]) - 1}
    months = [f"{y}-{m:02d}" for y in sorted(years) for m in range(1, 13)]
    ingest(
        api.services,
        [("E1", m, "sales_amount", 100_000.0, "") for m in months if m != closed]
        + [
            ("E1", closed, "sales_amount", 150_000.0, ""),
            ("E1", closed, "retention_rate", 80.0, ""),
            ("E1", closed, "small_deal_sales", 50_000.0, ""),
            ("E1", closed, "big_client_sales", 100_000.0, ""),
            ("E1", closed, "repurchase_sales", 20_000.0, ""),
            ("E1", closed, "new_customers", 1.0, ""),
        ],
    )
    await _caught_up(api)
    baseline_year = int(month_of(week)[:4]) - 1
    baseline = 100_000.0 * 12 + (50_000.0 if closed.startswith(f"{baseline_year}-") else 0.0)
    # The three reps' weeks run in one batch workflow.
    started = [f"cycle-launch-week-{week}", cycle_batch_workflow_id(week, list(REPS))]
    started += [f"cycle-launch-month-{closed}", month_batch_workflow_id(closed, list(REPS))]
    try:
        # Only HR launches; a malformed period is refused (naming it) before anything starts.
        denied = await api.call(
            "employee:E1", "POST", f"{API}/cycles/launches", json={"period": week}
        )
        assert denied.status_code == 403
        assert "employee E1 may not launch weekly cycles" in denied.json()["detail"]
        bad = await api.call(
            "hr:H001", "POST", f"{API}/cycles/launches", json={"kind": "week", "period": "2026-11"}
        )
        assert bad.status_code == 422
        assert bad.json()["errors"] == [
            {"field": "period", "message": "expected a week like '2026-W48', got '2026-11'"}
        ]
        kind = await api.call("hr:H001", "POST", f"{API}/cycles/launches", json={"kind": "day"})
        assert kind.status_code == 422 and kind.json()["errors"][0]["field"] == "kind"

        launched = await api.call(
            "hr:H001", "POST", f"{API}/cycles/launches", json={"kind": "week", "period": week}
        )
        assert launched.status_code == 202, launched.text
        assert launched.json() == {"workflow_id": started[0], "kind": "week", "period": week}
        await api.temporal.get_workflow_handle(started[0]).result()
        for rep in REPS:
            assert await week_ready(api.temporal, api.services, rep, week) == started[1]

        # Without a period a month close is for the previous month.
        month_launch = await api.call(
            "hr:H001", "POST", f"{API}/cycles/launches", json={"kind": "month"}
        )
        assert month_launch.status_code == 202, month_launch.text
        assert month_launch.json() == {"workflow_id": started[2], "kind": "month", "period": closed}
        await api.temporal.get_workflow_handle(started[2]).result()
        await api.temporal.get_workflow_handle(started[3]).result()
        await _caught_up(api)
        yield Periods(week=week, closed=closed, baseline_year=baseline_year, baseline=baseline)
    finally:
        await _terminate(api, started)


async def test_a_week_through_the_api(api: ApiStack, periods: Periods) -> None:
    week = periods.week
    plan = f"{API}/cycles/E1/{week}/plan"

    # Malformed requests name the field; nothing reaches the workflow.
    bad_week = await api.call("employee:E1", "PUT", f"{API}/cycles/E1/2026-48/plan", json={})
    assert bad_week.status_code == 422
    assert {
        "field": "path.week",
        "message": "expected a week like '2026-W48', got '2026-48'; use '2026-W48'",
    } in bad_week.json()["errors"]
    no_such_week = await api.call("employee:E1", "GET", f"{API}/cycles/E1/2026-W54")
    assert no_such_week.status_code == 422
    assert "invalid ISO week period '2026-W54': no such week" in no_such_week.json()["detail"]
    not_a_number = await api.call(
        "employee:E1", "PUT", plan, json={"items": {**PLAN, "customer_visits": "ten"}}
    )
    assert not_a_number.status_code == 422
    assert not_a_number.json()["errors"][0]["field"] == "items.customer_visits"

    # The cycle's own rules: a negative number is refused with the reason.
    negative = await api.call(
        "employee:E1", "PUT", plan, json={"items": {**PLAN, "customer_visits": -3}}
    )
    assert negative.status_code == 422, negative.text
    assert negative.headers["content-type"].startswith("application/problem+json")
    assert (
        "the plan was not taken: customer_visits: -3 is negative; plan zero or more"
        in negative.json()["detail"]
    )
    incomplete = await api.call("employee:E1", "PUT", plan, json={"items": {"customer_visits": 10}})
    assert incomplete.status_code == 422
    assert "the plan needs a number for new_customers, sales_amount" in incomplete.json()["detail"]
    # Whose plan it is: another rep does not see E1; a manager or auditor may not plan.
    other = await api.call("employee:E2", "PUT", plan, json={"items": PLAN})
    assert other.status_code == 404
    assert "no employee 'E1' that you can see" in other.json()["detail"]
    manager = await api.call("manager:S001", "PUT", plan, json={"items": PLAN})
    assert manager.status_code == 403
    assert "reps submit their own plan" in manager.json()["detail"]
    auditor = await api.call("auditor:A001", "PUT", plan, json={"items": PLAN})
    assert auditor.status_code == 403
    unlaunched = await api.call(
        "employee:E1", "PUT", f"{API}/cycles/E1/2001-W01/plan", json={"items": PLAN}
    )
    assert unlaunched.status_code == 404
    assert "E1 has no running weekly cycle for 2001-W01" in unlaunched.json()["detail"]
    cycle = api.services.store.cycles.find(cycle_uuid("E1", week))
    assert cycle is not None and cycle.plan is None  # every refusal changed nothing

    recorded = await api.call("employee:E1", "PUT", plan, json={"items": PLAN})
    assert recorded.status_code == 200, recorded.text
    body = recorded.json()
    assert (body["employee_id"], body["week"], body["plan_source"]) == ("E1", week, "submitted")
    assert body["plan"] == PLAN
    # A revision before the deadline replaces the plan.
    revised = await api.call(
        "employee:E1", "PUT", plan, json={"items": {**PLAN, "customer_visits": 12}}
    )
    assert revised.status_code == 200, revised.text
    assert revised.json()["plan"] == {**PLAN, "customer_visits": 12.0}
    await _caught_up(api)

    # Feedback: only the rep's manager, and only once the week is reported.
    feedback = f"{API}/cycles/E1/{week}/feedback"
    early = await api.call("manager:S001", "POST", feedback, json={"text": "good week"})
    assert early.status_code == 422
    assert f"{week} is not reported yet; feedback opens with the report" in early.json()["detail"]
    wrong = await api.call("manager:M001", "POST", feedback, json={"text": "good week"})
    assert wrong.status_code == 403
    assert "manager M001 is not E1's manager (S001)" in wrong.json()["detail"]
    rep = await api.call("employee:E1", "POST", feedback, json={"text": "good week"})
    assert rep.status_code == 403
    assert "only the rep's manager gives weekly feedback" in rep.json()["detail"]
    empty = await api.call("manager:S001", "POST", feedback, json={"text": ""})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "text"

    # The rep's week: plan vs live actual, expected pay, rank, feedback.
    shown = await api.call("employee:E1", "GET", f"{API}/cycles/E1/{week}")
    assert shown.status_code == 200, shown.text
    mine = shown.json()
    assert mine["plan_source"] == "submitted"
    assert sorted((x["item"], x["planned"], x["met"]) for x in mine["lines"]) == [
        ("customer_visits", 12.0, False),
        ("new_customers", 4.0, False),
        ("sales_amount", 25_000.0, False),
    ]
    assert (mine["met"], mine["total"], mine["lagging"]) == (0, 3, True)
    assert mine["expected"]["redacted"] is False
    assert mine["expected"]["bonus"] is not None and mine["expected"]["commission"] is not None
    assert mine["rank"]["team_id"] == "T001" and mine["rank"]["text"]["en"]
    assert mine["feedback"]["status"] == "pending"
    audited = (await api.call("auditor:A001", "GET", f"{API}/cycles/E1/{week}")).json()
    assert audited["expected"]["redacted"] is True
    assert audited["expected"]["bonus"] is None and audited["expected"]["commission"] is None
    hidden = await api.call("employee:E2", "GET", f"{API}/cycles/E1/{week}")
    assert hidden.status_code == 404

    # The manager's board: E1 planned, E2 and E3 not yet.
    board = await api.call("manager:S001", "GET", f"{API}/cycles/weeks/{week}/teams/S001")
    assert board.status_code == 200, board.text
    rows = {r["employee_id"]: r for r in board.json()["items"]}
    assert sorted(rows) == ["E1", "E2", "E3"]
    assert (rows["E1"]["planned"], rows["E1"]["plan_source"]) == (True, "submitted")
    assert (rows["E1"]["met"], rows["E1"]["total"]) == (0, 3)
    for other_rep in ("E2", "E3"):
        assert rows[other_rep]["has_cycle"] is True
        assert rows[other_rep]["planned"] is False
        assert rows[other_rep]["feedback"] == "pending"
    totals = board.json()["totals"]
    assert (totals["planned"], totals["not_planned"], totals["submitted"]) == (1, 2, 1)
    refused = await api.call("employee:E1", "GET", f"{API}/cycles/weeks/{week}/teams/S001")
    assert refused.status_code == 403
    assert "employee E1 may not see a team's weekly board" in refused.json()["detail"]

    # HR's completion rates; an employee is refused.
    rates = await api.call("hr:H001", "GET", f"{API}/cycles/weeks/{week}/completion")
    assert rates.status_code == 200, rates.text
    overall = rates.json()["overall"]
    assert (overall["cycles"], overall["plans_submitted"], overall["plans_missing"]) == (3, 1, 2)
    assert overall["feedback_pending"] == 3 and overall["submitted_share"] == 0.3333
    assert [t["team_id"] for t in rates.json()["items"]] == ["T001"]
    assert rates.json()["total"] == 1 and rates.json()["next_cursor"] is None
    refused = await api.call("employee:E1", "GET", f"{API}/cycles/weeks/{week}/completion")
    assert refused.status_code == 403
    assert "employee E1 may not see cycle completion rates" in refused.json()["detail"]


async def test_a_month_close_through_the_api(api: ApiStack, periods: Periods) -> None:
    closed = periods.closed
    statement = f"{API}/cycles/E1/months/{closed}"

    # The seed's rules on E1's month: 150,000 sold against 120,000, retention 80%.
    own = await api.call("employee:E1", "GET", statement)
    assert own.status_code == 200, own.text
    figures = own.json()
    assert (figures["employee_id"], figures["month"], figures["redacted"]) == ("E1", closed, False)
    assert figures["targets"]["monthly_sales_target"] == 120_000.0
    assert (figures["bonus"]["amount"], figures["bonus"]["target_met"]) == (5_830.0, True)
    assert figures["commission"]["amount"] == 4_300.0
    assert [line["amount"] for line in figures["bonus"]["lines"]] == [5_000.0, 300.0, 530.0]
    assert [r["course"] for r in figures["recommendations"]] == ["Prospecting Skills"]

    # The auditor sees the statement without the pay; another rep not at all.
    audited = await api.call("auditor:A001", "GET", statement)
    assert audited.status_code == 200, audited.text
    redacted = audited.json()
    assert redacted["redacted"] is True
    for part in ("bonus", "commission"):
        assert redacted[part]["amount"] is None
        assert redacted[part]["inputs"] is None and redacted[part]["lines"] is None
    assert redacted["bonus"]["rules_version"] == figures["bonus"]["rules_version"]
    assert "5830" not in audited.text and "4300" not in audited.text
    other = await api.call("employee:E2", "GET", statement)
    assert other.status_code == 404
    assert "no employee 'E1' that you can see" in other.json()["detail"]

    # A month not closed, and a week where a month belongs.
    open_month = month_of(periods.week)
    not_closed = await api.call("employee:E1", "GET", f"{API}/cycles/E1/months/{open_month}")
    assert not_closed.status_code == 404
    assert f"E1's month {open_month} is not closed" in not_closed.json()["detail"]
    not_a_month = await api.call("hr:H001", "GET", f"{API}/cycles/E1/months/2026-W48")
    assert not_a_month.status_code == 422
    assert not_a_month.json()["errors"] == [
        {"field": "path.month", "message": "expected a month like '2026-11', got '2026-W48'"}
    ]

    # Every caller on the pay-bearing reads: figures for the person, the manager chain
    # and HR; none for anybody else.
    for case in pay_cases(periods.week, closed):
        await matrix.test_access(api, case)


async def test_the_goal_cascade(api: ApiStack, periods: Periods) -> None:
    year = periods.baseline_year + 1
    overview = await api.call("hr:H001", "GET", f"{API}/goals/{year}")
    assert overview.status_code == 200, overview.text
    body = overview.json()
    assert (body["year"], body["cascade_version"]) == (year, 1)
    # Only E1 sold last year: the company's +30% is on E1's sales.
    assert body["company"]["previous_year_sales"] == periods.baseline
    assert body["company"]["annual_target"] == round(periods.baseline * 1.3, 2)
    assert [t["team_id"] for t in body["items"]] == ["R01", "T001"] and body["total"] == 2
    people = {p["employee_id"]: p for t in body["items"] for p in t["people"]}
    assert people["E1"]["team_id"] == "T001" and people["E1"]["monthly_sales_target"] > 0

    team = (await api.call("manager:S001", "GET", f"{API}/goals/{year}")).json()
    assert [t["team_id"] for t in team["items"]] == ["T001"]
    # A page of one team: the company level on each page, the next team after the cursor.
    first = (await api.call("hr:H001", "GET", f"{API}/goals/{year}?limit=1")).json()
    assert [t["team_id"] for t in first["items"]] == ["R01"] and first["total"] == 2
    assert first["company"] == body["company"]
    cursor = first["next_cursor"]
    second = await api.call("hr:H001", "GET", f"{API}/goals/{year}?limit=1&cursor={cursor}")
    assert [t["team_id"] for t in second.json()["items"]] == ["T001"]
    assert second.json()["next_cursor"] is None
    refused = await api.call("employee:E1", "GET", f"{API}/goals/{year}")
    assert refused.status_code == 403
    assert "your own targets are in your weekly view" in refused.json()["detail"]
    out_of_range = await api.call("hr:H001", "GET", f"{API}/goals/1999")
    assert out_of_range.status_code == 422
    assert out_of_range.json()["errors"][0]["field"] == "path.year"


async def test_the_schedules_through_the_api(api: ApiStack) -> None:
    schedules = f"{API}/cycles/schedules"
    refused = await api.call("employee:E1", "PUT", schedules)
    assert refused.status_code == 403
    assert "employee E1 may not manage the cycle schedules" in refused.json()["detail"]
    assert (await api.call("auditor:A001", "PUT", schedules)).status_code == 403
    before = await api.call("hr:H001", "GET", schedules)
    assert before.status_code == 200, before.text
    assert [(s["schedule_id"], s["created"]) for s in before.json()] == [
        (WEEKLY_SCHEDULE_ID, False),
        (MONTHLY_SCHEDULE_ID, False),
    ]
    try:
        ensured = await api.call("hr:H001", "PUT", schedules)
        assert ensured.status_code == 200, ensured.text
        # Again: now an update of the existing schedules.
        again = await api.call("hr:H001", "PUT", schedules)
        assert again.status_code == 200, again.text
        shown = await api.call("auditor:A001", "GET", schedules)
        assert shown.status_code == 200, shown.text
        now = datetime.now(UTC)
        for state in shown.json():
            assert state["created"] is True and state["time_zone"] == ZONE.key
            assert state["next_runs"], state
            assert all(datetime.fromisoformat(r) > now for r in state["next_runs"])
        weekly, monthly = (
            [datetime.fromisoformat(r).astimezone(ZONE) for r in s["next_runs"]]
            for s in shown.json()
        )
        assert all((r.weekday(), r.hour, r.minute) == (0, 8, 0) for r in weekly)
        assert all((r.day, r.hour, r.minute) == (3, 9, 0) for r in monthly)
        assert (await api.call("employee:E1", "GET", schedules)).status_code == 403
    finally:
        for schedule_id in (WEEKLY_SCHEDULE_ID, MONTHLY_SCHEDULE_ID):
            with contextlib.suppress(Exception):
                await api.temporal.get_schedule_handle(schedule_id).delete()
        # Should a schedule have fired meanwhile (real time), stop its launch.
        fired = [
            w.id
            async for w in api.temporal.list_workflows(
                "WorkflowType = 'CycleLauncher' AND ExecutionStatus = 'Running'"
            )
        ]
        await _terminate(api, fired)
