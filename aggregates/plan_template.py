"""Post-promotion development plan templates: versioned policy documents (kind
"plan_template", one per role), their milestones and the plan-month calendar.

A plan starts on the promotion's effective date; plan month 1 runs from that date to the
day before the same day of the next calendar month. Milestones are placed in plan months
(due at the end of `due_month`), so one template serves every start date.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from aggregates.document_types import Frozen, Label, Op, Unit
from aggregates.ladder import Role, promoted_to_refusal
from words.messages import Invalid, Message

if TYPE_CHECKING:  # only a parameter type: the plan workflow loads this module
    from aggregates.documents import MetricCatalog

# --------------------------------------------------------------------------- measures


class CoursesMeasure(Frozen):
    """Every course completed on or after the plan start (items of `metric`).

    The completion's value is the exam score, shown as recorded (9.5 or 95).
    """

    type: Literal["courses"] = "courses"
    courses: list[str] = Field(min_length=1)
    metric: str = Field(default="course_completed", min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> CoursesMeasure:
        if len(set(self.courses)) != len(self.courses):
            raise Invalid("courses must be unique, got {courses}", courses=list(self.courses))
        return self


class CountMeasure(Frozen):
    """`metric` summed over the milestone's months reaches `target` ("mentored 2 of 3")."""

    type: Literal["count"] = "count"
    metric: str = Field(min_length=1)
    target: float = Field(gt=0, allow_inf_nan=False)
    label: Label
    """Short progress wording: {"en": "mentored", "zh": "带教新人"}."""
    unit: Unit = "count"


class MonthlyMeasure(Frozen):
    """`metric` reaches `target` in every month of the milestone ("new customers 4 of 5").

    A month without data is 0 for count metrics and unmet for any other unit.
    """

    type: Literal["monthly"] = "monthly"
    metric: str = Field(min_length=1)
    target: float = Field(allow_inf_nan=False)
    label: Label
    unit: Unit = "count"


class MetricMeasure(Frozen):
    """The latest month's value of `metric` in the milestone's months compared with
    `threshold` ("team sales +12% of +15%"); met once the due month's value passes."""

    type: Literal["metric"] = "metric"
    metric: str = Field(min_length=1)
    op: Op
    threshold: float = Field(allow_inf_nan=False)
    label: Label
    unit: Unit = "count"
    signed: bool = False
    """Show a "+" on positive values (growth rates)."""


Measure = Annotated[
    CoursesMeasure | CountMeasure | MonthlyMeasure | MetricMeasure, Field(discriminator="type")
]

# --------------------------------------------------------------------------- milestones


class Milestone(Frozen):
    """One step of the plan, active in plan months start_month..due_month.

    measured: computed from the metrics ledger by `measure`; confirmed: the manager
    confirms it by hand (e.g. "joined the team meetings"), so it has no measure.
    `reminder` is sent `remind_days_before` days before the due date while it is behind.
    """

    id: str = Field(min_length=1)
    label: Label
    start_month: int = Field(ge=1)
    due_month: int = Field(ge=1)
    kind: Literal["measured", "confirmed"]
    measure: Measure | None = None
    remind_days_before: int = Field(default=7, ge=0)
    reminder: Label
    suggestion: Label | None = None

    @model_validator(mode="after")
    def _check(self) -> Milestone:
        if self.due_month < self.start_month:
            raise Invalid(
                "milestone {milestone!r}: due_month {due_month} is before "
                "start_month {start_month}",
                milestone=self.id,
                due_month=self.due_month,
                start_month=self.start_month,
            )
        if self.kind == "measured" and self.measure is None:
            raise Invalid(
                "milestone {milestone!r} is measured, so it needs a measure", milestone=self.id
            )
        if self.kind == "confirmed" and self.measure is not None:
            raise Invalid(
                "milestone {milestone!r} is confirmed by the manager, so it takes no measure",
                milestone=self.id,
            )
        return self


class PlanTemplate(Frozen):
    """The development plan a newly promoted `role` follows for `months` months."""

    kind: Literal["plan_template"] = "plan_template"
    role: Role
    months: int = Field(default=12, ge=1)
    milestones: list[Milestone] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> PlanTemplate:
        if refusal := promoted_to_refusal(self.role):
            raise Invalid(refusal)
        ids = [m.id for m in self.milestones]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise Invalid(
                "milestone ids must be unique, repeated: {duplicates}", duplicates=duplicates
            )
        late = [m.id for m in self.milestones if m.due_month > self.months]
        if late:
            raise Invalid(
                "milestones due after the plan's {months} months: {late}",
                months=self.months,
                late=late,
            )
        return self

    def milestone(self, milestone_id: str) -> Milestone:
        for m in self.milestones:
            if m.id == milestone_id:
                return m
        raise KeyError(f"plan template has no milestone {milestone_id!r}")


def plan_template_problems(template: PlanTemplate, catalog: MetricCatalog) -> list[Message]:
    """Metrics and courses the template names but the catalog lacks (empty = consistent).

    Evaluation tolerates them (no data is simply unmet), so publishing rejects them.
    """
    problems: list[Message] = []
    for m in template.milestones:
        if m.measure is None:
            continue
        if m.measure.metric not in catalog.metrics:
            problems.append(
                Message(
                    "milestone {milestone!r}: metric {metric!r} is not in the catalog",
                    milestone=m.id,
                    metric=m.measure.metric,
                )
            )
        if isinstance(m.measure, CoursesMeasure):
            problems.extend(
                Message(
                    "milestone {milestone!r}: course {course!r} has no bilingual title in the "
                    "catalog",
                    milestone=m.id,
                    course=course,
                )
                for course in m.measure.courses
                if course not in catalog.courses
            )
    return problems


# --------------------------------------------------------------------------- plan calendar


def add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months, clamped to the month's end (Jan 31 + 1 = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def plan_month_bounds(effective_date: date, n: int) -> tuple[date, date]:
    """First and last day of plan month `n` (1-based).

    Each bound is computed from the effective date (never chained), so clamping at a
    short month does not drift: months are contiguous and month 12 ends the day before
    the first anniversary.
    """
    if n < 1:
        raise ValueError(f"plan months start at 1, got {n}")
    first = add_months(effective_date, n - 1)
    last = add_months(effective_date, n) - timedelta(days=1)
    return first, last


def plan_month_at(effective_date: date, day: date) -> int:
    """The plan month containing `day`; 0 before the plan starts (open-ended after it)."""
    if day < effective_date:
        return 0
    n = (day.year - effective_date.year) * 12 + day.month - effective_date.month + 1
    # Plan month n starts in day's calendar month, possibly after `day` (mid-month start).
    while n > 1 and plan_month_bounds(effective_date, n)[0] > day:
        n -= 1
    return n


def due_date(effective_date: date, milestone: Milestone) -> date:
    """The last day of the milestone's due month."""
    return plan_month_bounds(effective_date, milestone.due_month)[1]


def month_keys(effective_date: date, start_month: int, due_month: int) -> list[str]:
    """The ledger months ("YYYY-MM") of plan months start_month..due_month.

    A plan month maps to the calendar month it starts in: exact for the usual 1st-of-month
    effective date, the closest monthly figure otherwise.
    """
    if not 1 <= start_month <= due_month:
        raise ValueError(f"need 1 <= start_month <= due_month, got {start_month}..{due_month}")
    return [
        plan_month_bounds(effective_date, n)[0].strftime("%Y-%m")
        for n in range(start_month, due_month + 1)
    ]
