"""Every API list pages alike: `limit` (1-200) and `cursor` in, `{items, total, limit,
next_cursor}` out. Walking a list with a small limit gives every row exactly once, in
the order of one big page, with the same total on every page; filters hold on every
page; a cursor the list did not make, or a limit out of range, is a problem+json 422."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from aggregates.calendar_periods import shift_month
from aggregates.plan_template import add_months
from careerflow.demo_loader import DEMO_HR
from careerflow.principal import AccessRole
from projections.paging import encode_cursor
from tests.api.conftest import ApiStack
from tests.workflows.promotion_support import ingest, year_of_metrics

API = "/api/v1"
T = TypeVar("T")
_year, _week, _ = date.today().isocalendar()
WEEK = f"{_year}-W{_week:02d}"

# Every paged list, as a caller who may read it (data or not): bad cursors and limits.
LISTS = [
    ("hr:H001", "/tokens"),
    ("employee:E1", "/policies"),
    ("employee:E1", "/policies/metric_catalog/default/versions"),
    ("hr:H001", "/promotions/applications"),
    ("hr:H001", "/promotions/returned"),
    ("hr:H001", "/promotions/candidate-pool"),
    ("employee:E1", "/plans"),
    ("hr:H001", "/plans/team"),
    ("hr:H001", "/assessments/rounds"),
    ("employee:E1", "/me/inbox"),
    ("employee:E1", "/employees/E1/measurements"),
    ("auditor:A001", "/audit/items"),
    ("employee:E1", "/support/requests/mine"),
    ("hr:H001", "/support/teams/product/queue"),
    ("hr:H001", "/teams/T001/members"),
    ("hr:H001", "/employees"),
    ("manager:S001", f"/cycles/weeks/{WEEK}/teams/S001"),
    ("hr:H001", f"/cycles/weeks/{WEEK}/completion"),
]


def _key(item: dict[str, Any]) -> str:
    for name in ("token_id", "application_id", "plan_id", "round_id", "request_id"):
        if name in item:
            return str(item[name])
    if "notification_id" in item:
        return str(item["notification_id"])
    if "period" in item:
        return f"{item['period']}/{item['metric']}/{item['item']}"
    if "ident" in item:
        return f"{item['kind']}/{item['ident']}"
    if "kind" in item and "key" in item:
        return f"{item['kind']}/{item['key']}"
    if "employee_id" not in item:  # a policy document's version
        return str(item["version"])
    return str(item["employee_id"])


async def walk(api: ApiStack, who: str, path: str, limit: int) -> tuple[list[str], int]:
    """Every row of a list, page by page: (row keys in order, the total)."""
    sep = "&" if "?" in path else "?"
    keys: list[str] = []
    totals: set[int] = set()
    cursor: str | None = None
    while True:
        url = f"{API}{path}{sep}limit={limit}" + (f"&cursor={quote(cursor)}" if cursor else "")
        response = await api.call(who, "GET", url)
        assert response.status_code == 200, (url, response.text)
        page = response.json()
        assert page["limit"] == limit and len(page["items"]) <= limit, page
        totals.add(page["total"])
        keys += [_key(i) for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["items"]) == limit, page  # a next page only after a full one
    assert len(totals) == 1, totals  # the same total on every page
    return keys, totals.pop()


async def check_walk(api: ApiStack, who: str, path: str, limit: int = 1) -> list[str]:
    """Small pages give every row exactly once, in the order of one big page."""
    whole, total = await walk(api, who, path, 200)
    paged, paged_total = await walk(api, who, path, limit)
    assert paged == whole, (path, paged, whole)
    assert len(set(paged)) == len(paged) == total == paged_total, (path, paged, total)
    return whole


async def eventually(check: Callable[[], Awaitable[T | None]], what: str, timeout: float = 60) -> T:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await check()
        if found is not None:
            return found
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


async def caught_up(api: ApiStack) -> None:
    await asyncio.to_thread(api.caught_up)


def refused(response: Any, words: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.json()["detail"] or words in response.text, response.text


@pytest.mark.parametrize(("who", "path"), LISTS, ids=[p for _, p in LISTS])
async def test_a_bad_cursor_or_limit_is_refused(api: ApiStack, who: str, path: str) -> None:
    first = await api.call(who, "GET", f"{API}{path}?limit=1")
    assert first.status_code == 200, first.text
    assert set(first.json()) >= {"items", "total", "limit", "next_cursor"}
    audit = path == "/audit/items"
    cursor_words = "is not a page of this list" if audit else "cursor is not one it made"
    for cursor in ("nonsense", "W10", encode_cursor(["someone-else", "x", 1])):
        bad = await api.call(who, "GET", f"{API}{path}?cursor={quote(cursor)}")
        refused(bad, cursor_words)
    for limit in ("0", "201", "many"):
        refused(await api.call(who, "GET", f"{API}{path}?limit={limit}"), "limit")


async def test_tokens_page_with_filters(api: ApiStack) -> None:
    for i in range(5):
        api.services.tokens.issue(DEMO_HR, "E3", AccessRole.employee, f"paging {i}")
    revoke = api.services.tokens.issue(DEMO_HR, "E2", AccessRole.employee, "paging lost")
    api.services.tokens.revoke(DEMO_HR, revoke.token_id, "lost")
    await caught_up(api)
    every = await check_walk(api, "hr:H001", "/tokens", 2)
    assert revoke.token_id in every and len(every) >= 13
    e3 = await check_walk(api, "auditor:A001", "/tokens?q=paging&role=employee", 2)
    assert len(e3) == 6
    assert await check_walk(api, "hr:H001", "/tokens?status=revoked&q=paging") == [revoke.token_id]
    refused(await api.call("hr:H001", "GET", f"{API}/tokens?status=lost"), "status")
    nul = await api.call("hr:H001", "GET", f"{API}/tokens?q=%00")  # no text holds a NUL
    assert nul.status_code == 200 and nul.json()["total"] == 0, nul.text
    # A cursor from another list (the policies') is refused here.
    other = (await api.call("hr:H001", "GET", f"{API}/policies?limit=1")).json()["next_cursor"]
    refused(await api.call("hr:H001", "GET", f"{API}/tokens?cursor={other}"), "cursor")


async def test_policies_team_members_and_measurements_page(api: ApiStack) -> None:
    policies = await check_walk(api, "employee:E1", "/policies", 2)
    assert "metric_catalog/default" in policies and policies == sorted(policies)
    criteria = await check_walk(api, "hr:H001", "/policies?kind=promotion_criteria")
    assert criteria and all(p.startswith("promotion_criteria/") for p in criteria)
    for version in (2, 3):  # a course more each time: new versions, nothing else moves
        document = dict(api.services.policies.current("metric_catalog", "default").document)
        courses = {**document.get("courses", {}), f"Paging {version}": {"en": "P", "zh": "P"}}
        note = f"paging v{version}"
        api.services.policies.publish(
            DEMO_HR, "metric_catalog", "default", {**document, "courses": courses}, note
        )
    await caught_up(api)
    versions = await check_walk(api, "auditor:A001", "/policies/metric_catalog/default/versions")
    assert versions == ["1", "2", "3"]

    members = await check_walk(api, "manager:S001", "/teams/T001/members")
    assert members == ["E1", "E2", "E3", "S001"]
    seniors = await check_walk(api, "hr:H001", "/teams/T001/members?role=senior_sales_rep")
    assert seniors == ["E1", "E2"]
    assert await check_walk(api, "hr:H001", "/teams/T001/members?q=s00") == ["S001"]
    refused(await api.call("hr:H001", "GET", f"{API}/teams/T001/members?role=king"), "role")

    # The people directory: by name then id, the same rows as the /people page.
    everyone = await check_walk(api, "hr:H001", "/employees")
    by_query = api.services.people_queries.directory(DEMO_HR, limit=200).items
    assert everyone == [p.employee_id for p in by_query] and "E1" in everyone
    team = await check_walk(api, "manager:S001", "/employees?team=T001")
    assert set(team) == {"E1", "E2", "E3"}  # their reports, not themselves
    assert await check_walk(api, "auditor:A001", "/employees?q=s00") == ["S001"]
    seniors = await check_walk(api, "hr:H001", "/employees?role=senior_sales_rep")
    assert set(seniors) == {"E1", "E2"}
    assert await check_walk(api, "hr:H001", "/employees?readiness=pool&q=nobody") == []
    refused(await api.call("hr:H001", "GET", f"{API}/employees?readiness=soon"), "readiness")
    employee = await api.call("employee:E1", "GET", f"{API}/employees")
    assert employee.status_code == 403, employee.text

    # A team's weekly board: a page of reps, the totals of the whole team on each page.
    board = await check_walk(api, "manager:S001", f"/cycles/weeks/{WEEK}/teams/S001")
    assert board == ["E1", "E2", "E3"]
    one = await api.call("hr:H001", "GET", f"{API}/cycles/weeks/{WEEK}/teams/S001?limit=1")
    assert one.json()["totals"]["reps"] == 3 and len(one.json()["items"]) == 1

    month = shift_month(f"{datetime.now(UTC):%Y-%m}", -1)
    ingest(api.services, year_of_metrics("E1", month, {}, mentored=2))
    await caught_up(api)
    rows = await check_walk(api, "employee:E1", "/employees/E1/measurements", 7)
    assert len(rows) > 12 and rows == sorted(rows)
    visits = await check_walk(
        api, "manager:S001", "/employees/E1/measurements?metric=satisfaction", 5
    )
    assert len(visits) == 12 and all("/satisfaction/" in r for r in visits)
    one_month = await check_walk(api, "hr:H001", f"/employees/E1/measurements?period={month}", 3)
    assert one_month and all(r.startswith(month) for r in one_month)


async def test_applications_pool_and_plans_page(api: ApiStack) -> None:
    month = shift_month(f"{datetime.now(UTC):%Y-%m}", -1)
    for employee in ("E2", "E3"):
        ingest(api.services, year_of_metrics(employee, month, {}, mentored=2))
    await caught_up(api)
    for employee in ("E1", "E2", "E3"):
        started = await api.call(
            "hr:H001", "POST", f"{API}/promotions/applications", json={"employee_id": employee}
        )
        assert started.status_code == 200, started.text

    async def three() -> int | None:
        page = (await api.call("hr:H001", "GET", f"{API}/promotions/applications")).json()
        return page["total"] if page["total"] >= 3 else None

    await eventually(three, "three applications in the read model")
    every = await check_walk(api, "hr:H001", "/promotions/applications")
    assert len(every) >= 3
    e2 = await check_walk(api, "manager:S001", "/promotions/applications?person=E2")
    assert len(e2) == 1
    assert await check_walk(api, "employee:E2", "/promotions/applications?person=E1") == []
    mine = await check_walk(api, "employee:E1", "/promotions/applications")
    assert len(mine) == 1 and mine[0] not in e2
    staged = await api.call("hr:H001", "GET", f"{API}/promotions/applications?stage=approved")
    assert staged.json()["total"] == 0
    refused(await api.call("hr:H001", "GET", f"{API}/promotions/applications?stage=x"), "stage")
    await check_walk(api, "employee:E1", "/promotions/returned")

    # The pool: the same members, in rank order, as the pool the engine computes.
    pool = [m["employee_id"] for m in api.services.queries.candidate_pool(DEMO_HR)]
    ranked = await check_walk(api, "hr:H001", "/promotions/candidate-pool")
    assert sorted(ranked) == sorted(pool) and ranked
    team = await check_walk(api, "manager:S001", "/promotions/candidate-pool?team=T001")
    assert set(team) <= {"E1", "E2", "E3"} and set(team) <= set(ranked)
    assert await check_walk(api, "hr:H001", "/promotions/candidate-pool?team=NOPE") == []

    # Plans: two people's, the team's list pages and filters by person.
    zone = ZoneInfo(api.services.policies.promotion_process()[0].time_zone)
    today = datetime.now(zone).date()
    first = add_months(date(today.year, today.month, 1), 1)
    for employee in ("E1", "E2"):
        body = {"employee_id": employee, "role": "sales_supervisor", "effective_date": str(first)}
        started = await api.call("hr:H001", "POST", f"{API}/plans", json=body)
        assert started.status_code == 200, started.text

    async def two_plans() -> int | None:
        page = (await api.call("hr:H001", "GET", f"{API}/plans/team")).json()
        return page["total"] if page["total"] >= 2 else None

    await eventually(two_plans, "two plans in the read model")
    plans = await check_walk(api, "manager:S001", "/plans/team")
    assert len(plans) == 2
    assert len(await check_walk(api, "hr:H001", "/plans/team?person=E2")) == 1
    assert len(await check_walk(api, "employee:E1", "/plans")) == 1
    assert len(await check_walk(api, "hr:H001", "/plans?employee_id=E2")) == 1
    refused(await api.call("hr:H001", "GET", f"{API}/plans/team?status=lost"), "status")


async def test_support_rounds_inbox_and_audit_page(api: ApiStack) -> None:
    for i in range(3):
        body = {"category": "product", "text": f"paging question {i}", "customer": "Acme"}
        raised = await api.call("employee:E1", "POST", f"{API}/support/requests", json=body)
        assert raised.status_code == 201, raised.text

    async def three() -> int | None:
        page = (await api.call("employee:E1", "GET", f"{API}/support/requests/mine")).json()
        return page["total"] if page["total"] >= 3 else None

    await eventually(three, "three support requests in the read model")
    mine = await check_walk(api, "employee:E1", "/support/requests/mine")
    assert len(mine) == 3
    page = (await api.call("employee:E1", "GET", f"{API}/support/requests/mine?limit=1")).json()
    assert page["open"] == 3 and page["employee_id"] == "E1"
    opened = await check_walk(api, "employee:E1", "/support/requests/mine?status=open")
    assert opened == mine
    assert await check_walk(api, "employee:E1", "/support/requests/mine?status=closed") == []
    refused(await api.call("employee:E1", "GET", f"{API}/support/requests/mine?status=x"), "status")
    queue = await check_walk(api, "hr:H001", "/support/teams/product/queue")
    assert queue == mine[::-1]  # the queue is oldest first
    head = (await api.call("hr:H001", "GET", f"{API}/support/teams/product/queue?limit=1")).json()
    assert (head["waiting"], head["team"]) == (3, "product")

    await check_walk(api, "hr:H001", "/assessments/rounds")
    await check_walk(api, "employee:E1", "/me/inbox?unread_only=true")
    inbox = await check_walk(api, "manager:S001", "/me/inbox", 2)
    kinds = await check_walk(api, "manager:S001", "/me/inbox?kind=promotion", 2)
    assert set(kinds) <= set(inbox)
    refused(await api.call("employee:E1", "GET", f"{API}/me/inbox?kind=A%20B"), "kind")

    items = await check_walk(api, "auditor:A001", "/audit/items", 3)
    assert len(items) >= 3
    support = await check_walk(api, "auditor:A001", "/audit/items?kind=support&person=E1", 2)
    assert len(support) == 3
    first = (await api.call("auditor:A001", "GET", f"{API}/audit/items?limit=2")).json()
    assert first["next_cursor"] == first["next"]
