"""Working-day deadlines, computed outside the workflow sandbox (the holiday calendars
read locale data) and recorded in the workflow history, so a later calendar release
never changes a running process on replay."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from temporalio import activity

from careerflow.workdays import add_working_days


class DeadlineRequest(BaseModel):
    start: datetime
    working_days: list[int]
    country: str
    time_zone: str


@activity.defn(name="working_day_deadlines")
def working_day_deadlines(request: DeadlineRequest) -> list[datetime]:
    return [
        add_working_days(request.start, days, request.country, request.time_zone)
        for days in request.working_days
    ]
