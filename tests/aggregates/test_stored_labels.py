"""The texts the domain stores in every language (criteria details, suggestions, dimension
names, plan progress, pay statement lines, 360° notes and gaps) stay byte for byte what
they were when the aggregates still read the catalogue themselves: the domain now returns
Messages and the caller's labeller (words.catalogue.in_every_language) says them.

`stored_labels.json` holds a digest of each case as recorded before that change; a
failure names the case and prints what it is now."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from aggregates.assessment import PolicySet, VersionedCriteria, assess
from aggregates.competency import GroupRatings, RatingItem, build_profile, gap_summary
from aggregates.documents import Measurement, dimension_name
from aggregates.evaluation import weakest_indicators
from aggregates.incentives import (
    BonusInputs,
    BonusRules,
    CommissionInputs,
    CommissionRules,
    compute_bonus,
    compute_commission,
)
from aggregates.ladder import Role
from aggregates.plan_progress import evaluate_plan
from aggregates.seed_policies import (
    competency_model_v1,
    kpi_weights_v1,
    metric_catalog_v1,
    potential_weights_v1,
    sales_manager_criteria_v1,
    sales_supervisor_criteria_v1,
    sales_supervisor_plan_v1,
    senior_sales_rep_criteria_v1,
)
from careerflow.demo import generate
from words.catalogue import in_every_language, said_in

RECORDED = Path(__file__).with_name("stored_labels.json")
LANGS = ("en", "zh")

CATALOG = metric_catalog_v1()
POLICIES = PolicySet(
    catalog=CATALOG,
    catalog_version=1,
    weights=potential_weights_v1(),
    weights_version=1,
    kpis=kpi_weights_v1(),
    kpis_version=1,
    criteria={
        Role.senior_sales_rep: VersionedCriteria(
            version=1, document=senior_sales_rep_criteria_v1()
        ),
        Role.sales_supervisor: VersionedCriteria(
            version=2, document=sales_supervisor_criteria_v1()
        ),
        Role.sales_manager: VersionedCriteria(version=1, document=sales_manager_criteria_v1()),
    },
)
TARGETS = (Role.senior_sales_rep, Role.sales_supervisor, Role.sales_manager)
# A made-up but deterministic percentile table, so the streak criterion has details.
PERCENTILES = {"sales_amount": {f"2026-{n:02d}": float(40 + 5 * n) for n in range(1, 11)}}

PLAN = sales_supervisor_plan_v1()
PLAN_START = date(2026, 11, 1)


def _m(period: str, metric: str, value: float, item: str | None = None) -> Measurement:
    return Measurement(
        employee_id="E00042", period=period, metric=metric, value=value, item=item, source="crm"
    )


PLAN_ROWS = [
    _m("2026-11-20", "course_completed", 9.5, "Sales Team Management"),
    _m("2027-W02", "course_completed", 88, "Goal Decomposition"),
    _m("2027-02", "new_hires_mentored", 1),
    _m("2027-03", "new_hires_mentored", 2),
    _m("2027-02", "new_customers", 6),
    _m("2027-03", "new_customers", 3),
    _m("2027-04", "new_customers", 5),
    _m("2027-05", "team_sales_growth", 8),
    _m("2027-10", "team_sales_growth", 16.5),
]
PLAN_DAYS = [
    date(2026, 11, 5),
    date(2027, 1, 10),
    date(2027, 3, 20),
    date(2027, 4, 30),
    date(2027, 7, 1),
    date(2027, 11, 30),
]
PLAN_CASES: list[tuple[int, date, dict[str, Any], bool]] = [
    (n, day, confirmed, with_catalog)
    for n in (0, 3, 6, len(PLAN_ROWS))
    for day in PLAN_DAYS
    for confirmed, with_catalog in (({}, True), ({"team_meetings": "M0001"}, False))
]

BONUS_RULES = [BonusRules(), BonusRules(uplift_on="base", base_bonus=3000)]
BONUS_INPUTS = [
    BonusInputs(sales_target=100000, sales_amount=amount, retention_rate=retention)
    for amount in (0, 80000, 100000, 130000.5)
    for retention in (None, 60, 75, 80)
]
COMMISSION_RULES = [
    CommissionRules(),
    CommissionRules(small_deal_rate_percent=3, repurchase_bonus_percent=0),
]
COMMISSION_INPUTS = [
    CommissionInputs(),
    CommissionInputs(small_deal_sales=50000, big_client_sales=200000, repurchase_sales=12345.67),
    CommissionInputs(big_client_sales=1000),
]

MODEL = competency_model_v1()


def _rating(level: int, comment: str | None = None) -> dict[str, RatingItem]:
    return {c.id: RatingItem(level=level, comment=comment) for c in MODEL.competencies}


GROUP_CASES: list[list[GroupRatings]] = [
    [
        GroupRatings(group="self", anonymous=False, asked=1, ratings=[_rating(4, "ok")]),
        GroupRatings(group="manager", anonymous=False, asked=1, ratings=[_rating(3)]),
        GroupRatings(
            group="peers",
            anonymous=True,
            asked=3,
            ratings=[_rating(2), _rating(3, "x"), _rating(5)],
        ),
        GroupRatings(group="reports", anonymous=True, asked=2, ratings=[_rating(4)]),
    ],
    [
        GroupRatings(group="self", anonymous=False, asked=1, ratings=[]),
        GroupRatings(group="manager", anonymous=False, asked=1, ratings=[_rating(2)]),
        GroupRatings(group="peers", anonymous=True, asked=2, ratings=[]),
    ],
    [GroupRatings(group="manager", anonymous=False, asked=1, ratings=[_rating(5)])],
]


def cases() -> Iterator[tuple[str, Any]]:
    """Every case as JSON-able data: what the domain returns, and what faces say of it."""
    rows: dict[str, list[Measurement]] = defaultdict(list)
    for m in generate(reps=24, teams=3).measurements:
        rows[m.employee_id].append(m)
    for employee, measured in sorted(rows.items()):
        for target in TARGETS:
            a = assess(
                employee,
                Role.sales_rep,
                measured,
                POLICIES,
                "2026-10",
                PERCENTILES,
                target=target,
                labels=in_every_language,
            )
            assert a.evaluation is not None
            data = a.model_dump(mode="json")
            tips = weakest_indicators(a.potential, CATALOG, labels=in_every_language)
            data["weakest"] = [s.model_dump(mode="json") for s in tips]
            data["said"] = {
                lang: {
                    "summary": said_in(a.evaluation.summary_message(), lang),
                    "lines": [said_in(m, lang) for m in a.evaluation.messages()],
                    "verbose": [said_in(m, lang) for m in a.evaluation.messages(True)],
                }
                for lang in LANGS
            }
            yield f"assessment/{employee}/{target.value}", data
    for i, (n, day, confirmed, with_catalog) in enumerate(PLAN_CASES):
        progress = evaluate_plan(
            PLAN.milestones,
            PLAN_ROWS[:n],
            PLAN_START,
            day,
            confirmed,
            catalog=CATALOG if with_catalog else None,
            labels=in_every_language,
        )
        data = progress.model_dump(mode="json")
        data["said"] = {lang: progress.summary(lang) for lang in LANGS}
        yield f"plan/{i}", data
    bonuses = [(r, i) for r in BONUS_RULES for i in BONUS_INPUTS]
    for i, (rules, inputs) in enumerate(bonuses):
        bonus = compute_bonus(rules, 3, inputs, labels=in_every_language)
        yield f"bonus/{i}", bonus.model_dump(mode="json")
    commissions = [(r, i) for r in COMMISSION_RULES for i in COMMISSION_INPUTS]
    for i, (rules, inputs) in enumerate(commissions):
        commission = compute_commission(rules, 2, inputs, labels=in_every_language)
        yield f"commission/{i}", commission.model_dump(mode="json")
    profiles = [
        build_profile(MODEL, 1, "r-1", f"E{n}", groups, labels=in_every_language)
        for n, groups in enumerate(GROUP_CASES)
    ]
    for i, profile in enumerate(profiles):
        yield f"profile/{i}", profile.model_dump(mode="json")
    for i, gap in enumerate(gap_summary(MODEL, profiles, labels=in_every_language)):
        yield f"gap/{i}", gap.model_dump(mode="json")
    for dimension in ("performance", "customer", "process", "growth", "team"):
        yield f"dimension/{dimension}", in_every_language(dimension_name(dimension))


def digest(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def test_stored_labels_are_what_they_were() -> None:
    recorded: dict[str, str] = json.loads(RECORDED.read_text())
    found = dict(cases())
    assert found.keys() == recorded.keys()
    changed = [key for key, data in found.items() if digest(data) != recorded[key]]
    if changed:
        first = json.dumps(found[changed[0]], ensure_ascii=False, indent=1, sort_keys=True)
        pytest.fail(f"{len(changed)} cases changed, e.g. {changed[0]}:\n{first[:4000]}")


def test_the_cases_hold_texts_in_both_languages() -> None:
    """The recording is not vacuous: the cases carry Chinese and English texts."""
    found = json.dumps(dict(cases()), ensure_ascii=False)
    for text in ("missing: ", "hidden: fewer than 3 raters", "no ratings", "confirmed by M0001"):
        assert text in found, text
    for text in ("未完成：《销售团队管理》", "业绩", "销售额"):
        assert text in found, text
