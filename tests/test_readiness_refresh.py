"""The readiness refresher waits for the projections: while any projection is behind its
notification log nothing is recomputed, and once they have caught up one recompute
covers every dirty mark (bench/HISTORY.md's profile: recomputing while a bulk import is
projected redid the whole organisation once per metric event). Through the real runner
on the embedded PostgreSQL; a projection is held behind by a table lock that blocks its
writes (SHARE mode: reads, the refresher's included, go on)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

import projections.readiness as readiness
from aggregates.base import command_context
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR, load_demo_into
from careerflow.engine import Engine
from careerflow.store import Store, application_env
from projections.metrics import EVERYONE
from projections.runner import ReadModels, create_read_models

# A new month: the metrics projection marks everyone dirty ('*') when it applies this.
NEW_MONTH_CSV = (
    "employee_id,period,metric,value,source,item\nE00001,2026-11,customer_visits,12,crm,\n"
)


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(Store(pg)) as s:
        load_demo_into(s, reps=12, teams=2, if_empty=False)
        yield s


@pytest.fixture
def recomputed(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The employees of each recompute the refresher starts, from now on."""
    calls: list[list[str]] = []
    real = readiness.assess_employees

    def counting(conn: Any, policies: Any, roles: dict[str, Any], as_of: str | None) -> Any:
        calls.append(list(roles))
        return real(conn, policies, roles, as_of)

    monkeypatch.setattr(readiness, "assess_employees", counting)
    return calls


def query(pg: PostgresSettings, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def dirty(pg: PostgresSettings) -> set[str]:
    return {r[0] for r in query(pg, "SELECT employee_id FROM rm_readiness_dirty")}


def until(read_models: ReadModels, condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        read_models.check()  # a projection thread's error, if any
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def hold_measurements(pg: PostgresSettings) -> psycopg.Connection[Any]:
    """Blocks the metrics projection's writes (not reads) until the connection closes."""
    conn = psycopg.connect(pg.conninfo())
    conn.execute("LOCK TABLE rm_measurement IN SHARE MODE")
    return conn


def move_someone(services: Engine) -> str:
    """An event the people projection applies at once, marking one employee dirty."""
    employee = services.people.get("E00002")
    other = next(t for t in ("T001", "T002") if t != employee.team_id)
    with command_context(actor="test", role="system"):
        employee.move(other, employee.manager_id)
    services.store.people.save(employee)
    return employee.employee_id


def active_employees(pg: PostgresSettings) -> set[str]:
    return {r[0] for r in query(pg, "SELECT employee_id FROM rm_employee WHERE active")}


def readiness_rows(pg: PostgresSettings) -> list[tuple[Any, ...]]:
    return query(pg, "SELECT * FROM rm_readiness ORDER BY employee_id")


def test_nothing_is_recomputed_while_behind_then_once_for_every_mark(
    pg: PostgresSettings, services: Engine, recomputed: list[list[str]]
) -> None:
    with ReadModels(pg, application_env(pg), max_defer=None) as read_models:
        read_models.wait_caught_up(services.store.applications(), timeout=120)
        assert readiness_rows(pg) and not dirty(pg)
        recomputed.clear()

        held = hold_measurements(pg)
        try:
            services.ingest.ingest(DEMO_HR, NEW_MONTH_CSV.encode(), "csv", services.catalog())
            moved = move_someone(services)
            until(read_models, lambda: moved in dirty(pg))  # the people projection went on
            # Longer than the old refresher waited (5 s) before recomputing anyway.
            time.sleep(6.0)
            assert recomputed == [], "recomputed while the metrics projection was behind"
            assert moved in dirty(pg)
            read_models.check()
        finally:
            held.close()

        read_models.wait_caught_up(services.store.applications(), timeout=120)
        assert not dirty(pg)
    # The '*' of the new month and the moved employee's own mark: one recompute each.
    counts = Counter(e for batch in recomputed for e in batch)
    assert set(counts) == active_employees(pg)
    assert set(counts.values()) == {1}, counts
    assert {r[3] for r in readiness_rows(pg)} == {"2026-11"}  # as_of_month: the new month

    # The same as recomputing everyone from the projected rows (what a rebuild does).
    deferred = readiness_rows(pg)
    query(pg, "INSERT INTO rm_readiness_dirty VALUES (%s)", EVERYONE)
    readiness.ReadinessRefresher(pg).refresh_all()
    assert readiness_rows(pg) == deferred


def test_behind_for_longer_than_max_defer_recomputes_anyway(
    pg: PostgresSettings, services: Engine, recomputed: list[list[str]]
) -> None:
    # Writes that outpace the projections for good must not starve readiness.
    with ReadModels(pg, application_env(pg), max_defer=0.5) as read_models:
        read_models.wait_caught_up(services.store.applications(), timeout=120)
        recomputed.clear()
        held = hold_measurements(pg)
        try:
            services.ingest.ingest(DEMO_HR, NEW_MONTH_CSV.encode(), "csv", services.catalog())
            moved = move_someone(services)
            until(read_models, lambda: any(moved in batch for batch in recomputed))
            until(read_models, lambda: moved not in dirty(pg))
            behind = query(pg, "SELECT count(*) FROM rm_measurement WHERE period = '2026-11'")
            assert behind == [(0,)], "the metrics projection was still held"
        finally:
            held.close()
        read_models.wait_caught_up(services.store.applications(), timeout=120)
        assert not dirty(pg)


def test_a_mark_made_while_the_refresher_computes_neither_waits_nor_is_lost(
    pg: PostgresSettings, services: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refresher reads its marks and computes without holding them: the people
    projection marking one of them meanwhile goes through at once (the lag bench's
    probe waited for whole recomputes before), and that newer mark stays for the next
    batch instead of being deleted with the results computed before it."""
    with ReadModels(pg, application_env(pg)) as read_models:
        read_models.wait_caught_up(services.store.applications(), timeout=120)
    query(pg, "DELETE FROM rm_readiness_dirty")
    query(pg, "INSERT INTO rm_readiness_dirty (employee_id) VALUES ('E00002'), ('E00003')")
    real = readiness.assess_employees
    marked_again: list[str] = []

    def mark_during_the_compute(conn: Any, policies: Any, roles: Any, as_of: Any) -> Any:
        result = real(conn, policies, roles, as_of)
        with psycopg.connect(pg.conninfo()) as other, other.transaction():
            # Would fail rather than wait, were the mark held by the refresher.
            other.execute("SET LOCAL lock_timeout = '2s'")
            other.execute(
                "INSERT INTO rm_readiness_dirty VALUES ('E00002') ON CONFLICT (employee_id) "
                "DO UPDATE SET marked = clock_timestamp()"
            )
        marked_again.append("E00002")
        return result

    monkeypatch.setattr(readiness, "assess_employees", mark_during_the_compute)
    refresher = readiness.ReadinessRefresher(pg)
    try:
        assert refresher.refresh_batch() == 2
        assert marked_again == ["E00002"]
        assert dirty(pg) == {"E00002"}  # E00003 done; E00002 marked again after the read
        monkeypatch.setattr(readiness, "assess_employees", real)
        assert refresher.refresh_batch() == 1
        assert dirty(pg) == set()
    finally:
        refresher.close()
    assert {r[0] for r in readiness_rows(pg)} >= {"E00002", "E00003"}


def test_a_mark_table_from_before_gets_its_column(pg: PostgresSettings) -> None:
    """A store projected before marks had `marked`: the column is added at start, the
    marks kept (as made now)."""
    query(pg, "DROP TABLE IF EXISTS rm_readiness_dirty")
    query(pg, "CREATE TABLE rm_readiness_dirty (employee_id text PRIMARY KEY)")
    query(pg, "INSERT INTO rm_readiness_dirty VALUES ('E00007')")
    create_read_models(pg, application_env(pg))
    rows = query(pg, "SELECT employee_id, marked IS NOT NULL FROM rm_readiness_dirty")
    assert rows == [("E00007", True)]
