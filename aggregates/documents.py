"""Pure domain documents: measurements and versioned policy documents.

Policy documents are plain data (pydantic, frozen, extra="forbid") so HR can publish a new
version without a code change; each carries a `kind` discriminator so a stored JSON
document can be parsed back with `parse_document`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    TypeAdapter,
    model_validator,
)

from aggregates.calendar_periods import period_kind
from aggregates.document_types import Frozen, Label, Op, Unit
from aggregates.ladder import Role, promoted_to_refusal
from words.messages import LANGUAGES, Invalid, Message

# --------------------------------------------------------------------------- measurements


def _check_period(period: str) -> str:
    period_kind(period)
    return period


def _not_a_boolean(value: Any) -> Any:
    # pydantic takes true/false for 1.0/0.0; an export that sends a flag for a figure
    # has a mapping error, not a measurement.
    if isinstance(value, bool):
        raise Invalid("expected a number, got {value}", value="true" if value else "false")
    return value


class Measurement(Frozen):
    """One value of one metric for one employee and period (the metric ledger's content).

    Percent metrics are percent numbers (130.0 means 130%).
    """

    employee_id: str = Field(min_length=1)
    period: Annotated[str, AfterValidator(_check_period)]
    metric: str = Field(min_length=1)
    value: Annotated[float, BeforeValidator(_not_a_boolean)] = Field(allow_inf_nan=False)
    item: str | None = None
    source: str = Field(min_length=1)


# --------------------------------------------------------------------------- metric catalog

Direction = Literal["higher", "lower"]
WindowRule = Literal["mean", "sum", "last", "max", "items"]
Dimension = Literal["performance", "customer", "process", "growth", "team"]

_DIMENSION_NAMES: dict[str, Message] = {
    "performance": Message("performance"),
    "customer": Message("customer"),
    "process": Message("process"),
    "growth": Message("growth"),
    "team": Message("team"),
}


def dimension_name(dimension: str) -> Message:
    """A dimension's name, a catalogue message (the caller's labeller says it in every
    language)."""
    return _DIMENSION_NAMES[dimension]


METRIC_NAME = r"^[a-z][a-z0-9_]*$"


class MetricDef(Frozen):
    """How a metric is shown, which way is better and how a window of months aggregates.

    window: mean/sum/max of the monthly values, the last month with data, or "items": the
    set of distinct item names (e.g. course names; the value is each item's score).
    """

    label: Label
    unit: Unit
    direction: Direction = "higher"
    window: WindowRule = "mean"
    dimension: Dimension | None = None
    improve_action: Label | None = None
    improve_course: str | None = None


def value_problem(metric: str, definition: MetricDef, value: float) -> Message | None:
    """Why `value` cannot be a measurement of `metric` (None: it can). Counts and amounts
    are never negative; rates and scores may be (a growth rate can fall)."""
    if value >= 0:
        return None
    if definition.unit == "count":
        return Message(
            "{metric} is a count and cannot be negative, got {value:,.10g}; send 0 or more "
            "(a later export of the same period replaces the value)",
            metric=metric,
            value=value,
        )
    if definition.unit == "currency":
        return Message(
            "{metric} is an amount and cannot be negative, got {value:,.10g}; send 0 or more "
            "(a later export of the same period replaces the value)",
            metric=metric,
            value=value,
        )
    return None


class MetricCatalog(Frozen):
    """Every metric the engine knows. New metrics arrive by publishing a new version."""

    kind: Literal["metric_catalog"] = "metric_catalog"
    metrics: dict[Annotated[str, Field(pattern=METRIC_NAME)], MetricDef]
    courses: dict[str, Label] = Field(default_factory=dict)
    """Course name (the `item` of course measurements) -> bilingual title."""

    def metric(self, name: str) -> MetricDef:
        try:
            return self.metrics[name]
        except KeyError:
            raise KeyError(f"metric {name!r} is not in the metric catalog") from None

    def directions(self) -> dict[str, str]:
        return {name: d.direction for name, d in self.metrics.items()}

    def course_title(self, course: str, lang: str = "en") -> str:
        """The course's title in `lang`, falling back to its name."""
        return self.courses.get(course, {}).get(lang, course)

    def course_label(self, course: str) -> Label:
        """The course's title in every language (a value for a Message)."""
        return {lang: self.course_title(course, lang) for lang in LANGUAGES}


# --------------------------------------------------------------------------- potential weights


class IndicatorBand(Frozen):
    """Maps a raw window value linearly onto 0..10: `zero_at` -> 0, `full_at` -> 10, clipped.

    For lower-is-better metrics `zero_at` > `full_at` (e.g. churn 40 -> 0, 5 -> 10).
    `weight` is relative within its dimension (indicators of a dimension are normalised).
    """

    metric: str
    zero_at: float
    full_at: float
    weight: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _band_not_empty(self) -> IndicatorBand:
        if self.zero_at == self.full_at:
            raise Invalid(
                "indicator {metric!r}: zero_at and full_at must differ", metric=self.metric
            )
        return self


class DimensionWeight(Frozen):
    weight: float = Field(ge=0, le=1)
    indicators: list[IndicatorBand] = Field(min_length=1)


class PotentialWeights(Frozen):
    """Weights of the potential score (out of 10) and the candidate-pool size."""

    kind: Literal["potential_weights"] = "potential_weights"
    dimensions: dict[Dimension, DimensionWeight]
    pool_top_fraction: float = Field(default=0.10, gt=0, le=1)
    window_months: int = Field(default=12, ge=1)
    """The window callers should aggregate measurements over before scoring."""

    @model_validator(mode="after")
    def _check(self) -> PotentialWeights:
        total = math.fsum(d.weight for d in self.dimensions.values())
        if abs(total - 1.0) > 1e-6:
            raise Invalid("dimension weights must sum to 1, got {total:g}", total=total)
        seen: set[str] = set()
        for band in (b for d in self.dimensions.values() for b in d.indicators):
            if band.metric in seen:
                raise Invalid("indicator {metric!r} appears more than once", metric=band.metric)
            seen.add(band.metric)
        return self

    def effective_weights(self) -> dict[str, float]:
        """Each indicator's share of the total score (sums to 1)."""
        shares: dict[str, float] = {}
        for dim in self.dimensions.values():
            relative = math.fsum(b.weight for b in dim.indicators)
            for band in dim.indicators:
                shares[band.metric] = dim.weight * band.weight / relative
        return shares


# --------------------------------------------------------------------------- promotion criteria


class _CriterionBase(Frozen):
    id: str = Field(min_length=1)
    label: Label
    suggestion: Label


class MetricThreshold(_CriterionBase):
    """A metric aggregated over the window compared with a threshold.

    `window` overrides the catalog's aggregation rule; `window_months` overrides the
    criteria document's window (e.g. "last 3 months").
    """

    type: Literal["metric"] = "metric"
    metric: str
    op: Op
    threshold: float = Field(allow_inf_nan=False)
    window: WindowRule | None = None
    window_months: int | None = Field(default=None, ge=1)


class CoursesCompleted(_CriterionBase):
    """Named courses completed (items of `metric`), all of them or at least `min_count`.

    A completed course stays completed: by default any completion up to the as-of month
    counts; `within_months` restricts it to a recent window.
    """

    type: Literal["courses"] = "courses"
    courses: list[str] = Field(min_length=1)
    min_count: int | None = Field(default=None, ge=1)
    metric: str = "course_completed"
    within_months: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _check(self) -> CoursesCompleted:
        if self.min_count is not None and self.min_count > len(self.courses):
            raise Invalid(
                "criterion {criterion!r}: min_count exceeds the number of courses",
                criterion=self.id,
            )
        return self

    @property
    def required(self) -> int:
        return self.min_count if self.min_count is not None else len(self.courses)


class TopPercentStreak(_CriterionBase):
    """`months` consecutive months in the organisation's top `top_percent`% on `metric`.

    Evaluated from the caller-supplied percentile ranks (see evaluation.percentile_ranks):
    a month counts when the percentile is strictly above 100 - top_percent, which is the
    same as rank <= ceil(top_percent% of the ranked staff). Any run inside the criteria
    window counts; a month without a percentile breaks the run.
    """

    type: Literal["top_percent_streak"] = "top_percent_streak"
    metric: str
    top_percent: float = Field(gt=0, le=100)
    months: int = Field(ge=1)


class CompetencyLevel(_CriterionBase):
    """A competency's level from 360° assessment rounds at or above `min_level`.

    Read from the metric ledger, where a round's close records each published figure of
    a profile under the metric `competency_<competency>` with the figure as the item
    (`source`: the overall level, or the self, manager, peers' or reports' average). The
    latest assessment since the start of the window counts (`within_months` overrides
    the criteria document's window); an assessment is known from the day its round closes.
    """

    type: Literal["competency"] = "competency"
    competency: str = Field(pattern=METRIC_NAME)
    min_level: float = Field(ge=1, allow_inf_nan=False)
    source: Literal["overall", "self", "manager", "peers", "reports"] = "overall"
    within_months: int | None = Field(default=None, ge=1)

    @property
    def metric(self) -> str:
        return f"competency_{self.competency}"


class AnyOf(_CriterionBase):
    """Met when at least one option is met (e.g. 3 management courses OR 3 mentorings)."""

    type: Literal["any_of"] = "any_of"
    options: list[Criterion] = Field(min_length=1)


Criterion = Annotated[
    MetricThreshold | CoursesCompleted | TopPercentStreak | CompetencyLevel | AnyOf,
    Field(discriminator="type"),
]
AnyOf.model_rebuild()


def _criterion_ids(criteria: list[Criterion]) -> list[str]:
    ids: list[str] = []
    for c in criteria:
        ids.append(c.id)
        if isinstance(c, AnyOf):
            ids.extend(_criterion_ids(c.options))
    return ids


class PromotionCriteria(Frozen):
    """What it takes to be promoted to `target_role` (all criteria must be met)."""

    kind: Literal["promotion_criteria"] = "promotion_criteria"
    target_role: Role
    window_months: int = Field(default=12, ge=1)
    criteria: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> PromotionCriteria:
        if refusal := promoted_to_refusal(self.target_role):
            raise Invalid(refusal)
        ids = _criterion_ids(self.criteria)
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise Invalid(
                "criterion ids must be unique, repeated: {duplicates}", duplicates=duplicates
            )
        return self


# --------------------------------------------------------------------------- parsing, checks

PolicyDoc = Annotated[
    MetricCatalog | PotentialWeights | PromotionCriteria, Field(discriminator="kind")
]
POLICY_KINDS: tuple[str, ...] = ("metric_catalog", "potential_weights", "promotion_criteria")
_POLICY_ADAPTER: TypeAdapter[MetricCatalog | PotentialWeights | PromotionCriteria] = TypeAdapter(
    PolicyDoc
)


def parse_document(data: dict[str, Any]) -> MetricCatalog | PotentialWeights | PromotionCriteria:
    """Parse a stored policy document (a JSON-like dict with a `kind`)."""
    return _POLICY_ADAPTER.validate_python(data)


def _unknown_metric(criterion: str, metric: str) -> Message:
    return Message(
        "criterion {criterion!r}: metric {metric!r} is not in the catalog",
        criterion=criterion,
        metric=metric,
    )


def _criterion_problems(
    c: Criterion, catalog: MetricCatalog, competencies: Mapping[str, int] | None = None
) -> list[Message]:
    if isinstance(c, CompetencyLevel):
        problems = []
        if c.metric not in catalog.metrics:
            problems.append(_unknown_metric(c.id, c.metric))
        if competencies is not None and c.competency not in competencies:
            problems.append(
                Message(
                    "criterion {criterion!r}: competency {competency!r} is not in the "
                    "competency model in force",
                    criterion=c.id,
                    competency=c.competency,
                )
            )
        elif competencies is not None and c.min_level > competencies[c.competency]:
            problems.append(
                Message(
                    "criterion {criterion!r}: min_level {min_level:g} is above the scale's top "
                    "level {top}",
                    criterion=c.id,
                    min_level=c.min_level,
                    top=competencies[c.competency],
                )
            )
        return problems
    if isinstance(c, MetricThreshold | TopPercentStreak):
        if c.metric not in catalog.metrics:
            return [_unknown_metric(c.id, c.metric)]
        return []
    if isinstance(c, CoursesCompleted):
        problems = [
            Message(
                "criterion {criterion!r}: course {course!r} has no bilingual title in the catalog",
                criterion=c.id,
                course=course,
            )
            for course in c.courses
            if course not in catalog.courses
        ]
        if c.metric not in catalog.metrics:
            problems.append(_unknown_metric(c.id, c.metric))
        return problems
    return [p for option in c.options for p in _criterion_problems(option, catalog, competencies)]


def consistency_problems(
    catalog: MetricCatalog,
    weights: PotentialWeights | None = None,
    criteria: PromotionCriteria | None = None,
    competencies: Mapping[str, int] | None = None,
) -> list[Message]:
    """Cross-document problems to fix before publishing (empty list = consistent).

    Evaluation tolerates these (an unknown metric is simply unmet), so publishing is the
    place to reject them. `competencies` maps the competency model's ids to its scale's
    top level (None: competency criteria are checked against the catalog only).
    """
    problems: list[Message] = []
    for dim_name, dim in weights.dimensions.items() if weights else []:
        for band in dim.indicators:
            definition = catalog.metrics.get(band.metric)
            if definition is None:
                problems.append(
                    Message("weights: metric {metric!r} is not in the catalog", metric=band.metric)
                )
                continue
            rising = band.full_at > band.zero_at
            if rising != (definition.direction == "higher"):
                problems.append(
                    Message(
                        "weights: band of {metric!r} runs against its direction {direction!r}",
                        metric=band.metric,
                        direction=definition.direction,
                    )
                )
            if definition.dimension not in (None, dim_name):
                problems.append(
                    Message(
                        "weights: {metric!r} is a {dimension} metric, weighted under {weighted}",
                        metric=band.metric,
                        dimension=definition.dimension,
                        weighted=dim_name,
                    )
                )
    for course in sorted({d.improve_course for d in catalog.metrics.values() if d.improve_course}):
        if course not in catalog.courses:
            problems.append(
                Message("catalog: improve course {course!r} has no bilingual title", course=course)
            )
    for c in criteria.criteria if criteria else []:
        problems.extend(_criterion_problems(c, catalog, competencies))
    return problems
