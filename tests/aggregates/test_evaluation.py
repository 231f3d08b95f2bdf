"""Unit tests of the pure domain layer: documents, seed policies and evaluation."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from aggregates.calendar_periods import month_of, months_back, period_kind, shift_month
from aggregates.criteria_evaluation import CriteriaEvaluation, EvaluationContext, evaluate_criteria
from aggregates.documents import (
    AnyOf,
    CoursesCompleted,
    DimensionWeight,
    IndicatorBand,
    Measurement,
    MetricDef,
    MetricThreshold,
    PotentialWeights,
    PromotionCriteria,
    consistency_problems,
    parse_document,
)
from aggregates.evaluation import (
    PotentialScore,
    candidate_pool,
    percentile_ranks,
    potential_score,
    team_ranks,
    weakest_indicators,
    window_values,
)
from aggregates.ladder import ROLE_LABELS, Role, is_next_rung, next_role
from aggregates.plan_template import PlanTemplate, plan_template_problems
from aggregates.seed_policies import (
    metric_catalog_v1,
    potential_weights_v1,
    sales_supervisor_criteria_v1,
    seed_documents,
    senior_sales_rep_criteria_v1,
)
from words.catalogue import in_every_language, said_in

AS_OF = "2026-10"
CATALOG = metric_catalog_v1()
WEIGHTS = potential_weights_v1()


def said(result: CriteriaEvaluation, lang: str = "en", verbose: bool = False) -> list[str]:
    """The criteria as a face says them (words.catalogue)."""
    return [said_in(message, lang) for message in result.messages(verbose)]


def m(period: str, metric: str, value: float, item: str | None = None) -> Measurement:
    return Measurement(
        employee_id="E00042", period=period, metric=metric, value=value, item=item, source="crm"
    )


def monthly(metric: str, value: float, months: int = 12) -> list[Measurement]:
    return [m(month, metric, value) for month in months_back(AS_OF, months)]


def supervisor_record(repurchase: float = 55, mentored: int = 1) -> list[Measurement]:
    """Xiao Zhang of the seed example: sales 130%, repurchase 55%, mentored 1 of 2."""
    rows = [
        *monthly("sales_completion", 130),
        *monthly("repurchase_rate", repurchase),
        *monthly("satisfaction", 95),
        *monthly("collaboration_score", 9.0),
        m("2026-03", "course_completed", 88, "Team Management"),
        m("2026-06-12", "course_completed", 92, "Customer Relationships"),  # a day period
    ]
    rows += [m(f"2026-0{i + 1}", "new_hires_mentored", 1) for i in range(mentored)]
    return rows


# --------------------------------------------------------------------------- ladder, periods


def test_ladder() -> None:
    assert [r.value for r in Role] == [
        "sales_rep",
        "senior_sales_rep",
        "sales_supervisor",
        "sales_manager",
    ]
    assert next_role(Role.sales_rep) == Role.senior_sales_rep
    assert next_role("sales_manager") is None
    assert is_next_rung("senior_sales_rep", Role.sales_supervisor)
    assert not is_next_rung(Role.sales_rep, Role.sales_supervisor)
    assert not is_next_rung(Role.sales_supervisor, Role.sales_rep)
    assert ROLE_LABELS[Role.sales_supervisor]["zh"] == "销售主管"


def test_period_helpers() -> None:
    assert period_kind("2026-10") == "month"
    assert period_kind("2026-W43") == "week"
    assert period_kind("2026-10-15") == "day"
    assert month_of("2026-10-15") == "2026-10"
    assert month_of("2026-W01") == "2026-01"  # Thursday 2026-01-01
    assert month_of("2026-W44") == "2026-10"  # Thursday 2026-10-29
    assert month_of("2026-W53") == "2026-12"
    assert months_back("2026-02", 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert len(months_back(AS_OF, 12)) == 12


@pytest.mark.parametrize(
    "period",
    ["2026-13", "2026-00", "2026-1", "26-10", "2026/10", "2026-W54", "2025-W53", "2026-W0",
     "2026-02-30", "2026-10-15T00:00", "", "october"],
)  # fmt: skip
def test_bad_periods_rejected(period: str) -> None:
    with pytest.raises(ValueError, match="period"):
        period_kind(period)
    with pytest.raises(ValueError):
        Measurement(employee_id="E1", period=period, metric="x", value=1, source="crm")


@pytest.mark.parametrize("as_of", ["2026-01", "2026-12", "2025-06", "2000-02"])
@pytest.mark.parametrize("n", [1, 2, 11, 12, 13, 37])
def test_a_window_is_the_months_shifted_back_one_by_one(as_of: str, n: int) -> None:
    assert months_back(as_of, n) == [shift_month(as_of, -k) for k in range(n - 1, -1, -1)]


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-W05", "2026"])
def test_a_window_ending_in_no_month_is_refused(month: str) -> None:
    with pytest.raises(ValueError):
        months_back(month, 3)


def test_bad_window_arguments() -> None:
    with pytest.raises(ValueError):
        months_back("2026-10-01", 3)
    with pytest.raises(ValueError):
        months_back(AS_OF, 0)
    with pytest.raises(ValueError, match="as_of_month"):
        evaluate_criteria(
            sales_supervisor_criteria_v1(), [], CATALOG, "2026-W40", labels=in_every_language
        )


# --------------------------------------------------------------------------- windows


def test_window_boundaries() -> None:
    rows = [
        m("2025-10", "sales_amount", 1000),  # 13 months back: outside
        m("2025-11", "sales_amount", 10),  # first month of the window
        m("2026-10", "sales_amount", 20),  # as-of month: inside
        m("2026-11", "sales_amount", 5000),  # future: outside
        m("2026-W40", "sales_amount", 777),  # weekly figures never feed month windows
        m("2026-10-02", "sales_amount", 888),
    ]
    values = window_values(rows, CATALOG, AS_OF, 12)
    assert values["sales_amount"].value == 30
    assert values["sales_amount"].months_with_data == 2
    assert values["sales_amount"].per_month == {"2025-11": 10, "2026-10": 20}
    assert values["churn_rate"].value is None  # every catalog metric present, None if no data
    assert window_values(rows, CATALOG, "2026-01", 2)["sales_amount"].value is None


def test_window_rules() -> None:
    rows = [
        m("2026-08", "satisfaction", 80),
        m("2026-09", "satisfaction", 90),
        m("2026-08", "course_completion_rate", 60),
        m("2026-10", "course_completion_rate", 75),
        m("2026-09", "new_hires_mentored", 1),
        m("2026-10", "new_hires_mentored", 2),
        m("2026-09", "course_completed", 9.5, "Sales Team Management"),
        m("2026-W41", "course_completed", 8.0, "Goal Decomposition"),
        m("2026-10", "course_completed", 9.0, "Sales Team Management"),  # retaken
    ]
    values = window_values(rows, CATALOG, AS_OF, 12)
    assert values["satisfaction"].value == 85  # mean
    assert values["course_completion_rate"].value == 75  # last
    assert values["new_hires_mentored"].value == 3  # sum
    courses = values["course_completed"]
    assert courses.items == ("Goal Decomposition", "Sales Team Management")
    assert courses.value == 2
    assert courses.item_values == {"Goal Decomposition": 8.0, "Sales Team Management": 9.0}


def test_corrections_last_wins() -> None:
    rows = [
        m("2026-09", "repurchase_rate", 40),
        m("2026-10", "repurchase_rate", 50),
        m("2026-09", "repurchase_rate", 70),  # a correction of September
    ]
    value = window_values(rows, CATALOG, AS_OF, 12)["repurchase_rate"]
    assert value.per_month == {"2026-09": 70, "2026-10": 50}
    assert value.value == 60
    assert window_values(list(reversed(rows)), CATALOG, AS_OF, 12)["repurchase_rate"].value == 45


def test_mixed_employees_rejected() -> None:
    other = Measurement(employee_id="E9", period=AS_OF, metric="satisfaction", value=1, source="x")
    with pytest.raises(ValueError, match="several employees"):
        window_values([m(AS_OF, "satisfaction", 90), other], CATALOG, AS_OF, 12)


# --------------------------------------------------------------------------- potential score


def test_weighting_40_30_20_10_worked_example() -> None:
    values = {
        # performance: all at the top of their bands -> 10
        "sales_completion": 150.0,
        "collection_rate": 100.0,
        "new_customers": 8.0,
        # customer: all half-way -> 5 (churn runs downwards: 40 -> 0, 5 -> 10)
        "repurchase_rate": 50.0,
        "satisfaction": 80.0,
        "churn_rate": 22.5,
        # growth: all at the bottom -> 0
        "course_completion_rate": 40.0,
        "exam_score": 50.0,
        "new_hires_mentored": 0.0,
        # team: beyond the top, clipped -> 10
        "collaboration_score": 10.0,
        "cross_dept_communications": 9.0,
    }
    score = potential_score(values, WEIGHTS, CATALOG, labels=in_every_language)
    assert {k: d.score for k, d in score.dimensions.items()} == {
        "performance": 10,
        "customer": 5,
        "growth": 0,
        "team": 10,
    }
    assert score.total == 6.5  # 0.4*10 + 0.3*5 + 0.2*0 + 0.1*10
    assert score.indicators["churn_rate"].score == 5
    assert score.missing == []
    assert sum(i.share for i in score.indicators.values()) == pytest.approx(1)
    assert PotentialScore.model_validate_json(score.model_dump_json()) == score
    assert (
        potential_score(values, WEIGHTS, CATALOG, labels=in_every_language) == score
    )  # deterministic


def test_missing_data_scores_zero_and_is_flagged() -> None:
    values = window_values(monthly("sales_completion", 150), CATALOG, AS_OF, 12)
    score = potential_score(values, WEIGHTS, CATALOG, labels=in_every_language)
    assert score.indicators["sales_completion"].score == 10
    assert score.indicators["churn_rate"].missing
    assert score.indicators["churn_rate"].score == 0
    assert score.total == round(0.4 * 10 / 3, 2)
    assert "collaboration_score" in score.missing


def test_customer_strength_beats_sales_alone() -> None:
    common = {
        "course_completion_rate": 80.0,
        "exam_score": 80.0,
        "new_hires_mentored": 1.0,
        "collaboration_score": 8.0,
        "cross_dept_communications": 3.0,
    }
    mid_sales_great_customers = {
        **common,
        "sales_completion": 100.0,
        "collection_rate": 90.0,
        "new_customers": 4.0,
        "repurchase_rate": 75.0,
        "satisfaction": 96.0,
        "churn_rate": 8.0,
    }
    high_sales_high_churn = {
        **common,
        "sales_completion": 150.0,
        "collection_rate": 95.0,
        "new_customers": 7.0,
        "repurchase_rate": 30.0,
        "satisfaction": 75.0,
        "churn_rate": 35.0,
    }
    a = potential_score(mid_sales_great_customers, WEIGHTS, CATALOG, labels=in_every_language)
    b = potential_score(high_sales_high_churn, WEIGHTS, CATALOG, labels=in_every_language)
    assert b.dimensions["performance"].score > a.dimensions["performance"].score
    assert a.total > b.total


def test_weakest_indicators_push_courses() -> None:
    values = {
        "sales_completion": 120.0,
        "collection_rate": 95.0,
        "new_customers": 6.0,
        "repurchase_rate": 70.0,
        "satisfaction": 92.0,
        "churn_rate": 30.0,
        "course_completion_rate": 60.0,
        "exam_score": 85.0,
        "new_hires_mentored": 2.0,
        "collaboration_score": 9.0,
        "cross_dept_communications": 4.0,
    }
    score = potential_score(values, WEIGHTS, CATALOG, labels=in_every_language)
    tips = weakest_indicators(score, CATALOG, n=2, labels=in_every_language)
    assert [t.metric for t in tips] == ["churn_rate", "course_completion_rate"]
    assert tips[1].line() == (
        "complete *Customer Relationship Management* to raise your training completion"
    )
    assert tips[1].line("zh") == "完成《客户关系管理》课程，以提升培训完成率"
    assert tips[0].course == "Customer Relationship Management"
    assert "call at-risk customers every month" in tips[0].text["en"]


def test_weakest_indicators_flag_missing_data() -> None:
    score = potential_score({"sales_completion": 150.0}, WEIGHTS, CATALOG, labels=in_every_language)
    tips = weakest_indicators(score, CATALOG, n=1, labels=in_every_language)
    assert tips[0].missing
    assert "no" in tips[0].text["en"] and "暂无" in tips[0].text["zh"]


# --------------------------------------------------------------------------- ranks and pool


def test_team_ranks_competition_and_direction() -> None:
    values: dict[str, dict[str, float | None]] = {
        "E1": {"sales_completion": 120, "churn_rate": 10},
        "E2": {"sales_completion": 130, "churn_rate": 10},
        "E3": {"sales_completion": 120, "churn_rate": 5},
        "E4": {"sales_completion": None, "churn_rate": 30},
        "E5": {},
    }
    ranks = team_ranks(values, {"sales_completion": "higher", "churn_rate": "lower"})
    assert {e: r["sales_completion"] for e, r in ranks.items()} == {
        "E1": 2,
        "E2": 1,
        "E3": 2,
        "E4": 4,
        "E5": 4,
    }
    assert {e: r["churn_rate"] for e, r in ranks.items()} == {
        "E1": 2,
        "E2": 2,
        "E3": 1,
        "E4": 4,
        "E5": 5,
    }
    with pytest.raises(ValueError):
        team_ranks(values, {"churn_rate": "down"})


def test_candidate_pool_top_10_percent_of_50() -> None:
    scores = {f"E{i:03d}": 5.0 + i / 10 for i in range(1, 51)}
    assert candidate_pool(scores) == ["E050", "E049", "E048", "E047", "E046"]
    # a tie at the cut-off goes to the lower employee id
    scores["E001"] = scores["E046"]
    assert candidate_pool(scores) == ["E050", "E049", "E048", "E047", "E001"]
    assert candidate_pool(scores, 0.2)[-2:] == ["E043", "E042"]  # E001 and E046 both in
    assert len(candidate_pool({f"E{i}": 1.0 for i in range(30)})) == 3  # 0.1 * 30, no float slip
    assert len(candidate_pool({f"E{i}": 1.0 for i in range(31)})) == 4  # ceil
    assert candidate_pool({"E1": 3.0}) == ["E1"]
    assert candidate_pool({}) == []
    with pytest.raises(ValueError):
        candidate_pool(scores, 0)


def test_percentile_ranks_agree_with_the_pool_rule() -> None:
    values: dict[str, float | None] = {f"E{i:03d}": float(i) for i in range(1, 51)}
    values["E999"] = None
    pct = percentile_ranks(values)
    assert pct["E050"] == 100
    assert pct["E999"] == 0
    top = sorted(e for e, p in pct.items() if p > 90)
    assert top == sorted(candidate_pool({e: v for e, v in values.items() if v is not None}))
    assert percentile_ranks({"E1": 5.0, "E2": 9.0}, "lower") == {"E1": 100, "E2": 50}


# --------------------------------------------------------------------------- criteria


def test_seed_example_how_far_from_promotion() -> None:
    result = evaluate_criteria(
        sales_supervisor_criteria_v1(),
        supervisor_record(),
        CATALOG,
        AS_OF,
        policy_version=1,
        labels=in_every_language,
    )
    assert not result.eligible
    lines = said(result)
    for expected in ("sales 130% ✓", "repurchase 55% ✗", "mentored 1 of 2 ✗"):
        assert expected in lines
    assert [r.id for r in result.unmet()] == ["repurchase", "mentored"]
    repurchase = next(r for r in result.results if r.id == "repurchase")
    assert repurchase.suggestion is not None
    assert repurchase.suggestion["en"] == (
        "increase follow-up visits; next month's course *Repurchase Techniques*"
    )
    assert all(r.suggestion is None for r in result.results if r.met)
    assert said_in(result.summary_message(), "en").startswith(
        "sales 130% ✓, repurchase 55% ✗, satisfaction 95% ✓"
    )
    assert "→ increase follow-up visits; next month's course *Repurchase Techniques*" in (
        said_in(result.summary_message(), "en")
    )
    assert "带教新人 1/2 ✗" in said(result, "zh")
    assert str(repurchase.message(verbose=True)) == "repurchase 55% (needs ≥ 60%) ✗"
    assert result.window_start == "2025-11"
    assert result.policy_key == "sales_supervisor" and result.policy_version == 1
    # stored in events: JSON round trip is lossless
    assert CriteriaEvaluation.model_validate_json(result.model_dump_json()) == result


def test_seed_example_met_when_all_criteria_met() -> None:
    result = evaluate_criteria(
        sales_supervisor_criteria_v1(),
        supervisor_record(repurchase=62, mentored=2),
        CATALOG,
        AS_OF,
        labels=in_every_language,
    )
    assert result.eligible
    assert result.unmet() == []
    assert "courses 2 of 2 ✓" in said(result)


def test_missing_course_is_named() -> None:
    rows = [r for r in supervisor_record() if r.item != "Team Management"]
    result = evaluate_criteria(
        sales_supervisor_criteria_v1(), rows, CATALOG, AS_OF, labels=in_every_language
    )
    courses = next(r for r in result.results if r.id == "courses")
    assert not courses.met
    assert str(courses.message()) == "courses 1 of 2 ✗"
    assert courses.detail == {"en": "missing: Team Management", "zh": "未完成：《团队管理》"}


def test_team_average_shown_next_to_value() -> None:
    criteria = PromotionCriteria(
        target_role=Role.sales_supervisor,
        criteria=[
            MetricThreshold(
                id="churn",
                label={"en": "churn", "zh": "客户流失率"},
                metric="churn_rate",
                op="<=",
                threshold=20,
                suggestion={"en": "call at-risk customers", "zh": "回访风险客户"},
            )
        ],
    )
    context = EvaluationContext(team_averages={"churn_rate": 15.0})
    result = evaluate_criteria(
        criteria, monthly("churn_rate", 25), CATALOG, AS_OF, context, labels=in_every_language
    )
    assert said(result, verbose=True) == ["churn 25% (team average 15%; needs ≤ 20%) ✗"]


def _streak_context(months: list[str], pct: float = 95.0) -> EvaluationContext:
    by_month = dict.fromkeys(months_back(AS_OF, 12), 50.0)
    by_month.update(dict.fromkeys(months, pct))
    return EvaluationContext(percentiles={"sales_completion": by_month})


def test_top_percent_streak_needs_three_consecutive_months() -> None:
    criteria = senior_sales_rep_criteria_v1()
    rows = [*monthly("satisfaction", 90), *monthly("collection_rate", 95)]

    def streak(context: EvaluationContext) -> tuple[bool, str]:
        result = evaluate_criteria(
            criteria, rows, CATALOG, AS_OF, context, labels=in_every_language
        )
        first = result.results[0]
        assert first.id == "top_sales_streak"
        return result.eligible, str(first.message())

    assert streak(_streak_context(["2026-08", "2026-09"])) == (
        False,
        "top 10% sales, months in a row 2 of 3 ✗",
    )
    assert streak(_streak_context(["2026-05", "2026-07", "2026-09"]))[0] is False
    assert streak(_streak_context(["2026-07", "2026-08", "2026-09"]))[0] is True
    # exactly the 90th percentile is not the top 10%
    assert streak(_streak_context(["2026-07", "2026-08", "2026-09"], pct=90.0))[0] is False
    # a run that started before the window is cut at the window's start
    assert streak(_streak_context(["2025-10", "2025-11", "2025-12"]))[0] is False
    assert streak(EvaluationContext())[0] is False


def _management_criteria() -> PromotionCriteria:
    courses = ["Team Management", "Sales Team Management", "Goal Decomposition",
               "Coaching Skills", "Performance Conversations"]  # fmt: skip
    return PromotionCriteria(
        target_role=Role.sales_supervisor,
        criteria=[
            AnyOf(
                id="management",
                label={"en": "management", "zh": "管理能力"},
                suggestion={"en": "take management courses", "zh": "参加管理课程"},
                options=[
                    CoursesCompleted(
                        id="management_courses",
                        label={"en": "management courses", "zh": "管理课程"},
                        courses=courses,
                        min_count=3,
                        suggestion={"en": "3 management courses", "zh": "3门管理课程"},
                    ),
                    MetricThreshold(
                        id="mentoring",
                        label={"en": "mentored", "zh": "带教新人"},
                        metric="new_hires_mentored",
                        op=">=",
                        threshold=3,
                        suggestion={"en": "mentor 3 new hires", "zh": "带教3名新人"},
                    ),
                ],
            )
        ],
    )


def test_any_of_courses_or_mentoring() -> None:
    criteria = _management_criteria()
    three_courses = [
        m("2026-01", "course_completed", 90, "Team Management"),
        m("2026-02", "course_completed", 90, "Goal Decomposition"),
        m("2024-02", "course_completed", 90, "Coaching Skills"),  # completions do not expire
    ]
    mentoring = [m("2026-02", "new_hires_mentored", 2), m("2026-05", "new_hires_mentored", 1)]
    assert evaluate_criteria(
        criteria, three_courses, CATALOG, AS_OF, labels=in_every_language
    ).eligible
    assert evaluate_criteria(criteria, mentoring, CATALOG, AS_OF, labels=in_every_language).eligible
    neither = evaluate_criteria(
        criteria, [*three_courses[:2], mentoring[0]], CATALOG, AS_OF, labels=in_every_language
    )
    assert not neither.eligible
    assert neither.results[0].suggestion == {"en": "take management courses", "zh": "参加管理课程"}
    assert said(neither) == ["management ✗ (management courses 2 of 3 ✗ | mentored 2 of 3 ✗)"]
    # a course completed after the as-of month does not count yet
    late = [*three_courses[:2], m("2026-11", "course_completed", 90, "Coaching Skills")]
    assert not evaluate_criteria(criteria, late, CATALOG, AS_OF, labels=in_every_language).eligible


def test_new_metric_by_new_catalog_version_needs_no_code() -> None:
    catalog_doc: dict[str, Any] = CATALOG.model_dump(mode="json")
    catalog_doc["metrics"]["livestream_conversion"] = {
        "label": {"en": "live-stream conversion", "zh": "直播转化率"},
        "unit": "percent",
        "direction": "higher",
        "window": "mean",
        "dimension": "performance",
        "improve_course": "Live-Stream Sales Skills",
    }
    catalog_doc["courses"]["Live-Stream Sales Skills"] = {
        "en": "Live-Stream Sales Skills",
        "zh": "直播销售技巧",
    }
    criteria_doc: dict[str, Any] = sales_supervisor_criteria_v1().model_dump(mode="json")
    criteria_doc["criteria"] += [
        {
            "type": "metric",
            "id": "livestream",
            "label": {"en": "live-stream conversion", "zh": "直播转化率"},
            "metric": "livestream_conversion",
            "op": ">=",
            "threshold": 2,
            "suggestion": {
                "en": "complete *Live-Stream Sales Skills*",
                "zh": "完成《直播销售技巧》",
            },
        },
        {
            "type": "courses",
            "id": "livestream_course",
            "label": {"en": "live-stream course", "zh": "直播课程"},
            "courses": ["Live-Stream Sales Skills"],
            "suggestion": {
                "en": "complete *Live-Stream Sales Skills*",
                "zh": "完成《直播销售技巧》",
            },
        },
    ]
    catalog_v2 = parse_document(catalog_doc)
    criteria_v2 = parse_document(criteria_doc)
    assert isinstance(catalog_v2, type(CATALOG)) and isinstance(criteria_v2, PromotionCriteria)
    assert consistency_problems(catalog_v2, criteria=criteria_v2) == []

    ready = supervisor_record(repurchase=62, mentored=2)
    assert evaluate_criteria(
        sales_supervisor_criteria_v1(), ready, catalog_v2, AS_OF, labels=in_every_language
    ).eligible
    low = [*ready, *monthly("livestream_conversion", 1.5, 3)]
    result = evaluate_criteria(criteria_v2, low, catalog_v2, AS_OF, labels=in_every_language)
    assert not result.eligible
    assert "live-stream conversion 1.5% ✗" in said(result)
    assert "live-stream course 0 of 1 ✗" in said(result)
    good = [
        *ready,
        *monthly("livestream_conversion", 2.5, 3),
        m("2026-09", "course_completed", 95, "Live-Stream Sales Skills"),
    ]
    assert evaluate_criteria(
        criteria_v2, good, catalog_v2, AS_OF, labels=in_every_language
    ).eligible
    # the old version still evaluates as before: decisions keep their version
    assert evaluate_criteria(
        sales_supervisor_criteria_v1(), low, catalog_v2, AS_OF, labels=in_every_language
    ).eligible


def test_unknown_metric_is_unmet_not_a_crash() -> None:
    criteria = PromotionCriteria(
        target_role=Role.sales_manager,
        criteria=[
            MetricThreshold(
                id="x",
                label={"en": "x", "zh": "x"},
                metric="not_yet_published",
                op=">=",
                threshold=1,
                suggestion={"en": "-", "zh": "-"},
            )
        ],
    )
    result = evaluate_criteria(criteria, [], CATALOG, AS_OF, labels=in_every_language)
    assert not result.eligible
    assert said(result) == ["x no data ✗"]
    assert consistency_problems(CATALOG, criteria=criteria)


# --------------------------------------------------------------------------- documents


def test_weights_must_sum_to_one() -> None:
    doc = WEIGHTS.model_dump()
    doc["dimensions"]["team"]["weight"] = 0.2
    with pytest.raises(ValidationError, match="sum to 1"):
        PotentialWeights.model_validate(doc)
    with pytest.raises(ValidationError):
        IndicatorBand(metric="churn_rate", zero_at=5, full_at=5)
    with pytest.raises(ValidationError):
        PotentialWeights(
            dimensions={"performance": DimensionWeight(weight=1.0, indicators=[])},
        )


def test_labels_need_both_languages() -> None:
    with pytest.raises(ValidationError, match="zh"):
        MetricDef(label={"en": "live-stream conversion"}, unit="percent")
    with pytest.raises(ValidationError, match="zh"):
        MetricDef(label={"en": "x", "zh": "  "}, unit="percent")
    with pytest.raises(ValidationError, match="en"):
        MetricThreshold(
            id="x",
            label={"zh": "销售"},
            metric="sales_completion",
            op=">=",
            threshold=1,
            suggestion={"en": "a", "zh": "b"},
        )


def test_documents_reject_unknown_fields_and_bad_criteria() -> None:
    doc = sales_supervisor_criteria_v1().model_dump(mode="json")
    with pytest.raises(ValidationError):
        parse_document({**doc, "surprise": 1})
    with pytest.raises(ValidationError, match="unique"):
        parse_document({**doc, "criteria": doc["criteria"] + doc["criteria"][:1]})
    with pytest.raises(ValidationError, match="entry rung"):
        parse_document({**doc, "target_role": "sales_rep"})
    with pytest.raises(ValidationError):
        parse_document({**doc, "kind": "nope"})


def test_seed_documents() -> None:
    docs = seed_documents()
    assert [(kind, key) for kind, key, _ in docs] == [
        ("metric_catalog", "default"),
        ("potential_weights", "default"),
        ("kpi_weights", "default"),
        ("promotion_criteria", "senior_sales_rep"),
        ("promotion_criteria", "sales_supervisor"),
        ("promotion_criteria", "sales_manager"),
        ("plan_template", "sales_supervisor"),
        ("goal_cascade", "default"),
        ("bonus_rules", "default"),
        ("commission_rules", "default"),
        ("training_rules", "default"),
        ("weekly_cycle", "default"),
        ("competency_model", "default"),
        ("support_process", "default"),
    ]
    for kind, _, doc in [*docs[:2], *docs[3:6]]:
        data = doc.model_dump(mode="json")
        assert data["kind"] == kind
        assert parse_document(data) == doc
    plan = docs[6][2]
    assert PlanTemplate.model_validate(plan.model_dump(mode="json")) == plan
    assert plan_template_problems(plan, CATALOG) == []  # type: ignore[arg-type]
    for _, _, doc in docs[3:6]:
        assert isinstance(doc, PromotionCriteria)
        assert consistency_problems(CATALOG, WEIGHTS, doc) == []
    weights = {k: d.weight for k, d in WEIGHTS.dimensions.items()}
    assert weights == {"performance": 0.4, "customer": 0.3, "growth": 0.2, "team": 0.1}
    assert WEIGHTS.pool_top_fraction == 0.10
