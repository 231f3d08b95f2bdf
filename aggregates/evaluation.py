"""Deterministic evaluation: window aggregation, potential score, ranks and the candidate
pool (the promotion criteria are aggregates.criteria_evaluation). Pure functions of their
inputs (no clock, no randomness, no I/O), so a stored result can always be recomputed from
the documents and measurements it names.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence

from pydantic import Field

from aggregates.calendar_periods import month_of, months_back
from aggregates.document_types import Frozen, Label, Unit
from aggregates.documents import (
    Measurement,
    MetricCatalog,
    MetricDef,
    PotentialWeights,
    WindowRule,
    dimension_name,
)
from words.messages import Labeller, Message

EPS = 1e-9
_DIGITS = 6  # comparisons use values rounded to this many decimals (float-noise immunity)

# --------------------------------------------------------------------------- windows


class WindowValue(Frozen):
    """One metric aggregated over a window of months.

    `per_month` holds each month's value (for "items" metrics: the number of distinct items
    that month); `item_values` maps each item to its latest value (e.g. a course's score).
    """

    metric: str
    rule: WindowRule
    value: float | None
    items: tuple[str, ...] = ()
    item_values: dict[str, float] = Field(default_factory=dict)
    months_with_data: int = 0
    per_month: dict[str, float] = Field(default_factory=dict)


def dedupe(measurements: Iterable[Measurement]) -> list[Measurement]:
    """Keep the last measurement per (period, metric, item): a later correction supersedes."""
    latest: dict[tuple[str, str, str | None], Measurement] = {}
    employees: set[str] = set()
    for m in measurements:
        employees.add(m.employee_id)
        key = (m.period, m.metric, m.item)
        latest.pop(key, None)  # re-insert so the list keeps the order of the winners
        latest[key] = m
    if len(employees) > 1:
        raise ValueError(f"measurements of several employees mixed: {sorted(employees)}")
    return list(latest.values())


def _aggregate(per_month: Mapping[str, float], rule: WindowRule) -> float | None:
    values = [per_month[month] for month in sorted(per_month)]
    if not values:
        return None
    if rule == "sum":
        return math.fsum(values)
    if rule == "last":
        return values[-1]
    if rule == "max":
        return max(values)
    return math.fsum(values) / len(values)  # "mean"


def _numeric_window(
    rows: Sequence[Measurement], metric: str, rule: WindowRule, months: set[str]
) -> WindowValue:
    # Only month periods (`months` holds nothing else): weekly and daily figures feed the
    # weekly cycle and would double count against the monthly ones.
    cells: dict[str, list[float]] = {}
    for m in rows:
        if m.metric == metric and m.period in months:
            cells.setdefault(m.period, []).append(m.value)
    # Several items of a plain metric in one month: add them up for sums, else average.
    per_month = {
        month: math.fsum(vs) if rule == "sum" else math.fsum(vs) / len(vs)
        for month, vs in sorted(cells.items())
    }
    return WindowValue(
        metric=metric,
        rule=rule,
        value=_aggregate(per_month, rule),
        months_with_data=len(per_month),
        per_month=per_month,
    )


def items_window(
    rows: Sequence[Measurement], metric: str, first: str | None, last: str
) -> WindowValue:
    """Items in months first..last inclusive (first None: from the beginning).

    A completion is a point fact, so any period kind counts, rolled up to its month.
    """
    item_month: dict[str, str] = {}
    item_values: dict[str, float] = {}
    for m in rows:
        if m.metric != metric or m.item is None:
            continue
        month = month_of(m.period)
        if month > last or (first is not None and month < first):
            continue
        if month >= item_month.get(m.item, ""):  # latest month wins, then sequence order
            item_month[m.item] = month
            item_values[m.item] = m.value
    per_month: dict[str, float] = {}
    for month in sorted(item_month.values()):
        per_month[month] = per_month.get(month, 0.0) + 1.0
    items = tuple(sorted(item_values))
    return WindowValue(
        metric=metric,
        rule="items",
        value=float(len(items)) if items else None,
        items=items,
        item_values={item: item_values[item] for item in items},
        months_with_data=len(per_month),
        per_month=per_month,
    )


def rule_window(
    rows: Sequence[Measurement], metric: str, rule: WindowRule, as_of_month: str, months: int
) -> WindowValue:
    window = months_back(as_of_month, months)
    if rule == "items":
        return items_window(rows, metric, window[0], as_of_month)
    return _numeric_window(rows, metric, rule, set(window))


def window_value(
    measurements: Iterable[Measurement],
    metric: str,
    rule: WindowRule,
    as_of_month: str,
    months: int,
) -> WindowValue:
    """One metric over the `months` months ending at `as_of_month`, with an explicit rule."""
    return rule_window(dedupe(measurements), metric, rule, as_of_month, months)


def window_values(
    measurements: Iterable[Measurement],
    catalog: MetricCatalog,
    as_of_month: str,
    months: int,
) -> dict[str, WindowValue]:
    """Every catalog metric over the `months` months ending at `as_of_month` (inclusive).

    Numeric metrics use month periods only; "items" metrics accept any period kind (rolled
    up with `month_of`). Metrics without data have value None. Measurements of metrics
    missing from the catalog are ignored. All measurements must be of one employee.
    """
    # Each metric's rows apart first: one pass over the rows, not one per metric.
    by_metric: dict[str, list[Measurement]] = {}
    for m in dedupe(measurements):
        by_metric.setdefault(m.metric, []).append(m)
    return {
        name: rule_window(by_metric.get(name, []), name, d.window, as_of_month, months)
        for name, d in catalog.metrics.items()
    }


# --------------------------------------------------------------------------- formatting


def format_value(value: float, unit: Unit) -> str:
    """Compact, language-neutral display: 130%, 8.5, 1,250,000, 3."""
    value = value + 0.0  # no "-0"
    if unit == "currency":
        return f"{value:,.0f}"
    decimals = 1 if unit in ("percent", "score100") else 2
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    text = "0" if text == "-0" else text
    return f"{text}%" if unit == "percent" else text


OP_SIGNS = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}


def compare(value: float, op: str, threshold: float) -> bool:
    v, t = round(value, _DIGITS), round(threshold, _DIGITS)
    return {">=": v >= t, ">": v > t, "<=": v <= t, "<": v < t}[op]


# --------------------------------------------------------------------------- potential score

ValuesInput = Mapping[str, WindowValue] | Mapping[str, float | None]


def _scalar(value: WindowValue | float | None) -> float | None:
    return value.value if isinstance(value, WindowValue) else value


class IndicatorScore(Frozen):
    metric: str
    dimension: str
    label: Label
    raw: float | None
    score: float = Field(description="0..10, rounded to 2 decimals")
    missing: bool
    share: float = Field(description="this indicator's share of the total score (0..1)")


class DimensionScore(Frozen):
    dimension: str
    label: Label
    weight: float
    score: float = Field(description="0..10, rounded to 2 decimals")


class PotentialScore(Frozen):
    total: float = Field(description="0..10, rounded to 2 decimals")
    dimensions: dict[str, DimensionScore]
    indicators: dict[str, IndicatorScore]

    @property
    def missing(self) -> list[str]:
        return [name for name, ind in self.indicators.items() if ind.missing]


def band_score(value: float, zero_at: float, full_at: float) -> float:
    """Linear 0..10 between the band ends, clipped (works for both directions)."""
    return min(10.0, max(0.0, 10.0 * (value - zero_at) / (full_at - zero_at)))


def potential_score(
    values: ValuesInput, weights: PotentialWeights, catalog: MetricCatalog, *, labels: Labeller
) -> PotentialScore:
    """Weighted score out of 10 from window values (WindowValue or plain floats);
    `labels` says the dimensions' names in every language (words.catalogue).

    A dimension scores the weighted mean of its indicators; missing data scores 0 and is
    flagged, so gaps lower the score visibly instead of silently. Raises KeyError when the
    weights name a metric the catalog lacks (`consistency_problems` catches it earlier).
    """
    shares = weights.effective_weights()
    indicators: dict[str, IndicatorScore] = {}
    dimensions: dict[str, DimensionScore] = {}
    total = 0.0
    for dim_name, dim in weights.dimensions.items():
        relative = math.fsum(b.weight for b in dim.indicators)
        dim_score = 0.0
        for band in dim.indicators:
            raw = _scalar(values.get(band.metric))
            score = 0.0 if raw is None else band_score(raw, band.zero_at, band.full_at)
            dim_score += score * band.weight / relative
            indicators[band.metric] = IndicatorScore(
                metric=band.metric,
                dimension=dim_name,
                label=catalog.metric(band.metric).label,
                raw=raw,
                score=round(score, 2),
                missing=raw is None,
                share=round(shares[band.metric], _DIGITS),
            )
        total += dim.weight * dim_score
        dimensions[dim_name] = DimensionScore(
            dimension=dim_name,
            label=labels(dimension_name(dim_name)),
            weight=dim.weight,
            score=round(dim_score, 2),
        )
    return PotentialScore(total=round(total, 2), dimensions=dimensions, indicators=indicators)


# --------------------------------------------------------------------------- ranks and pools


def _sort_key(value: float, direction: str) -> float:
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction must be 'higher' or 'lower', got {direction!r}")
    return -rank_key(value) if direction == "higher" else rank_key(value)


def _competition_ranks(values: Mapping[str, float | None], direction: str) -> dict[str, int]:
    """1 = best, ties share a rank ("1, 2, 2, 4"); missing values all share the last rank."""
    present = {e: _sort_key(v, direction) for e, v in values.items() if v is not None}
    ordered = sorted(present.values())
    ranks = {e: 1 + bisect_left(ordered, key) for e, key in present.items()}
    last = len(present) + 1
    return {e: ranks.get(e, last) for e in sorted(values)}


def team_ranks(
    values_by_employee: Mapping[str, Mapping[str, float | None]],
    directions: Mapping[str, str],
) -> dict[str, dict[str, int]]:
    """Each employee's competition rank (1 = best) on each metric of `directions`.

    Direction-aware ("lower" is better for churn); ties share a rank; an employee without a
    value ranks after everyone with one.
    """
    by_metric = {
        metric: _competition_ranks(
            {e: values.get(metric) for e, values in values_by_employee.items()}, direction
        )
        for metric, direction in directions.items()
    }
    return {
        e: {metric: by_metric[metric][e] for metric in directions}
        for e in sorted(values_by_employee)
    }


def percentile_ranks(
    values_by_employee: Mapping[str, float | None], direction: str = "higher"
) -> dict[str, float]:
    """Percentile rank 0..100 (100 = best) of each employee in one month on one metric.

    percentile = 100 * (n - rank + 1) / n with competition rank among the n employees that
    have a value, so "top p%" (percentile > 100 - p) means rank <= ceil(p% of n), the same
    rule as `candidate_pool`. Employees without a value get 0.
    """
    present = {e: v for e, v in values_by_employee.items() if v is not None}
    n = len(present)
    ranks = _competition_ranks(present, direction)
    return {
        e: percentile_of_rank(ranks[e], n) if e in present else 0.0
        for e in sorted(values_by_employee)
    }


def rank_key(value: float) -> float:
    """The value as ranks compare it (rounded: float-noise immunity); a read model that
    ranks by counting (projections.metric_ranks) stores this."""
    return round(value, _DIGITS)


def percentile_of_rank(rank: int, n: int) -> float:
    """The percentile (100 = best) of competition rank `rank` among `n` values."""
    return round(100.0 * (n - rank + 1) / n, _DIGITS)


def team_averages(values_by_employee: Mapping[str, Mapping[str, float | None]]) -> dict[str, float]:
    """Mean of each metric over the employees that have it (for "25% vs team average 15%")."""
    columns: dict[str, list[float]] = {}
    for e in sorted(values_by_employee):
        for metric, value in values_by_employee[e].items():
            if value is not None:
                columns.setdefault(metric, []).append(value)
    return {metric: math.fsum(vs) / len(vs) for metric, vs in sorted(columns.items())}


def candidate_pool(scores: Mapping[str, float], top_fraction: float = 0.10) -> list[str]:
    """The promotion candidate pool: the best `top_fraction` of employees by score.

    Size = ceil(top_fraction * n), at least 1 when there is anyone. Employees are ordered by
    score (higher first, compared at 6 decimals) and then by employee id ascending, so a tie
    at the cut-off goes to the lower id: deterministic, and documented to HR as such.
    """
    if not scores:
        pool_size(0, top_fraction)  # the same refusal of a bad fraction
        return []
    size = pool_size(len(scores), top_fraction)
    ordered = sorted(scores, key=lambda e: pool_order(e, scores[e]))
    return ordered[:size]


def pool_size(employees: int, top_fraction: float = 0.10) -> int:
    """How many of `employees` scored employees the pool holds (`candidate_pool`)."""
    if not 0 < top_fraction <= 1:
        raise ValueError(f"top_fraction must be in (0, 1], got {top_fraction}")
    if employees <= 0:
        return 0
    return max(1, math.ceil(round(top_fraction * employees, _DIGITS)))


def pool_order(employee_id: str, score: float) -> tuple[float, str]:
    """The pool's sort key: score (higher first, at 6 decimals), then id ascending."""
    return (-round(score, _DIGITS), employee_id)


# A score can pass another's at 6 decimals only if it is at most this far below it: a
# read that narrows the pool by raw score keeps everyone within it (projections).
POOL_SCORE_MARGIN = 1e-5


# --------------------------------------------------------------------------- suggestions


class Suggestion(Frozen):
    """A pushed improvement hint for one weak indicator."""

    metric: str
    label: Label
    score: float
    raw: float | None
    missing: bool
    course: str | None = None
    text: Label

    def line(self, lang: str = "en") -> str:
        return self.text[lang]


def _suggestion_message(
    ind: IndicatorScore, definition: MetricDef, catalog: MetricCatalog
) -> Message:
    if ind.missing:
        return Message(
            "no {indicator} data recorded: check with your manager that it is captured",
            indicator=ind.label,
        )
    course, action = definition.improve_course, definition.improve_action
    if course and action:
        return Message(
            "complete *{course}* and {action} to raise your {indicator}",
            course=catalog.course_label(course),
            action=action,
            indicator=ind.label,
        )
    if course:
        return Message(
            "complete *{course}* to raise your {indicator}",
            course=catalog.course_label(course),
            indicator=ind.label,
        )
    if action:
        return Message("{action} to raise your {indicator}", action=action, indicator=ind.label)
    return Message(
        "focus on your {indicator} (score {score}/10)",
        indicator=ind.label,
        score=format_value(ind.score, "score10"),
    )


def weakest_indicators(
    score: PotentialScore, catalog: MetricCatalog, n: int = 2, *, labels: Labeller
) -> list[Suggestion]:
    """Suggestions for the `n` lowest-scoring indicators below full marks (their texts
    said in every language by `labels`).

    Ties go to the indicator with the larger share of the total (more to gain), then by
    metric name.
    """
    weak = sorted(
        (ind for ind in score.indicators.values() if ind.score < 10),
        key=lambda ind: (ind.score, -ind.share, ind.metric),
    )
    suggestions: list[Suggestion] = []
    for ind in weak[:n]:
        definition = catalog.metric(ind.metric)
        suggestions.append(
            Suggestion(
                metric=ind.metric,
                label=ind.label,
                score=ind.score,
                raw=ind.raw,
                missing=ind.missing,
                course=None if ind.missing else definition.improve_course,
                text=labels(_suggestion_message(ind, definition, catalog)),
            )
        )
    return suggestions
