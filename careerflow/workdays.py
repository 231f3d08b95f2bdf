"""Working-day arithmetic on a country's calendar (weekends and public holidays skipped),
used for SLA timers and cycle times. China's days come from `chinese-calendar` (the
State Council's holidays and make-up working days, year by year), other countries' and
years it does not know yet from `holidays`. Deterministic for given package releases;
workflows call it through activities, so the results are in their histories."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays


@lru_cache(maxsize=64)
def _calendar(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def is_working_day(day: date, country: str) -> bool:
    """The country's own rule: its weekend, its public holidays and (China) its make-up
    working days on weekends."""
    if country.upper() in ("CN", "CHN"):
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            pass  # a year the package has no published schedule for yet
    return bool(_calendar(country, day.year).is_working_day(day))


def _clock_start(moment: datetime, country: str, zone: ZoneInfo) -> datetime:
    """A request made on a day off starts its clock at 09:00 on the next working day."""
    local = moment.astimezone(zone)
    day = local.date()
    if is_working_day(day, country):
        return local
    while not is_working_day(day, country):
        day += timedelta(days=1)
    return datetime.combine(day, datetime.min.time(), zone).replace(hour=9)


def add_working_days(start: datetime, days: int, country: str, time_zone: str) -> datetime:
    """The moment `days` working days after `start`, at the same local time of day.

    Started on a weekend or holiday, the clock starts at the next working day's start of
    business, so a Saturday request is due N working days after Monday morning."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    zone = ZoneInfo(time_zone)
    local = _clock_start(start, country, zone)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day, country):
            remaining -= 1
    return datetime.combine(day, local.timetz()).astimezone(start.tzinfo)


def working_days_between(start: datetime, end: datetime, country: str, time_zone: str) -> float:
    """Elapsed working time in days (fractional), skipping weekends and holidays; the
    clock starts as in `add_working_days`, so the two agree."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    zone = ZoneInfo(time_zone)
    a, b = _clock_start(start, country, zone), end.astimezone(zone)
    if b <= a:
        return 0.0
    total = 0.0
    day = a.date()
    while day <= b.date():
        if is_working_day(day, country):
            begin = max(a, datetime.combine(day, datetime.min.time(), zone))
            finish = min(b, datetime.combine(day + timedelta(days=1), datetime.min.time(), zone))
            if finish > begin:
                total += (finish - begin).total_seconds() / 86400
        day += timedelta(days=1)
    return round(total, 3)
