"""Is the company's working-day calendar known for a year, or would it be guessed?

The company calendar is the promotion_process document in force (country and the extra
days HR published); `careerflow.workdays.coverage` says whether a year is covered. This
answers HR and auditors (`careerflow calendar check YEAR`), the HR page (a warning for
the current or next year) and the worker's start (a warning in its log)."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aggregates.base import DomainError
from careerflow.applications.policies import Policies
from careerflow.principal import AccessRole, Principal
from careerflow.workdays import Coverage, coverage
from words.messages import Message

FIRST_YEAR, LAST_YEAR = 1950, 2100  # the range the holiday libraries compute at all


class CalendarCheck(Coverage):
    """A year's coverage under the promotion_process version in force."""

    policy_version: int | None
    """None: no promotion_process is published yet (the defaults are in force)."""

    def verdict(self) -> Message:
        """One sentence: covered by what, or not covered and what to do."""
        if self.library_covers:
            return Message(
                "{year} ({country}) is covered: {library} has the official schedule of "
                "holidays and make-up working days",
                year=str(self.year),
                country=self.country,
                library=self.library,
            )
        if self.covered:
            return Message(
                "{year} ({country}) is covered by the extra days published in "
                "promotion_process version {version}, on top of {library}'s statutory holidays",
                year=str(self.year),
                country=self.country,
                version=str(self.policy_version),
                library=self.library,
            )
        return Message(
            "{year} ({country}) is NOT covered: {library} has no official schedule for "
            "{year} and promotion_process publishes no extra days in it, so its working "
            "days would be guessed (statutory holidays only, no make-up working days). "
            "When the State Council's notice is out, publish its days as extra_holidays "
            "and extra_working_days: careerflow policy publish promotion_process default FILE",
            year=str(self.year),
            country=self.country,
            library=self.library,
        )

    def lines(self) -> list[Message]:
        """The verdict, then the published extra days of the year."""

        def days(values: list[date]) -> Message | list[Message]:
            return [Message("{text}", text=Message.date(d)) for d in values] or Message("none")

        return [
            self.verdict(),
            Message(
                "extra holidays in {year}: {days}",
                year=str(self.year),
                days=days(self.extra_holidays),
            ),
            Message(
                "extra working days in {year}: {days}",
                year=str(self.year),
                days=days(self.extra_working_days),
            ),
        ]


class CalendarService:
    def __init__(self, policies: Policies) -> None:
        self.policies = policies

    def check(self, principal: Principal, year: int) -> CalendarCheck:
        """HR and auditors: whether `year` is covered, from what, with its extra days."""
        principal.require(
            AccessRole.hr,
            AccessRole.auditor,
            AccessRole.system,
            action=Message("check the working-day calendar"),
        )
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise DomainError(
                "year {year} is outside the calendars' range; give a year from {first} to {last}",
                year=str(year),
                first=str(FIRST_YEAR),
                last=str(LAST_YEAR),
            )
        return self._check(year)

    def gaps(self, now: datetime) -> list[CalendarCheck]:
        """The current and next year (company time) when they are not covered: what the
        HR page and the worker warn about."""
        process, _version = self.policies.promotion_process()
        this_year = now.astimezone(ZoneInfo(process.time_zone)).year
        checks = [self._check(year) for year in (this_year, this_year + 1)]
        return [c for c in checks if not c.covered]

    def _check(self, year: int) -> CalendarCheck:
        process, version = self.policies.promotion_process()
        found = coverage(year, process)
        return CalendarCheck(**found.model_dump(), policy_version=version)


def warn_gaps(policies: Policies, log: logging.Logger, now: datetime) -> list[CalendarCheck]:
    """Logs a warning for the current and next year when they are not covered (at a
    worker's start); never fails the caller."""
    try:
        gaps = CalendarService(policies).gaps(now)
    except Exception:
        log.exception("could not check the working-day calendar (careerflow calendar check)")
        return []
    for gap in gaps:
        log.warning("working-day calendar: %s", gap.verdict())
    return gaps
