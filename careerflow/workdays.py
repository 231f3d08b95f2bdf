"""Working-day arithmetic on a company calendar, used for SLA timers, office hours and
cycle times: the one place that says whether a day is worked.

A calendar is a country plus the extra days the company published (the
`promotion_process` document's `extra_holidays` and `extra_working_days`, from the State
Council's notice for a year the libraries do not know yet). Published days win; then
China's days come from `chinese-calendar` (the State Council's holidays and make-up
working days, year by year), other countries' and the years it does not know yet from
`holidays` (statutory holidays, no make-up days). A year neither the library nor the
published days cover is reported (`coverage`, the worker log, `careerflow calendar check`,
the HR page), never used in silence.

Deterministic for given package releases and published days; workflows call it through
activities (or are passed its answers), so the results are in their histories."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Protocol
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
from pydantic import BaseModel

log = logging.getLogger("careerflow.workdays")

CHINA = ("CN", "CHN")


class Calendar(Protocol):
    """A company calendar: the PromotionProcess document, a support request's routing and
    the deadline activity's request all are one."""

    @property
    def country(self) -> str: ...

    @property
    def extra_holidays(self) -> Sequence[date]: ...

    @property
    def extra_working_days(self) -> Sequence[date]: ...


CalendarLike = str | Calendar
"""A calendar, or a bare country code (its library's days, nothing published)."""


class _Plain:
    """A country's own calendar with nothing published."""

    def __init__(self, country: str) -> None:
        self.country = country
        self.extra_holidays: Sequence[date] = ()
        self.extra_working_days: Sequence[date] = ()


def _resolve(calendar: CalendarLike) -> Calendar:
    return _Plain(calendar) if isinstance(calendar, str) else calendar


@lru_cache(maxsize=64)
def _calendar(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


@lru_cache(maxsize=1)
def _china_years() -> tuple[int, int]:
    """The years chinese-calendar has the State Council's schedule for."""
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


def _package(name: str) -> str:
    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:  # pragma: no cover - both are dependencies
        return name


@lru_cache(maxsize=64)
def library(country: str, year: int) -> tuple[str, bool]:
    """The library that knows `country`'s days in `year`, and whether it has that year's
    official schedule (China: the State Council's, with make-up working days)."""
    if country.upper() in CHINA:
        first, last = _china_years()
        if first <= year <= last:
            return _package("chinese-calendar"), True
        return _package("holidays"), False
    try:
        cls = type(holidays.country_holidays(country))
    except NotImplementedError:
        raise ValueError(f"unknown country {country!r} for the holidays calendar") from None
    start = int(getattr(cls, "start_year", 1))
    end = int(getattr(cls, "end_year", 9999))
    return _package("holidays"), start <= year <= end


@lru_cache(maxsize=128)
def _warn_guessed(country: str, year: int) -> None:
    """Logged once per process and year: a working-day answer for a year nobody covers."""
    source, _official = library(country, year)
    log.warning(
        "working days of %s in %s are guessed from %s (statutory holidays only, no make-up "
        "days): publish that year's extra_holidays and extra_working_days in the "
        "promotion_process document (careerflow calendar check %s)",
        country,
        year,
        source,
        year,
    )


def is_working_day(day: date, calendar: CalendarLike) -> bool:
    """The company's rule: its published extra days, then the country's weekend, public
    holidays and (China) make-up working days on weekends."""
    cal = _resolve(calendar)
    if day in cal.extra_working_days:
        return True
    if day in cal.extra_holidays:
        return False
    if cal.country.upper() in CHINA:
        first, last = _china_years()
        if first <= day.year <= last:
            return bool(chinese_calendar.is_workday(day))
        if not _published_in(cal, day.year):
            _warn_guessed(cal.country.upper(), day.year)
    return bool(_calendar(cal.country, day.year).is_working_day(day))


def _published_in(calendar: Calendar, year: int) -> bool:
    return any(d.year == year for d in (*calendar.extra_holidays, *calendar.extra_working_days))


class Coverage(BaseModel):
    """Whether a year's working days are known rather than guessed, and from where.

    Covered: the library has the year's official schedule, or the company published
    extra days in that year (HR transcribed the year's notice into the document)."""

    year: int
    country: str
    covered: bool
    library: str
    library_covers: bool
    extra_holidays: list[date]
    extra_working_days: list[date]


def coverage(year: int, calendar: CalendarLike) -> Coverage:
    cal = _resolve(calendar)
    source, official = library(cal.country, year)
    extra_off = sorted(d for d in cal.extra_holidays if d.year == year)
    extra_on = sorted(d for d in cal.extra_working_days if d.year == year)
    return Coverage(
        year=year,
        country=cal.country.upper(),
        covered=official or bool(extra_off or extra_on),
        library=source,
        library_covers=official,
        extra_holidays=extra_off,
        extra_working_days=extra_on,
    )


def _clock_start(moment: datetime, calendar: Calendar, zone: ZoneInfo) -> datetime:
    """A request made on a day off starts its clock at 09:00 on the next working day."""
    local = moment.astimezone(zone)
    day = local.date()
    if is_working_day(day, calendar):
        return local
    while not is_working_day(day, calendar):
        day += timedelta(days=1)
    return datetime.combine(day, datetime.min.time(), zone).replace(hour=9)


def add_working_days(
    start: datetime, days: int, calendar: CalendarLike, time_zone: str
) -> datetime:
    """The moment `days` working days after `start`, at the same local time of day.

    Started on a weekend or holiday, the clock starts at the next working day's start of
    business, so a Saturday request is due N working days after Monday morning."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    cal = _resolve(calendar)
    zone = ZoneInfo(time_zone)
    local = _clock_start(start, cal, zone)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day, cal):
            remaining -= 1
    return datetime.combine(day, local.timetz()).astimezone(start.tzinfo)


def working_days_between(
    start: datetime, end: datetime, calendar: CalendarLike, time_zone: str
) -> float:
    """Elapsed working time in days (fractional), skipping weekends and holidays; the
    clock starts as in `add_working_days`, so the two agree."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    cal = _resolve(calendar)
    zone = ZoneInfo(time_zone)
    a, b = _clock_start(start, cal, zone), end.astimezone(zone)
    if b <= a:
        return 0.0
    total = 0.0
    day = a.date()
    while day <= b.date():
        if is_working_day(day, cal):
            begin = max(a, datetime.combine(day, datetime.min.time(), zone))
            finish = min(b, datetime.combine(day + timedelta(days=1), datetime.min.time(), zone))
            if finish > begin:
                total += (finish - begin).total_seconds() / 86400
        day += timedelta(days=1)
    return round(total, 3)
