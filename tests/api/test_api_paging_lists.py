"""The lists paged by issue 18's second round, walked page by page through the API on
real PostgreSQL (and the Temporal dev server for the support requests and the
applications): a rater's tasks, a round's progress, a team's 360° profiles, SLA
compliance, the goal cascade, the pipeline and cycle times. Small pages give every row
once, in the order of one big page, with the same total and summary on every page; a
cursor from another list, or edited, is refused (422)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from activities.assessments import (
    AssessmentActivities,
    CloseRound,
    OpenRound,
    RateCommand,
    RoundRequest,
)
from aggregates.base import DomainError
from aggregates.calendar_periods import shift_month
from aggregates.competency import RatingItem
from careerflow.principal import AccessRole, Principal
from projections.paging import decode_cursor, encode_cursor
from tests.api.conftest import ApiStack
from tests.api.test_api_paging import caught_up, eventually, refused
from tests.workflows.promotion_support import ingest, year_of_metrics

API = "/api/v1"
HR = Principal(person_id="H001", role=AccessRole.hr)
ROUND = "2026-paging"
Key = Callable[[dict[str, Any]], str]


async def walk(
    api: ApiStack, who: str, path: str, limit: int, key: Key, same: tuple[str, ...]
) -> tuple[list[str], int, list[Any]]:
    """Every row page by page: (row keys in order, the total, the summary of each page
    (the fields named in `same`))."""
    sep = "&" if "?" in path else "?"
    keys: list[str] = []
    totals: set[int] = set()
    summaries: list[Any] = []
    cursor: str | None = None
    while True:
        url = f"{API}{path}{sep}limit={limit}" + (f"&cursor={quote(cursor)}" if cursor else "")
        response = await api.call(who, "GET", url)
        assert response.status_code == 200, (url, response.text)
        page = response.json()
        assert page["limit"] == limit and len(page["items"]) <= limit, page
        totals.add(page["total"])
        summaries.append({name: page[name] for name in same})
        keys += [key(i) for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["items"]) == limit, page  # a next page only after a full one
    assert len(totals) == 1, totals  # the same total on every page
    return keys, totals.pop(), summaries


async def check_walk(
    api: ApiStack, who: str, path: str, key: Key, same: tuple[str, ...] = (), limit: int = 1
) -> tuple[list[str], dict[str, Any]]:
    """Small pages: every row exactly once (none twice, none missed), in the order of
    one big page, the same total and summary on every page. Then the cursors: one from
    another list and an edited one are refused."""
    whole, total, (summary,) = await walk(api, who, path, 200, key, same)
    paged, paged_total, summaries = await walk(api, who, path, limit, key, same)
    assert paged == whole, (path, paged, whole)
    assert len(set(paged)) == len(paged) == total == paged_total, (path, paged, total)
    assert all(s == summary for s in summaries), (path, summaries)
    sep = "&" if "?" in path else "?"
    first = (await api.call(who, "GET", f"{API}{path}{sep}limit=1")).json()
    if first["next_cursor"]:
        values = _values(first["next_cursor"])
        edited = encode_cursor([values[0], *([7] * (len(values) - 1))])  # wrong types
        renamed = encode_cursor(["tokens", *values[1:]])  # another list's name
        for cursor in (edited, renamed, first["next_cursor"][:-2]):
            bad = await api.call(who, "GET", f"{API}{path}{sep}cursor={quote(cursor)}")
            refused(bad, "cursor")
    other = (await api.call("hr:H001", "GET", f"{API}/policies?limit=1")).json()["next_cursor"]
    refused(await api.call(who, "GET", f"{API}{path}{sep}cursor={other}"), "cursor")
    return whole, summary


def _values(cursor: str) -> list[Any]:
    """What a cursor holds (the list's name and the last row's sort key)."""
    for size in range(2, 6):
        with contextlib.suppress(DomainError):
            return decode_cursor(cursor, size)
    raise AssertionError(cursor)


def _open_round(api: ApiStack) -> None:
    """A round open for a week over team T001 (no workflow: its raters' tasks and the
    people's progress are all the lists need)."""
    AssessmentActivities(api.services.store.assessments).open(
        OpenRound(
            request=RoundRequest(
                round_id=ROUND,
                employee_ids=["E1", "E2", "E3", "S001"],
                deadline=datetime.now(UTC) + timedelta(days=7),
            ),
            started_by=HR,
            workflow_id=f"paging-{ROUND}",
            now=datetime.now(UTC),
        )
    )


async def test_tasks_and_progress_page(api: ApiStack) -> None:
    _open_round(api)
    await caught_up(api)

    def task(t: dict[str, Any]) -> str:
        return f"{t['round_id']}/{t['ratee_id']}"

    tasks, summary = await check_walk(
        api, "employee:E2", "/assessments/tasks", task, ("open", "person_id")
    )
    # E2 rates themself and their peers in T001 (E1, E3): every one still open.
    assert {"2026-paging/E1", "2026-paging/E2", "2026-paging/E3"} <= set(tasks)
    assert summary == {"open": len(tasks), "person_id": "E2"}
    manager, _ = await check_walk(api, "manager:S001", "/assessments/tasks", task, ("open",))
    assert len(manager) >= 4  # S001 rates themself and each report

    def person(p: dict[str, Any]) -> str:
        return str(p["employee_id"])

    same = ("round", "share_rated", "groups")
    path = f"/assessments/rounds/{ROUND}/progress"
    people, summary = await check_walk(api, "hr:H001", path, person, same)
    assert people == ["E1", "E2", "E3", "S001"]
    assert summary["round"]["ratees"] == 4 and summary["share_rated"] == 0
    groups = {g["group"]: g for g in summary["groups"]}
    assert sum(g["asked"] for g in groups.values()) == summary["round"]["asked"]
    assert groups["peers"]["anonymous"] is True
    await check_walk(api, "auditor:A001", path, person, same, limit=3)
    refused(await api.call("employee:E1", "GET", f"{API}{path}?limit=0"), "limit")


def _closed_team_round(api: ApiStack, round_id: str) -> None:
    """A closed round over S001's reports E1, E2 and E3, each rated by themself and by
    S001 (named groups: every profile has an overall level); E2 below target."""
    commands = AssessmentActivities(api.services.store.assessments)
    now = datetime.now(UTC)
    opened_at, deadline = now - timedelta(days=10), now - timedelta(days=3)
    commands.open(
        OpenRound(
            request=RoundRequest(
                round_id=round_id, employee_ids=["E1", "E2", "E3"], deadline=deadline
            ),
            started_by=HR,
            workflow_id=f"paging-{round_id}",
            now=opened_at,
        )
    )
    levels = {"E1": 4, "E2": 1, "E3": 5}
    raters = [(Principal(person_id=e, role=AccessRole.employee), e) for e in levels]
    raters += [(Principal(person_id="S001", role=AccessRole.manager), e) for e in levels]
    for i, (who, ratee) in enumerate(raters):
        level = levels[ratee]
        commands.rate(
            RateCommand(
                round_id=round_id,
                principal=who,
                ratee_id=ratee,
                ratings={
                    c: RatingItem(level=level)
                    for c in (
                        "customer_insight",
                        "relationship_maintenance",
                        "resource_coordination",
                    )
                },
                key=f"{round_id}-{i}",
                now=opened_at + timedelta(hours=i + 1),
            )
        )
    commands.close(CloseRound(round_id=round_id, sealed=[], now=deadline))


async def test_team_profiles_page(api: ApiStack) -> None:
    team_round = "2026-team-paging"
    _closed_team_round(api, team_round)
    await caught_up(api)

    def person(p: dict[str, Any]) -> str:
        return str(p["employee_id"])

    same = ("round_id", "manager_id", "gaps")
    path = f"/assessments/rounds/{team_round}/teams/S001"
    people, summary = await check_walk(api, "manager:S001", path, person, same)
    assert people == ["E1", "E2", "E3"]
    # The team's gaps count every profile, not the page's one.
    assert {g["assessed"] for g in summary["gaps"]} == {3}, summary
    assert all(g["below_target"] >= 1 for g in summary["gaps"]), summary
    hr, _ = await check_walk(api, "hr:H001", path, person, same, limit=2)
    assert hr == people
    # Another team's cursor, or another round's, is refused on this list.
    first = (await api.call("manager:S001", "GET", f"{API}{path}?limit=1")).json()
    other = path.replace("/teams/S001", "/teams/M001")
    refused(
        await api.call("hr:H001", "GET", f"{API}{other}?cursor={quote(first['next_cursor'])}"),
        "cursor",
    )
    refused(await api.call("manager:S001", "GET", f"{API}{path}?limit=201"), "limit")


async def test_compliance_pages(api: ApiStack) -> None:
    for i, category in enumerate(("product", "finance", "after_sales", "product")):
        body = {"category": category, "text": f"paging compliance {i}"}
        raised = await api.call("employee:E1", "POST", f"{API}/support/requests", json=body)
        assert raised.status_code == 201, raised.text

    async def four() -> int | None:
        page = (await api.call("employee:E1", "GET", f"{API}/support/requests/mine")).json()
        return page["total"] if page["total"] >= 4 else None

    await eventually(four, "four support requests in the read model")

    def row(w: dict[str, Any]) -> str:
        return f"{w['week']}/{w['team']}"

    same = ("since", "until", "teams")
    rows, summary = await check_walk(api, "hr:H001", "/support/compliance", row, same)
    assert len(rows) == 3 and rows == sorted(rows)  # one week, three teams
    counts = {t["team"]: t["count"] for t in summary["teams"]}
    assert counts == {"after_sales": 1, "finance": 1, "product": 2}
    week = rows[0].split("/")[0]
    ranged = f"/support/compliance?since={week}&until={week}&team=product"
    assert (await check_walk(api, "auditor:A001", ranged, row, same))[0] == [f"{week}/product"]
    refused(await api.call("hr:H001", "GET", f"{API}/support/compliance?since=W1"), "since")


async def test_goals_pipeline_and_cycle_times_page(api: ApiStack) -> None:
    year = datetime.now(UTC).year

    def team(t: dict[str, Any]) -> str:
        return str(t["team_id"])

    teams, summary = await check_walk(
        api, "hr:H001", f"/goals/{year}", team, ("company", "cascade_version")
    )
    assert teams == ["R01", "T001"]
    mine, _ = await check_walk(api, "manager:S001", f"/goals/{year}", team, ("company",))
    assert mine == ["T001"]

    month = shift_month(f"{datetime.now(UTC):%Y-%m}", -1)
    for employee in ("E2", "E3"):
        ingest(api.services, year_of_metrics(employee, month, {}, mentored=2))
    await caught_up(api)
    started = []
    for employee in ("E1", "E2", "E3"):
        answer = await api.call(
            "hr:H001", "POST", f"{API}/promotions/applications", json={"employee_id": employee}
        )
        assert answer.status_code == 200, answer.text
        started.append(answer.json()["application_id"])

    async def three() -> int | None:
        page = (await api.call("hr:H001", "GET", f"{API}/promotions/pipeline")).json()
        return page["total"] if page["total"] >= 3 else None

    await eventually(three, "three open applications in the pipeline")
    for application_id in started[:2]:  # withdrawn: decided, out of the pipeline
        path = f"{API}/promotions/applications/{application_id}/withdrawal"
        answer = await api.call("hr:H001", "POST", path, json={"reason": "paging"})
        assert answer.status_code == 200, answer.text

    async def two() -> int | None:
        page = (await api.call("hr:H001", "GET", f"{API}/promotions/cycle-times")).json()
        return page["total"] if page["total"] >= 2 else None

    await eventually(two, "two decided applications")

    def application(a: dict[str, Any]) -> str:
        return str(a["application_id"])

    same = ("stages", "target_working_days")
    open_ones, summary = await check_walk(api, "hr:H001", "/promotions/pipeline", application, same)
    assert open_ones == [started[2]] and sum(summary["stages"].values()) == 1

    times_same = ("median_working_days", "target_working_days", "within_target")
    decided, times = await check_walk(
        api, "auditor:A001", "/promotions/cycle-times", application, times_same
    )
    assert sorted(decided) == sorted(started[:2]) and times["within_target"] is True
    problem = await api.call("hr:H001", "GET", f"{API}/promotions/pipeline?stage=limbo")
    refused(problem, "stage")
