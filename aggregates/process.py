"""Process settings as a versioned policy document (kind "promotion_process").

Its country, time zone and published extra days are the company calendar: every
working-day clock (promotion reminders and escalation, pipeline ages and cycle times,
support office hours) counts days through `careerflow.workdays` with this document."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

import holidays
from pydantic import Field, field_validator, model_validator

from aggregates.document_types import Frozen, TimeZoneName
from words.messages import Invalid

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Read once at import: validation also runs inside the workflow sandbox (decoding a start
# input), where the holidays package's lazy imports are not allowed.
_COUNTRIES = frozenset(holidays.list_supported_countries())


def _iso_dates(value: Any) -> list[date]:
    """A list of ISO dates ("2027-10-04"), each once: what HR copies from the notice."""
    if not isinstance(value, list | tuple):
        raise Invalid(
            'a list of ISO dates is needed, e.g. ["2027-10-04"]; got {value!r}', value=value
        )
    days: list[date] = []
    for item in value:
        if isinstance(item, date):
            day = item
        else:
            try:
                if not (isinstance(item, str) and _ISO_DATE.fullmatch(item)):
                    raise ValueError
                day = date.fromisoformat(item)
            except ValueError:
                raise Invalid(
                    "{value!r} is not a valid date; write YYYY-MM-DD, e.g. 2027-10-04", value=item
                ) from None
        if day in days:
            raise Invalid("{day} is listed twice", day=day.isoformat())
        days.append(day)
    return sorted(days)


class PromotionProcess(Frozen):
    kind: Literal["promotion_process"] = "promotion_process"
    country: str = Field(default="CN", min_length=2, max_length=3)
    time_zone: TimeZoneName = "Asia/Shanghai"
    # Days the State Council's (or the company's) notice makes off or on, beyond what the
    # country's calendar library knows: a year the library has no schedule for counts as
    # covered once its days are published here (`careerflow calendar check YEAR`).
    extra_holidays: list[date] = Field(default_factory=list)
    extra_working_days: list[date] = Field(default_factory=list)
    remind_manager_after_working_days: int = Field(default=2, ge=1)
    escalate_after_working_days: int = Field(default=3, ge=1)
    target_working_days: float = Field(default=5, gt=0)
    # Promotions take effect on the 1st of the month after the announcement.
    effective: Literal["first_of_next_month"] = "first_of_next_month"

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if value.upper() not in _COUNTRIES:
            raise Invalid("unknown country {value!r}; use an ISO 3166 code such as CN", value=value)
        return value

    @field_validator("extra_holidays", mode="before")
    @classmethod
    def _holidays(cls, value: Any) -> list[date]:
        return _iso_dates(value)

    @field_validator("extra_working_days", mode="before")
    @classmethod
    def _working_days(cls, value: Any) -> list[date]:
        return _iso_dates(value)

    @model_validator(mode="after")
    def _disjoint(self) -> PromotionProcess:
        both = sorted(set(self.extra_holidays) & set(self.extra_working_days))
        if both:
            raise Invalid(
                "{days} cannot be both an extra holiday and an extra working day; "
                "keep each date in one list",
                days=", ".join(d.isoformat() for d in both),
            )
        return self


class AccessRules(Frozen):
    """Who sees whom beyond the fixed rules (self; HR and auditors everyone)."""

    kind: Literal["access_rules"] = "access_rules"
    # "transitive": a manager sees their reports' reports too; "direct": only their own.
    manager_scope: Literal["transitive", "direct"] = "transitive"
