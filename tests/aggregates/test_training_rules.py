"""Unit tests of training recommendations from shortfalls (seed 001): too few new
customers -> Prospecting Skills; retention below target two consecutive months ->
Customer Relationship Management and an alert to the manager."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from aggregates.seed_policies import metric_catalog_v1, training_rules_v1
from aggregates.training_rules import (
    TrainingRule,
    TrainingRules,
    check_rules,
    training_rule_problems,
)
from words.messages import Message

RULES = training_rules_v1()
TARGETS = {
    m: {"new_customers": 16.0, "retention_rate": 75.0} for m in ("2026-01", "2026-02", "2026-03")
}


def english(problems: list[Message]) -> list[str]:
    """The problems as their English text (they are Messages, said in any language)."""
    return [str(problem) for problem in problems]


def courses(values: dict[str, dict[str, float | None]]) -> list[tuple[str, bool]]:
    _, recs = check_rules(RULES, "2026-03", values, TARGETS)
    return [(r.course, r.alert_manager) for r in recs]


def test_seed_rules() -> None:
    by_id = {r.id: r for r in RULES.rules}
    assert by_id["new_customers_short"].course == "Prospecting Skills"
    assert by_id["new_customers_short"].consecutive_months == 1
    assert not by_id["new_customers_short"].alert_manager
    retention = by_id["retention_below_target"]
    assert retention.course == "Customer Relationship Management"
    assert retention.consecutive_months == 2
    assert retention.alert_manager
    assert english(training_rule_problems(RULES, metric_catalog_v1())) == []


def test_too_few_new_customers_recommends_prospecting_skills() -> None:
    values: dict[str, dict[str, float | None]] = {
        "2026-03": {"new_customers": 12, "retention_rate": 80}
    }
    checks, recs = check_rules(RULES, "2026-03", values, TARGETS)
    assert [(r.rule_id, r.course, r.alert_manager) for r in recs] == [
        ("new_customers_short", "Prospecting Skills", False)
    ]
    (rec,) = recs
    assert [(f.month, f.value, f.target) for f in rec.evidence] == [("2026-03", 12, 16)]
    assert rec.reason["en"] == "fewer new customers than your target this month"
    assert {c.rule_id: c.triggered for c in checks} == {
        "new_customers_short": True,
        "retention_below_target": False,
    }


def test_new_customers_on_target_recommends_nothing() -> None:
    assert courses({"2026-03": {"new_customers": 16, "retention_rate": 80}}) == []


def test_retention_below_one_month_is_not_enough() -> None:
    values: dict[str, dict[str, float | None]] = {
        "2026-02": {"new_customers": 20, "retention_rate": 80},
        "2026-03": {"new_customers": 20, "retention_rate": 70},
    }
    checks, recs = check_rules(RULES, "2026-03", values, TARGETS)
    assert recs == []
    check = next(c for c in checks if c.rule_id == "retention_below_target")
    assert not check.triggered
    assert [(f.month, f.value) for f in check.evidence] == [("2026-02", 80), ("2026-03", 70)]


def test_retention_below_the_month_before_only_is_not_enough() -> None:
    assert (
        courses(
            {
                "2026-02": {"new_customers": 20, "retention_rate": 70},
                "2026-03": {"new_customers": 20, "retention_rate": 76},
            }
        )
        == []
    )


def test_retention_below_two_consecutive_months_alerts_the_manager() -> None:
    values: dict[str, dict[str, float | None]] = {
        "2026-02": {"new_customers": 20, "retention_rate": 74.9},
        "2026-03": {"new_customers": 20, "retention_rate": 60},
    }
    _, recs = check_rules(RULES, "2026-03", values, TARGETS)
    (rec,) = recs
    assert rec.rule_id == "retention_below_target"
    assert rec.course == "Customer Relationship Management"
    assert rec.alert_manager
    assert [(f.month, f.value, f.target) for f in rec.evidence] == [
        ("2026-02", 74.9, 75),
        ("2026-03", 60, 75),
    ]


def test_retention_exactly_on_target_is_not_below() -> None:
    assert (
        courses(
            {
                "2026-02": {"new_customers": 20, "retention_rate": 75},
                "2026-03": {"new_customers": 20, "retention_rate": 60},
            }
        )
        == []
    )


@pytest.mark.parametrize(
    "values",
    [
        {"2026-03": {"new_customers": 20, "retention_rate": 60}},  # no February at all
        {
            "2026-02": {"new_customers": 20, "retention_rate": None},
            "2026-03": {"new_customers": 20, "retention_rate": 60},
        },
        {
            "2026-02": {"new_customers": 20, "retention_rate": 60},
            "2026-03": {"new_customers": 20},  # March has no retention figure
        },
    ],
)
def test_a_missing_month_never_counts_as_a_shortfall(values: dict[str, Any]) -> None:
    assert courses(values) == []


def test_missing_new_customers_is_not_a_shortfall() -> None:
    assert courses({"2026-03": {"retention_rate": 80}}) == []


def test_both_rules_can_trigger_together() -> None:
    got = courses(
        {
            "2026-02": {"new_customers": 10, "retention_rate": 60},
            "2026-03": {"new_customers": 10, "retention_rate": 60},
        }
    )
    assert got == [("Prospecting Skills", False), ("Customer Relationship Management", True)]


def test_longer_streaks_look_further_back() -> None:
    rules = TrainingRules(
        rules=[
            TrainingRule(
                id="visits_three",
                metric="customer_visits",
                consecutive_months=3,
                course="Prospecting Skills",
                reason={"en": "few visits", "zh": "拜访少"},
            )
        ]
    )
    targets = {m: {"customer_visits": 40.0} for m in ("2026-01", "2026-02", "2026-03")}
    low: dict[str, dict[str, float | None]] = {
        m: {"customer_visits": 30} for m in ("2026-01", "2026-02", "2026-03")
    }
    _, recs = check_rules(rules, "2026-03", low, targets)
    assert [f.month for f in recs[0].evidence] == ["2026-01", "2026-02", "2026-03"]
    low["2026-01"] = {"customer_visits": 40}
    assert check_rules(rules, "2026-03", low, targets)[1] == []


def test_rule_documents_are_validated() -> None:
    reason = {"en": "x", "zh": "x"}
    rule = {"id": "a", "metric": "new_customers", "course": "Prospecting Skills", "reason": reason}
    with pytest.raises(ValidationError, match="repeated"):
        TrainingRules.model_validate({"rules": [rule, rule]})
    with pytest.raises(ValidationError):
        TrainingRules.model_validate({"rules": []})
    with pytest.raises(ValidationError):
        TrainingRules.model_validate({"rules": [{**rule, "metric": "satisfaction"}]})
    with pytest.raises(ValidationError):
        TrainingRules.model_validate({"rules": [{**rule, "consecutive_months": 0}]})
    with pytest.raises(ValidationError):
        TrainingRules.model_validate({"rules": [{**rule, "reason": {"en": "only english"}}]})


def test_rules_must_name_catalog_courses() -> None:
    rules = TrainingRules(
        rules=[
            TrainingRule(
                id="mystery",
                metric="new_customers",
                course="Underwater Basket Weaving",
                reason={"en": "x", "zh": "x"},
            )
        ]
    )
    assert english(training_rule_problems(rules, metric_catalog_v1())) == [
        "rule 'mystery': course 'Underwater Basket Weaving' has no bilingual title in the catalog"
    ]
