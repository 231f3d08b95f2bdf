"""Working-day arithmetic behind the promotion SLA timers and cycle-time metrics.

Concrete 2026 calendars are pinned against what the installed `holidays` release says
(`test_holidays_library_*`), so a calendar change shows up as one clear failure instead of
many puzzling ones.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import holidays
import pytest

from aggregates.process import PromotionProcess
from careerflow.workdays import add_working_days, coverage, is_working_day, working_days_between

CN, CN_TZ = "CN", "Asia/Shanghai"
DE, DE_TZ = "DE", "Europe/Berlin"
US, US_TZ = "US", "America/New_York"

SHANGHAI = ZoneInfo(CN_TZ)
BERLIN = ZoneInfo(DE_TZ)
NEW_YORK = ZoneInfo(US_TZ)


def cn(*args: int) -> datetime:
    return datetime(*args).replace(tzinfo=SHANGHAI)  # type: ignore[arg-type]


def de(*args: int) -> datetime:
    return datetime(*args).replace(tzinfo=BERLIN)  # type: ignore[arg-type]


def us(*args: int) -> datetime:
    return datetime(*args).replace(tzinfo=NEW_YORK)  # type: ignore[arg-type]


# --- the calendar the tests rely on, as the installed `holidays` release states it ---


def test_holidays_library_china_national_day_2026() -> None:
    calendar = holidays.country_holidays(CN, years=2026)
    off = {date(2026, 10, d) for d in (1, 2, 3, 5, 6, 7)}  # Oct 4 is a Sunday
    assert off <= set(calendar)
    assert date(2026, 10, 4).weekday() == 6
    assert date(2026, 10, 8) not in calendar
    assert date(2026, 9, 25) in calendar  # Mid-Autumn Festival (a Friday)
    # Make-up working days (调休) around the Golden Week fall on a Sunday and a Saturday.
    assert {date(2026, 9, 20), date(2026, 10, 10)} <= set(calendar.weekend_workdays)
    assert calendar.is_working_day(date(2026, 10, 8))
    assert calendar.is_working_day(date(2026, 10, 10))
    assert not calendar.is_working_day(date(2026, 10, 7))


def test_holidays_library_other_countries_2026() -> None:
    de_calendar = holidays.country_holidays(DE, years=2026)
    assert {date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1)} <= set(de_calendar)
    us_calendar = holidays.country_holidays(US, years=2026)
    assert {date(2026, 7, 3), date(2026, 11, 26)} <= set(us_calendar)  # Jul 3 = observed


# --- is_working_day ---


@pytest.mark.parametrize(
    ("day", "country", "expected"),
    [
        (date(2026, 3, 6), CN, True),  # Friday
        (date(2026, 3, 7), CN, False),  # Saturday
        (date(2026, 3, 8), CN, False),  # Sunday
        (date(2026, 9, 30), CN, True),  # eve of National Day
        (date(2026, 10, 1), CN, False),  # National Day
        (date(2026, 10, 7), CN, False),  # substituted day off
        (date(2026, 10, 8), CN, True),  # back to work
        (date(2026, 2, 17), CN, False),  # Spring Festival
        (date(2026, 4, 3), DE, False),  # Good Friday
        (date(2026, 4, 3), CN, True),  # ... is not a holiday in China
        (date(2026, 4, 6), DE, False),  # Easter Monday
        (date(2026, 7, 3), US, False),  # Independence Day (observed)
        (date(2026, 7, 3), DE, True),
        (date(2026, 11, 26), US, False),  # Thanksgiving
    ],
)
def test_is_working_day(day: date, country: str, expected: bool) -> None:
    assert is_working_day(day, country) is expected


@pytest.mark.parametrize(
    "country",
    [
        DE,
        US,
        CN,
    ],
)
def test_is_working_day_agrees_with_library_for_every_day_of_2026(country: str) -> None:
    calendar = holidays.country_holidays(country, years=2026)
    day, mismatches = date(2026, 1, 1), []
    while day.year == 2026:
        if is_working_day(day, country) != calendar.is_working_day(day):
            mismatches.append(day)
        day += timedelta(days=1)
    assert mismatches == []


@pytest.mark.parametrize("day", [date(2026, 9, 20), date(2026, 10, 10), date(2026, 2, 14)])
def test_china_makeup_weekend_days_are_working_days(day: date) -> None:
    assert day.weekday() >= 5
    assert is_working_day(day, CN)


# --- add_working_days ---


def test_friday_start_crosses_weekend_cn() -> None:
    start = cn(2026, 3, 6, 10, 0)  # Friday
    assert add_working_days(start, 1, CN, CN_TZ) == cn(2026, 3, 9, 10, 0)
    assert add_working_days(start, 2, CN, CN_TZ) == cn(2026, 3, 10, 10, 0)  # reminder
    assert add_working_days(start, 3, CN, CN_TZ) == cn(2026, 3, 11, 10, 0)  # escalation
    assert add_working_days(start, 5, CN, CN_TZ) == cn(2026, 3, 13, 10, 0)


def test_zero_days_on_a_working_day_is_the_start_itself() -> None:
    start = cn(2026, 3, 4, 15, 30)
    assert add_working_days(start, 0, CN, CN_TZ) == start


def test_reminder_before_china_national_day_skips_golden_week() -> None:
    start = cn(2026, 9, 30, 16, 0)  # Wednesday, last working day before Oct 1-7
    assert add_working_days(start, 1, CN, CN_TZ) == cn(2026, 10, 8, 16, 0)
    assert add_working_days(start, 2, CN, CN_TZ) == cn(2026, 10, 9, 16, 0)


def test_escalation_before_china_national_day_lands_on_makeup_saturday() -> None:
    # Sat 2026-10-10 is an official working day, so 3 working days after Sep 30 is Oct 10.
    start = cn(2026, 9, 30, 16, 0)
    assert add_working_days(start, 3, CN, CN_TZ) == cn(2026, 10, 10, 16, 0)


def test_friday_before_spring_festival_next_working_day_is_makeup_saturday() -> None:
    assert add_working_days(cn(2026, 2, 13, 10, 0), 1, CN, CN_TZ) == cn(2026, 2, 14, 10, 0)


def test_friday_before_mid_autumn_and_holiday_on_friday() -> None:
    # Thu Sep 24 + 1: Fri Sep 25 is Mid-Autumn Festival, so Monday Sep 28.
    assert add_working_days(cn(2026, 9, 24, 11, 0), 1, CN, CN_TZ) == cn(2026, 9, 28, 11, 0)


def test_saturday_start_begins_at_next_working_day_0900() -> None:
    start = cn(2026, 3, 7, 14, 0)  # Saturday
    assert add_working_days(start, 0, CN, CN_TZ) == cn(2026, 3, 9, 9, 0)
    assert add_working_days(start, 2, CN, CN_TZ) == cn(2026, 3, 11, 9, 0)
    assert add_working_days(start, 3, CN, CN_TZ) == cn(2026, 3, 12, 9, 0)


def test_sunday_late_evening_start_begins_monday_0900() -> None:
    start = cn(2026, 3, 8, 23, 59)
    assert add_working_days(start, 1, CN, CN_TZ) == cn(2026, 3, 10, 9, 0)


def test_public_holiday_start_begins_at_next_working_day_0900() -> None:
    start = cn(2026, 10, 1, 8, 0)  # National Day; next working day is Thu Oct 8
    assert add_working_days(start, 0, CN, CN_TZ) == cn(2026, 10, 8, 9, 0)
    assert add_working_days(start, 1, CN, CN_TZ) == cn(2026, 10, 9, 9, 0)


def test_public_holiday_start_de_easter() -> None:
    start = de(2026, 4, 3, 18, 0)  # Good Friday; then weekend and Easter Monday
    assert add_working_days(start, 0, DE, DE_TZ) == de(2026, 4, 7, 9, 0)
    assert add_working_days(start, 2, DE, DE_TZ) == de(2026, 4, 9, 9, 0)


def test_before_easter_de() -> None:
    start = de(2026, 4, 2, 10, 0)  # Maundy Thursday (a working day)
    assert add_working_days(start, 1, DE, DE_TZ) == de(2026, 4, 7, 10, 0)
    assert add_working_days(start, 3, DE, DE_TZ) == de(2026, 4, 9, 10, 0)


def test_us_observed_independence_day_and_thanksgiving() -> None:
    assert add_working_days(us(2026, 7, 2, 17, 30), 1, US, US_TZ) == us(2026, 7, 6, 17, 30)
    assert add_working_days(us(2026, 11, 25, 9, 15), 1, US, US_TZ) == us(2026, 11, 27, 9, 15)
    assert add_working_days(us(2026, 11, 25, 9, 15), 2, US, US_TZ) == us(2026, 11, 30, 9, 15)


def test_year_boundary_de() -> None:
    start = de(2026, 12, 23, 12, 0)  # Wed; Dec 25/26 and Jan 1 2027 are holidays
    assert add_working_days(start, 1, DE, DE_TZ) == de(2026, 12, 24, 12, 0)
    assert add_working_days(start, 2, DE, DE_TZ) == de(2026, 12, 28, 12, 0)
    assert add_working_days(start, 6, DE, DE_TZ) == de(2027, 1, 4, 12, 0)


@pytest.mark.parametrize(
    ("start", "days", "country", "time_zone", "expected_local"),
    [
        # Local wall time survives the spring-forward weekends (offset changes).
        (de(2026, 3, 27, 10, 0), 1, DE, DE_TZ, datetime(2026, 3, 30, 10, 0)),
        (us(2026, 3, 6, 8, 45), 1, US, US_TZ, datetime(2026, 3, 9, 8, 45)),
        (us(2026, 10, 30, 10, 0), 1, US, US_TZ, datetime(2026, 11, 2, 10, 0)),
        (
            cn(2026, 5, 13, 17, 45, 30, 123456),
            3,
            CN,
            CN_TZ,
            datetime(2026, 5, 18, 17, 45, 30, 123456),
        ),
    ],
)
def test_same_local_time_of_day_preserved(
    start: datetime, days: int, country: str, time_zone: str, expected_local: datetime
) -> None:
    result = add_working_days(start, days, country, time_zone)
    assert result.replace(tzinfo=None) == expected_local
    assert result.utcoffset() == result.astimezone(ZoneInfo(time_zone)).utcoffset()


def test_dst_change_keeps_wall_clock_not_elapsed_hours() -> None:
    start = de(2026, 3, 27, 10, 0)  # CET (+01:00); Monday is CEST (+02:00)
    result = add_working_days(start, 1, DE, DE_TZ)
    assert result.utcoffset() == timedelta(hours=2)
    assert result.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=3, hours=-1)


@pytest.mark.parametrize("zone", [UTC, ZoneInfo("Europe/London"), NEW_YORK, SHANGHAI], ids=repr)
def test_result_timezone_equals_input_tzinfo(zone: tzinfo) -> None:
    start = cn(2026, 3, 4, 10, 0).astimezone(zone)
    result = add_working_days(start, 2, CN, CN_TZ)
    assert result.tzinfo is zone
    assert result == cn(2026, 3, 6, 10, 0)


def test_input_in_other_zone_uses_calendar_zone_local_date() -> None:
    # Friday 20:00 in New York is already Saturday 09:00 in Shanghai: a weekend start.
    start = us(2026, 3, 6, 20, 0)
    assert start.astimezone(SHANGHAI) == cn(2026, 3, 7, 9, 0)
    result = add_working_days(start, 1, CN, CN_TZ)
    assert result == cn(2026, 3, 10, 9, 0)
    assert result.tzinfo is NEW_YORK
    assert result.replace(tzinfo=None) == datetime(2026, 3, 9, 21, 0)  # EDT after Mar 8


def test_utc_input_monday_in_shanghai_is_a_working_day_start() -> None:
    # Sunday 17:00 UTC is Monday 01:00 in Shanghai: no 09:00 reset, time kept.
    start = datetime(2026, 3, 8, 17, 0, tzinfo=UTC)
    assert add_working_days(start, 1, CN, CN_TZ) == cn(2026, 3, 10, 1, 0)


def test_naive_start_rejected() -> None:
    with pytest.raises(ValueError):
        add_working_days(datetime(2026, 3, 6, 10, 0), 2, CN, CN_TZ)


# --- working_days_between ---


def test_between_friday_to_tuesday_over_weekend_is_two() -> None:
    assert working_days_between(cn(2026, 3, 6, 10), cn(2026, 3, 10, 10), CN, CN_TZ) == 2.0
    assert working_days_between(de(2026, 3, 6, 10), de(2026, 3, 10, 10), DE, DE_TZ) == 2.0
    assert working_days_between(us(2026, 3, 6, 10), us(2026, 3, 10, 10), US, US_TZ) == 2.0


def test_between_over_dst_weekends_is_two() -> None:
    assert working_days_between(de(2026, 3, 27, 10), de(2026, 3, 31, 10), DE, DE_TZ) == 2.0
    assert working_days_between(us(2026, 10, 30, 10), us(2026, 11, 3, 10), US, US_TZ) == 2.0


def test_between_zero_and_negative_spans() -> None:
    moment = cn(2026, 3, 4, 10, 0)
    assert working_days_between(moment, moment, CN, CN_TZ) == 0.0
    assert working_days_between(moment, moment - timedelta(days=3), CN, CN_TZ) == 0.0
    assert working_days_between(moment, moment - timedelta(seconds=1), CN, CN_TZ) == 0.0


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (cn(2026, 3, 9, 9, 0), cn(2026, 3, 9, 21, 0), 0.5),
        (cn(2026, 3, 9, 9, 0), cn(2026, 3, 10, 15, 0), 1.25),
        (cn(2026, 3, 9, 0, 0), cn(2026, 3, 14, 0, 0), 5.0),  # a full Mon-Fri week
        (cn(2026, 3, 6, 18, 0), cn(2026, 3, 9, 6, 0), 0.5),  # Fri 18:00 -> Mon 06:00
        (cn(2026, 3, 9, 10, 0), cn(2026, 3, 9, 10, 36), 0.025),
        (cn(2026, 3, 9, 10, 0), cn(2026, 3, 9, 10, 1), 0.001),  # rounded to 3 places
    ],
)
def test_between_fractional_days(start: datetime, end: datetime, expected: float) -> None:
    assert working_days_between(start, end, CN, CN_TZ) == pytest.approx(expected, abs=1e-9)


def test_between_inside_weekend_or_holiday_is_zero() -> None:
    assert working_days_between(cn(2026, 3, 7, 8), cn(2026, 3, 8, 20), CN, CN_TZ) == 0.0
    assert working_days_between(cn(2026, 10, 1, 0), cn(2026, 10, 8, 0), CN, CN_TZ) == 0.0
    assert working_days_between(de(2026, 4, 3, 9), de(2026, 4, 7, 0), DE, DE_TZ) == 0.0


def test_between_over_china_national_day() -> None:
    start, end = cn(2026, 9, 30, 12, 0), cn(2026, 10, 8, 12, 0)
    assert working_days_between(start, end, CN, CN_TZ) == 1.0
    assert working_days_between(start, cn(2026, 10, 9, 18, 0), CN, CN_TZ) == 2.25


def test_between_counts_china_makeup_saturday() -> None:
    # Sep 30 12:00 -> Oct 12 12:00: 0.5 + Oct 8, 9, 10 (make-up Saturday) + 0.5
    assert working_days_between(cn(2026, 9, 30, 12), cn(2026, 10, 12, 12), CN, CN_TZ) == 4.0


def test_between_endpoints_in_other_zones() -> None:
    start = cn(2026, 3, 6, 10, 0).astimezone(UTC)
    end = cn(2026, 3, 10, 10, 0).astimezone(NEW_YORK)
    assert working_days_between(start, end, CN, CN_TZ) == 2.0
    # The same instants on the German calendar/zone: Fri 03:00 -> Tue 03:00 Berlin.
    assert working_days_between(start, end, DE, DE_TZ) == 2.0


def test_between_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        working_days_between(datetime(2026, 3, 6, 10), datetime(2026, 3, 10, 10), CN, CN_TZ)


def test_saturday_request_approved_at_its_deadline_measures_exactly_n_days() -> None:
    start = cn(2026, 3, 7, 14, 0)  # Saturday
    due = add_working_days(start, 5, CN, CN_TZ)  # 5 working days after Monday 09:00
    assert due == cn(2026, 3, 16, 9, 0)
    assert working_days_between(start, due, CN, CN_TZ) == 5.0  # currently 5.375


# --- consistency between the two functions ---


@pytest.mark.parametrize(("country", "time_zone"), [(CN, CN_TZ), (DE, DE_TZ), (US, US_TZ)])
def test_between_inverts_add_for_working_day_starts(country: str, time_zone: str) -> None:
    rng = random.Random(f"workdays-{country}-2026")
    zone = ZoneInfo(time_zone)
    input_zones: list[tzinfo] = [zone, UTC, ZoneInfo("Asia/Kolkata"), NEW_YORK]
    checked = 0
    while checked < 300:
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        if not is_working_day(day, country):
            continue
        local_start = datetime(
            day.year,
            day.month,
            day.day,
            rng.randrange(24),
            rng.randrange(60),
            rng.randrange(60),
            tzinfo=zone,
        )
        start = local_start.astimezone(rng.choice(input_zones))
        n = rng.randint(1, 10)
        due = add_working_days(start, n, country, time_zone)
        local_due = due.astimezone(zone)
        assert due.tzinfo is start.tzinfo
        assert is_working_day(local_due.date(), country)
        assert local_due.time() == local_start.time()
        assert due > start
        assert due < add_working_days(start, n + 1, country, time_zone)
        assert working_days_between(start, due, country, time_zone) == pytest.approx(n, abs=1e-9), (
            start,
            n,
            due,
        )
        checked += 1


def test_china_follows_chinese_calendar_and_falls_back_beyond_its_years() -> None:
    import chinese_calendar

    # Every day of the years the State Council schedule is published for.
    day = date(2024, 1, 1)
    while day.year <= 2026:
        assert is_working_day(day, CN) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    # A year it has no data for yet: the holidays library's calendar.
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2099, 10, 1))
    calendar = holidays.country_holidays(CN, years=2099)
    assert is_working_day(date(2099, 10, 1), CN) == calendar.is_working_day(date(2099, 10, 1))


# --- years chinese-calendar does not know: published extra days, or said uncovered ---

# The 2027 National Day week as a State Council notice would publish it (the real one
# comes out late in 2026): Friday 1 to Thursday 7 October off, Sunday 26 September and
# Saturday 9 October worked instead.
NATIONAL_DAY_2027 = PromotionProcess.model_validate(
    {
        "extra_holidays": [f"2027-10-0{d}" for d in range(1, 8)],
        "extra_working_days": ["2027-09-26", "2027-10-09"],
    }
)


def test_chinese_calendar_knows_2026_but_not_2027() -> None:
    """The release this pins: when a newer one knows 2027, the tests below still hold
    (the published days agree with it), but this says the fallback is not exercised."""
    assert coverage(2026, CN).library_covers
    assert coverage(2026, CN).library.startswith("chinese-calendar ")
    found = coverage(2027, CN)
    assert (found.covered, found.library_covers) == (False, False)
    assert found.library.startswith("holidays ")


def test_2027_without_published_days_is_guessed_and_said(caplog: pytest.LogCaptureFixture) -> None:
    """What the engine did in silence before: 6 and 7 October worked, no make-up days.
    It still answers (a running clock must not stop), but logs that it guesses."""
    import careerflow.workdays

    careerflow.workdays._warn_guessed.cache_clear()
    with caplog.at_level("WARNING", logger="careerflow.workdays"):
        assert is_working_day(date(2027, 10, 6), CN)
        assert not is_working_day(date(2027, 9, 26), CN)  # a Sunday
        assert is_working_day(date(2027, 10, 7), CN)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1, warnings  # once per year, not once per day
    assert "CN in 2027 are guessed" in warnings[0]
    assert "careerflow calendar check 2027" in warnings[0]


def test_2027_national_day_with_the_published_days(caplog: pytest.LogCaptureFixture) -> None:
    import careerflow.workdays

    careerflow.workdays._warn_guessed.cache_clear()
    with caplog.at_level("WARNING", logger="careerflow.workdays"):
        for d in range(1, 8):
            assert not is_working_day(date(2027, 10, d), NATIONAL_DAY_2027), d
        assert is_working_day(date(2027, 9, 26), NATIONAL_DAY_2027)  # Sunday, make-up
        assert is_working_day(date(2027, 10, 8), NATIONAL_DAY_2027)  # Friday
        assert is_working_day(date(2027, 10, 9), NATIONAL_DAY_2027)  # Saturday, make-up
        assert not is_working_day(date(2027, 10, 10), NATIONAL_DAY_2027)  # Sunday
        # Thursday 30 September 10:00: the week off, then Friday, Saturday, Monday.
        start = cn(2027, 9, 30, 10, 0)
        assert add_working_days(start, 1, NATIONAL_DAY_2027, CN_TZ) == cn(2027, 10, 8, 10, 0)
        assert add_working_days(start, 2, NATIONAL_DAY_2027, CN_TZ) == cn(2027, 10, 9, 10, 0)
        assert add_working_days(start, 3, NATIONAL_DAY_2027, CN_TZ) == cn(2027, 10, 11, 10, 0)
        end = cn(2027, 10, 11, 10, 0)
        assert working_days_between(start, end, NATIONAL_DAY_2027, CN_TZ) == 3.0
        # Raised during the holiday: the clock starts Friday 8 October at 09:00.
        during = cn(2027, 10, 4, 15, 0)
        assert add_working_days(during, 0, NATIONAL_DAY_2027, CN_TZ) == cn(2027, 10, 8, 9, 0)
        assert working_days_between(during, cn(2027, 10, 8, 9, 0), NATIONAL_DAY_2027, CN_TZ) == 0
    assert not [r for r in caplog.records if r.levelname == "WARNING"]  # covered: no guess


def test_office_hours_follow_the_published_days() -> None:
    """The support SLA clock counts the same days as the promotion deadlines."""
    from careerflow.office_hours import add_office_minutes, office_minutes_between

    office = (time(9), time(18))
    due = add_office_minutes(cn(2027, 9, 30, 17, 30), 60, office, NATIONAL_DAY_2027, CN_TZ)
    assert due == cn(2027, 10, 8, 9, 30)
    guessed = add_office_minutes(cn(2027, 9, 30, 17, 30), 60, office, CN, CN_TZ)
    assert guessed == cn(2027, 10, 6, 9, 30)  # what the unpublished calendar would say
    assert office_minutes_between(cn(2027, 10, 1, 9), due, office, NATIONAL_DAY_2027, CN_TZ) == 30
    # Saturday 9 October is worked: its office hours count.
    saturday = office_minutes_between(
        cn(2027, 10, 9, 0), cn(2027, 10, 10, 23), office, NATIONAL_DAY_2027, CN_TZ
    )
    assert saturday == 9 * 60


def test_the_deadline_activity_applies_the_days_the_workflow_passes() -> None:
    from activities.calendar import DeadlineRequest, working_day_deadlines

    request = DeadlineRequest(
        start=cn(2027, 9, 30, 10, 0),
        working_days=[2, 3],
        country=CN,
        time_zone=CN_TZ,
        extra_holidays=NATIONAL_DAY_2027.extra_holidays,
        extra_working_days=NATIONAL_DAY_2027.extra_working_days,
    )
    assert working_day_deadlines(request) == [cn(2027, 10, 9, 10, 0), cn(2027, 10, 11, 10, 0)]
    # A request recorded before the lists existed still parses (committed histories).
    old = DeadlineRequest.model_validate(
        {
            "start": "2026-03-06T10:00:00+08:00",
            "working_days": [2],
            "country": CN,
            "time_zone": CN_TZ,
        }
    )
    assert working_day_deadlines(old) == [cn(2026, 3, 10, 10, 0)]


def test_published_days_override_a_year_the_library_knows() -> None:
    """A company day off (or a worked Saturday) in a covered year wins over the library."""
    company = PromotionProcess.model_validate(
        {"extra_holidays": ["2026-12-31"], "extra_working_days": ["2026-12-26"]}
    )
    assert is_working_day(date(2026, 12, 31), CN) and not is_working_day(
        date(2026, 12, 31), company
    )
    assert not is_working_day(date(2026, 12, 26), CN) and is_working_day(
        date(2026, 12, 26), company
    )


def test_coverage_says_what_covers_a_year() -> None:
    published = coverage(2027, NATIONAL_DAY_2027)
    assert (published.covered, published.library_covers) == (True, False)
    assert published.extra_holidays == [date(2027, 10, d) for d in range(1, 8)]
    assert published.extra_working_days == [date(2027, 9, 26), date(2027, 10, 9)]
    # Another year's days do not cover 2028.
    assert not coverage(2028, NATIONAL_DAY_2027).covered
    assert coverage(2026, NATIONAL_DAY_2027).extra_holidays == []
    # Countries on the holidays library's rules are covered for its years.
    assert coverage(2027, DE).covered and coverage(2027, US).covered


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (
            {"extra_holidays": ["2027-10-6"]},
            "extra_holidays: Value error, '2027-10-6' is not a valid date",
        ),
        ({"extra_holidays": ["2027-02-30"]}, "'2027-02-30' is not a valid date; write YYYY-MM-DD"),
        (
            {"extra_working_days": [20271009]},
            "extra_working_days: Value error, 20271009 is not a valid",
        ),
        ({"extra_holidays": "2027-10-06"}, "a list of ISO dates is needed"),
        ({"extra_holidays": ["2027-10-06", "2027-10-06"]}, "2027-10-06 is listed twice"),
        (
            {"extra_holidays": ["2027-10-09"], "extra_working_days": ["2027-10-09"]},
            "2027-10-09 cannot be both an extra holiday and an extra working day",
        ),
        ({"country": "XX"}, "country: Value error, unknown country 'XX'"),
        ({"time_zone": "Mars/Base"}, "unknown time zone 'Mars/Base'"),
    ],
)
def test_bad_extra_days_are_refused_with_the_reason(
    document: dict[str, object], problem: str
) -> None:
    from aggregates.base import DomainError
    from aggregates.policy_kinds import validate_document

    with pytest.raises(DomainError) as info:
        validate_document("promotion_process", "default", document)
    assert problem in str(info.value)
