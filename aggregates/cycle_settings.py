"""The weekly cycle's calendar as a versioned document (kind "weekly_cycle"): when the
week starts, when plans are due, when the report is built and feedback is due, in the
company's time zone; which items a weekly plan has and how many reps a launch batch holds.

The moments are weekday clock times, except that nobody is asked to plan on a day off: when
the plan deadline falls on a public holiday (the company calendar: promotion_process's
country and the extra days HR published), the plan's reminder and deadline move to the
same time on the week's next working day, as long as that is still before the report. A
week with no such day (Spring Festival) keeps them, and its plan defaults as usual."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from aggregates.document_types import Frozen, TimeZoneName
from aggregates.ladder import Role

# Re-exported: the plan check lives with the cycle's plain values, so that the weekly
# cycle workflow's validators need not import the documents.
from aggregates.weekly_cycle_rules import COUNT_ITEMS as COUNT_ITEMS
from aggregates.weekly_cycle_rules import plan_problems as plan_problems
from words.messages import Invalid, Message

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "next Mon")


def step_word(name: str) -> Message:
    """A step of the cycle's calendar as a message: English keeps the document's field
    name (what HR edits), other languages say what it is (计划截止时间)."""
    steps = {
        "week_starts": Message("week_starts"),
        "plan_reminder": Message("plan_reminder"),
        "plan_deadline": Message("plan_deadline"),
        "report_at": Message("report_at"),
        "feedback_reminder": Message("feedback_reminder"),
        "feedback_deadline": Message("feedback_deadline"),
    }
    return steps.get(name, Message.verbatim(name))


class WeekTime(Frozen):
    """A moment in the cycle's week: day 0 is Monday, 7 the next Monday."""

    day: int = Field(ge=0, le=7)
    hour: int = Field(ge=0, le=23)
    minute: int = Field(default=0, ge=0, le=59)

    @property
    def offset(self) -> timedelta:
        return timedelta(days=self.day, hours=self.hour, minutes=self.minute)

    def label(self) -> str:
        return f"{DAY_NAMES[self.day]} {self.hour:02d}:{self.minute:02d}"


class WeeklyCycleSettings(Frozen):
    kind: Literal["weekly_cycle"] = "weekly_cycle"
    time_zone: TimeZoneName = "Asia/Shanghai"
    roles: list[Role] = Field(default=[Role.sales_rep, Role.senior_sales_rep], min_length=1)
    week_starts: WeekTime = WeekTime(day=0, hour=8)
    plan_reminder: WeekTime = WeekTime(day=0, hour=12)
    plan_deadline: WeekTime = WeekTime(day=0, hour=18)
    report_at: WeekTime = WeekTime(day=4, hour=18)
    feedback_reminder: WeekTime = WeekTime(day=6, hour=12)
    feedback_deadline: WeekTime = WeekTime(day=7, hour=8)
    plan_items: list[Literal["customer_visits", "new_customers", "sales_amount"]] = Field(
        default=["customer_visits", "new_customers", "sales_amount"], min_length=1
    )
    # A planned number above this multiple of the target is taken for a typing error.
    max_plan_factor: float = Field(default=5, gt=1, le=100)
    batch_size: int = Field(default=200, ge=1, le=2000)
    # Month close: the day of the following month (local time) bonuses are computed.
    month_close_day: int = Field(default=3, ge=1, le=28)
    month_close_hour: int = Field(default=9, ge=0, le=23)

    @model_validator(mode="after")
    def _order(self) -> WeeklyCycleSettings:
        steps = [
            ("week_starts", self.week_starts),
            ("plan_reminder", self.plan_reminder),
            ("plan_deadline", self.plan_deadline),
            ("report_at", self.report_at),
            ("feedback_reminder", self.feedback_reminder),
            ("feedback_deadline", self.feedback_deadline),
        ]
        for (a, ta), (b, tb) in itertools.pairwise(steps):
            if not ta.offset < tb.offset:
                raise Invalid(
                    "{later} ({later_at}) must come after {earlier} ({earlier_at})",
                    later=step_word(b),
                    later_at=Message.week_time(tb.label()),
                    earlier=step_word(a),
                    earlier_at=Message.week_time(ta.label()),
                )
        next_start = self.week_starts.offset + timedelta(days=7)
        if self.feedback_deadline.offset > next_start:
            # Next week's cycle opens then and takes the agreed plan with it.
            raise Invalid(
                "feedback_deadline ({feedback_deadline}) must not be after next "
                "week's start (next {week_starts})",
                feedback_deadline=Message.week_time(self.feedback_deadline.label()),
                week_starts=Message.week_time(self.week_starts.label()),
            )
        if len(set(self.plan_items)) != len(self.plan_items):
            raise Invalid("plan_items repeats an item")
        return self

    def at(self, week: str, moment: WeekTime) -> datetime:
        """The moment of `week` ("YYYY-Www") as an aware UTC datetime."""
        monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
        local = datetime.combine(monday, time(0), tzinfo=ZoneInfo(self.time_zone))
        # Wall-clock arithmetic: add days/hours to the local midnight, then resolve.
        naive = datetime.combine(monday, time(0)) + moment.offset
        return naive.replace(tzinfo=local.tzinfo).astimezone(ZoneInfo("UTC"))

    def plan_moments(
        self, week: str, is_working_day: Callable[[date], bool]
    ) -> tuple[datetime, datetime]:
        """The plan's reminder and deadline in `week`, moved by whole days (wall clock) so
        the deadline falls on a working day before the report; unmoved when it already
        does, or when no day does."""
        monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
        shift = 0
        while self.plan_deadline.offset + timedelta(days=shift) < self.report_at.offset:
            if is_working_day(monday + timedelta(days=self.plan_deadline.day + shift)):
                break
            shift += 1
        else:
            shift = 0
        reminder, deadline = (
            moment.model_copy(update={"day": moment.day + shift})
            for moment in (self.plan_reminder, self.plan_deadline)
        )
        return self.at(week, reminder), self.at(week, deadline)

    def label_at(self, week: str, moment: datetime) -> str:
        """A moment of `week` said as its day in the cycle and local time ("Tue 18:00")."""
        local = moment.astimezone(ZoneInfo(self.time_zone))
        monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
        day = min(max((local.date() - monday).days, 0), 7)
        return WeekTime(day=day, hour=local.hour, minute=local.minute).label()

    def week_of(self, now: datetime) -> str:
        """The ISO week the company's local clock is in at `now`."""
        iso = now.astimezone(ZoneInfo(self.time_zone)).isocalendar()
        return f"{iso.year}-W{iso.week:02d}"

    def local_date(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.time_zone)).date()
