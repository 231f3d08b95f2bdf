"""The projection check rebuilds every read model into a scratch schema and diffs it row
by row: clean on an untouched read model; an edited, a deleted and an extra live row are
each named with their table, key and columns; the scratch schema is gone afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from aggregates.base import PermissionDeniedError
from careerflow.audit.projection_check import check_projections
from careerflow.config import PostgresSettings
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env
from projections.runner import ReadModels
from tests.workflows.promotion_support import build_org, ingest, year_of_metrics

AUDITOR = Principal(person_id="A001", role=AccessRole.auditor)


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(open_store(pg)) as s, ReadModels(pg, application_env(pg)) as rm:
        build_org(s)
        ingest(s, year_of_metrics("E1", "2026-10", {}, mentored=2))
        rm.wait_caught_up(s.store.applications())
        yield s


def sql(services: Engine, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
    with psycopg.connect(services.store.pg.conninfo(), autocommit=True) as conn:
        cursor = conn.execute(statement, params or None)
        return cursor.fetchall() if cursor.description else []


def test_a_clean_read_model_and_three_kinds_of_difference(services: Engine) -> None:
    report = check_projections(services.store, services.history, AUDITOR)
    assert report.ok, report.differences
    assert report.rows_compared["rm_employee"] == 5
    assert report.rows_compared["rm_readiness"] == 5
    assert report.live_positions == report.rebuilt_positions
    sql(services, "UPDATE rm_employee SET name = 'Someone else' WHERE employee_id = 'E2'")
    sql(services, "DELETE FROM rm_measurement WHERE employee_id = 'E1' AND metric = "
        "'satisfaction' AND period = '2026-10'")  # fmt: skip
    sql(services, "INSERT INTO rm_team VALUES ('T999', 'Ghost team', NULL, NULL)")
    report = check_projections(services.store, services.history, AUDITOR)
    assert not report.ok and report.difference_count == 3
    found = {(d.table, d.problem): d for d in report.differences}
    edited = found[("rm_employee", "differs")]
    assert edited.key == {"employee_id": "E2"}
    assert edited.columns["name"]["live"] == "Someone else"
    assert edited.columns["name"]["rebuilt"] == "复购不足"
    assert found[("rm_measurement", "missing in live")].key["metric"] == "satisfaction"
    assert found[("rm_team", "missing in rebuild")].key == {"team_id": "T999"}
    schemas = sql(services, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rm_check_%'")
    assert schemas == []
    with pytest.raises(PermissionDeniedError):
        check_projections(
            services.store, services.history, Principal(person_id="S001", role=AccessRole.manager)
        )


def test_a_pay_difference_is_named_to_an_auditor_without_its_figures(services: Engine) -> None:
    from careerflow.store import application_env as env_of

    services.store.cycles.close_month("E1", "2026-10", "month-close-E1-2026-10")
    pg = services.store.pg
    with ReadModels(pg, env_of(pg)) as rm:
        rm.wait_caught_up(services.store.applications())
    sql(services, "UPDATE rm_month_statement SET bonus_amount = 99999, "
        "commission_amount = 77777 WHERE employee_id = 'E1'")  # fmt: skip
    report = check_projections(services.store, services.history, AUDITOR)
    (difference,) = report.differences
    assert difference.table == "rm_month_statement"
    assert set(difference.columns) == {"bonus_amount", "commission_amount"}
    assert difference.columns["bonus_amount"] == {"live": None, "rebuilt": None}
    assert report.pay_redacted and "99999" not in report.model_dump_json()
    hr = check_projections(
        services.store, services.history, Principal(person_id="H001", role=AccessRole.hr)
    )
    assert hr.differences[0].columns["bonus_amount"]["live"] == 99999
    assert not hr.pay_redacted
