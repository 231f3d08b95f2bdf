"""Unit tests of the bonus (seed 001) and commission (seed 004) calculations."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from aggregates.incentives import (
    BonusInputs,
    BonusRules,
    CommissionInputs,
    CommissionRules,
    compute_bonus,
    compute_commission,
)
from words.catalogue import in_every_language

RULES = BonusRules()


def bonus(target: float, actual: float, retention: float | None) -> tuple[float, dict[str, str]]:
    result = compute_bonus(
        RULES,
        1,
        BonusInputs(sales_target=target, sales_amount=actual, retention_rate=retention),
        labels=in_every_language,
    )
    return result.amount, {line.key: line.text["en"] for line in result.lines}


def test_seed_bonus_rules() -> None:
    assert RULES.kind == "bonus_rules"
    assert RULES.base_bonus == 5000
    assert RULES.excess_rate_percent == 1
    assert RULES.retention_threshold_percent == 75
    assert RULES.retention_uplift_percent == 10
    assert RULES.currency == "CNY"


def test_seed_bonus_worked_through() -> None:
    """Target 1,000,000, actual 1,200,000, retention 78%: 5,000 + 2,000, +10% = 7,700."""
    result = compute_bonus(
        RULES,
        4,
        BonusInputs(sales_target=1_000_000, sales_amount=1_200_000, retention_rate=78),
        labels=in_every_language,
    )
    assert result.target_met
    assert result.rules_version == 4
    assert [(line.key, line.amount) for line in result.lines] == [
        ("base", 5_000),
        ("excess", 2_000),  # 1% of the 200,000 excess
        ("retention", 700),  # +10% of 7,000
    ]
    assert result.amount == 7_700
    assert result.currency == "CNY"
    texts = {line.key: line.text for line in result.lines}
    assert texts["excess"]["en"] == "1% of the excess 200,000"
    assert texts["retention"]["en"] == "retention 78% > 75%: +10% of base + excess 7,000 = 700"
    assert "7,000" in texts["retention"]["zh"] and "700" in texts["retention"]["zh"]
    assert texts["retention"]["zh"] != texts["retention"]["en"]
    assert all(set(t) == {"en", "zh"} for t in texts.values())


def test_the_uplift_on_the_base_alone() -> None:
    """`uplift_on: base`: 5,000 + 2,000 + 10% of 5,000 = 7,500, and the line says so."""
    rules = BonusRules(uplift_on="base")
    result = compute_bonus(
        rules,
        2,
        BonusInputs(sales_target=1_000_000, sales_amount=1_200_000, retention_rate=78),
        labels=in_every_language,
    )
    assert [(line.key, line.amount) for line in result.lines] == [
        ("base", 5_000),
        ("excess", 2_000),
        ("retention", 500),
    ]
    assert result.amount == 7_500
    text = result.lines[-1].text
    assert text["en"] == "retention 78% > 75%: +10% of the base 5,000 = 500"
    assert "5,000" in text["zh"] and "500" in text["zh"] and text["zh"] != text["en"]


def test_a_document_without_uplift_on_keeps_the_uplift_on_the_total() -> None:
    stored = BonusRules().model_dump(mode="json")
    del stored["uplift_on"]  # as published before the field existed
    assert BonusRules.model_validate(stored).uplift_on == "total"
    with pytest.raises(ValidationError, match="uplift_on"):
        BonusRules.model_validate({**stored, "uplift_on": "excess"})


def test_retention_exactly_at_the_threshold_gives_no_uplift() -> None:
    amount, texts = bonus(1_000_000, 1_200_000, 75)
    assert amount == 7_000
    assert texts["retention"] == "retention 75% does not exceed 75%: no uplift"


def test_no_retention_figure_gives_no_uplift() -> None:
    amount, texts = bonus(1_000_000, 1_200_000, None)
    assert amount == 7_000
    assert "no figure" in texts["retention"]


def test_target_exactly_met_gives_the_base_bonus() -> None:
    amount, texts = bonus(1_000_000, 1_000_000, 70)
    assert amount == 5_000
    assert texts["excess"] == "1% of the excess 0"


def test_target_missed_gives_nothing_with_the_shortfall() -> None:
    result = compute_bonus(
        RULES,
        1,
        BonusInputs(sales_target=1_000_000, sales_amount=800_000, retention_rate=90),
        labels=in_every_language,
    )
    assert not result.target_met
    assert result.amount == 0
    (line,) = result.lines
    assert line.key == "target_not_met"
    assert line.amount == 0
    assert line.text["en"] == "sales 800,000 below the target 1,000,000 (short 200,000): no bonus"
    assert "200,000" in line.text["zh"]


def test_a_zero_target_pays_no_bonus() -> None:
    result = compute_bonus(
        RULES, 1, BonusInputs(sales_target=0, sales_amount=0), labels=in_every_language
    )
    assert not result.target_met
    assert result.amount == 0


def test_a_zero_target_is_not_explained_as_a_shortfall() -> None:
    result = compute_bonus(
        RULES, 1, BonusInputs(sales_target=0, sales_amount=500), labels=in_every_language
    )
    assert result.amount == 0
    (line,) = result.lines
    assert "below the target" not in line.text["en"]
    assert "short -" not in line.text["en"]


def test_other_rule_versions_change_the_numbers() -> None:
    rules = BonusRules(base_bonus=1000, excess_rate_percent=2, retention_uplift_percent=20)
    result = compute_bonus(
        rules,
        2,
        BonusInputs(sales_target=100_000, sales_amount=150_000, retention_rate=80),
        labels=in_every_language,
    )
    assert result.amount == (1000 + 1000) * 1.2


def test_bonus_inputs_are_validated() -> None:
    with pytest.raises(ValidationError):
        BonusInputs(sales_target=-1, sales_amount=0)
    with pytest.raises(ValidationError):
        BonusInputs(sales_target=1, sales_amount=float("inf"))
    with pytest.raises(ValidationError):
        BonusInputs(sales_target=1, sales_amount=1, retention_rate=101)
    with pytest.raises(ValidationError):
        BonusRules(base_bonus=float("nan"))


# --------------------------------------------------------------------------- commission


def test_seed_commission_rules() -> None:
    rules = CommissionRules()
    assert rules.kind == "commission_rules"
    assert rules.big_client_premium_percent == 15
    assert rules.repurchase_bonus_percent == 5
    # 15% above the small-deal rate, relative: 2% -> 2.3%
    assert rules.big_client_rate_percent == pytest.approx(rules.small_deal_rate_percent * 1.15)
    assert rules.big_client_rate_percent == pytest.approx(2.3)


def test_commission_big_clients_and_repurchase() -> None:
    result = compute_commission(
        CommissionRules(),
        7,
        CommissionInputs(
            small_deal_sales=100_000, big_client_sales=100_000, repurchase_sales=50_000
        ),
        labels=in_every_language,
    )
    lines = {line.key: line for line in result.lines}
    assert lines["small_deals"].amount == 2_000
    assert lines["big_clients"].amount == 2_300  # 15% more than the same sales in small deals
    assert lines["big_clients"].amount == pytest.approx(lines["small_deals"].amount * 1.15)
    assert lines["repurchase"].amount == 2_500  # 5% of repurchase sales
    assert result.amount == 6_800
    assert result.rules_version == 7
    assert lines["big_clients"].text["en"] == ("big clients 100,000 × 2.3% (15% above small deals)")
    assert lines["repurchase"].text["en"] == "repurchase bonus 5% of 50,000"


def test_commission_with_no_sales_is_zero() -> None:
    result = compute_commission(CommissionRules(), 1, CommissionInputs(), labels=in_every_language)
    assert result.amount == 0
    assert [line.amount for line in result.lines] == [0, 0, 0]


def test_commission_follows_the_rule_version() -> None:
    rules = CommissionRules(small_deal_rate_percent=3, big_client_premium_percent=50)
    result = compute_commission(
        rules, 2, CommissionInputs(big_client_sales=10_000), labels=in_every_language
    )
    assert result.amount == 450  # 3% * 1.5 = 4.5%


def test_commission_inputs_are_validated() -> None:
    with pytest.raises(ValidationError):
        CommissionInputs(small_deal_sales=-1)
    with pytest.raises(ValidationError):
        CommissionRules(repurchase_bonus_percent=101)
