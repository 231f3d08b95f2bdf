"""Training recommendations from shortfalls (seed 001) as a versioned rule document:
too few new customers -> *Prospecting Skills*; retention below target two consecutive
months -> *Customer Relationship Management* and an alert to the manager."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from aggregates.calendar_periods import shift_month
from aggregates.document_types import Frozen, Label
from aggregates.documents import MetricCatalog
from words.messages import Invalid, Message

# Metrics that have a monthly target from the goal cascade (see month_targets).
TARGETED_METRICS: tuple[str, ...] = (
    "sales_amount",
    "customer_visits",
    "new_customers",
    "retention_rate",
)


class TrainingRule(Frozen):
    id: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    metric: Literal["sales_amount", "customer_visits", "new_customers", "retention_rate"]
    consecutive_months: int = Field(default=1, ge=1, le=12)
    course: str = Field(min_length=1)
    alert_manager: bool = False
    reason: Label


class TrainingRules(Frozen):
    kind: Literal["training_rules"] = "training_rules"
    rules: list[TrainingRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> TrainingRules:
        ids = [r.id for r in self.rules]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise Invalid("rule ids must be unique, repeated: {repeated}", repeated=repeated)
        return self


def training_rule_problems(rules: TrainingRules, catalog: MetricCatalog) -> list[Message]:
    problems = [
        Message(
            "rule {rule!r}: course {course!r} has no bilingual title in the catalog",
            rule=r.id,
            course=r.course,
        )
        for r in rules.rules
        if r.course not in catalog.courses
    ]
    problems += [
        Message(
            "rule {rule!r}: metric {metric!r} is not in the catalog", rule=r.id, metric=r.metric
        )
        for r in rules.rules
        if r.metric not in catalog.metrics
    ]
    return problems


class MonthFigure(Frozen):
    month: str
    value: float | None
    target: float


class Recommendation(Frozen):
    rule_id: str
    course: str
    alert_manager: bool
    reason: dict[str, str]
    evidence: list[MonthFigure]


class RuleCheck(Frozen):
    """Every rule's verdict, triggered or not, so a re-evaluation can compare all of them."""

    rule_id: str
    triggered: bool
    evidence: list[MonthFigure]


def check_rules(
    rules: TrainingRules,
    month: str,
    values: dict[str, dict[str, float | None]],
    targets: dict[str, dict[str, float]],
) -> tuple[list[RuleCheck], list[Recommendation]]:
    """`values[month][metric]` and `targets[month][metric]` for `month` and the months
    before it; a month without a value never counts as a shortfall."""
    checks: list[RuleCheck] = []
    out: list[Recommendation] = []
    for rule in rules.rules:
        months = [shift_month(month, -k) for k in range(rule.consecutive_months - 1, -1, -1)]
        evidence = [
            MonthFigure(
                month=m,
                value=values.get(m, {}).get(rule.metric),
                target=targets.get(m, {}).get(rule.metric, 0.0),
            )
            for m in months
        ]
        triggered = all(f.value is not None and f.value < f.target for f in evidence)
        checks.append(RuleCheck(rule_id=rule.id, triggered=triggered, evidence=evidence))
        if triggered:
            out.append(
                Recommendation(
                    rule_id=rule.id,
                    course=rule.course,
                    alert_manager=rule.alert_manager,
                    reason=rule.reason,
                    evidence=evidence,
                )
            )
    return checks, out
