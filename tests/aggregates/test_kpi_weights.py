"""KPI weights (seed 004) as a document: version 1 scores exactly as before the document
existed, a re-weighted version moves the potential score and the month's KPI score, and a
bad document is refused with the reason."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from aggregates.evaluation import potential_score
from aggregates.kpi_weights import KpiWeight, KpiWeights, kpi_problems, score_month
from aggregates.seed_policies import kpi_weights_v1, metric_catalog_v1, potential_weights_v1
from words.catalogue import in_every_language

CATALOG = metric_catalog_v1()
WEIGHTS = potential_weights_v1()

# Seed 004: big-client signing 30%, retention 25%, satisfaction 20%, small-deal volume 25%.
BIG_CLIENTS = KpiWeights(
    kpis=[
        KpiWeight(metric="big_client_signing_rate", weight_percent=30, zero_at=0, full_at=50),
        KpiWeight(metric="retention_rate", weight_percent=25, zero_at=50, full_at=100),
        KpiWeight(metric="satisfaction", weight_percent=20, zero_at=60, full_at=100),
        KpiWeight(metric="small_deal_volume", weight_percent=25, zero_at=0, full_at=20),
    ]
)

PEOPLE: list[dict[str, float | None]] = [
    {
        "sales_completion": 131.7,
        "collection_rate": 83.3,
        "new_customers": 3.25,
        "repurchase_rate": 57.1,
        "satisfaction": 91.9,
        "churn_rate": 13.3,
        "course_completion_rate": 70.0,
        "exam_score": 77.7,
        "new_hires_mentored": 1.0,
        "collaboration_score": 8.45,
        "cross_dept_communications": 2.0,
        "big_client_signing_rate": 35.0,
        "retention_rate": 86.7,
        "small_deal_volume": 11.0,
    },
    {"sales_completion": 99.9, "collection_rate": None, "new_customers": 7.9},
    {},
]


def test_version_1_scores_exactly_as_the_potential_weights_alone() -> None:
    kpis = kpi_weights_v1()
    assert [k.metric for k in kpis.kpis] == ["sales_completion", "collection_rate", "new_customers"]
    assert kpis.applied_to(WEIGHTS) == WEIGHTS
    for values in PEOPLE:
        assert potential_score(
            values, kpis.applied_to(WEIGHTS), CATALOG, labels=in_every_language
        ) == potential_score(values, WEIGHTS, CATALOG, labels=in_every_language)
    # and it stays so after a trip through the store (JSON)
    stored = KpiWeights.model_validate_json(kpis.model_dump_json())
    assert stored.applied_to(WEIGHTS) == WEIGHTS


def test_a_reweighted_version_changes_the_performance_dimension_only() -> None:
    # satisfaction moves from the customer dimension to the KPIs (a metric counts once)
    customer = WEIGHTS.dimensions["customer"]
    weights = WEIGHTS.model_copy(
        update={
            "dimensions": {
                **WEIGHTS.dimensions,
                "customer": customer.model_copy(
                    update={
                        "indicators": [b for b in customer.indicators if b.metric != "satisfaction"]
                    }
                ),
            }
        }
    )
    assert kpi_problems(BIG_CLIENTS, CATALOG, weights) == []
    effective = BIG_CLIENTS.applied_to(weights)
    assert effective.dimensions["performance"].weight == 0.40
    shares = effective.effective_weights()
    assert shares["big_client_signing_rate"] == pytest.approx(0.40 * 0.30)
    assert shares["retention_rate"] == pytest.approx(0.40 * 0.25)
    assert shares["satisfaction"] == pytest.approx(0.40 * 0.20)
    assert shares["small_deal_volume"] == pytest.approx(0.40 * 0.25)
    assert "sales_completion" not in shares
    before = potential_score(PEOPLE[0], weights, CATALOG, labels=in_every_language)
    after = potential_score(PEOPLE[0], effective, CATALOG, labels=in_every_language)
    assert after.dimensions["customer"] == before.dimensions["customer"]
    # 30% × 7 + 25% × 7.34 + 20% × 7.975 + 25% × 5.5 = 6.895 on the KPIs' bands
    assert after.dimensions["performance"].score == pytest.approx(6.9, abs=0.01)
    assert after.total != before.total


def test_the_month_score_is_the_weighted_kpis() -> None:
    score = score_month(BIG_CLIENTS, 2, CATALOG, "2026-11", PEOPLE[0])
    assert score.kpi_weights_version == 2
    assert [(line.metric, line.weight_percent) for line in score.lines] == [
        ("big_client_signing_rate", 30),
        ("retention_rate", 25),
        ("satisfaction", 20),
        ("small_deal_volume", 25),
    ]
    # 35% of 50 -> 7; 86.7 on 50..100 -> 7.34; 91.9 on 60..100 -> 7.975; 11 of 20 -> 5.5
    assert [line.score for line in score.lines] == [7.0, 7.34, 7.98, 5.5]
    assert score.total == round(0.3 * 7 + 0.25 * 7.34 + 0.2 * 7.975 + 0.25 * 5.5, 2)
    assert score.lines[0].display_value == "35%"
    assert score.missing == []

    gaps = score_month(BIG_CLIENTS, 2, CATALOG, "2026-11", {"satisfaction": 100.0})
    assert gaps.total == 2.0  # only satisfaction's 20% at full marks
    assert gaps.missing == ["big_client_signing_rate", "retention_rate", "small_deal_volume"]


def test_weights_must_sum_to_100_and_name_each_kpi_once() -> None:
    with pytest.raises(ValidationError, match=r"KPI weights must sum to 100, got 95 "):
        KpiWeights.model_validate(
            {
                "kpis": [
                    {"metric": "big_client_signing_rate", "weight_percent": 30, "zero_at": 0,
                     "full_at": 50},
                    {"metric": "retention_rate", "weight_percent": 25, "zero_at": 50,
                     "full_at": 100},
                    {"metric": "satisfaction", "weight_percent": 20, "zero_at": 60,
                     "full_at": 100},
                    {"metric": "small_deal_volume", "weight_percent": 20, "zero_at": 0,
                     "full_at": 20},
                ]
            }
        )  # fmt: skip
    twice = BIG_CLIENTS.model_dump()
    twice["kpis"][3]["metric"] = "satisfaction"
    with pytest.raises(ValidationError, match=r"each KPI may appear once.*satisfaction"):
        KpiWeights.model_validate(twice)
    with pytest.raises(ValidationError, match="zero_at and full_at must differ"):
        KpiWeight(metric="satisfaction", weight_percent=100, zero_at=60, full_at=60)
    with pytest.raises(ValidationError, match="kpis"):
        KpiWeights(kpis=[])
    with pytest.raises(ValidationError, match="weight_percent"):
        KpiWeight(metric="satisfaction", weight_percent=0, zero_at=60, full_at=100)


def test_kpis_must_be_catalog_metrics_with_a_monthly_value_and_counted_once() -> None:
    odd = KpiWeights(
        kpis=[
            KpiWeight(metric="deal_count", weight_percent=60, zero_at=0, full_at=40),
            KpiWeight(metric="course_completed", weight_percent=20, zero_at=0, full_at=5),
            KpiWeight(metric="churn_rate", weight_percent=20, zero_at=5, full_at=40),
        ]
    )
    said = [str(p) for p in kpi_problems(odd, CATALOG, WEIGHTS)]
    assert said == [
        "kpi_weights: metric 'deal_count' is not in the metric catalog; publish it in the "
        "catalog first or fix the name",
        "kpi_weights: 'course_completed' counts named items (e.g. courses) and has no value "
        "a month to score",
        "kpi_weights: band of 'churn_rate' runs against its direction 'lower'",
        "'churn_rate' is a KPI and is weighted under customer in the potential weights too: "
        "a metric counts once in the potential score; take it out of one of the two documents",
    ]
    twice = [str(p) for p in kpi_problems(BIG_CLIENTS, CATALOG, WEIGHTS)]
    assert twice == [
        "'satisfaction' is a KPI and is weighted under customer in the potential weights too: "
        "a metric counts once in the potential score; take it out of one of the two documents"
    ]
