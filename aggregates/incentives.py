"""Bonus (seed 001) and commission (seed 004) rules as versioned documents, and the pure
calculations that turn a month's results into money with a derivation a person can follow.

Bonus: the base bonus when the sales target is met, plus 1% of the excess over the
target, plus 10% when retention exceeds 75%: of base + excess (`uplift_on: total`, the
seed's worked example) or of the base alone (`uplift_on: base`). Commission: a rate on small-deal
sales, a big-client rate 15% above it (relative: 2% -> 2.3%), and a 5% repurchase bonus
on repurchase sales."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from aggregates.document_types import Frozen
from words.messages import Labeller, Message


def _money(x: float) -> float:
    return round(x + 0.0, 2)


class BonusRules(Frozen):
    kind: Literal["bonus_rules"] = "bonus_rules"
    base_bonus: float = Field(default=5000, ge=0, allow_inf_nan=False)
    excess_rate_percent: float = Field(default=1, ge=0, le=100)
    retention_threshold_percent: float = Field(default=75, ge=0, le=100)
    retention_uplift_percent: float = Field(default=10, ge=0, le=100)
    uplift_on: Literal["base", "total"] = "total"
    """What the retention uplift is a percentage of: the base bonus, or base + excess.
    Documents published before the field existed meant base + excess."""
    currency: str = "CNY"


class CommissionRules(Frozen):
    kind: Literal["commission_rules"] = "commission_rules"
    small_deal_rate_percent: float = Field(default=2, ge=0, le=100)
    big_client_premium_percent: float = Field(default=15, ge=0, le=1000)
    """How much higher the big-client rate is than the small-deal rate, relative."""
    repurchase_bonus_percent: float = Field(default=5, ge=0, le=100)
    currency: str = "CNY"

    @property
    def big_client_rate_percent(self) -> float:
        return self.small_deal_rate_percent * (1 + self.big_client_premium_percent / 100)


class Line(Frozen):
    """One step of a derivation: what was added (or why nothing was)."""

    key: str
    text: dict[str, str]
    amount: float


class BonusInputs(Frozen):
    sales_target: float = Field(ge=0, allow_inf_nan=False)
    sales_amount: float = Field(ge=0, allow_inf_nan=False)
    retention_rate: float | None = Field(default=None, ge=0, le=100)


class BonusResult(Frozen):
    rules_version: int
    inputs: BonusInputs
    target_met: bool
    lines: list[Line]
    amount: float
    currency: str


class CommissionInputs(Frozen):
    small_deal_sales: float = Field(default=0, ge=0, allow_inf_nan=False)
    big_client_sales: float = Field(default=0, ge=0, allow_inf_nan=False)
    repurchase_sales: float = Field(default=0, ge=0, allow_inf_nan=False)


class CommissionResult(Frozen):
    rules_version: int
    inputs: CommissionInputs
    lines: list[Line]
    amount: float
    currency: str


def _fmt(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def compute_bonus(
    rules: BonusRules, version: int, inputs: BonusInputs, *, labels: Labeller
) -> BonusResult:
    """The month's bonus and its derivation, each line's text said in every language by
    `labels` (words.catalogue.in_every_language: the domain does not read the catalogue)."""
    met = inputs.sales_amount >= inputs.sales_target and inputs.sales_target > 0
    lines: list[Line] = []
    if inputs.sales_target <= 0:
        lines.append(
            Line(
                key="no_target",
                text=labels(
                    Message(
                        "no sales target was set for the month: no bonus "
                        "(set one in the goal cascade)"
                    )
                ),
                amount=0.0,
            )
        )
        return BonusResult(
            rules_version=version,
            inputs=inputs,
            target_met=False,
            lines=lines,
            amount=0.0,
            currency=rules.currency,
        )
    if not met:
        short = inputs.sales_target - inputs.sales_amount
        lines.append(
            Line(
                key="target_not_met",
                text=labels(
                    Message(
                        "sales {sales} below the target {target} (short {short}): no bonus",
                        sales=_fmt(inputs.sales_amount),
                        target=_fmt(inputs.sales_target),
                        short=_fmt(short),
                    )
                ),
                amount=0.0,
            )
        )
        return BonusResult(
            rules_version=version,
            inputs=inputs,
            target_met=False,
            lines=lines,
            amount=0.0,
            currency=rules.currency,
        )
    excess = inputs.sales_amount - inputs.sales_target
    base = _money(rules.base_bonus)
    extra = _money(excess * rules.excess_rate_percent / 100)
    lines.append(
        Line(
            key="base",
            text=labels(Message("sales target met: base bonus")),
            amount=base,
        )
    )
    lines.append(
        Line(
            key="excess",
            text=labels(
                Message(
                    "{rate:g}% of the excess {excess}",
                    rate=rules.excess_rate_percent,
                    excess=_fmt(excess),
                )
            ),
            amount=extra,
        )
    )
    basis = base if rules.uplift_on == "base" else base + extra
    retention = inputs.retention_rate
    if retention is not None and retention > rules.retention_threshold_percent:
        uplift = _money(basis * rules.retention_uplift_percent / 100)
        # The figure the percentage was taken of is said, so "base or base + excess?"
        # is answered on the statement itself.
        of_what = (
            Message(
                "retention {retention:g}% > {threshold:g}%: +{uplift:g}% of the base "
                "{basis} = {amount}",
                retention=retention,
                threshold=rules.retention_threshold_percent,
                uplift=rules.retention_uplift_percent,
                basis=_fmt(basis),
                amount=_fmt(uplift),
            )
            if rules.uplift_on == "base"
            else Message(
                "retention {retention:g}% > {threshold:g}%: +{uplift:g}% of base + excess "
                "{basis} = {amount}",
                retention=retention,
                threshold=rules.retention_threshold_percent,
                uplift=rules.retention_uplift_percent,
                basis=_fmt(basis),
                amount=_fmt(uplift),
            )
        )
        lines.append(Line(key="retention", text=labels(of_what), amount=uplift))
    else:
        if retention is None:
            below = Message(
                "retention no figure does not exceed {threshold:g}%: no uplift",
                threshold=rules.retention_threshold_percent,
            )
        else:
            below = Message(
                "retention {retention:g}% does not exceed {threshold:g}%: no uplift",
                retention=retention,
                threshold=rules.retention_threshold_percent,
            )
        lines.append(
            Line(
                key="retention",
                text=labels(below),
                amount=0.0,
            )
        )
    return BonusResult(
        rules_version=version,
        inputs=inputs,
        target_met=True,
        lines=lines,
        amount=_money(sum(line.amount for line in lines)),
        currency=rules.currency,
    )


def compute_commission(
    rules: CommissionRules, version: int, inputs: CommissionInputs, *, labels: Labeller
) -> CommissionResult:
    """The month's commission and its derivation, said in every language by `labels`."""
    big_rate = rules.big_client_rate_percent
    lines = [
        Line(
            key="small_deals",
            text=labels(
                Message(
                    "small deals {sales} × {rate:g}%",
                    sales=_fmt(inputs.small_deal_sales),
                    rate=rules.small_deal_rate_percent,
                )
            ),
            amount=_money(inputs.small_deal_sales * rules.small_deal_rate_percent / 100),
        ),
        Line(
            key="big_clients",
            text=labels(
                Message(
                    "big clients {sales} × {rate:g}% ({premium:g}% above small deals)",
                    sales=_fmt(inputs.big_client_sales),
                    rate=big_rate,
                    premium=rules.big_client_premium_percent,
                )
            ),
            amount=_money(inputs.big_client_sales * big_rate / 100),
        ),
        Line(
            key="repurchase",
            text=labels(
                Message(
                    "repurchase bonus {rate:g}% of {sales}",
                    rate=rules.repurchase_bonus_percent,
                    sales=_fmt(inputs.repurchase_sales),
                )
            ),
            amount=_money(inputs.repurchase_sales * rules.repurchase_bonus_percent / 100),
        ),
    ]
    return CommissionResult(
        rules_version=version,
        inputs=inputs,
        lines=lines,
        amount=_money(sum(line.amount for line in lines)),
        currency=rules.currency,
    )
