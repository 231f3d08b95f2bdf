"""Working-day deadlines, computed outside the workflow sandbox (the holiday calendars
read locale data) and recorded in the workflow history, so a later calendar release
never changes a running process on replay.

The request carries the company calendar the workflow was started with (country and the
extra days published in its promotion_process version), so a later publication does not
move a running application's deadlines either."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field
from temporalio import activity


class DeadlineRequest(BaseModel):
    start: datetime
    working_days: list[int]
    country: str
    time_zone: str
    # The document's published extra days (absent in histories recorded before them).
    extra_holidays: list[date] = Field(default_factory=list)
    extra_working_days: list[date] = Field(default_factory=list)


@activity.defn(name="working_day_deadlines")
def working_day_deadlines(request: DeadlineRequest) -> list[datetime]:
    # The holiday calendars load here, in the worker, not in the workflows that import
    # this module for DeadlineRequest.
    from careerflow.workdays import add_working_days

    return [
        add_working_days(request.start, days, request, request.time_zone)
        for days in request.working_days
    ]
