"""What a period string is — a month "2026-10", an ISO week "2026-W43" or a day
"2026-10-15" — its parse with a hint for mistyped weeks, and month arithmetic. Pure."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from words.messages import Invalid, Message

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

PeriodKind = Literal["month", "week", "day"]

# A week as people mistype it: "2026-48", "2026-w48", "2026W48", "2026-W8".
_WEEKISH = re.compile(r"^(\d{4})(?:-[Ww]?|[Ww])(\d{1,2})$")


def meant_week(value: str) -> str | None:
    """The ISO week `value` was meant to be ("2026-W48" for "2026-48"), or None. A
    "2026-11" may be a month: it gets no hint."""
    m = _WEEKISH.match(value.strip())
    if m is None or _WEEK.match(value):
        return None
    year, week = int(m.group(1)), int(m.group(2))
    if "w" not in value.lower() and week <= 12:
        return None
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    return f"{year:04d}-W{week:02d}"


def period_kind(period: str) -> PeriodKind:
    """Classify and validate a period: "2026-10", "2026-W43" (ISO week) or "2026-10-15"."""
    if m := _MONTH.match(period):
        if not 1 <= int(m.group(2)) <= 12:
            if week := meant_week(period):
                raise Invalid(
                    "invalid month period {period!r}: month must be 01..12; "
                    "for an ISO week use {week!r}",
                    period=period,
                    week=week,
                )
            raise Invalid("invalid month period {period!r}: month must be 01..12", period=period)
        return "month"
    if m := _WEEK.match(period):
        try:
            date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            raise Invalid(
                "invalid ISO week period {period!r}: no such week", period=period
            ) from None
        return "week"
    if _DAY.match(period):
        try:
            date.fromisoformat(period)
        except ValueError:
            raise Invalid("invalid day period {period!r}: no such date", period=period) from None
        return "day"
    if week := meant_week(period):
        raise Invalid("invalid period {period!r}: use {week!r}", period=period, week=week)
    raise Invalid(
        "invalid period {period!r}: expected 'YYYY-MM', 'YYYY-Www' (ISO week) or 'YYYY-MM-DD'",
        period=period,
    )


_SHAPES: dict[str, re.Pattern[str]] = {
    "week": re.compile(r"\d{4}-W\d{2}"),
    "month": re.compile(r"\d{4}-\d{2}"),
    "day": _DAY,
}


def expected_kind(kind: PeriodKind, example: str, value: str) -> Message:
    """`value` is not a `kind` period: one sentence per kind, so the kind is said in the
    reader's language too."""
    if kind == "month":
        return Message(
            "expected a month like {example!r}, got {value!r}", example=example, value=value
        )
    if kind == "day":
        return Message(
            "expected a day like {example!r}, got {value!r}", example=example, value=value
        )
    return Message("expected a week like {example!r}, got {value!r}", example=example, value=value)


def period_problem(value: str, kind: PeriodKind, example: str) -> Message | None:
    """Why `value` is not a `kind` period (a week, a month or a day), or None when it is
    one: the one parse of a period the API and the CLI both ask for. A week typed as
    "2026-48" is told "use '2026-W48'"."""
    if not _SHAPES[kind].fullmatch(value):
        week = meant_week(value)
        if week is not None and kind == "week":
            return Message(
                "expected a week like {example!r}, got {value!r}; use {week!r}",
                example=example,
                value=value,
                week=week,
            )
        return expected_kind(kind, example, value)
    try:
        period_kind(value)
    except Invalid as exc:  # the right shape, but no such week, month or day
        return exc.message
    return None


def month_of(period: str) -> str:
    """The "YYYY-MM" month a period belongs to.

    An ISO week belongs to the month of its Thursday (the same rule ISO uses to give a
    week to a year), so every week lands in exactly one month.
    """
    kind = period_kind(period)
    if kind == "month":
        return period
    if kind == "day":
        return period[:7]
    year, week = int(period[:4]), int(period[6:])
    return date.fromisocalendar(year, week, 4).strftime("%Y-%m")


def _month_index(month: str) -> int:
    """Months since year 0 of a checked "YYYY-MM" month (refused otherwise)."""
    if period_kind(month) != "month":
        raise ValueError(f"expected a month period 'YYYY-MM', got {month!r}")
    return int(month[:4]) * 12 + int(month[5:]) - 1


def _month_at(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def shift_month(month: str, delta: int) -> str:
    """`month` moved by `delta` months (negative = earlier)."""
    return _month_at(_month_index(month) + delta)


def months_back(as_of_month: str, n: int) -> list[str]:
    """The `n` months ending at `as_of_month` inclusive, oldest first."""
    if n < 1:
        raise ValueError(f"a window needs at least 1 month, got {n}")
    last = _month_index(as_of_month)  # checked once, not per month (a report asks per metric)
    return [_month_at(i) for i in range(last - n + 1, last + 1)]
