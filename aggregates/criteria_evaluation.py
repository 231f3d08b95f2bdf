"""Promotion criteria, evaluated: each criterion of a promotion_criteria document against an
employee's measurements, with the reason a person reads. Pure, like aggregates.evaluation
(window aggregation, potential score, ranks), whose windows it uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import Field

from aggregates.calendar_periods import month_of, months_back, period_kind
from aggregates.competency import GROUP_NAMES

# Re-exported: it lives apart so that activity contracts need not import the evaluation.
from aggregates.criteria import CriterionResult
from aggregates.document_types import Frozen, Unit
from aggregates.documents import (
    AnyOf,
    CompetencyLevel,
    CoursesCompleted,
    Criterion,
    Measurement,
    MetricCatalog,
    MetricThreshold,
    PromotionCriteria,
    TopPercentStreak,
    WindowRule,
)
from aggregates.evaluation import (
    EPS,
    OP_SIGNS,
    compare,
    dedupe,
    format_value,
    items_window,
    rule_window,
)
from aggregates.ladder import Role
from words.messages import Labeller, Message

# --------------------------------------------------------------------------- criteria


class EvaluationContext(Frozen):
    """Organisation-wide facts an employee's own measurements cannot give.

    percentiles: metric -> month -> this employee's percentile rank (0..100, 100 = best),
    built by the caller with `percentile_ranks`. team_averages: metric -> team mean, shown
    next to unmet values.
    """

    percentiles: dict[str, dict[str, float]] = Field(default_factory=dict)
    team_averages: dict[str, float] = Field(default_factory=dict)


class CriteriaEvaluation(Frozen):
    """The answer to "how far am I from promotion?" for one criteria document."""

    policy_kind: Literal["promotion_criteria"] = "promotion_criteria"
    policy_key: str
    policy_version: int | None = None
    target_role: Role
    as_of_month: str
    window_months: int
    window_start: str
    eligible: bool
    results: list[CriterionResult]

    def unmet(self) -> list[CriterionResult]:
        return [r for r in self.results if not r.met]

    def messages(self, verbose: bool = False) -> list[Message]:
        """Each criterion as a message ("repurchase 55% ✗"), said by the face."""
        return [r.message(verbose) for r in self.results]

    def summary_message(self) -> Message:
        """ "sales 130% ✓, repurchase 55% ✗, mentored 1 of 2 ✗ → increase follow-up visits…" """
        if not self.results:
            return Message.verbatim("")
        said = self.results[-1].message()
        for r in reversed(self.results[:-1]):
            said = Message("{first}, {rest}", first=r.message(), rest=said)
        tips = [Message("{tip}", tip=r.suggestion) for r in self.unmet() if r.suggestion]
        if tips:
            said = Message("{results} → {tips}", results=said, tips=tips)
        return said


def _metric_result(
    c: MetricThreshold,
    rows: Sequence[Measurement],
    catalog: MetricCatalog,
    as_of_month: str,
    window_months: int,
    context: EvaluationContext,
    labels: Labeller,
) -> CriterionResult:
    definition = catalog.metrics.get(c.metric)
    unit: Unit = definition.unit if definition else "count"
    rule: WindowRule = c.window or (definition.window if definition else "mean")
    wv = rule_window(rows, c.metric, rule, as_of_month, c.window_months or window_months)
    met = wv.value is not None and compare(wv.value, c.op, c.threshold)
    progress = unit == "count" and c.op == ">="  # counts read as "1 of 2"
    avg = context.team_averages.get(c.metric)
    detail = None
    if definition is None:
        detail = labels(Message("metric {metric!r} is not in the metric catalog", metric=c.metric))
    return CriterionResult(
        id=c.id,
        type=c.type,
        label=c.label,
        value=wv.value,
        display_value="" if wv.value is None else format_value(wv.value, unit),
        threshold=f"{OP_SIGNS[c.op]} {format_value(c.threshold, unit)}",
        of_target=format_value(c.threshold, unit) if progress else None,
        met=met,
        suggestion=None if met else c.suggestion,
        detail=detail,
        team_average=None if avg is None else format_value(avg, unit),
    )


def _courses_result(
    c: CoursesCompleted,
    rows: Sequence[Measurement],
    catalog: MetricCatalog,
    as_of_month: str,
    labels: Labeller,
) -> CriterionResult:
    # Completed courses stay completed: everything up to the as-of month unless restricted.
    first = months_back(as_of_month, c.within_months)[0] if c.within_months else None
    done = set(items_window(rows, c.metric, first, as_of_month).items)
    missing = [course for course in c.courses if course not in done]
    count = len(c.courses) - len(missing)
    met = count >= c.required
    detail = None
    if missing:
        # The titles are the catalog's (domain data), listed as each language lists them.
        titles = {
            "en": ", ".join(catalog.course_title(x, "en") for x in missing),
            "zh": "".join(f"《{catalog.course_title(x, 'zh')}》" for x in missing),
        }
        detail = labels(Message("missing: {courses}", courses=titles))
    return CriterionResult(
        id=c.id,
        type=c.type,
        label=c.label,
        value=float(count),
        display_value=str(count),
        threshold=f"≥ {c.required}",
        of_target=str(c.required),
        met=met,
        suggestion=None if met else c.suggestion,
        detail=detail,
    )


def _streak_result(
    c: TopPercentStreak,
    as_of_month: str,
    window_months: int,
    context: EvaluationContext,
    labels: Labeller,
) -> CriterionResult:
    by_month = context.percentiles.get(c.metric, {})
    cutoff = 100.0 - c.top_percent
    best: list[str] = []
    run: list[str] = []
    for month in months_back(as_of_month, window_months):
        pct = by_month.get(month)
        run = [*run, month] if pct is not None and pct > cutoff + EPS else []
        if len(run) > len(best):
            best = run
    met = len(best) >= c.months
    detail = None
    if best:
        detail = labels(
            Message(
                "top {percent}%: {first} to {last}",
                percent=format_value(c.top_percent, "count"),
                first=best[0],
                last=best[-1],
            )
        )
    return CriterionResult(
        id=c.id,
        type=c.type,
        label=c.label,
        value=float(len(best)),
        display_value=str(len(best)),
        threshold=f"≥ {c.months}",
        of_target=str(c.months),
        met=met,
        suggestion=None if met else c.suggestion,
        detail=detail,
    )


def _competency_result(
    c: CompetencyLevel,
    rows: Sequence[Measurement],
    as_of_month: str,
    window_months: int,
    labels: Labeller,
) -> CriterionResult:
    # The latest assessment since the window's first month (any period kind: a round
    # records the day it closed); no upper bound, an assessment counts once it exists.
    first = months_back(as_of_month, c.within_months or window_months)[0]
    latest: Measurement | None = None
    for m in rows:
        if m.metric != c.metric or m.item != c.source or month_of(m.period) < first:
            continue
        if latest is None or (month_of(m.period), m.period) >= (
            month_of(latest.period),
            latest.period,
        ):
            latest = m
    met = latest is not None and compare(latest.value, ">=", c.min_level)
    detail = None
    if latest is not None:
        detail = labels(
            Message(
                "{source} 360° level of {period}",
                source=GROUP_NAMES[c.source],
                period=latest.period,
            )
        )
    return CriterionResult(
        id=c.id,
        type=c.type,
        label=c.label,
        value=None if latest is None else latest.value,
        display_value="" if latest is None else format_value(latest.value, "score5"),
        threshold=f"≥ {format_value(c.min_level, 'score5')}",
        met=met,
        suggestion=None if met else c.suggestion,
        detail=detail,
    )


def _evaluate(
    c: Criterion,
    rows: Sequence[Measurement],
    catalog: MetricCatalog,
    as_of_month: str,
    window_months: int,
    context: EvaluationContext,
    labels: Labeller,
) -> CriterionResult:
    if isinstance(c, MetricThreshold):
        return _metric_result(c, rows, catalog, as_of_month, window_months, context, labels)
    if isinstance(c, CoursesCompleted):
        return _courses_result(c, rows, catalog, as_of_month, labels)
    if isinstance(c, TopPercentStreak):
        return _streak_result(c, as_of_month, window_months, context, labels)
    if isinstance(c, CompetencyLevel):
        return _competency_result(c, rows, as_of_month, window_months, labels)
    return _any_of_result(c, rows, catalog, as_of_month, window_months, context, labels)


def _any_of_result(
    c: AnyOf,
    rows: Sequence[Measurement],
    catalog: MetricCatalog,
    as_of_month: str,
    window_months: int,
    context: EvaluationContext,
    labels: Labeller,
) -> CriterionResult:
    options = [
        _evaluate(o, rows, catalog, as_of_month, window_months, context, labels) for o in c.options
    ]
    met_count = sum(o.met for o in options)
    met = met_count > 0
    return CriterionResult(
        id=c.id,
        type=c.type,
        label=c.label,
        value=float(met_count),
        display_value=str(met_count),
        threshold=f"≥ 1/{len(options)}",
        met=met,
        suggestion=None if met else c.suggestion,
        options=options,
    )


def evaluate_criteria(
    criteria: PromotionCriteria,
    measurements: Iterable[Measurement],
    catalog: MetricCatalog,
    as_of_month: str,
    context: EvaluationContext | None = None,
    *,
    policy_version: int | None = None,
    labels: Labeller,
) -> CriteriaEvaluation:
    """Evaluate every criterion over the criteria window ending at `as_of_month`.

    Eligible only when every criterion is met. `measurements` are one employee's (a later
    duplicate of (period, metric, item) supersedes); `policy_version` is recorded so a
    decision names the version in force; `labels` says the results' details in every
    language (words.catalogue.in_every_language: the domain does not read the catalogue).
    """
    if period_kind(as_of_month) != "month":
        raise ValueError(f"as_of_month must be 'YYYY-MM', got {as_of_month!r}")
    rows = dedupe(measurements)
    ctx = context or EvaluationContext()
    window = criteria.window_months
    results = [
        _evaluate(c, rows, catalog, as_of_month, window, ctx, labels) for c in criteria.criteria
    ]
    return CriteriaEvaluation(
        policy_key=criteria.target_role.value,
        policy_version=policy_version,
        target_role=criteria.target_role,
        as_of_month=as_of_month,
        window_months=window,
        window_start=months_back(as_of_month, window)[0],
        eligible=all(r.met for r in results),
        results=results,
    )
