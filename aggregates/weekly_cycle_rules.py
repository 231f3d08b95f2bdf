"""The weekly cycle's plain values and its plan check: the deadlines, the lines of the
Friday report and what makes a weekly plan sane. Pure (pydantic and words only), so the
cycle's workflow validators and activity contracts use them without importing the
event-sourced aggregate or the documents; `aggregates.weekly_cycle` and
`aggregates.cycle_settings` re-export them. Deadlines and ReportLine are not events: they
are stored as plain JSON inside events, never by topic."""

from __future__ import annotations

from datetime import datetime

from aggregates.meta import Immutable
from words.messages import Message


class Deadlines(Immutable):
    plan_reminder: datetime
    plan_deadline: datetime
    report_at: datetime
    feedback_reminder: datetime
    feedback_deadline: datetime


class ReportLine(Immutable):
    item: str
    label: dict[str, str]
    planned: float
    actual: float
    met: bool
    text: dict[str, str]


COUNT_ITEMS = ("customer_visits", "new_customers")


def plan_problems(
    items: dict[str, float],
    plan_items: list[str],
    targets: dict[str, float],
    max_plan_factor: float,
) -> list[Message]:
    """What is wrong with a weekly plan (empty when it is sane): every configured item,
    nothing else, no negative or fractional counts, nothing absurdly above target, and no
    more new customers than visits."""
    problems: list[Message] = []
    missing = [i for i in plan_items if i not in items]
    unknown = sorted(set(items) - set(plan_items))
    if missing:
        problems.append(
            Message("the plan needs a number for {missing}", missing=", ".join(missing))
        )
    if unknown:
        problems.append(
            Message(
                "{unknown} is not a weekly plan item; items: {plan_items}",
                unknown=", ".join(unknown),
                plan_items=", ".join(plan_items),
            )
        )
    for item, value in items.items():
        if item in unknown:
            continue
        if value != value or value in (float("inf"), float("-inf")):
            # Said as text: NaN and infinity do not cross a boundary as JSON numbers.
            problems.append(Message("{item}: {value} is not a number", item=item, value=str(value)))
            continue
        if value < 0:
            problems.append(
                Message("{item}: {value:g} is negative; plan zero or more", item=item, value=value)
            )
            continue
        if item in COUNT_ITEMS and value != int(value):
            problems.append(
                Message("{item}: {value:g} is not a whole number", item=item, value=value)
            )
        ceiling = max_plan_factor * max(targets.get(item, 0.0), 1.0)
        if value > ceiling:
            problems.append(
                Message(
                    "{item}: {value:g} is more than {factor:g}× the target "
                    "{target:g}; check the number",
                    item=item,
                    value=value,
                    factor=max_plan_factor,
                    target=targets.get(item, 0.0),
                )
            )
    visits, new = items.get("customer_visits"), items.get("new_customers")
    if visits is not None and new is not None and new > visits:
        problems.append(
            Message(
                "new_customers ({new:g}) cannot exceed customer_visits ({visits:g}): "
                "new customers are among the customers visited",
                new=new,
                visits=visits,
            )
        )
    return problems
