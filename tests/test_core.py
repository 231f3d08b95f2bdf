"""The core through its services, on a real PostgreSQL: ingestion, projections,
read-your-writes, exactly-once, rebuild, policies and access rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import Tracking
from psycopg.rows import dict_row

from aggregates.base import NotFoundError, PermissionDeniedError
from careerflow.applications.files import IngestError
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR, load_demo_into
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from careerflow.store import Store, application_env
from projections.runner import ReadModels

HR = DEMO_HR
INTEGRATION = Principal(person_id="crm-export", role=AccessRole.integration)


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(Store(pg)) as s:
        yield s


@pytest.fixture
def demo(services: Engine) -> dict[str, Any]:
    return load_demo_into(services, reps=30, teams=3, if_empty=False)


@pytest.fixture
def read_models(pg: PostgresSettings, services: Engine) -> Iterator[ReadModels]:
    rm = ReadModels(pg, application_env(pg))
    with rm:
        yield rm


def caught_up(rm: ReadModels, services: Engine) -> None:
    store = services.store
    rm.wait_caught_up(store.applications(), timeout=120)


def count_events(pg: PostgresSettings, table: str) -> int:
    with psycopg.connect(pg.conninfo()) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def dump_read_models(pg: PostgresSettings) -> dict[str, list[Any]]:
    tables = ["rm_team", "rm_employee", "rm_measurement", "rm_policy", "rm_readiness"]
    with psycopg.connect(pg.conninfo(), row_factory=dict_row) as conn:
        return {
            t: [dict(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3")]
            for t in tables
        }


CSV_OK = (
    "employee_id,period,metric,value,source,item\n"
    "E00001,2026-10,customer_visits,12,crm,\n"
    "E00001,2026-10,course_completed,91.5,lms,Team Management\n"
)


def test_ingest_bad_file_lists_every_problem_and_writes_nothing(
    services: Engine, demo: dict[str, Any], pg: PostgresSettings
) -> None:
    before = count_events(pg, "metrics_events")
    bad = (
        "employee_id,period,metric,value,source,item\n"
        "E00001,2026-10,customer_visits,12,crm,\n"  # fine, but the file is all or nothing
        "E99999,2026-10,customer_visits,12,crm,\n"
        "E00001,2026-13,customer_visits,12,crm,\n"
        "E00001,2026-10,customer_vists,12,crm,\n"
        "E00001,2026-10,customer_visits,twelve,crm,\n"
        "E00001,2026-10,course_completed,80,lms,\n"
    )
    with pytest.raises(IngestError) as info:
        services.ingest.ingest(INTEGRATION, bad.encode(), "csv", services.catalog(), "bad.csv")
    problems = info.value.problems
    assert any(p.startswith("line 3: employee_id: unknown employee 'E99999'") for p in problems)
    assert any(p.startswith("line 4: period:") for p in problems)
    assert any(p.startswith("line 5: metric: unknown metric 'customer_vists'") for p in problems)
    assert any(p.startswith("line 6: value:") for p in problems)
    assert any(p.startswith("line 7: item:") for p in problems)
    assert len(problems) == 5
    assert count_events(pg, "metrics_events") == before


def test_ingest_missing_column_and_bad_json(services: Engine, demo: dict[str, Any]) -> None:
    with pytest.raises(IngestError, match="line 1: header: missing column"):
        services.ingest.ingest(
            HR, b"employee_id,period,metric,value\n", "csv", services.catalog(), "x.csv"
        )
    with pytest.raises(IngestError, match="line 2: row: not valid JSON"):
        services.ingest.ingest(
            HR,
            b'{"employee_id":"E00001","period":"2026-10","metric":"customer_visits",'
            b'"value":3,"source":"crm"}\n{oops\n',
            "jsonl",
            services.catalog(),
            "x.jsonl",
        )


def test_ingest_is_idempotent_per_batch(
    services: Engine, demo: dict[str, Any], pg: PostgresSettings
) -> None:
    first = services.ingest.ingest(INTEGRATION, CSV_OK.encode(), "csv", services.catalog())
    assert first.events_written == 1 and not first.already_ingested
    after_first = count_events(pg, "metrics_events")
    again = services.ingest.ingest(INTEGRATION, CSV_OK.encode(), "csv", services.catalog())
    assert again.already_ingested and again.events_written == 0
    assert again.batch_id == first.batch_id
    assert count_events(pg, "metrics_events") == after_first


def test_only_hr_and_integrations_ingest(services: Engine, demo: dict[str, Any]) -> None:
    rep = Principal(person_id="E00001", role=AccessRole.employee)
    with pytest.raises(PermissionDeniedError, match="may not ingest metrics"):
        services.ingest.ingest(rep, CSV_OK.encode(), "csv", services.catalog())


def test_read_models_follow_writes_and_answer_readiness(
    services: Engine, demo: dict[str, Any], read_models: ReadModels
) -> None:
    caught_up(read_models, services)
    rep = Principal(person_id="E00001", role=AccessRole.employee)
    mine = services.queries.readiness(rep, "E00001")
    assert 0 <= mine["score"] <= 10
    assert mine["as_of_month"] == "2026-10"
    assert mine["policy_versions"]["potential_weights/default"] == 1
    assert mine["evaluation"]["results"], "criteria for the next rung are evaluated"
    # Read-your-writes: a new measurement is visible once its position is projected.
    result = services.ingest.ingest(INTEGRATION, CSV_OK.encode(), "csv", services.catalog())
    assert result.notification_id is not None
    read_models.wait({"metrics": result.notification_id})
    with psycopg.connect(services.store.pg.conninfo()) as conn:
        row = conn.execute(
            "SELECT value, batch_id FROM rm_measurement WHERE employee_id = 'E00001' "
            "AND period = '2026-10' AND metric = 'course_completed' AND item = 'Team Management'"
        ).fetchone()
    assert row == (91.5, result.batch_id)


def test_access_rules_on_readiness(
    services: Engine, demo: dict[str, Any], read_models: ReadModels
) -> None:
    caught_up(read_models, services)
    rep = Principal(person_id="E00001", role=AccessRole.employee)
    with pytest.raises(NotFoundError):
        services.queries.readiness(rep, "E00002")  # someone else's data
    supervisor = Principal(person_id="S001", role=AccessRole.manager)
    assert services.queries.readiness(supervisor, "E00001")["employee_id"] == "E00001"
    with pytest.raises(NotFoundError):
        services.queries.readiness(supervisor, "E00002")  # E00002 is in team T002
    regional = Principal(person_id="M001", role=AccessRole.manager)
    assert services.queries.readiness(regional, "E00002")  # transitive reports
    with pytest.raises(NotFoundError):
        services.queries.readiness(HR, "E77777")
    pool = services.queries.candidate_pool(HR)
    assert len(pool) == 4  # ceil(10% of 33 scored people)
    with pytest.raises(PermissionDeniedError):
        services.queries.candidate_pool(rep)


def test_projection_applies_a_notification_once(
    services: Engine, demo: dict[str, Any], read_models: ReadModels
) -> None:
    caught_up(read_models, services)
    runner = next(r for r in read_models.runners if r.app_name == "metrics")
    notification_id = services.store.metrics.recorder.max_notification_id()
    assert notification_id is not None
    (notification,) = services.store.metrics.recorder.select_notifications(
        start=notification_id, limit=1
    )
    event = services.store.metrics.mapper.to_domain_event(notification)
    before = dump_read_models(services.store.pg)
    # The same notification delivered again changes nothing and reports so.
    tracking = Tracking("metrics", notification_id)
    runner.projection.process_event(event, tracking)
    assert not runner.view.apply(tracking, None)
    assert dump_read_models(services.store.pg) == before


def test_rebuild_from_zero_gives_the_same_read_models(
    pg: PostgresSettings, services: Engine, demo: dict[str, Any]
) -> None:
    rm = ReadModels(pg, application_env(pg))
    with rm:
        caught_up(rm, services)
    before = dump_read_models(pg)
    assert before["rm_readiness"], "readiness was computed"
    rm.rebuild()  # stopped runner: forget everything, then project again from zero
    with rm:
        caught_up(rm, services)
    assert dump_read_models(pg) == before


def test_runner_resumes_where_it_stopped(
    pg: PostgresSettings, services: Engine, demo: dict[str, Any]
) -> None:
    rm = ReadModels(pg, application_env(pg))
    with rm:
        caught_up(rm, services)
    before = dump_read_models(pg)["rm_measurement"]
    # Written while no runner runs: picked up on restart, nothing applied twice.
    result = services.ingest.ingest(INTEGRATION, CSV_OK.encode(), "csv", services.catalog())
    with rm:
        caught_up(rm, services)
    after = dump_read_models(pg)["rm_measurement"]
    changed = [r for r in after if r not in before]
    assert sorted((r["metric"], r["item"], r["value"]) for r in changed) == [
        ("course_completed", "Team Management", 91.5),
        ("customer_visits", "", 12.0),
    ]
    assert all(r["batch_id"] == result.batch_id for r in changed)
    assert len(after) == len(before) + (1 if len(changed) == 2 and _new_key(before) else 0)


def _new_key(rows: list[Any]) -> bool:
    return not any(
        r["employee_id"] == "E00001"
        and r["period"] == "2026-10"
        and r["metric"] == "course_completed"
        and r["item"] == "Team Management"
        for r in rows
    )


def test_new_criteria_version_reaches_everyone_and_old_version_stays(
    services: Engine, demo: dict[str, Any], read_models: ReadModels
) -> None:
    caught_up(read_models, services)
    current = services.policies.current("promotion_criteria", "sales_supervisor").document
    stricter = {k: v for k, v in current.items() if k != "kind"}
    stricter["criteria"] = [*current["criteria"]]
    stricter["criteria"][0] = {**current["criteria"][0], "threshold": 999}
    version = services.policies.publish(
        HR, "promotion_criteria", "sales_supervisor", stricter, "stricter sales"
    )
    assert version == 2
    caught_up(read_models, services)
    with psycopg.connect(services.store.pg.conninfo(), row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT policy_versions, eligible FROM rm_readiness "
            "WHERE next_role = 'sales_supervisor'"
        ).fetchall()
    assert rows
    assert all(r["policy_versions"]["promotion_criteria/sales_supervisor"] == 2 for r in rows)
    assert not any(r["eligible"] for r in rows)
    old = services.policies.version("promotion_criteria", "sales_supervisor", 1)
    assert old.document == current


def test_bad_policy_document_is_rejected_and_changes_nothing(services: Engine) -> None:
    services.policies.seed(HR)
    from aggregates.base import DomainError

    with pytest.raises(DomainError, match="potential_weights/default is not valid"):
        services.policies.publish(HR, "potential_weights", "default", {"dimensions": {}}, "broken")
    assert services.policies.current("potential_weights", "default").version == 1
    rep = Principal(person_id="E00001", role=AccessRole.employee)
    with pytest.raises(PermissionDeniedError):
        services.policies.publish(rep, "potential_weights", "default", {}, "nope")
