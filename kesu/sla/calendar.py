"""Business calendars: working hours, Chinese holidays and make-up days (R-SLA-2).

Pure functions over a `BusinessCalendar` value, no ORM: the SLA services build the
calendar of a store and ask here when a target falls due.

- `add_business_time(start, duration, cal)` → the instant when `duration` of open time
  has passed after `start`.
- `business_time_between(start, end, cal)` → the open time between two instants.
- `add_working_days(start, days, cal)` → the due instant of an "N working days" target.

Open time is a set of half-open local periods per day, e.g. 09:00–12:00 and 13:00–18:00
(a lunch break). A day is open when it is a normal weekday of the store, or a make-up
working day (调休), and not a public holiday or a closed day of the store. Make-up days
use the store's standard weekday hours. Mainland holidays and make-up days come from the
maintained `chinesecalendar` package; outside the years it knows, only the weekly
pattern and the store's own days apply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import astuple, dataclass, field
from enum import StrEnum
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

Period = tuple[dt.time, dt.time]
# Safety stop for calendars with (almost) no open time: ten years of days.
MAX_DAYS_SCANNED = 3660


class WorkingDaysMeaning(StrEnum):
    """What "N working days" means; the default is END_OF_DAY (see README)."""

    END_OF_DAY = "end_of_day"  # the end of the Nth working day after the day received
    HOURS = "hours"  # N × the standard working day's open hours, counted from receipt


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: str
    # Seven entries, Monday first: that weekday's open periods (empty = closed).
    week: tuple[tuple[Period, ...], ...]
    observes_public_holidays: bool = True
    closed_days: frozenset[dt.date] = field(default_factory=frozenset)
    extra_open_days: frozenset[dt.date] = field(default_factory=frozenset)
    working_days_meaning: WorkingDaysMeaning = WorkingDaysMeaning.END_OF_DAY

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("week needs seven entries, Monday first")
        for periods in self.week:
            for opens, closes in periods:
                if not opens < closes:
                    raise ValueError(
                        f"a period must open before it closes: {opens}–{closes}"
                    )
        _zone(self.time_zone)  # fails early on an unknown zone
        # Calendars key the per-day caches: hash the fields once, not on every lookup.
        object.__setattr__(self, "_hash", hash(astuple(self)))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined, no-any-return]

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.time_zone)

    @property
    def standard_periods(self) -> tuple[Period, ...]:
        """A normal working day's hours, used for make-up days and HOURS targets."""
        return next((periods for periods in self.week if periods), ())


OFFICE_HOURS: tuple[Period, ...] = (
    (dt.time(9), dt.time(12)),
    (dt.time(13), dt.time(18)),
)


def office_calendar(
    time_zone: str = "Asia/Shanghai", **options: object
) -> BusinessCalendar:
    """Monday–Friday 09:00–12:00 and 13:00–18:00, mainland holidays observed."""
    week = (OFFICE_HOURS,) * 5 + ((), ())
    return BusinessCalendar(time_zone=time_zone, week=week, **options)  # type: ignore[arg-type]


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _public_day(day: dt.date) -> bool | None:
    """True for a make-up working day, False for a public holiday, None otherwise."""
    if day in chinese_calendar.constants.workdays:
        return True
    if day in chinese_calendar.constants.holidays:
        return False
    return None


def periods_on(day: dt.date, cal: BusinessCalendar) -> tuple[Period, ...]:
    """The local open periods of one day."""
    if day in cal.closed_days:
        return ()
    if day in cal.extra_open_days:
        return cal.week[day.weekday()] or cal.standard_periods
    if cal.observes_public_holidays:
        public = _public_day(day)
        if public is True:
            return cal.week[day.weekday()] or cal.standard_periods
        if public is False:
            return ()
    return cal.week[day.weekday()]


def is_working_day(day: dt.date, cal: BusinessCalendar) -> bool:
    return bool(periods_on(day, cal))


@lru_cache(maxsize=65536)
def _open_intervals(
    day: dt.date, cal: BusinessCalendar
) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """A day's open periods as UTC instants (cached: calendars are immutable values)."""
    zone = cal.zone
    return tuple(
        (
            dt.datetime.combine(day, start, tzinfo=zone).astimezone(dt.UTC),
            dt.datetime.combine(day, end, tzinfo=zone).astimezone(dt.UTC),
        )
        for start, end in periods_on(day, cal)
    )


def _intervals_from(
    start: dt.datetime, cal: BusinessCalendar
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Open intervals (UTC) that end after `start`, clipped to begin no earlier."""
    day = start.astimezone(cal.zone).date()
    for _ in range(MAX_DAYS_SCANNED):
        for opens, closes in _open_intervals(day, cal):
            if closes > start:
                yield max(opens, start), closes
        day += dt.timedelta(days=1)


def _require_aware(*instants: dt.datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None:
            raise ValueError("business-time arithmetic needs timezone-aware datetimes")


def add_business_time(
    start: dt.datetime, duration: dt.timedelta, cal: BusinessCalendar
) -> dt.datetime:
    """The instant at which `duration` of open time has elapsed after `start` (UTC)."""
    _require_aware(start)
    if duration < dt.timedelta(0):
        raise ValueError("duration must not be negative")
    start = start.astimezone(dt.UTC)
    if duration == dt.timedelta(0):
        return start
    remaining = duration
    for opens, closes in _intervals_from(start, cal):
        span = closes - opens
        if remaining <= span:
            return opens + remaining
        remaining -= span
    raise ValueError("the calendar has no open time in the next ten years")


def business_time_between(
    start: dt.datetime, end: dt.datetime, cal: BusinessCalendar
) -> dt.timedelta:
    """Open time in [start, end); zero when end is not after start."""
    _require_aware(start, end)
    total = dt.timedelta(0)
    if end <= start:
        return total
    for opens, closes in _intervals_from(start.astimezone(dt.UTC), cal):
        if opens >= end:
            break
        total += min(closes, end) - opens
    return total


def _standard_day_length(cal: BusinessCalendar) -> dt.timedelta:
    return sum(
        (
            dt.datetime.combine(dt.date.min, end)
            - dt.datetime.combine(dt.date.min, start)
            for start, end in cal.standard_periods
        ),
        dt.timedelta(0),
    )


def add_working_days(
    start: dt.datetime, days: int, cal: BusinessCalendar
) -> dt.datetime:
    """The due instant of an N-working-day target received at `start` (UTC).

    END_OF_DAY: the day of receipt does not count; due at the close of the Nth working
    day after it (the usual reading of "3个工作日内"). HOURS: N standard working days of
    open time from the moment of receipt.
    """
    _require_aware(start)
    if days < 0:
        raise ValueError("days must not be negative")
    if cal.working_days_meaning == WorkingDaysMeaning.HOURS:
        return add_business_time(start, _standard_day_length(cal) * days, cal)
    day = start.astimezone(cal.zone).date()
    if days == 0:
        return start.astimezone(dt.UTC)
    counted = 0
    for _ in range(MAX_DAYS_SCANNED):
        day += dt.timedelta(days=1)
        intervals = _open_intervals(day, cal)
        if intervals:
            counted += 1
            if counted == days:
                return intervals[-1][1]
    raise ValueError("the calendar has no working day in the next ten years")
