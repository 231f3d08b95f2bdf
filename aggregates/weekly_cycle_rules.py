"""The weekly cycle's plain values and its plan check: the deadlines, the lines of the
Friday report and what makes a weekly plan sane. Pure (pydantic and words only), so the
cycle's workflow validators and activity contracts use them without importing the
event-sourced aggregate or the documents; `aggregates.weekly_cycle` and
`aggregates.cycle_settings` re-export them. Deadlines and ReportLine are not events: they
are stored as plain JSON inside events, never by topic.

Also the cycle commands' results (CycleInfo, WeeklyReport, Roster, MonthOutcome: the cycle
workflows' contract, re-exported by activities.cycles) and the refusals that the Cycles
application and the weekly cycle's update validators both say, each decided here once:
the application raises DomainError(refusal), a validator raises refused(refusal)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

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


class CycleInfo(BaseModel):
    """What the cycle workflow and its validators need to know about one week."""

    cycle_id: str
    employee_id: str
    week: str
    manager_id: str | None
    team_id: str
    time_zone: str
    deadlines: Deadlines
    deadline_labels: dict[str, str]
    plan_items: list[str]
    targets: dict[str, float]
    max_plan_factor: float
    plan: dict[str, float] | None
    plan_source: str | None
    reported: bool
    feedback_given: bool
    feedback_missed: bool
    # The workflow that runs the week: its own, or its launch batch's (Updates go there).
    workflow_id: str = ""


class WeeklyReport(BaseModel):
    cycle_id: str
    employee_id: str
    manager_id: str | None
    week: str
    lines: list[ReportLine]
    met: int
    total: int


class Roster(BaseModel):
    period: str
    employee_ids: list[str]
    settings_version: int | None


class MonthOutcome(BaseModel):
    employee_id: str
    manager_id: str | None
    month: str
    bonus: float
    commission: float
    currency: str
    recommendations: list[dict[str, str]]
    """course, rule_id, alert_manager ("yes"/""), reason_en, reason_zh."""


def report_line_text(label: dict[str, str], actual: float, planned: float, met: bool) -> Message:
    """One line of the Friday report: the metric, what was planned and done, and whether
    the plan was met (recorded on the report and said in its notification)."""
    return Message(
        "{metric}: {actual:,.10g} of {planned:,.10g} planned: {result}",
        metric=label,
        actual=actual,
        planned=planned,
        result=Message("met") if met else Message("not met"),
    )


# -- refusals: `role` is the principal's access role ("employee", "manager", ...) ---------


def no_running_week(employee_id: str, week: str) -> Message:
    """An Update for a week no workflow runs (not launched, over, or not in the batch)."""
    return Message(
        "{employee_id} has no running weekly cycle for {week}", employee_id=employee_id, week=week
    )


def plan_submitter_refusal(role: str, person_id: str, employee_id: str) -> Message | None:
    """Reps submit their own weekly plan, nobody else."""
    if role == "employee" and person_id == employee_id:
        return None
    return Message(
        "{role} {person_id} cannot submit {employee_id}'s weekly plan; reps submit their own plan",
        role=role,
        person_id=person_id,
        employee_id=employee_id,
    )


def feedback_giver_refusal(
    role: str, person_id: str, employee_id: str, manager_id: str | None
) -> Message | None:
    """Only the rep's manager gives weekly feedback."""
    if role == "manager" and person_id == manager_id:
        return None
    return Message(
        "{role} {person_id} is not {employee_id}'s manager "
        "({manager_id}); only the rep's manager gives weekly feedback",
        role=role,
        person_id=person_id,
        employee_id=employee_id,
        manager_id=manager_id,
    )


def feedback_comment_refusal(text: str) -> Message | None:
    """Feedback says something to the rep."""
    if text.strip():
        return None
    return Message("feedback needs a comment for the rep")


def plan_refusal(
    items: dict[str, float],
    plan_items: list[str],
    targets: dict[str, float],
    max_plan_factor: float,
) -> Message | None:
    """This week's plan, refused with every problem (plan_problems)."""
    problems = plan_problems(items, plan_items, targets, max_plan_factor)
    if not problems:
        return None
    return Message("the plan was not taken: {problems}", problems=problems)


def next_plan_refusal(
    items: dict[str, float] | None,
    plan_items: list[str],
    targets: dict[str, float],
    max_plan_factor: float,
) -> Message | None:
    """Next week's plan agreed in the feedback (if any), refused with every problem."""
    if items is None:
        return None
    problems = plan_problems(items, plan_items, targets, max_plan_factor)
    if not problems:
        return None
    return Message("next week's plan was not taken: {problems}", problems=problems)


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
