"""Exact re-evaluation of recorded decisions: an application's report and a month close
come out identical from their recorded inputs and policy versions, even after newer
policy versions and corrected metrics; a changed rule in the code is reported field by
field."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from aggregates.base import NotFoundError, PermissionDeniedError
from aggregates.incentives import BonusRules
from aggregates.ladder import Role
from careerflow.audit import reevaluation
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.principal import SYSTEM, AccessRole, Principal
from careerflow.store import application_env
from projections.runner import ReadModels
from tests.workflows.promotion_support import build_org, ingest, year_of_metrics

AUDITOR = Principal(person_id="A001", role=AccessRole.auditor)
HR = Principal(person_id="H001", role=AccessRole.hr)
MONTH = "2026-03"


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(open_store(pg)) as s, ReadModels(pg, application_env(pg)) as rm:
        build_org(s)
        s.policies.publish(
            DEMO_HR, "goal_cascade", "default", {"individual_growth_percent": 0}, "flat"
        )
        rows = [("E1", f"2025-{m:02d}", "sales_amount", 1_000_000.0, "") for m in range(1, 13)]
        rows += [
            ("E1", MONTH, "sales_amount", 1_200_000.0, ""),
            ("E1", MONTH, "retention_rate", 70.0, ""),
            ("E1", "2026-02", "retention_rate", 72.0, ""),
            ("E1", MONTH, "small_deal_sales", 100_000.0, ""),
            ("E1", MONTH, "new_customers", 3.0, ""),
        ]
        ingest(s, rows)
        ingest(s, year_of_metrics("E2", "2026-02", {}, mentored=2))
        rm.wait_caught_up(s.store.applications())
        yield s


def test_a_month_close_reevaluates_identically(services: Engine) -> None:
    services.store.cycles.close_month("E1", MONTH, "month-close-E1")
    # Newer rules and corrected data do not touch a recorded decision.
    services.policies.publish(
        DEMO_HR, "bonus_rules", "default", BonusRules(base_bonus=9_999).model_dump(), "raise"
    )
    ingest(services, [("E1", MONTH, "sales_amount", 5.0, "")])
    result = services.reevaluation.reevaluate(AUDITOR, "month", f"E1/{MONTH}")
    assert result.identical, [d for d in result.decisions if not d.identical]
    assert [d.decision for d in result.decisions] == [
        "targets",
        "bonus",
        "commission",
        "kpi score",
        "training rules",
        "recommendations",
    ]
    bonus = next(d for d in result.decisions if d.decision == "bonus")
    assert bonus.policy_versions == {"bonus_rules/default": 1}


def test_a_changed_rule_is_reported_field_by_field(
    services: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.store.cycles.close_month("E1", MONTH, "month-close-E1")
    original = reevaluation.compute_bonus

    def without_the_excess(rules: BonusRules, version: int, inputs: Any, **words: Any) -> Any:
        changed = rules.model_copy(update={"excess_rate_percent": 0.0})
        return original(changed, version, inputs, **words)

    monkeypatch.setattr(reevaluation, "compute_bonus", without_the_excess)
    result = services.reevaluation.reevaluate(HR, "month", f"E1/{MONTH}")
    assert not result.identical and not result.pay_redacted
    bonus = next(d for d in result.decisions if d.decision == "bonus")
    paths = {d.path: d for d in bonus.differences}
    assert paths["amount"].recorded == 7_000.0 and paths["amount"].recomputed == 5_000.0
    assert "lines[1].amount" in paths
    assert all(d.identical for d in result.decisions if d.decision != "bonus")
    # The auditor learns that the bonus differs and where, but not the pay itself.
    audited = services.reevaluation.reevaluate(AUDITOR, "month", f"E1/{MONTH}")
    assert not audited.identical and audited.pay_redacted
    hidden = next(d for d in audited.decisions if d.decision == "bonus")
    assert {d.path for d in hidden.differences} == set(paths)
    assert all(d.recorded is None and d.recomputed is None for d in hidden.differences)


def test_an_application_report_reevaluates_identically(services: Engine) -> None:
    commands = services.store.promotions
    e2 = Principal(person_id="E2", role=AccessRole.employee)
    commands.open_application(e2, "app-E2", "E2", Role.sales_supervisor, "promotion-E2")
    commands.submit_report("app-E2", 1, date(2026, 3, 10), SYSTEM)
    ingest(services, [("E2", "2026-02", "satisfaction", 10.0, "")])  # a later correction
    result = services.reevaluation.reevaluate(AUDITOR, "application", "app-E2")
    assert result.identical, result.decisions
    (report,) = result.decisions
    assert report.decision == "report round 1"
    assert set(report.policy_versions) == {
        "metric_catalog/default",
        "potential_weights/default",
        "kpi_weights/default",
        "promotion_criteria/sales_supervisor",
    }


def test_refusals(services: Engine) -> None:
    with pytest.raises(PermissionDeniedError):
        services.reevaluation.reevaluate(
            Principal(person_id="E1", role=AccessRole.employee), "month", f"E1/{MONTH}"
        )
    with pytest.raises(NotFoundError, match="not closed"):
        services.reevaluation.reevaluate(AUDITOR, "month", "E1/2020-01")
    with pytest.raises(NotFoundError):
        services.reevaluation.reevaluate(AUDITOR, "application", "nope")
