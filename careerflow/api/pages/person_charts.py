"""The charts of a person's page beyond the week and the indicators: twelve months of
every metric they have, a small chart per unit (percentages, amounts of money, counts,
scores) with its own axis whose ticks say the unit in the page's language (a line per
metric, the next rung's threshold as a dashed line where the criteria set one), and where
their potential score sits among their team's and the organisation's (a histogram of
shares, their own bin marked). Read through projections.person_charts, under the page's
access rules."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from babel.dates import format_skeleton

from aggregates.periods import SUMMED_UNITS
from careerflow.api import i18n
from careerflow.api.i18n import N_
from careerflow.api.pages.views import _chart, _short
from careerflow.principal import Principal
from projections.person_charts import PersonCharts, ScoreDistribution
from words.catalogue import BABEL_LOCALES

PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#7c3aed", "#0891b2", "#db2777"]


def month_label(month: str, lang: str) -> str:
    """ "2026-03" → "Mar 2026" / "2026年3月"."""
    first = date(int(month[:4]), int(month[5:7]), 1)
    return format_skeleton("yMMM", first, locale=BABEL_LOCALES[lang])


# The units in the order their charts stand, each with its title (marked for gettext).
UNIT_TITLES: dict[str, str] = {
    "percent": N_("Percentages by month"),
    "currency": N_("Amounts of money by month"),
    "count": N_("Counts by month"),
    "score10": N_("Scores out of 10 by month"),
    "score100": N_("Scores out of 100 by month"),
    "score5": N_("Scores out of 5 by month"),
}
TOPS = {"score5": 5.0, "score10": 10.0, "score100": 100.0}


def unit_text(value: float | None, unit: str, lang: str) -> str:
    """A figure in its unit in the page's language: ¥1,250,000 / 85.5% / 12 / 8.5."""
    if value is None:
        return ""
    if unit == "currency":
        return i18n.money(value, None, lang)
    if unit == "percent":
        return i18n.number(value, lang, 1) + "%"
    return i18n.number(value, lang)


def axis(values: list[float], unit: str, lang: str, count: int = 4) -> dict[str, Any]:
    """A value axis of about `count` round steps from zero (or the lowest negative value)
    past the highest value, its ticks labelled by `unit_text` so the chart and the page
    say numbers alike; scores run to their scale's top."""
    # A tenth of headroom so the highest line is not drawn on the frame; a score's scale
    # runs to its top.
    top = TOPS.get(unit) or max([v * 1.1 for v in values] + [0.0])
    low = min([*values, 0.0])
    span = (top - low) or 1.0
    rough = span / count
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= rough)
    if unit == "count":
        step = max(1.0, math.ceil(step))
    first = math.floor(low / step) * step
    last = max(math.ceil(top / step) * step, first + step)
    ticks = [round(first + i * step, 6) for i in range(round((last - first) / step) + 1)]
    return {
        "min": ticks[0],
        "max": ticks[-1],
        "ticks": ticks,
        "labels": [unit_text(t, unit, lang) for t in ticks],
    }


def _trends(
    reads: PersonCharts, caller: Principal, employee_id: str, lang: str, _: Any
) -> list[dict[str, Any]]:
    """A small line chart per unit of the person's metrics, months along the bottom, its
    own value axis; a dashed line per metric the next rung's criteria set a threshold on."""
    trend = reads.metric_trend(caller, employee_id)
    months = [month_label(m, lang) for m in trend.months]
    charts: list[dict[str, Any]] = []
    for unit, title in UNIT_TITLES.items():
        mine = [s for s in trend.series if s.unit == unit]
        if not mine:
            continue
        datasets: list[dict[str, Any]] = []
        for n, series in enumerate(mine):
            color = PALETTE[n % len(PALETTE)]
            name = _short(i18n.unmarked(i18n.label(series.label, lang)))
            datasets.append(
                {
                    "label": name,
                    "data": series.values,
                    "shown": [unit_text(v, unit, lang) for v in series.values],
                    "color": color,
                }
            )
            if series.target is not None:
                needs = unit_text(series.target, unit, lang)
                datasets.append(
                    {
                        "label": _("%(metric)s: next role needs %(target)s")
                        % {"metric": name, "target": needs},
                        "data": [series.target for _month in trend.months],
                        "shown": [needs for _month in trend.months],
                        "color": color,
                        "dashed": True,
                    }
                )
        drawn = [v for d in datasets for v in d["data"] if v is not None]
        charts.append(
            {
                "name": f"trend-{unit}",
                "unit": unit,
                "title": _(title),
                "targets": any(d.get("dashed") for d in datasets),
                "spec": _chart(
                    lang,
                    months,
                    datasets,
                    kind="line",
                    axis=axis(drawn, unit, lang),
                    gaps=unit in SUMMED_UNITS,
                    # The plot keeps its height on a phone, where the legend has a
                    # line per metric.
                    height=190 + 24 * len(mine),
                ),
            }
        )
    return charts


def _distribution(found: ScoreDistribution, lang: str, _: Any) -> dict[str, Any]:
    def shares(counts: list[int], size: int) -> list[float]:
        return [round(100 * c / size, 1) if size else 0.0 for c in counts]

    team = [b.team for b in found.bins]
    everyone = [b.organisation for b in found.bins]
    return _chart(
        lang,
        [f"{i18n.number(b.low, lang)}–{i18n.number(b.high, lang)}" for b in found.bins],
        [
            {"label": _("team (percent)"), "data": shares(team, found.team_size)},
            {
                "label": _("organisation (percent)"),
                "data": shares(everyone, found.organisation_size),
            },
        ],
        kind="histogram",
        notes=[
            _("team %(team)s, organisation %(all)s") % {"team": t, "all": i18n.number(o, lang)}
            for t, o in zip(team, everyone, strict=True)
        ],
        marker={
            "index": found.own_bin,
            "label": _("this person: %(score)s") % {"score": i18n.number(found.score, lang)},
        },
        height=260,
    )


def person_charts(
    reads: PersonCharts, caller: Principal, employee_id: str, lang: str, _: Any
) -> dict[str, Any]:
    """The page's `charts` entries `trends` (a chart per unit) and `distribution` (either
    left out when there is nothing to draw yet), and the distribution itself for the
    sentence under it."""
    charts: dict[str, Any] = {}
    trends = _trends(reads, caller, employee_id, lang, _)
    if trends:
        charts["trends"] = trends
    found = reads.score_distribution(caller, employee_id)
    if found is not None:
        charts["distribution"] = _distribution(found, lang, _)
        charts["scores"] = found
    return charts


def potential_parts(lang: str, potential: dict[str, Any], _: Any) -> dict[str, Any] | None:
    """The potential score's weighted parts (one bar per dimension, the policy's weights):
    the points each dimension adds to the score (its score of 10 × its weight) and the
    points it could still add; the earned parts sum to the score. None before a score."""
    dimensions = list((potential.get("dimensions") or {}).values())
    if not dimensions:
        return None
    earned = [round(d["weight"] * d["score"], 2) for d in dimensions]
    return _chart(
        lang,
        [
            _("%(dimension)s (weight %(weight)s)")
            % {
                "dimension": _short(i18n.unmarked(i18n.label(d["label"], lang))),
                "weight": _percent(d["weight"], lang),
            }
            for d in dimensions
        ],
        [
            {"label": _("points in the score"), "data": earned},
            {
                "label": _("points still open"),
                "data": [
                    round(d["weight"] * 10 - e, 2) for d, e in zip(dimensions, earned, strict=True)
                ],
                "color": "#cbd5e1",
            },
        ],
        notes=[
            _("%(score)s of 10 × %(weight)s = %(points)s points")
            % {
                "score": i18n.number(d["score"], lang),
                "weight": _percent(d["weight"], lang),
                "points": i18n.number(e, lang),
            }
            for d, e in zip(dimensions, earned, strict=True)
        ],
        stacked=True,
        horizontal=True,
        height=60 + 32 * len(dimensions),
    )


def _percent(share: float, lang: str) -> str:
    """A share as the pages' `percent` filter says it (40%)."""
    return i18n.number(round(float(share) * 100), lang, 0) + "%"
