"""Reads for the charts of a person's page, through the same access rules as the page:
the last twelve months of every metric they have (one series each with its unit, and the
threshold the criteria of their next rung set for it where a month can be held to it),
and the potential scores of their team and of the organisation binned in SQL, their own
score marked."""

from __future__ import annotations

import math
import re
from typing import Any

from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from aggregates.calendar_periods import month_of
from aggregates.document_types import Unit
from aggregates.documents import Measurement
from aggregates.periods import SUMMED_UNITS, period_value
from projections.metrics import measurements_of
from projections.policies import latest_document
from projections.visibility import require_visible

MONTH = re.compile(r"^\d{4}-\d{2}$")
TOP = 10.0  # the potential score is out of 10
BINS = 10


class MetricSeries(BaseModel):
    metric: str
    label: dict[str, str] | str
    unit: Unit
    values: list[float | None]
    target: float | None = None


class MetricTrend(BaseModel):
    """Months oldest first (YYYY-MM) and a series per metric measured in them, those
    the next rung's criteria name first."""

    months: list[str]
    series: list[MetricSeries]


class ScoreBin(BaseModel):
    low: float
    high: float
    team: int
    organisation: int


class ScoreDistribution(BaseModel):
    """Potential scores in bins of one point (0–1, …, 9–10; 10 in the last)."""

    bins: list[ScoreBin]
    score: float
    own_bin: int
    team_id: str
    team_size: int
    organisation_size: int


def _months_back(last: str, count: int) -> list[str]:
    year, month = int(last[:4]), int(last[5:7])
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _thresholds(conn: Any, next_role: str | None, defined: dict[str, Any]) -> dict[str, float]:
    """The `metric >= threshold` (or `<=`) criteria of the rung above, by metric, where a
    month's figure can be held to them: a mean, the last or the best month; a sum or a set
    of items counts over the whole window, so it has no monthly line."""
    if not next_role:
        return {}
    row: Any = conn.execute(
        "SELECT document FROM rm_policy WHERE kind = 'promotion_criteria' AND key = %s "
        "ORDER BY version DESC LIMIT 1",
        (next_role,),
    ).fetchone()
    if row is None:
        return {}
    found: dict[str, float] = {}
    for criterion in row["document"].get("criteria", []):
        metric = criterion.get("metric")
        if criterion.get("type") != "metric" or metric not in defined:
            continue
        window = criterion.get("window") or defined[metric].get("window", "mean")
        if window in ("mean", "last", "max"):
            found.setdefault(metric, float(criterion["threshold"]))
    return found


def _month_value(
    rows: list[Any], metric: str, definition: dict[str, Any], month: str
) -> float | None:
    """A month's figure by the period rule the reports use (amounts and counts summed,
    rates averaged); an "items" metric counts its distinct items (courses completed) or,
    for scores, averages them."""
    mine = [r for r in rows if r["metric"] == metric and month_of(r["period"]) == month]
    if not mine:
        return None
    unit = definition["unit"]
    if definition.get("window") == "items":
        if unit == "count":
            return float(len({r["item"] for r in mine}))
        return round(math.fsum(float(r["value"]) for r in mine) / len(mine), 2)
    measured = [
        Measurement(
            employee_id="-",
            period=r["period"],
            metric=metric,
            value=float(r["value"]),
            item=r["item"],
            source=r["source"] or "-",
        )
        for r in mine
    ]
    value = period_value(measured, metric, month, unit in SUMMED_UNITS)
    return None if value is None else round(value, 2)


class PersonCharts:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def metric_trend(self, principal: Any, employee_id: str, months: int = 12) -> MetricTrend:
        """Every metric of the catalog the person has, over the twelve months up to their
        latest month of monthly figures (weeks and days inside a month roll up into it)."""
        with self.pool.connection() as conn:
            require_visible(conn, principal, employee_id)  # type: ignore[arg-type]
            rows = measurements_of(conn, employee_id)
            catalog = latest_document(conn, "metric_catalog") or {}
            defined: dict[str, Any] = catalog.get("metrics", {})
            rows = [r for r in rows if r["metric"] in defined]
            if not any(MONTH.match(r["period"]) for r in rows):
                return MetricTrend(months=[], series=[])
            readiness: Any = conn.execute(
                "SELECT next_role FROM rm_readiness WHERE employee_id = %s", (employee_id,)
            ).fetchone()
            targets = _thresholds(conn, readiness["next_role"] if readiness else None, defined)
        last = max(r["period"] for r in rows if MONTH.match(r["period"]))
        shown = _months_back(last, months)
        inside = [r for r in rows if month_of(r["period"]) in shown]
        series = [
            MetricSeries(
                metric=metric,
                label=defined[metric].get("label") or metric,
                unit=defined[metric]["unit"],
                values=[_month_value(inside, metric, defined[metric], m) for m in shown],
                target=targets.get(metric),
            )
            for metric in sorted({r["metric"] for r in inside}, key=lambda m: (m not in targets, m))
        ]
        return MetricTrend(months=shown, series=series)

    def score_distribution(self, principal: Any, employee_id: str) -> ScoreDistribution | None:
        """None until the person has a readiness row."""
        with self.pool.connection() as conn:
            require_visible(conn, principal, employee_id)  # type: ignore[arg-type]
            own: Any = conn.execute(
                "SELECT team_id, score FROM rm_readiness WHERE employee_id = %s", (employee_id,)
            ).fetchone()
            if own is None:
                return None
            counts: list[Any] = conn.execute(
                "SELECT GREATEST(1, LEAST(width_bucket(r.score, 0, %(top)s, %(bins)s), %(bins)s)) "
                "AS bin, "
                "count(*) FILTER (WHERE r.team_id = %(team)s) AS team, count(*) AS organisation "
                "FROM rm_readiness r JOIN rm_employee e USING (employee_id) "
                "WHERE e.active GROUP BY 1 ORDER BY 1",
                {"top": TOP, "bins": BINS, "team": own["team_id"]},
            ).fetchall()
        by_bin = {int(r["bin"]): r for r in counts}
        width = TOP / BINS
        bins = [
            ScoreBin(
                low=round((b - 1) * width, 2),
                high=round(b * width, 2),
                team=int(by_bin[b]["team"]) if b in by_bin else 0,
                organisation=int(by_bin[b]["organisation"]) if b in by_bin else 0,
            )
            for b in range(1, BINS + 1)
        ]
        score = float(own["score"])
        return ScoreDistribution(
            bins=bins,
            score=score,
            own_bin=min(BINS, max(1, int(score // width) + 1)) - 1,
            team_id=own["team_id"],
            team_size=sum(b.team for b in bins),
            organisation_size=sum(b.organisation for b in bins),
        )
