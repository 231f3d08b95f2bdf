"""A metric's value for a week or a month from its measurements: the one period rule the
Friday report, the month close and the read side's live figures share. Pure."""

from __future__ import annotations

import math
from datetime import date

from aggregates.calendar_periods import month_of, period_kind
from aggregates.documents import Measurement, MetricCatalog

# Rates are averaged over finer periods; amounts and counts are summed.
SUMMED_UNITS = ("currency", "count")


def period_value(
    measurements: list[Measurement], metric: str, period: str, summed: bool
) -> float | None:
    """A metric's value for a week or month: a measurement of exactly that period wins
    (the source system's own total); otherwise the finer periods inside it are summed
    (amounts, counts) or averaged (rates). None when there is nothing."""
    exact = [m.value for m in measurements if m.metric == metric and m.period == period]
    if exact:
        return math.fsum(exact)
    kind = period_kind(period)
    finer: list[float] = []
    for m in measurements:
        if m.metric != metric:
            continue
        pk = period_kind(m.period)
        if kind == "week" and pk == "day":
            if _iso_week(m.period) == period:
                finer.append(m.value)
        elif kind == "month" and pk in ("week", "day") and month_of(m.period) == period:
            # Days of a week that has its own measurement would be counted twice.
            if pk == "day":
                week = _iso_week(m.period)
                if any(x.metric == metric and x.period == week for x in measurements):
                    continue
            finer.append(m.value)
    if not finer:
        return None
    return math.fsum(finer) if summed else math.fsum(finer) / len(finer)


def _iso_week(day: str) -> str:
    iso = date.fromisoformat(day).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def is_summed(catalog: MetricCatalog, metric: str) -> bool:
    """Whether a metric's finer periods are summed (amounts, counts; unknown metrics too)
    rather than averaged (rates)."""
    definition = catalog.metrics.get(metric)
    return definition is None or definition.unit in SUMMED_UNITS
