"""One employee's standing under the policies in force: potential score and distance to
the next rung. Pure, so the read model, the promotion workflow's report and the audit's
re-evaluation all compute the very same thing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import Field

from aggregates.criteria_evaluation import CriteriaEvaluation, EvaluationContext, evaluate_criteria
from aggregates.document_types import Frozen
from aggregates.documents import (
    Measurement,
    MetricCatalog,
    PotentialWeights,
    PromotionCriteria,
    TopPercentStreak,
)
from aggregates.evaluation import PotentialScore, potential_score, window_values
from aggregates.kpi_weights import KpiWeights
from aggregates.ladder import Role, next_role
from words.messages import Labeller


class VersionedCriteria(Frozen):
    version: int
    document: PromotionCriteria


class PolicySet(Frozen):
    """The documents in force, each with the version that will be recorded."""

    catalog: MetricCatalog
    catalog_version: int
    weights: PotentialWeights
    weights_version: int
    criteria: dict[Role, VersionedCriteria] = Field(default_factory=dict)
    kpis: KpiWeights | None = None
    """The KPI weights in force: the potential score's performance dimension (None: an
    install without the document, or a decision recorded before it existed)."""
    kpis_version: int | None = None

    def scoring_weights(self) -> PotentialWeights:
        return self.kpis.applied_to(self.weights) if self.kpis else self.weights

    def versions_for(self, target: Role | None) -> dict[str, int]:
        versions = {
            "metric_catalog/default": self.catalog_version,
            "potential_weights/default": self.weights_version,
        }
        if self.kpis is not None and self.kpis_version is not None:
            versions["kpi_weights/default"] = self.kpis_version
        if target is not None and target in self.criteria:
            versions[f"promotion_criteria/{target.value}"] = self.criteria[target].version
        return versions

    def streak_metrics(self, target: Role | None) -> set[str]:
        """Metrics whose organisation-wide percentiles the target's criteria need."""
        if target is None or target not in self.criteria:
            return set()
        found: set[str] = set()
        stack = list(self.criteria[target].document.criteria)
        while stack:
            c = stack.pop()
            if isinstance(c, TopPercentStreak):
                found.add(c.metric)
            stack.extend(getattr(c, "options", []))
        return found


class Assessment(Frozen):
    employee_id: str
    role: Role
    as_of_month: str
    potential: PotentialScore
    next_role: Role | None
    evaluation: CriteriaEvaluation | None
    policy_versions: dict[str, int]


def assess(
    employee_id: str,
    role: Role,
    measurements: Iterable[Measurement],
    policies: PolicySet,
    as_of_month: str,
    percentiles: Mapping[str, Mapping[str, float]] | None = None,
    target: Role | None = None,
    *,
    labels: Labeller,
) -> Assessment:
    """Score and evaluate for `target` (default: the next rung); `labels` says the stored
    texts in every language (the caller gives words.catalogue.in_every_language)."""
    rows = list(measurements)
    goal = target or next_role(role)
    values = window_values(rows, policies.catalog, as_of_month, policies.weights.window_months)
    potential = potential_score(values, policies.scoring_weights(), policies.catalog, labels=labels)
    evaluation = None
    if goal is not None and goal in policies.criteria:
        versioned = policies.criteria[goal]
        evaluation = evaluate_criteria(
            versioned.document,
            rows,
            policies.catalog,
            as_of_month,
            EvaluationContext(percentiles={k: dict(v) for k, v in (percentiles or {}).items()}),
            policy_version=versioned.version,
            labels=labels,
        )
    return Assessment(
        employee_id=employee_id,
        role=role,
        as_of_month=as_of_month,
        potential=potential,
        next_role=goal,
        evaluation=evaluation,
        policy_versions=policies.versions_for(goal),
    )
