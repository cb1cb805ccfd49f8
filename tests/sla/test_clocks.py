"""R-SLA-3/4: warning, breach and escalation checkpoints; pauses move the due time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from kesu.sla.calendar import business_time_between, office_calendar
from kesu.sla.clocks import checkpoints, due_after_pause, next_checkpoint
from kesu.sla.policies import due_at

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = office_calendar()


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def test_elapsed_clock_warns_at_half_and_eighty_percent_then_escalates():
    """Defaults: warn at 50 % and 80 %, breach at due, escalate +2 h, +4 h, +8 h."""
    start, due = at(2026, 11, 23, 10), at(2026, 11, 24, 10)

    points = checkpoints(
        started_at=start,
        due_at=due,
        unit="hours",
        calendar=OFFICE,
        warning_percents=[80, 50],
        escalation_minutes=[120, 240, 480],
    )

    assert [(p.code, p.at.astimezone(SHANGHAI)) for p in points] == [
        ("warning:50", at(2026, 11, 23, 22)),
        ("warning:80", at(2026, 11, 24, 5, 12)),
        ("breach", due),
        ("escalation:1", at(2026, 11, 24, 12)),
        ("escalation:2", at(2026, 11, 24, 14)),
        ("escalation:3", at(2026, 11, 24, 18)),
    ]
    assert [p.stage for p in points] == list(range(6))


def test_business_clock_never_warns_during_the_national_day_holiday():
    start = at(2026, 9, 30, 16)
    due = due_at(start, 3, "working_days", OFFICE)

    points = checkpoints(
        started_at=start,
        due_at=due,
        unit="working_days",
        calendar=OFFICE,
        warning_percents=[50, 80],
        escalation_minutes=[],
    )

    for point in points:
        local = point.at.astimezone(SHANGHAI)
        assert not (dt.date(2026, 10, 1) <= local.date() <= dt.date(2026, 10, 7))
    # 2 h on 30 Sept + 8 h on each of 8, 9, 10 Oct = 26 h; half is 13 h → 9 Oct 12:00.
    assert points[0].at.astimezone(SHANGHAI) == at(2026, 10, 9, 12)


def test_next_checkpoint_walks_the_sequence_and_ends():
    points = checkpoints(
        started_at=at(2026, 11, 23, 9),
        due_at=at(2026, 11, 23, 10),
        unit="minutes",
        calendar=OFFICE,
        warning_percents=[50],
        escalation_minutes=[120],
    )

    assert next_checkpoint(points, 0).code == "warning:50"
    assert next_checkpoint(points, 2).code == "escalation:1"
    assert next_checkpoint(points, 3) is None


def test_pause_on_elapsed_clock_adds_the_time_paused():
    due = due_after_pause(
        due_at=at(2026, 11, 24, 10),
        paused_at=at(2026, 11, 23, 12),
        resumed_at=at(2026, 11, 23, 15, 30),
        unit="hours",
        calendar=OFFICE,
    )

    assert due == at(2026, 11, 24, 13, 30)


def test_pause_on_business_clock_only_counts_open_time():
    # Paused Friday 17:00 with 3 working hours left, resumed Monday 10:00.
    due = due_after_pause(
        due_at=at(2026, 11, 23, 11),
        paused_at=at(2026, 11, 20, 17),
        resumed_at=at(2026, 11, 23, 10),
        unit="working_hours",
        calendar=OFFICE,
    )

    assert due == at(2026, 11, 23, 14)


def test_pause_after_breach_does_not_move_the_due_time():
    due = at(2026, 11, 23, 10)

    moved = due_after_pause(
        due_at=due,
        paused_at=at(2026, 11, 23, 11),
        resumed_at=at(2026, 11, 23, 15),
        unit="hours",
        calendar=OFFICE,
    )

    assert moved == due


instants = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=dt.datetime(2026, 12, 20),  # noqa: DTZ001
    timezones=st.just(SHANGHAI),
)


@given(start=instants, hours=st.integers(1, 60), pause=st.integers(0, 72 * 60))
def test_business_pause_keeps_the_business_time_left(start, hours, pause):
    due = due_at(start, hours, "working_hours", OFFICE)
    paused_at = start + (due - start) / 3
    resumed_at = paused_at + dt.timedelta(minutes=pause)

    moved = due_after_pause(
        due_at=due,
        paused_at=paused_at,
        resumed_at=resumed_at,
        unit="working_hours",
        calendar=OFFICE,
    )

    assert moved >= due
    assert business_time_between(resumed_at, moved, OFFICE) == business_time_between(
        paused_at, due, OFFICE
    )


@given(start=instants, hours=st.integers(1, 200))
def test_checkpoints_are_in_time_order(start, hours):
    points = checkpoints(
        started_at=start,
        due_at=due_at(start, hours, "working_hours", OFFICE),
        unit="working_hours",
        calendar=OFFICE,
        warning_percents=[50, 80],
        escalation_minutes=[120, 240, 480],
    )

    assert [p.at for p in points] == sorted(p.at for p in points)
