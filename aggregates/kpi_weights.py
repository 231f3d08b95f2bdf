"""KPI weights (seed 004): when the company moved to big clients it re-weighted its sales
KPIs, from "monthly deal count 60%" to big-client signing 30%, retention 25%, satisfaction
20% and small-deal volume 25%. The weights are a versioned policy document: the month close
scores each month with the version in force and records it, and the KPIs are the
potential score's performance dimension. Pure: no I/O."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

from pydantic import Field, field_validator, model_validator

from aggregates.document_types import Frozen, Label
from aggregates.documents import (
    METRIC_NAME,
    Dimension,
    DimensionWeight,
    IndicatorBand,
    MetricCatalog,
    PotentialWeights,
)
from aggregates.evaluation import band_score, format_value
from words.messages import Invalid, Message

KPI_DIMENSION: Dimension = "performance"
"""The potential-score dimension the KPIs make up (seed 000's "performance" 40%)."""


class KpiWeight(Frozen):
    """One KPI: a catalog metric, its share of the KPI score in percent, and the band that
    maps its value onto 0..10 (as `IndicatorBand`: `zero_at` -> 0, `full_at` -> 10)."""

    metric: str = Field(pattern=METRIC_NAME)
    weight_percent: float = Field(gt=0, le=100, allow_inf_nan=False)
    zero_at: float = Field(allow_inf_nan=False)
    full_at: float = Field(allow_inf_nan=False)

    @model_validator(mode="after")
    def _band_not_empty(self) -> KpiWeight:
        if self.zero_at == self.full_at:
            raise Invalid("KPI {metric!r}: zero_at and full_at must differ", metric=self.metric)
        return self


class KpiWeights(Frozen):
    """The sales KPIs and their weights (seed 004: big-client signing 30%, retention 25%,
    satisfaction 20%, small-deal volume 25%). The month close scores each month with them,
    and they are the potential score's performance dimension (its weight stays in
    `potential_weights`; that document's own performance indicators serve only an install
    without a kpi_weights document)."""

    kind: Literal["kpi_weights"] = "kpi_weights"
    kpis: list[KpiWeight] = Field(min_length=1)

    @field_validator("kpis")
    @classmethod
    def _check(cls, kpis: list[KpiWeight]) -> list[KpiWeight]:
        # On the field, so a refusal names `kpis` as the place to fix.
        metrics = [k.metric for k in kpis]
        repeated = sorted({m for m in metrics if metrics.count(m) > 1})
        if repeated:
            raise Invalid("each KPI may appear once, repeated: {metrics}", metrics=repeated)
        total = math.fsum(k.weight_percent for k in kpis)
        if abs(total - 100) > 0.01:
            listing = ", ".join(f"{k.metric} {k.weight_percent:g}" for k in kpis)
            raise Invalid(
                "KPI weights must sum to 100, got {total:g} ({listing}); adjust them so "
                "they add up to 100",
                total=total,
                listing=listing,
            )
        return kpis

    def bands(self) -> list[IndicatorBand]:
        """The KPIs as potential-score indicators. Weights are relative within a dimension,
        so each is scaled to the largest: equal KPIs weigh exactly 1.0, the arithmetic the
        score used before KPI weights were a document (version 1 scores identically)."""
        top = max(k.weight_percent for k in self.kpis)
        return [
            IndicatorBand(
                metric=k.metric, zero_at=k.zero_at, full_at=k.full_at, weight=k.weight_percent / top
            )
            for k in self.kpis
        ]

    def applied_to(self, weights: PotentialWeights) -> PotentialWeights:
        """`weights` with its performance dimension made of these KPIs (unchanged when it
        gives that dimension no weight)."""
        dimension = weights.dimensions.get(KPI_DIMENSION)
        if dimension is None:
            return weights
        kpis = DimensionWeight(weight=dimension.weight, indicators=self.bands())
        # model_copy: the combination was checked when either document was published.
        return weights.model_copy(
            update={"dimensions": {**weights.dimensions, KPI_DIMENSION: kpis}}
        )


def kpi_problems(
    kpis: KpiWeights, catalog: MetricCatalog, weights: PotentialWeights | None = None
) -> list[Message]:
    """What stops `kpis` from standing beside the catalog and the potential weights: every
    KPI a catalog metric with one value a month, its band running the metric's way, and
    no metric weighted twice in the potential score."""
    problems: list[Message] = []
    for kpi in kpis.kpis:
        definition = catalog.metrics.get(kpi.metric)
        if definition is None:
            problems.append(
                Message(
                    "kpi_weights: metric {metric!r} is not in the metric catalog; publish it "
                    "in the catalog first or fix the name",
                    metric=kpi.metric,
                )
            )
            continue
        if definition.window == "items":
            problems.append(
                Message(
                    "kpi_weights: {metric!r} counts named items (e.g. courses) and has no "
                    "value a month to score",
                    metric=kpi.metric,
                )
            )
        if (kpi.full_at > kpi.zero_at) != (definition.direction == "higher"):
            problems.append(
                Message(
                    "kpi_weights: band of {metric!r} runs against its direction {direction!r}",
                    metric=kpi.metric,
                    direction=definition.direction,
                )
            )
    return problems + weighted_twice(kpis, weights) if weights else problems


def weighted_twice(kpis: KpiWeights, weights: PotentialWeights) -> list[Message]:
    """KPIs that `weights` also weighs in another dimension: the KPIs are the performance
    dimension, and a metric counts once in the potential score."""
    if KPI_DIMENSION not in weights.dimensions:
        return []
    elsewhere = {
        band.metric: name
        for name, dim in weights.dimensions.items()
        if name != KPI_DIMENSION
        for band in dim.indicators
    }
    return [
        Message(
            "{metric!r} is a KPI and is weighted under {dimension} in the potential weights "
            "too: a metric counts once in the potential score; take it out of one of the two "
            "documents",
            metric=kpi.metric,
            dimension=elsewhere[kpi.metric],
        )
        for kpi in kpis.kpis
        if kpi.metric in elsewhere
    ]


# --------------------------------------------------------------------------- a month's score


class KpiLine(Frozen):
    """One KPI of a month: its value, 0..10 on its band, and the points it adds."""

    metric: str
    label: Label
    weight_percent: float
    value: float | None
    display_value: str
    score: float = Field(description="0..10 on the KPI's band, rounded to 2 decimals")
    points: float = Field(description="score x weight: this KPI's part of the total")


class KpiScore(Frozen):
    """A month's KPI score out of 10 under one version of the KPI weights."""

    kpi_weights_version: int
    month: str
    lines: list[KpiLine]
    total: float = Field(description="0..10, rounded to 2 decimals")
    missing: list[str] = Field(default_factory=list)
    """KPIs without a figure that month: they score 0, visibly."""


def score_month(
    kpis: KpiWeights,
    version: int,
    catalog: MetricCatalog,
    month: str,
    values: Mapping[str, float | None],
) -> KpiScore:
    """The month's KPI score: each KPI's value on its band (0..10), weighted by its share.

    `values` are the month's figures (the caller sums counts and amounts and averages
    rates over finer periods); a KPI without one scores 0 and is listed as missing.
    """
    total_weight = math.fsum(k.weight_percent for k in kpis.kpis)
    lines: list[KpiLine] = []
    weighted: list[float] = []
    for kpi in kpis.kpis:
        value = values.get(kpi.metric)
        definition = catalog.metrics.get(kpi.metric)
        score = 0.0 if value is None else band_score(value, kpi.zero_at, kpi.full_at)
        weighted.append(score * kpi.weight_percent / total_weight)
        lines.append(
            KpiLine(
                metric=kpi.metric,
                label=definition.label if definition else {"en": kpi.metric, "zh": kpi.metric},
                weight_percent=kpi.weight_percent,
                value=value,
                display_value=""
                if value is None
                else format_value(value, definition.unit if definition else "count"),
                score=round(score, 2),
                points=round(weighted[-1], 4),
            )
        )
    total = math.fsum(weighted)
    return KpiScore(
        kpi_weights_version=version,
        month=month,
        lines=lines,
        total=round(total, 2),
        missing=[line.metric for line in lines if line.value is None],
    )
