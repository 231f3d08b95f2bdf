"""The charts of a person's page beyond the week and the indicators: twelve months of
their percent metrics (a line each, the next rung's threshold as a dashed line where the
criteria set one), and where their potential score sits among their team's and the
organisation's (a histogram of shares, their own bin marked). Read through
projections.person_charts, under the page's access rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_skeleton

from careerflow.api import i18n
from careerflow.api.pages.views import _chart, _short
from careerflow.principal import Principal
from projections.person_charts import PersonCharts, ScoreDistribution
from words.catalogue import BABEL_LOCALES

PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#7c3aed", "#0891b2", "#db2777"]


def month_label(month: str, lang: str) -> str:
    """ "2026-03" → "Mar 2026" / "2026年3月"."""
    first = date(int(month[:4]), int(month[5:7]), 1)
    return format_skeleton("yMMM", first, locale=BABEL_LOCALES[lang])


def _trend(
    reads: PersonCharts, caller: Principal, employee_id: str, lang: str, _: Any
) -> dict[str, Any] | None:
    trend = reads.metric_trend(caller, employee_id)
    if not trend.series:
        return None
    datasets: list[dict[str, Any]] = []
    for n, series in enumerate(trend.series):
        color = PALETTE[n % len(PALETTE)]
        name = _short(i18n.unmarked(i18n.label(series.label, lang)))
        datasets.append({"label": name, "data": series.values, "color": color})
        if series.target is not None:
            datasets.append(
                {
                    "label": _("%(metric)s: next role needs %(target)s")
                    % {"metric": name, "target": i18n.number(series.target, lang)},
                    "data": [series.target for _month in trend.months],
                    "color": color,
                    "dashed": True,
                }
            )
    return _chart(
        lang,
        [month_label(m, lang) for m in trend.months],
        datasets,
        kind="line",
        height=360,
    )


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
    """The page's `charts` entries `trend` and `distribution` (either left out when
    there is nothing to draw yet), and the distribution itself for the sentence under it."""
    charts: dict[str, Any] = {}
    trend = _trend(reads, caller, employee_id, lang, _)
    if trend is not None:
        charts["trend"] = trend
    found = reads.score_distribution(caller, employee_id)
    if found is not None:
        charts["distribution"] = _distribution(found, lang, _)
        charts["scores"] = found
    return charts
