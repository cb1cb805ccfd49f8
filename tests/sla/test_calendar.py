"""R-SLA-2: business time on Chinese working calendars, holidays and make-up days."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kesu.sla.calendar import (
    OFFICE_HOURS,
    BusinessCalendar,
    WorkingDaysMeaning,
    add_business_time,
    add_working_days,
    business_time_between,
    is_working_day,
    office_calendar,
    periods_on,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = office_calendar()


def at(*args: int, zone: ZoneInfo = SHANGHAI) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


def local(instant: dt.datetime, zone: ZoneInfo = SHANGHAI) -> dt.datetime:
    return instant.astimezone(zone)


def test_grade_one_case_before_national_day_is_due_on_the_make_up_saturday():
    """The issue's example: 3 working days from 2026-09-30 16:00 → 2026-10-10."""
    due = add_working_days(at(2026, 9, 30, 16), 3, OFFICE)

    assert local(due) == at(2026, 10, 10, 18)


def test_same_example_holds_when_working_days_mean_hours():
    hours_calendar = dataclasses.replace(
        OFFICE, working_days_meaning=WorkingDaysMeaning.HOURS
    )

    due = add_working_days(at(2026, 9, 30, 16), 3, hours_calendar)

    assert local(due) == at(2026, 10, 10, 16)


@pytest.mark.parametrize(
    ("day", "is_open"),
    [
        (dt.date(2026, 9, 20), True),  # Sunday, make-up working day
        (dt.date(2026, 9, 25), False),  # Mid-Autumn Festival (Friday)
        (dt.date(2026, 10, 1), False),  # National Day
        (dt.date(2026, 10, 7), False),
        (dt.date(2026, 10, 8), True),
        (dt.date(2026, 10, 10), True),  # Saturday, make-up working day
        (dt.date(2026, 10, 11), False),  # ordinary Sunday
        (dt.date(2026, 11, 23), True),  # ordinary Monday
    ],
)
def test_holidays_and_make_up_days_of_autumn_2026(day, is_open):
    assert is_working_day(day, OFFICE) is is_open


def test_make_up_sunday_uses_standard_weekday_hours():
    assert periods_on(dt.date(2026, 9, 20), OFFICE) == OFFICE_HOURS


def test_lunch_break_is_not_counted():
    due = add_business_time(at(2026, 11, 23, 11, 30), dt.timedelta(hours=1), OFFICE)

    assert local(due) == at(2026, 11, 23, 13, 30)


def test_received_in_closed_time_starts_counting_at_next_opening():
    due = add_business_time(at(2026, 11, 21, 10), dt.timedelta(minutes=30), OFFICE)

    assert local(due) == at(2026, 11, 23, 9, 30)


def test_mid_autumn_holiday_is_skipped_for_business_hours():
    due = add_business_time(at(2026, 9, 24, 17), dt.timedelta(hours=2), OFFICE)

    assert local(due) == at(2026, 9, 28, 10)


def test_store_in_another_time_zone_uses_its_own_hours():
    berlin = ZoneInfo("Europe/Berlin")
    calendar = office_calendar("Europe/Berlin", observes_public_holidays=False)

    due = add_business_time(
        at(2026, 11, 23, 17, zone=berlin), dt.timedelta(hours=2), calendar
    )

    assert local(due, berlin) == at(2026, 11, 24, 10, zone=berlin)


def test_store_closed_day_and_extra_open_day():
    calendar = office_calendar(
        closed_days=frozenset({dt.date(2026, 11, 23)}),
        extra_open_days=frozenset({dt.date(2026, 11, 22)}),
    )

    assert not is_working_day(dt.date(2026, 11, 23), calendar)
    assert is_working_day(dt.date(2026, 11, 22), calendar)


def test_retail_store_open_every_day_but_not_on_public_holidays():
    ten_to_ten = ((dt.time(10), dt.time(22)),)
    retail = BusinessCalendar(time_zone="Asia/Shanghai", week=(ten_to_ten,) * 7)

    assert is_working_day(dt.date(2026, 11, 22), retail)
    assert not is_working_day(dt.date(2026, 10, 1), retail)


def test_elapsed_between_counts_only_open_time():
    elapsed = business_time_between(at(2026, 9, 30, 17), at(2026, 10, 8, 10), OFFICE)

    assert elapsed == dt.timedelta(hours=2)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(dt.datetime(2026, 1, 5, 9), dt.timedelta(hours=1), OFFICE)  # noqa: DTZ001


def test_calendar_without_open_time_fails_clearly():
    never_open = BusinessCalendar(time_zone="Asia/Shanghai", week=((),) * 7)

    with pytest.raises(ValueError, match="no open time"):
        add_business_time(at(2026, 1, 5, 9), dt.timedelta(minutes=1), never_open)


def test_periods_must_open_before_they_close():
    with pytest.raises(ValueError, match="open before it closes"):
        BusinessCalendar(
            time_zone="Asia/Shanghai", week=(((dt.time(18), dt.time(9)),),) * 7
        )


instants = st.datetimes(
    min_value=dt.datetime(2025, 12, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=dt.datetime(2027, 1, 31),  # noqa: DTZ001
    timezones=st.just(SHANGHAI),
)
durations = st.integers(min_value=1, max_value=60 * 24 * 15).map(
    lambda minutes: dt.timedelta(minutes=minutes)
)


def within_open_time(instant: dt.datetime) -> bool:
    """Open periods are (opens, closes]: a due time may be the closing instant."""
    day = instant.astimezone(SHANGHAI).date()
    for opens, closes in periods_on(day, OFFICE):
        start = dt.datetime.combine(day, opens, tzinfo=SHANGHAI)
        end = dt.datetime.combine(day, closes, tzinfo=SHANGHAI)
        if start < instant <= end:
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(start=instants, duration=durations)
def test_due_time_never_lies_in_closed_time(start, duration):
    assert within_open_time(add_business_time(start, duration, OFFICE))


@settings(max_examples=300, deadline=None)
@given(start=instants, duration=durations)
def test_add_then_measure_round_trips(start, duration):
    due = add_business_time(start, duration, OFFICE)

    assert business_time_between(start, due, OFFICE) == duration


@settings(max_examples=300, deadline=None)
@given(start=instants, first=durations, second=durations)
def test_adding_is_monotonic_in_duration(start, first, second):
    shorter, longer = sorted([first, second])

    assert add_business_time(start, shorter, OFFICE) <= add_business_time(
        start, longer, OFFICE
    )


@settings(max_examples=300, deadline=None)
@given(first=instants, second=instants, duration=durations)
def test_adding_is_monotonic_in_start(first, second, duration):
    earlier, later = sorted([first, second])

    assert add_business_time(earlier, duration, OFFICE) <= add_business_time(
        later, duration, OFFICE
    )


@settings(max_examples=200, deadline=None)
@given(start=instants, days=st.integers(min_value=1, max_value=15))
def test_working_day_targets_end_on_a_working_day(start, days):
    due = local(add_working_days(start, days, OFFICE))

    assert is_working_day(due.date(), OFFICE)
    assert due.time() == OFFICE_HOURS[-1][1]
    assert due.date() > start.astimezone(SHANGHAI).date()
