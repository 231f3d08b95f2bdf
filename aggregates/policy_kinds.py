"""The kinds of policy document and how a document of each is validated (the pure part
of publishing: the Policies application adds the checks against the documents in force)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from aggregates.competency import CompetencyModel
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.documents import MetricCatalog, PotentialWeights, PromotionCriteria
from aggregates.errors import DomainError
from aggregates.goals import GoalCascade
from aggregates.incentives import BonusRules, CommissionRules
from aggregates.kpi_weights import KpiWeights
from aggregates.ladder import Role
from aggregates.plan_template import PlanTemplate
from aggregates.process import AccessRules, PromotionProcess
from aggregates.support_process import SupportProcess
from aggregates.training_rules import TrainingRules
from words.messages import Invalid, Message

DOCUMENT_MODELS: dict[str, type[BaseModel]] = {
    "metric_catalog": MetricCatalog,
    "potential_weights": PotentialWeights,
    "kpi_weights": KpiWeights,
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


def not_valid(kind: str, key: str, problems: list[Message]) -> Message:
    """A draft that does not validate, with every problem (the API and the CLI say it)."""
    return Message("{kind}/{key} is not valid: {problems}", kind=kind, key=key, problems=problems)


def not_fitting(kind: str, key: str, problems: list[Message]) -> Message:
    """A valid draft that contradicts the documents in force."""
    return Message(
        "{kind}/{key} does not fit the policies in force: {problems}",
        kind=kind,
        key=key,
        problems=problems,
    )


def validate_document(kind: str, key: str, document: dict[str, Any]) -> BaseModel:
    model = DOCUMENT_MODELS.get(kind)
    if model is None:
        raise DomainError(
            "unknown policy kind {kind!r}; known kinds: {kinds}",
            kind=kind,
            kinds=sorted(DOCUMENT_MODELS),
        )
    try:
        parsed = TypeAdapter(model).validate_python({"kind": kind, **document})
    except ValidationError as exc:
        problems = [field_problem(err) for err in exc.errors()]
        refusal = not_valid(kind, key, problems)
        raise DomainError(refusal) from None
    if isinstance(parsed, PlanTemplate) and parsed.role.value != key:
        raise DomainError(
            "plan_template/{key} names role {role}; they must match",
            key=key,
            role=parsed.role.value,
        )
    if isinstance(parsed, PromotionCriteria) and parsed.target_role != Role(key):
        raise DomainError(
            "promotion_criteria/{key} names target_role {target_role}; they must match",
            key=key,
            target_role=parsed.target_role.value,
        )
    return parsed


def field_problem(err: ErrorDetails) -> Message:
    """One complaint of pydantic's as `loc: msg`: a validator's Invalid keeps its template
    (said in the reader's language); pydantic's own wording is shown as it is."""
    where = ".".join(str(p) for p in err["loc"])
    error = err.get("ctx", {}).get("error")
    if isinstance(error, Invalid):
        return Message("{field}: Value error, {problem}", field=where, problem=error.message)
    return Message("{field}: {problem}", field=where, problem=err["msg"])
