"""KPI weights as a versioned policy document on the real event store and read models:
version 1 is seeded and recorded by every month close and application report; HR's
re-weighted version (seed 004) changes the next month close and potential score, which
record version 2, while what was decided under version 1 keeps it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from aggregates.base import DomainError
from aggregates.ladder import Role
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.principal import SYSTEM, AccessRole, Principal
from careerflow.store import application_env
from projections.runner import ReadModels
from tests.workflows.promotion_support import build_org, ingest, year_of_metrics

# Seed 004: big-client signing 30%, retention 25%, satisfaction 20%, small-deal volume 25%.
BIG_CLIENTS: dict[str, Any] = {
    "kpis": [
        {"metric": "big_client_signing_rate", "weight_percent": 30, "zero_at": 0, "full_at": 50},
        {"metric": "retention_rate", "weight_percent": 25, "zero_at": 50, "full_at": 100},
        {"metric": "satisfaction", "weight_percent": 20, "zero_at": 60, "full_at": 100},
        {"metric": "small_deal_volume", "weight_percent": 25, "zero_at": 0, "full_at": 20},
    ]
}


@pytest.fixture
def stack(pg: PostgresSettings) -> Iterator[tuple[Engine, ReadModels]]:
    with Engine(open_store(pg)) as s, ReadModels(pg, application_env(pg)) as rm:
        build_org(s)
        s.policies.publish(
            DEMO_HR, "goal_cascade", "default", {"individual_growth_percent": 0}, "flat"
        )
        rows = [("E1", f"2025-{m:02d}", "sales_amount", 1_000_000.0, "") for m in range(1, 13)]
        rows += [
            ("E1", "2026-03", "sales_completion", 120.0, ""),
            ("E1", "2026-03", "new_customers", 3.0, ""),
            ("E1", "2026-03", "big_client_signing_rate", 20.0, ""),
            ("E1", "2026-04", "big_client_signing_rate", 20.0, ""),
            ("E1", "2026-04", "retention_rate", 80.0, ""),
            ("E1", "2026-04", "satisfaction", 90.0, ""),
            ("E1", "2026-04", "small_deal_volume", 10.0, ""),
        ]
        ingest(s, rows)
        ingest(s, year_of_metrics("E2", "2026-02", {}, mentored=2))
        rm.wait_caught_up(s.store.applications())
        yield s, rm


def readiness(services: Engine, employee_id: str) -> dict[str, Any]:
    with psycopg.connect(services.store.pg.conninfo(), row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT score, potential, policy_versions FROM rm_readiness WHERE employee_id = %s",
            (employee_id,),
        ).fetchone()
    assert row is not None
    return dict(row)


def test_a_reweighted_version_reaches_the_next_close_and_score(
    stack: tuple[Engine, ReadModels],
) -> None:
    services, rm = stack
    assert services.policies.current("kpi_weights", "default").version == 1
    cycles = services.store.cycles

    # Version 1: today's KPIs, equally weighted, recorded with the close and the report.
    cycles.close_month("E1", "2026-03", "month-close-E1-2026-03")
    march = cycles.get_month("E1", "2026-03").kpis
    assert march is not None and march.kpi_weights_version == 1
    assert [line.metric for line in march.lines] == [
        "sales_completion",
        "collection_rate",
        "new_customers",
    ]
    assert march.total == round((7.0 + 0.0 + 3.75) / 3, 2)  # 120% on 50..150, 3 of 8
    assert march.missing == ["collection_rate"]
    commands = services.store.promotions
    e2 = Principal(person_id="E2", role=AccessRole.employee)
    commands.open_application(e2, "app-E2-1", "E2", Role.sales_supervisor, "promotion-E2-1")
    before = commands.submit_report("app-E2-1", 1, date(2026, 3, 10), SYSTEM)
    assert before.policy_versions["kpi_weights/default"] == 1
    was = readiness(services, "E2")
    assert was["policy_versions"]["kpi_weights/default"] == 1
    assert set(was["potential"]["indicators"]) >= {"sales_completion", "collection_rate"}

    # HR's seed-004 weights: satisfaction is still weighted under customer, so refused
    # with the reason and nothing published.
    with pytest.raises(DomainError, match="'satisfaction' is a KPI and is weighted under customer"):
        services.policies.publish(DEMO_HR, "kpi_weights", "default", BIG_CLIENTS, "big clients")
    assert services.policies.current("kpi_weights", "default").version == 1
    weights = services.policies.current("potential_weights", "default").document
    customer = weights["dimensions"]["customer"]
    customer["indicators"] = [i for i in customer["indicators"] if i["metric"] != "satisfaction"]
    services.policies.publish(
        DEMO_HR, "potential_weights", "default", weights, "satisfaction is a KPI now"
    )
    assert (
        services.policies.publish(DEMO_HR, "kpi_weights", "default", BIG_CLIENTS, "big clients")
        == 2
    )

    # The next close scores April under version 2 and says so; March keeps version 1.
    cycles.close_month("E1", "2026-04", "month-close-E1-2026-04")
    april = cycles.get_month("E1", "2026-04").kpis
    assert april is not None and april.kpi_weights_version == 2
    assert [(line.metric, line.weight_percent) for line in april.lines] == [
        ("big_client_signing_rate", 30),
        ("retention_rate", 25),
        ("satisfaction", 20),
        ("small_deal_volume", 25),
    ]
    assert april.total == 5.45  # 0.3 × 4 + 0.25 × 6 + 0.2 × 7.5 + 0.25 × 5
    assert cycles.get_month("E1", "2026-03").kpis == march
    checked = services.reevaluation.reevaluate(DEMO_HR, "month", "E1/2026-04")
    kpi_check = next(d for d in checked.decisions if d.decision == "kpi score")
    assert kpi_check.identical and kpi_check.policy_versions == {"kpi_weights/default": 2}

    # The next report and the readiness read model score with version 2 and record it.
    commands.open_application(e2, "app-E2-2", "E2", Role.sales_supervisor, "promotion-E2-2")
    after = commands.submit_report("app-E2-2", 1, date(2026, 3, 10), SYSTEM)
    assert after.policy_versions["kpi_weights/default"] == 2
    rm.wait_caught_up(services.store.applications())
    now = readiness(services, "E2")
    assert now["policy_versions"]["kpi_weights/default"] == 2
    assert now["policy_versions"]["potential_weights/default"] == 2
    performance = {
        m for m, i in now["potential"]["indicators"].items() if i["dimension"] == "performance"
    }
    assert performance == {
        "big_client_signing_rate",
        "retention_rate",
        "satisfaction",
        "small_deal_volume",
    }
    assert now["score"] != was["score"]
    # The first application's report keeps the version it was made under.
    first = services.reevaluation.reevaluate(DEMO_HR, "application", "app-E2-1")
    assert first.identical
    assert first.decisions[0].policy_versions["kpi_weights/default"] == 1


def test_a_bad_kpi_document_is_refused_with_the_reason(
    stack: tuple[Engine, ReadModels],
) -> None:
    services, _ = stack
    short = {"kpis": [{**k, "weight_percent": 20} for k in BIG_CLIENTS["kpis"]]}
    with pytest.raises(DomainError) as refused:
        services.policies.publish(DEMO_HR, "kpi_weights", "default", short, "80 in all")
    said = str(refused.value)
    assert "kpi_weights/default is not valid" in said
    assert "kpis: Value error, KPI weights must sum to 100, got 80" in said
    unknown = {
        "kpis": [{"metric": "deal_count", "weight_percent": 100, "zero_at": 0, "full_at": 40}]
    }
    with pytest.raises(DomainError, match="metric 'deal_count' is not in the metric catalog"):
        services.policies.publish(DEMO_HR, "kpi_weights", "default", unknown, "old KPI")
    with pytest.raises(DomainError, match="may not publish policy documents"):
        services.policies.publish(
            Principal(person_id="S001", role=AccessRole.manager),
            "kpi_weights",
            "default",
            BIG_CLIENTS,
            "not HR",
        )
    assert services.policies.current("kpi_weights", "default").version == 1
