"""The monthly ranking (`rm_metric_rank`, projections.metric_ranks) gives a promotion
report the same percentiles as scanning every peer's measurements
(projections.readiness.role_percentiles), for every employee, metric, role, month and
direction of a generated organisation; and still after a promotion, a leaver and new
values (one tying a peer's) are projected."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import psycopg
import pytest
from psycopg.rows import dict_row

from aggregates.base import command_context
from aggregates.documents import Measurement
from aggregates.ladder import Role, next_role
from aggregates.metric_ledger import MetricLedger
from careerflow.config import PostgresSettings
from careerflow.demo_loader import load_demo_into
from careerflow.engine import Engine, open_store
from careerflow.store import application_env
from projections.metric_ranks import employee_percentiles
from projections.readiness import role_percentiles
from projections.runner import ReadModels


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(open_store(pg)) as s:
        yield s


def compare_everyone(pg: PostgresSettings, metrics: list[str]) -> int:
    """Asserts the ranking's answer equals the scan's for everyone; how many were ranked."""
    ranked = 0
    with psycopg.connect(pg.conninfo(), row_factory=dict_row) as conn:
        months = [
            r["period"]
            for r in conn.execute(
                "SELECT DISTINCT period FROM rm_measurement "
                "WHERE period ~ '^[0-9]{4}-[0-9]{2}$' ORDER BY period"
            )
        ]
        staff = conn.execute("SELECT employee_id, role FROM rm_employee").fetchall()
        for metric in metrics:
            for direction in ("higher", "lower"):
                for role in sorted({Role(r["role"]) for r in staff}):
                    scan = role_percentiles(conn, metric, role, months, direction)
                    for person in staff:
                        got = employee_percentiles(
                            conn, metric, role, months, direction, person["employee_id"]
                        )
                        assert got == scan.get(person["employee_id"], {}), (
                            metric,
                            direction,
                            role,
                            person["employee_id"],
                        )
                        ranked += bool(got)
    return ranked


def test_the_ranking_answers_as_the_scan_of_every_peer(
    pg: PostgresSettings, services: Engine
) -> None:
    load_demo_into(services, reps=40, teams=4, if_empty=False)
    # Itemised metrics (courses: one row per item) are not ranked; top-percent rules rank
    # monthly figures.
    metrics = sorted(m for m, d in services.catalog().metrics.items() if d.window != "items")
    assert metrics
    apps = [services.store.people, services.store.metrics]
    with ReadModels(pg, application_env(pg)) as read_models:
        read_models.wait_caught_up(apps)
        assert compare_everyone(pg, metrics) > 100

        with psycopg.connect(pg.conninfo(), row_factory=dict_row) as conn:
            rows = conn.execute(
                "SELECT m.employee_id, m.period, m.metric, m.value, e.role FROM rm_measurement m "
                "JOIN rm_employee e USING (employee_id) WHERE m.item = '' AND e.active "
                "AND m.period ~ '^[0-9]{4}-[0-9]{2}$' ORDER BY m.period DESC, m.employee_id"
            ).fetchall()
        promoted = next(r for r in rows if next_role(Role(r["role"])) is not None)
        leaver = next(r for r in rows if r["employee_id"] != promoted["employee_id"])
        tied = next(
            r
            for r in rows
            if r["employee_id"] not in (promoted["employee_id"], leaver["employee_id"])
            and r["metric"] == promoted["metric"]
        )
        with command_context(actor="test", role="system"):
            people = services.store.people
            employee = people.get(promoted["employee_id"])
            target = next_role(Role(employee.role))
            assert target is not None
            assert employee.change_role(target, date(2026, 1, 1), "test")
            people.save(employee)
            gone = people.get(leaver["employee_id"])
            assert gone.leave(date(2026, 1, 31))
            people.save(gone)
            # A value tying a peer's, recorded as a new measurement batch.
            ledger = services.store.metrics.ledger(tied["employee_id"]) or MetricLedger(
                employee_id=tied["employee_id"]
            )
            assert ledger.record(
                "test-batch",
                [
                    Measurement(
                        employee_id=tied["employee_id"],
                        period=promoted["period"],
                        metric=promoted["metric"],
                        value=promoted["value"],
                        source="test",
                    )
                ],
            )
            services.store.metrics.save(ledger)
        read_models.wait_caught_up(apps)
        assert compare_everyone(pg, metrics) > 100
