"""The candidate pool and readiness reads answered by the database (issue 19 item 4) give
the answers the old reads gave, on a generated organisation written straight into the
read models: the same members in the same order (ties and near-ties at 6 decimals,
inactive people, stale teams), the same access rules (HR, auditors and the engine see
everyone, each manager their reports, an employee is refused), the same pages of
/hr/pool and the same readiness with its ranks. The old reads are kept below, verbatim
but for names, as the reference."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from aggregates.base import PermissionDeniedError
from aggregates.evaluation import candidate_pool
from aggregates.ladder import LADDER
from careerflow.config import PostgresSettings
from careerflow.principal import SYSTEM, AccessRole, Principal
from projections.people_queries import PeopleQueries, decode_cursor, encode_cursor
from projections.readiness_queries import QueryService
from projections.schema import READ_MODEL_INDEXES, READ_MODEL_TABLES
from projections.visibility import reports_of, require_visible
from tests.conftest import create_database, drop_database
from words.messages import Message

INDICATORS = ("sales_completion", "repurchase_rate", "mentoring", "training")
HR = Principal(person_id="H1", role=AccessRole.hr)
AUDITOR = Principal(person_id="AU1", role=AccessRole.auditor)


# -- the old reads (the reference) ---------------------------------------------------------
def old_candidate_pool(conn: Any, principal: Principal) -> list[dict[str, Any]]:
    if principal.role != AccessRole.system:
        principal.require(
            AccessRole.manager, AccessRole.hr, AccessRole.auditor, action=Message("see the pool")
        )
    rows: Any = conn.execute(
        "SELECT r.employee_id, r.score, r.role, r.team_id, e.name, e.manager_id "
        "FROM rm_readiness r JOIN rm_employee e USING (employee_id) WHERE e.active"
    ).fetchall()
    weights: Any = conn.execute(
        "SELECT document FROM rm_policy WHERE kind = 'potential_weights' "
        "AND key = 'default' ORDER BY version DESC LIMIT 1"
    ).fetchone()
    fraction = weights["document"].get("pool_top_fraction", 0.10) if weights else 0.10
    pool = candidate_pool({r["employee_id"]: r["score"] for r in rows}, fraction)
    visible: set[str] | None = None
    if principal.role == AccessRole.manager:
        visible = reports_of(conn, principal.person_id)
    by_id = {r["employee_id"]: r for r in rows}
    return [dict(by_id[e]) for e in pool if visible is None or e in visible]


def old_pool_page(
    conn: Any,
    caller: Principal,
    sort: str = "score",
    role: str = "",
    team: str = "",
    limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    members = old_candidate_pool(conn, caller)
    names: Any = conn.execute(
        "SELECT team_id, name FROM rm_team WHERE team_id = ANY(%s)",
        (sorted({m["team_id"] for m in members}),),
    ).fetchall()
    team_names = {r["team_id"]: r["name"] for r in names}
    ranked = sorted(members, key=lambda m: (-round(m["score"], 6), m["employee_id"]))
    rows = [
        {
            "rank": i,
            "employee_id": m["employee_id"],
            "name": m["name"],
            "role": m["role"],
            "team_id": m["team_id"],
            "team_name": team_names.get(m["team_id"]),
            "score": m["score"],
        }
        for i, m in enumerate(ranked, start=1)
    ]
    chosen = [
        c for c in rows if (not role or c["role"] == role) and (not team or c["team_id"] == team)
    ]
    ladder = {str(r): i for i, r in enumerate(LADDER)}
    if sort == "team":
        chosen.sort(key=lambda c: (c["team_name"] or c["team_id"], c["team_id"], c["rank"]))
    elif sort == "role":
        chosen.sort(key=lambda c: (-ladder.get(c["role"], -1), c["rank"]))
    offset = decode_cursor(cursor, 1)[0] if cursor else 0
    more = offset + limit < len(chosen)
    return {
        "items": chosen[offset : offset + limit],
        "total": len(chosen),
        "pool_size": len(rows),
        "limit": limit,
        "offset": offset,
        "next_cursor": encode_cursor([offset + limit]) if more else None,
    }


def old_readiness(conn: Any, principal: Principal, employee_id: str) -> dict[str, Any]:
    require_visible(conn, principal, employee_id)
    row: Any = conn.execute(
        "SELECT * FROM rm_readiness WHERE employee_id = %s", (employee_id,)
    ).fetchone()
    team: Any = conn.execute(
        "SELECT employee_id, score, potential FROM rm_readiness WHERE team_id = %s",
        (row["team_id"],),
    ).fetchall()
    mine = next(t for t in team if t["employee_id"] == employee_id)["potential"]
    ranks = {
        name: 1 + sum(1 for t in team if t["potential"]["indicators"][name]["score"] > ind["score"])
        for name, ind in mine["indicators"].items()
    }
    return {
        "employee_id": employee_id,
        "role": row["role"],
        "as_of_month": row["as_of_month"],
        "score": row["score"],
        "team_rank": 1 + sum(1 for t in team if t["score"] > row["score"]),
        "team_size": len(team),
        "indicator_ranks": ranks,
        "potential": row["potential"],
        "next_role": row["next_role"],
        "eligible": row["eligible"],
        "evaluation": row["evaluation"],
        "policy_versions": row["policy_versions"],
    }


# -- a generated organisation ----------------------------------------------------------------
def _score(rnd: random.Random, taken: list[float]) -> float:
    """Scores with ties, near-ties that only rounding to 6 decimals makes equal (or not),
    and plain ones."""
    kind = rnd.random()
    if taken and kind < 0.25:
        return rnd.choice(taken)
    if taken and kind < 0.5:
        return rnd.choice(taken) + rnd.choice((-6e-7, -4e-7, -1e-7, 1e-7, 4e-7, 6e-7))
    return round(rnd.uniform(20, 95), rnd.choice((1, 2, 7, 9)))


def generate(conn: Any, seed: int) -> dict[str, list[str]]:
    rnd = random.Random(seed)
    teams: list[tuple[str, str, str | None, str | None]] = []
    employees: list[tuple[str, str, str, str, str | None, bool]] = []
    for r in range(4):
        region, manager = f"R{r:02d}", f"M{r:02d}"
        teams.append((region, f"Region {r}", manager, None))
        employees.append((manager, f"Manager {r}", "sales_manager", region, None, True))
        for t in range(5):
            team, lead = f"T{r}{t}", f"S{r}{t}"
            # Two teams share a name: sorting by team name must still be stable.
            teams.append((team, f"Team {'X' if t < 2 else t}", lead, region))
            employees.append((lead, f"Lead {r}{t}", "sales_supervisor", team, manager, True))
            for p in range(rnd.randint(15, 30)):
                role = rnd.choice(("sales_rep", "sales_rep", "senior_sales_rep"))
                active = rnd.random() > 0.06
                employees.append((f"E{r}{t}{p:02d}", f"Rep {r}{t}{p}", role, team, lead, active))
    conn.execute(
        "INSERT INTO rm_team VALUES " + ",".join(["(%s,%s,%s,%s)"] * len(teams)),
        [v for t in teams for v in t],
    )
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO rm_employee (employee_id, aggregate_id, name, role, team_id, "
            "manager_id, hire_date, locale, active, version) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, 'en', %s, 1)",
            [
                (e, uuid.uuid4(), n, role, t, m, date(2020, 1, 1), a)
                for e, n, role, t, m, a in employees
            ],
        )
    team_ids = [t[0] for t in teams]
    taken: list[float] = []
    readiness = []
    for e, _n, role, team, _m, _a in employees:
        if rnd.random() < 0.08:
            continue  # no readiness yet
        score = _score(rnd, taken)
        taken.append(score)
        indicators = {
            name: {"score": rnd.choice((0, 50, 62.5, 80, round(rnd.uniform(0, 100), 3)))}
            for name in INDICATORS
        }
        stale = rnd.random() < 0.05  # a readiness row from before a move to another team
        readiness.append(
            (
                e,
                rnd.choice(team_ids) if stale else team,
                role,
                "2026-10",
                score,
                Jsonb({"total": score, "indicators": indicators}),
                "senior_sales_rep",
                rnd.choice((True, False, None)),
                rnd.randint(0, 3),
                Jsonb({"eligible": False, "criteria": [{"name": "x", "met": True}]}),
                Jsonb({"potential_weights": 1}),
            )
        )
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO rm_readiness VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            readiness,
        )
    return {
        "managers": sorted({e[4] for e in employees if e[4]} | {"S00", "E0000"}),
        "readiness": [r[0] for r in readiness],
    }


def set_fraction(conn: Any, version: int, document: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO rm_policy VALUES ('potential_weights', 'default', %s, %s, '', 'H1', %s)",
        (version, Jsonb(document), datetime(2026, 1, 1, tzinfo=UTC)),
    )


@pytest.fixture(scope="module")
def org(pg_server: PostgresSettings) -> Iterator[tuple[ConnectionPool, dict[str, list[str]]]]:
    pg = create_database(pg_server)
    try:
        with psycopg.connect(pg.conninfo(), autocommit=True, row_factory=dict_row) as conn:
            for ddl in [*READ_MODEL_TABLES.values(), *READ_MODEL_INDEXES]:
                conn.execute(ddl.format(schema="public"))
            people = generate(conn, seed=19)
        pool = ConnectionPool(
            pg.conninfo(),
            min_size=1,
            max_size=2,
            kwargs={"row_factory": dict_row, "autocommit": True},
            open=True,
        )
        with pool:
            yield pool, people
    finally:
        drop_database(pg_server, pg.dbname)


def callers(people: dict[str, list[str]]) -> list[Principal]:
    managers = [Principal(person_id=m, role=AccessRole.manager) for m in people["managers"]]
    return [HR, AUDITOR, SYSTEM, *managers]


@pytest.mark.parametrize(
    "weights",
    [None, {"pool_top_fraction": 0.13}, {"pool_top_fraction": 0.5}, {"other": 1}],
    ids=["no-policy", "13pc", "half", "default-share"],
)
def test_the_pool_is_the_old_pool_for_every_caller(
    org: tuple[ConnectionPool, dict[str, list[str]]], weights: dict[str, Any] | None
) -> None:
    pool, people = org
    with pool.connection() as conn:
        conn.execute("DELETE FROM rm_policy")
        if weights is not None:
            set_fraction(conn, 1, {"pool_top_fraction": 0.9})
            set_fraction(conn, 2, weights)  # the latest version counts
    queries, pages = QueryService(pool), PeopleQueries(pool)
    for caller in callers(people):
        with pool.connection() as conn:
            expected = old_candidate_pool(conn, caller)
            expected_ids = [m["employee_id"] for m in old_candidate_pool(conn, HR)]
        assert queries.candidate_pool(caller) == expected, caller
        with pool.connection() as conn:
            assert pages._pool_ids(conn) == expected_ids
        for sort in ("score", "team", "role"):
            for role, team in (("", ""), ("sales_rep", ""), ("", "T01"), ("sales_rep", "T10")):
                cursor: str | None = None
                while True:
                    with pool.connection() as conn:
                        want = old_pool_page(conn, caller, sort, role, team, 25, cursor)
                    got = pages.pool(caller, sort, role, team, limit=25, cursor=cursor)
                    assert got.model_dump() == want, (caller, sort, role, team, cursor)
                    cursor = got.next_cursor
                    if cursor is None:
                        break


def test_an_employee_is_refused_the_pool(
    org: tuple[ConnectionPool, dict[str, list[str]]],
) -> None:
    pool, _ = org
    rep = Principal(person_id="E0000", role=AccessRole.employee)
    with pytest.raises(PermissionDeniedError):
        QueryService(pool).candidate_pool(rep)
    with pytest.raises(PermissionDeniedError):
        PeopleQueries(pool).pool(rep)


def test_readiness_is_the_old_readiness(
    org: tuple[ConnectionPool, dict[str, list[str]]],
) -> None:
    pool, people = org
    queries = QueryService(pool)
    for employee_id in people["readiness"]:
        with pool.connection() as conn:
            expected = old_readiness(conn, HR, employee_id)
        found = queries.readiness(HR, employee_id)
        assert found == expected
        assert list(found["indicator_ranks"]) == list(expected["indicator_ranks"])
