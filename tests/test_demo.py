"""The demo organisation: deterministic, believable, and it shows the seed's point that
the potential score is not sales alone."""

from __future__ import annotations

import statistics
from collections import defaultdict

from aggregates.assessment import PolicySet, assess
from aggregates.evaluation import candidate_pool
from aggregates.ladder import Role
from aggregates.seed_policies import (
    metric_catalog_v1,
    potential_weights_v1,
)
from careerflow.demo import generate
from words.catalogue import in_every_language


def test_same_arguments_same_organisation() -> None:
    a, b = generate(reps=60, teams=6), generate(reps=60, teams=6)
    assert a == b
    assert generate(reps=60, teams=6, seed=8) != a


def test_shape_of_the_organisation() -> None:
    demo = generate(reps=500, teams=50)
    roles = defaultdict(int)
    for e in demo.org.employees:
        roles[e.role] += 1
    assert roles[Role.sales_manager] == 5
    assert roles[Role.sales_supervisor] == 50
    assert roles[Role.sales_rep] + roles[Role.senior_sales_rep] == 500
    managers = {e.employee_id: e.manager_id for e in demo.org.employees}
    assert all(managers[e] is not None for e in managers if e.startswith("E"))
    months = {m.period for m in demo.measurements}
    assert len(months) == 12 and max(months) == "2026-10"


def test_mid_sales_excellent_customers_outscore_high_sales_high_churn() -> None:
    demo = generate(reps=500, teams=50)
    policies = PolicySet(
        catalog=metric_catalog_v1(),
        catalog_version=1,
        weights=potential_weights_v1(),
        weights_version=1,
    )
    by_employee = defaultdict(list)
    for m in demo.measurements:
        by_employee[m.employee_id].append(m)
    scores = {
        e: assess(
            e, Role.sales_rep, rows, policies, "2026-10", labels=in_every_language
        ).potential.total
        for e, rows in by_employee.items()
        if e in demo.archetypes
    }
    by_kind = defaultdict(list)
    for e, s in scores.items():
        by_kind[demo.archetypes[e]].append(s)
    mid = statistics.mean(by_kind["mid_sales_excellent_customers"])
    churny = statistics.mean(by_kind["high_sales_high_churn"])
    assert mid > churny
    pool = candidate_pool(scores, 0.10)
    assert len(pool) == 50
    mid_share = sum(demo.archetypes[e] == "mid_sales_excellent_customers" for e in pool) / 50
    assert mid_share >= 0.5  # the seed: 60% of the pool were people nobody had considered
