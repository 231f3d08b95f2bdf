"""Office-hours arithmetic for response SLAs: minutes count only inside the office hours
of the company's working days (careerflow.workdays: the country's calendar and the extra
days the company published); without office hours every minute counts. Used by
activities (the holiday calendars read locale data), never by workflow code: the moments
it computes are recorded in events and the workflow history."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from careerflow.workdays import CalendarLike, is_working_day

_MAX_DAYS = 400  # no calendar has a year without a working day


def _opening(
    moment: datetime, start: time, end: time, calendar: CalendarLike, zone: ZoneInfo
) -> datetime:
    """`moment` if the office is open then, else the next opening (local time)."""
    local = moment.astimezone(zone)
    day = local.date()
    for _ in range(_MAX_DAYS):
        if is_working_day(day, calendar):
            opens = datetime.combine(day, start, zone)
            closes = datetime.combine(day, end, zone)
            if local < closes:
                return max(local, opens)
        day += timedelta(days=1)
    raise ValueError(f"no working day within {_MAX_DAYS} days of {moment.isoformat()}")


def add_office_minutes(
    start: datetime,
    minutes: float,
    office: tuple[time, time] | None,
    calendar: CalendarLike,
    time_zone: str,
) -> datetime:
    """The moment `minutes` office minutes after `start` (in `start`'s time zone)."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if office is None:
        return start + timedelta(minutes=minutes)
    begin, end = office
    zone = ZoneInfo(time_zone)
    cursor = _opening(start, begin, end, calendar, zone)
    remaining = timedelta(minutes=minutes)
    for _ in range(_MAX_DAYS * 2):
        closes = datetime.combine(cursor.date(), end, zone)
        if remaining <= closes - cursor:
            return (cursor + remaining).astimezone(start.tzinfo)
        remaining -= closes - cursor
        cursor = _opening(closes, begin, end, calendar, zone)
    raise ValueError(f"{minutes} office minutes is too long a span")


def office_minutes_between(
    start: datetime,
    end: datetime,
    office: tuple[time, time] | None,
    calendar: CalendarLike,
    time_zone: str,
) -> float:
    """Office minutes from `start` to `end` (0 when `end` is not later)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        return 0.0
    if office is None:
        return round((end - start).total_seconds() / 60, 2)
    opens_at, closes_at = office
    zone = ZoneInfo(time_zone)
    a, b = start.astimezone(zone), end.astimezone(zone)
    total = 0.0
    day = a.date()
    while day <= b.date():
        if is_working_day(day, calendar):
            lo = max(a, datetime.combine(day, opens_at, zone))
            hi = min(b, datetime.combine(day, closes_at, zone))
            if hi > lo:
                total += (hi - lo).total_seconds() / 60
        day += timedelta(days=1)
    return round(total, 2)
