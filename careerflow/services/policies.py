"""Publishing and reading versioned policy documents."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from aggregates.base import DomainError, NotFoundError, command_context
from aggregates.competency import CompetencyModel, competency_model_problems
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.documents import (
    MetricCatalog,
    PotentialWeights,
    PromotionCriteria,
    consistency_problems,
)
from aggregates.goals import GoalCascade
from aggregates.incentives import BonusRules, CommissionRules
from aggregates.ladder import Role
from aggregates.plan_template import PlanTemplate, plan_template_problems
from aggregates.policy import PolicyDocument, PolicyVersion, policy_uuid
from aggregates.process import AccessRules, PromotionProcess
from aggregates.seed_policies import seed_documents
from aggregates.support_process import SupportProcess
from aggregates.training_rules import TrainingRules, training_rule_problems
from careerflow.apps import Policies
from careerflow.principal import AccessRole, Principal

M = TypeVar("M", bound=BaseModel)

DOCUMENT_MODELS: dict[str, type[BaseModel]] = {
    "metric_catalog": MetricCatalog,
    "potential_weights": PotentialWeights,
    "promotion_criteria": PromotionCriteria,
    "promotion_process": PromotionProcess,
    "plan_template": PlanTemplate,
    "goal_cascade": GoalCascade,
    "bonus_rules": BonusRules,
    "commission_rules": CommissionRules,
    "training_rules": TrainingRules,
    "weekly_cycle": WeeklyCycleSettings,
    "access_rules": AccessRules,
    "competency_model": CompetencyModel,
    "support_process": SupportProcess,
}


def validate_document(kind: str, key: str, document: dict[str, Any]) -> BaseModel:
    model = DOCUMENT_MODELS.get(kind)
    if model is None:
        raise DomainError(f"unknown policy kind {kind!r}; known kinds: {sorted(DOCUMENT_MODELS)}")
    try:
        parsed = TypeAdapter(model).validate_python({"kind": kind, **document})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise DomainError(f"{kind}/{key} is not valid: {problems}") from None
    if isinstance(parsed, PlanTemplate) and parsed.role.value != key:
        raise DomainError(f"plan_template/{key} names role {parsed.role.value}; they must match")
    if isinstance(parsed, PromotionCriteria) and parsed.target_role != Role(key):
        raise DomainError(
            f"promotion_criteria/{key} names target_role {parsed.target_role}; they must match"
        )
    return parsed


class PolicyService:
    def __init__(self, app: Policies) -> None:
        self.app = app

    def publish(
        self, principal: Principal, kind: str, key: str, document: dict[str, Any], note: str
    ) -> int:
        principal.require(AccessRole.hr, AccessRole.system, action="publish policy documents")
        parsed = validate_document(kind, key, document)
        problems = self._consistency(parsed)
        if problems:
            raise DomainError(
                f"{kind}/{key} does not fit the policies in force: " + "; ".join(problems)
            )
        data = parsed.model_dump(mode="json")
        with command_context(actor=principal.person_id, role=principal.role.value):
            doc = self._get(kind, key)
            if doc is None:
                doc = PolicyDocument(kind=kind, key=key)
            version = doc.publish(data, note=note, published_by=principal.person_id)
            self.app.save(doc)
        return version

    def seed(self, principal: Principal) -> dict[str, int]:
        """Publishes the version-1 documents of domain.md where none exists yet."""
        published: dict[str, int] = {}
        for kind, key, document in [
            *seed_documents(),
            ("promotion_process", "default", PromotionProcess()),
        ]:
            if self._get(kind, key) is None:
                published[f"{kind}/{key}"] = self.publish(
                    principal, kind, key, document.model_dump(mode="json"), "seed (domain.md)"
                )
        return published

    def consistency(self, parsed: BaseModel) -> list[str]:
        """What stops a parsed document from being published beside those in force."""
        return self._consistency(parsed)

    def _consistency(self, parsed: BaseModel) -> list[str]:
        """Cross-document checks: every metric and course a document names must exist."""
        if isinstance(parsed, MetricCatalog):
            return consistency_problems(parsed)
        if not isinstance(
            parsed,
            PotentialWeights | PromotionCriteria | PlanTemplate | TrainingRules | CompetencyModel,
        ):
            return []
        doc = self._get("metric_catalog", "default")
        if doc is None or doc.current is None:
            return ["publish the metric catalog first"]
        catalog = MetricCatalog.model_validate(doc.current.document)
        if isinstance(parsed, PotentialWeights):
            return consistency_problems(catalog, weights=parsed)
        if isinstance(parsed, PlanTemplate):
            return plan_template_problems(parsed, catalog)
        if isinstance(parsed, TrainingRules):
            return training_rule_problems(parsed, catalog)
        if isinstance(parsed, CompetencyModel):
            return competency_model_problems(parsed, catalog)
        return consistency_problems(catalog, criteria=parsed, competencies=self._competencies())

    def _competencies(self) -> dict[str, int]:
        """The competency model in force: each competency's id and the scale's top level
        (empty while none is published)."""
        doc = self._get("competency_model", "default")
        if doc is None or doc.current is None:
            return {}
        model = CompetencyModel.model_validate(doc.current.document)
        return {c.id: model.top for c in model.competencies}

    def promotion_process(self) -> tuple[PromotionProcess, int | None]:
        """The process settings in force (defaults until a version is published)."""
        doc = self._get("promotion_process", "default")
        if doc is None or doc.current is None:
            return PromotionProcess(), None
        return PromotionProcess.model_validate(doc.current.document), doc.current.version

    def in_force(self, model: type[M], key: str = "default") -> tuple[M, int]:
        """The document of `model`'s kind in force, parsed, with its version."""
        kind = model.model_fields["kind"].default
        current = self.current(kind, key)
        return model.model_validate(current.document), current.version

    def current(self, kind: str, key: str) -> PolicyVersion:
        doc = self._get(kind, key)
        if doc is None or doc.current is None:
            raise NotFoundError(f"no {kind}/{key} has been published")
        return doc.current

    def version(self, kind: str, key: str, version: int) -> PolicyVersion:
        doc = self._get(kind, key)
        if doc is None:
            raise NotFoundError(f"no {kind}/{key} has been published")
        return doc.get_version(version)

    def _get(self, kind: str, key: str) -> PolicyDocument | None:
        doc: PolicyDocument | None = self.app.find(policy_uuid(kind, key))
        return doc
