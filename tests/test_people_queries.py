"""The people directory and the paged candidate pool on a real PostgreSQL: every page by
name then id with a total and a cursor, the filters (name or id, team, role, region =
the team's parent team, readiness), who sees whom (HR everyone, a manager their reports,
an employee refused), and the pool sorted, filtered and sliced."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from aggregates.base import DomainError, PermissionDeniedError
from aggregates.ladder import Role
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env
from projections.people_queries import PeopleQueries
from projections.runner import ReadModels
from tests.conftest import create_database, drop_database
from tests.workflows.promotion_support import ingest, year_of_metrics

TEAMS = [
    ("R01", "North", "M1", None),
    ("R02", "South", "M2", None),
    ("T1", "Alpha", "S1", "R01"),
    ("T2", "Beta", "S2", "R02"),
]
PEOPLE = [
    ("M1", "Mia Region", Role.sales_manager, "R01", None),
    ("M2", "Max Region", Role.sales_manager, "R02", None),
    ("S1", "Sam Lead", Role.sales_supervisor, "T1", "M1"),
    ("S2", "Sue Lead", Role.sales_supervisor, "T2", "M2"),
    ("A1", "Anna Li", Role.senior_sales_rep, "T1", "S1"),
    ("A2", "Anton Wu", Role.senior_sales_rep, "T1", "S1"),
    ("A3", "Bob Chen", Role.sales_rep, "T1", "S1"),
    ("B1", "Anna Zhang", Role.sales_rep, "T2", "S2"),
    ("B2", "Carl Ma", Role.sales_rep, "T2", "S2"),
]
HR = Principal(person_id="H1", role=AccessRole.hr)
AUDITOR = Principal(person_id="AU1", role=AccessRole.auditor)
S1 = Principal(person_id="S1", role=AccessRole.manager)
M1 = Principal(person_id="M1", role=AccessRole.manager)
A1 = Principal(person_id="A1", role=AccessRole.employee)
BY_NAME = [p[0] for p in sorted(PEOPLE, key=lambda p: (p[1], p[0]))]


@pytest.fixture(scope="module")
def queries(pg_server: PostgresSettings) -> Iterator[PeopleQueries]:
    pg = create_database(pg_server)
    try:
        with Engine(open_store(pg)) as s, ReadModels(pg, application_env(pg)) as rm:
            s.policies.seed(DEMO_HR)
            s.people.import_org(
                DEMO_HR,
                OrgImport(
                    teams=[
                        TeamIn(team_id=t, name=n, manager_id=m, parent_team_id=p)
                        for t, n, m, p in TEAMS
                    ],
                    employees=[
                        EmployeeIn(
                            employee_id=e, name=n, role=r, team_id=t, manager_id=m,
                            hire_date=date(2020, 1, 1),
                        )
                        for e, n, r, t, m in PEOPLE
                    ],
                ),
            )  # fmt: skip
            now = datetime.now(UTC)
            as_of = f"{now.year}-{now.month - 1:02d}" if now.month > 1 else f"{now.year - 1}-12"
            ingest(s, year_of_metrics("A1", as_of, {}, mentored=2))
            ingest(s, year_of_metrics("A2", as_of, {"repurchase_rate": 40.0}, mentored=0))
            ingest(s, year_of_metrics("B1", as_of, {"sales_completion": 60.0}, mentored=0))
            rm.wait_caught_up(s.store.applications(), timeout=60)
            deadline = time.monotonic() + 60
            while not s.people_queries.directory(HR, readiness="eligible", q="A1").items:
                assert time.monotonic() < deadline, "readiness was never computed"
                time.sleep(0.2)
            yield s.people_queries
    finally:
        drop_database(pg_server, pg.dbname)


def ids(items: list[Any]) -> list[str]:
    return [p.employee_id for p in items]


def test_hr_pages_through_everyone_by_name(queries: PeopleQueries) -> None:
    seen: list[str] = []
    cursor: str | None = None
    offsets = []
    while True:
        page = queries.directory(HR, limit=2, cursor=cursor)
        assert page.total == len(PEOPLE) and page.limit == 2
        offsets.append(page.offset)
        seen += ids(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == BY_NAME
    assert offsets == [0, 2, 4, 6, 8]
    assert ids(list(queries.directory_all(AUDITOR))) == BY_NAME
    # Names, not ids: the team, its region and the manager by name.
    anna = next(p for p in queries.directory(HR, q="anna li").items)
    assert (anna.team_name, anna.region_name, anna.manager_name) == ("Alpha", "North", "Sam Lead")


def test_filters(queries: PeopleQueries) -> None:
    assert ids(queries.directory(HR, q="ANNA").items) == ["A1", "B1"]
    assert ids(queries.directory(HR, q="b2").items) == ["B2"]  # the id too
    assert ids(queries.directory(HR, q="100%").items) == []  # a wildcard is a character
    assert ids(queries.directory(HR, team="T1").items) == ["A1", "A2", "A3", "S1"]
    # A region is the team's parent team; the region's own team belongs to it too.
    assert ids(queries.directory(HR, region="R01").items) == ["A1", "A2", "A3", "M1", "S1"]
    assert ids(queries.directory(HR, role=str(Role.sales_rep)).items) == ["B1", "A3", "B2"]
    assert ids(queries.directory(HR, team="T1", role=str(Role.sales_rep)).items) == ["A3"]
    everyone = queries.directory(HR).items
    rated = {p.employee_id for p in everyone if p.eligible is not None}
    assert "A1" in rated and rated < set(BY_NAME)
    assert set(ids(queries.directory(HR, readiness="none").items)) == set(BY_NAME) - rated
    eligible = {p.employee_id for p in everyone if p.eligible}
    assert "A1" in eligible and eligible < rated
    assert set(ids(queries.directory(HR, readiness="eligible").items)) == eligible
    assert set(ids(queries.directory(HR, readiness="not_eligible").items)) == rated - eligible
    pool = ids(queries.pool(HR).items)
    assert pool and set(ids(queries.directory(HR, readiness="pool").items)) == set(pool)
    assert {p.employee_id for p in everyone if p.in_pool} == set(pool)
    filtered = queries.directory(HR, team="T1", limit=3)
    assert filtered.total == 4 and filtered.next_cursor is not None
    rest = queries.directory(HR, team="T1", limit=3, cursor=filtered.next_cursor)
    assert ids(rest.items) == ["S1"] and rest.offset == 3 and rest.next_cursor is None


def test_a_manager_sees_only_their_reports_and_an_employee_is_refused(
    queries: PeopleQueries,
) -> None:
    assert ids(queries.directory(S1).items) == ["A1", "A2", "A3"]
    assert queries.directory(S1, q="anna").total == 1  # not B1, in another team
    assert ids(queries.directory(M1).items) == ["A1", "A2", "A3", "S1"]  # transitive
    assert [c.value for c in queries.choices(S1).teams] == ["T1"]
    assert [c.name for c in queries.choices(HR).regions] == ["North", "South"]
    with pytest.raises(PermissionDeniedError) as refused:
        queries.directory(A1)
    assert "may not search the people directory" in str(refused.value)
    with pytest.raises(PermissionDeniedError):
        queries.pool(A1)


def test_a_cursor_the_list_did_not_make_is_refused(queries: PeopleQueries) -> None:
    for bad in ("nonsense!", "WyJhIl0", "WyJhIiwiYiIsIngiXQ"):  # not JSON, 1 value, str offset
        with pytest.raises(DomainError, match="cursor is not one it made"):
            queries.directory(HR, cursor=bad)
    with pytest.raises(DomainError, match="cursor is not one it made"):
        queries.pool(HR, cursor="WyJ4Il0")


def test_the_pool_sorted_filtered_and_paged(queries: PeopleQueries) -> None:
    whole = queries.pool(HR)
    assert whole.total == whole.pool_size >= 1
    assert [c.rank for c in whole.items] == list(range(1, whole.total + 1))
    scores = [c.score for c in whole.items]
    assert scores == sorted(scores, reverse=True)
    assert all(c.team_name for c in whole.items)
    if whole.total > 1:
        first = queries.pool(HR, limit=1)
        assert first.next_cursor and ids(first.items) == ids(whole.items)[:1]
        second = queries.pool(HR, limit=1, cursor=first.next_cursor)
        assert ids(second.items) == ids(whole.items)[1:2] and second.offset == 1
    by_team = queries.pool(HR, sort="team")
    assert [c.team_name for c in by_team.items] == sorted(c.team_name or "" for c in whole.items)
    by_role = queries.pool(HR, sort="role").items
    ladder = [str(r) for r in Role]
    assert [ladder.index(c.role) for c in by_role] == sorted(
        (ladder.index(c.role) for c in by_role), reverse=True
    )
    member = whole.items[0]
    only = queries.pool(HR, role=member.role, team=member.team_id)
    assert member.employee_id in ids(only.items)
    assert all(c.role == member.role and c.team_id == member.team_id for c in only.items)
    assert queries.pool(HR, team="nowhere").total == 0
    # A manager's pool: the members among their reports.
    assert set(ids(queries.pool(S1).items)) == set(ids(whole.items)) & {"A1", "A2", "A3"}
