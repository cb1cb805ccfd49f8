"""How fast a demo case is worked: its deadline targets, and how often they slip.

A well-run shop keeps most of its deadlines: the first contact comes inside the
response target about nine times in ten, a plan within the day, and about one
resolution in ten is late. So the story asks here when each deadline falls (the same
targets and calendars the deadline clocks use, `kesu.sla.policies`) and draws each
milestone inside it, or, for the tail, after it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from kesu.cases.models import Case
from kesu.sla.calendar import BusinessCalendar, office_calendar
from kesu.sla.clocks import due_after_pause
from kesu.sla.policies import CaseTerms, TargetRule, choose_target, due_at

# Shares of milestones that keep their target (the rest come late).
FIRST_CONTACT_ON_TIME = 0.9
PLAN_ON_TIME = 0.93
RESOLUTION_ON_TIME = 0.94
FOLLOW_UP_ON_TIME = 0.92
# Open cases that are still inside their deadlines at "now"; the rest are overdue.
OPEN_ON_TRACK = 0.85
# Without any target (all policies deactivated), a day for everything.
FALLBACK_MINUTES = 24 * 60.0


class Pace:
    """The deadlines of one case and draws of when its milestones happen."""

    def __init__(
        self,
        rng: random.Random,
        case: Case,
        rules: list[TargetRule],
        calendar: BusinessCalendar | None,
    ) -> None:
        self.rng, self.case, self.rules = rng, case, rules
        self.calendar = calendar or office_calendar(case.store.time_zone)

    def target_minutes(
        self,
        kind: str,
        *,
        start_minute: float = 0,
        severity: str | None = None,
        resolution_type: str = "",
        pauses: Sequence[tuple[float, float]] = (),
    ) -> float:
        """Minutes after receipt at which the case's target of `kind` falls due."""
        terms = CaseTerms(
            severity=severity or self.case.severity,
            category_id=self.case.category_id,
            subcategory_id=self.case.subcategory_id,
            resolution_type=resolution_type,
        )
        rule = choose_target(self.rules, terms, kind)
        if rule is None:
            return start_minute + FALLBACK_MINUTES
        start = self.at(start_minute)
        due = due_at(start, rule.amount, rule.unit, self.calendar)
        for paused, resumed in pauses:
            if paused >= start_minute:
                due = due_after_pause(
                    due_at=due,
                    paused_at=self.at(paused),
                    resumed_at=self.at(resumed),
                    unit=rule.unit,
                    calendar=self.calendar,
                )
        return (due - self.case.received_at).total_seconds() / 60

    def at(self, minute: float) -> dt.datetime:
        return self.case.received_at + dt.timedelta(minutes=minute)

    def milestone(self, now: float, due: float, on_time_share: float) -> float:
        """The minute a milestone happens: inside `due` mostly, late for the tail."""
        left = due - now
        if left > 0 and self.rng.random() < on_time_share:
            return now + left * self.rng.uniform(0.15, 0.9)
        # Late: past the due time by a little up to about the target's length again.
        span = max(due, 60.0)
        return max(now, due) + span * self.rng.uniform(0.05, 1.0)

    def on_track(self) -> bool:
        """Whether an open case is still inside its deadlines now."""
        return self.rng.random() < OPEN_ON_TRACK
