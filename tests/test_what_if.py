"""What-if on a draft before publishing: lowering the repurchase threshold makes the rep
who missed only that criterion eligible; a weights draft that favours the customer
dimension moves the candidate pool; nothing is published; bad drafts are refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aggregates.base import DomainError, PermissionDeniedError
from aggregates.seed_policies import potential_weights_v1, sales_supervisor_criteria_v1
from careerflow.audit.what_if import what_if
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env
from projections.runner import ReadModels
from tests.workflows.promotion_support import build_org, ingest, year_of_metrics


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(open_store(pg)) as s, ReadModels(pg, application_env(pg)) as rm:
        build_org(s)
        ingest(s, year_of_metrics("E1", "2026-10", {}, mentored=2))
        ingest(s, year_of_metrics("E2", "2026-10", {"repurchase_rate": 55.0}, mentored=2))
        ingest(s, year_of_metrics("E3", "2026-10", {"sales_completion": 90.0}, mentored=0))
        rm.wait_caught_up(s.store.applications())
        yield s


def criteria_with_repurchase(threshold: float) -> dict[str, Any]:
    doc = sales_supervisor_criteria_v1().model_dump(mode="json")
    for criterion in doc["criteria"]:
        if criterion["id"] == "repurchase":
            criterion["threshold"] = threshold
    return doc


def test_a_lower_threshold_makes_e2_eligible(services: Engine) -> None:
    report = what_if(
        services.policies,
        services.read_pool,
        services.history,
        DEMO_HR,
        "promotion_criteria",
        "sales_supervisor",
        criteria_with_repurchase(50),
    )
    assert report.in_force_version == 1 and report.as_of_month == "2026-10"
    changed = {c.employee_id: c for c in report.changes}
    assert set(changed) == {"E2"}
    assert (changed["E2"].eligible_now, changed["E2"].eligible_draft) == (False, True)
    assert report.eligible_draft == report.eligible_now + 1
    assert report.pool_size_now == report.pool_size_draft  # criteria do not move the pool
    # Nothing was published.
    assert services.policies.current("promotion_criteria", "sales_supervisor").version == 1


def test_weights_that_favour_customers_move_the_pool(services: Engine) -> None:
    weights = potential_weights_v1().model_dump(mode="json")
    weights["dimensions"]["performance"]["weight"] = 0.10
    weights["dimensions"]["customer"]["weight"] = 0.60
    weights["pool_top_fraction"] = 0.5
    report = what_if(
        services.policies,
        services.read_pool,
        services.history,
        DEMO_HR,
        "potential_weights",
        "default",
        weights,
    )
    assert report.pool_size_now == 1  # 10% of 5 people, at least one
    assert report.pool_size_draft == 3  # half of 5, rounded up
    assert len(report.joined_pool) == 2 and report.left_pool == []
    assert {c.employee_id for c in report.changes} == set(report.joined_pool)
    assert all(c.in_pool_draft and not c.in_pool_now for c in report.changes)


def test_bad_drafts_and_callers_are_refused(services: Engine) -> None:
    with pytest.raises(DomainError, match="is not valid"):
        what_if(
            services.policies,
            services.read_pool,
            services.history,
            DEMO_HR,
            "potential_weights",
            "default",
            {"dimensions": {}},
        )
    doc = criteria_with_repurchase(50)
    doc["criteria"][0]["metric"] = "no_such_metric"
    with pytest.raises(DomainError, match="does not fit"):
        what_if(
            services.policies,
            services.read_pool,
            services.history,
            DEMO_HR,
            "promotion_criteria",
            "sales_supervisor",
            doc,
        )
    with pytest.raises(DomainError, match="what-if evaluates"):
        what_if(
            services.policies,
            services.read_pool,
            services.history,
            DEMO_HR,
            "bonus_rules",
            "default",
            {},
        )
    with pytest.raises(PermissionDeniedError):
        what_if(
            services.policies,
            services.read_pool,
            services.history,
            Principal(person_id="S001", role=AccessRole.manager),
            "promotion_criteria",
            "sales_supervisor",
            criteria_with_repurchase(50),
        )
