"""The checkpoints of one deadline clock: warnings, breach, escalations (R-SLA-3/4).

Pure. A clock runs from `started_at` to `due_at`; warnings fall when a share of the
time is used, measured in the same kind of time as the target (business time for
working-hour and working-day targets, so a warning never lands in a holiday), the breach
at the due instant, and escalations at elapsed offsets after it (三级预警 2 h/4 h/8 h).
A pause moves the due instant by the time spent paused, counted the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from kesu.sla.calendar import (
    BusinessCalendar,
    add_business_time,
    business_time_between,
)

BUSINESS_UNITS = frozenset({"working_hours", "working_days"})
BREACH = "breach"


@dataclass(frozen=True, order=True)
class Checkpoint:
    """A moment at which the clock needs attention, and what happens then."""

    at: dt.datetime
    stage: int  # position in the clock's sequence: warnings, breach, escalations
    code: str  # "warning:50", "breach", "escalation:1" …


def checkpoints(
    *,
    started_at: dt.datetime,
    due_at: dt.datetime,
    unit: str,
    calendar: BusinessCalendar,
    warning_percents: Sequence[int],
    escalation_minutes: Sequence[int],
) -> list[Checkpoint]:
    """Every checkpoint of a clock, in time order."""
    points: list[tuple[dt.datetime, str]] = []
    for percent in sorted(set(warning_percents)):
        points.append(
            (
                _share_elapsed(started_at, due_at, percent, unit, calendar),
                f"warning:{percent}",
            )
        )
    points.append((due_at, BREACH))
    for level, minutes in enumerate(sorted(escalation_minutes), start=1):
        points.append((due_at + dt.timedelta(minutes=minutes), f"escalation:{level}"))
    return [Checkpoint(at, stage, code) for stage, (at, code) in enumerate(points)]


def next_checkpoint(points: Sequence[Checkpoint], done: int) -> Checkpoint | None:
    """The first checkpoint after the `done` ones already handled."""
    return points[done] if done < len(points) else None


def due_after_pause(
    *,
    due_at: dt.datetime,
    paused_at: dt.datetime,
    resumed_at: dt.datetime,
    unit: str,
    calendar: BusinessCalendar,
) -> dt.datetime:
    """The due instant pushed back by the time the clock stood still."""
    if paused_at >= due_at:
        return due_at  # a breach is a fact: pausing afterwards does not undo it
    resumed_at = max(resumed_at, paused_at)
    if unit in BUSINESS_UNITS:
        # The business time that was left at the pause is counted again from the resume.
        left = business_time_between(paused_at, due_at, calendar)
        return add_business_time(resumed_at, left, calendar)
    return due_at + (resumed_at - paused_at)


def _share_elapsed(
    start: dt.datetime,
    due: dt.datetime,
    percent: int,
    unit: str,
    calendar: BusinessCalendar,
) -> dt.datetime:
    if unit in BUSINESS_UNITS:
        total = business_time_between(start, due, calendar)
        return add_business_time(start, total * percent / 100, calendar)
    return start + (due - start) * percent / 100
