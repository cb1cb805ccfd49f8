"""One case's life, step by step, paced against its deadlines like a well-run shop."""

from __future__ import annotations

import datetime as dt
import random

from kesu.accounts.models import Store
from kesu.cases.models import FeedbackResult, VerificationResult
from kesu.cases.workflow import Action, Status
from kesu.demo import texts
from kesu.demo.complaint import fill_complaint
from kesu.demo.pace import (
    FIRST_CONTACT_ON_TIME,
    FOLLOW_UP_ON_TIME,
    PLAN_ON_TIME,
    RESOLUTION_ON_TIME,
    Pace,
)
from kesu.demo.records import PlannedCase, Refs
from kesu.demo.steps import CaseSteps
from kesu.demo.tables import RESOLUTIONS
from kesu.sla.models import TargetKind

DAY_MINUTES = 24 * 60.0
# Open states whose next deadline is the plan's: nothing has been proposed yet.
BEFORE_PLAN = {Status.RECEIVED, Status.VERIFYING, Status.AWAITING_CUSTOMER}


class Story(CaseSteps):
    """One case's life up to its final status, told the way the services record it."""

    def __init__(
        self,
        rng: random.Random,
        refs: Refs,
        store: Store,
        anchor: dt.datetime,
        status: Status,
        age_days: float,
        customer_index: int,
    ) -> None:
        super().__init__(rng, refs, store)
        self.anchor, self.final, self.age_days = anchor, status, age_days
        self.customer_index = customer_index
        self.pace = Pace(rng, self.case, refs.rules, refs.calendars.get(store.pk))
        self.budget = DAY_MINUTES  # minutes from receipt to the resolution's due time

    # -- the plot ---------------------------------------------------------------

    def build(self) -> PlannedCase:
        self.price, self.initial_severity = fill_complaint(
            self.case,
            rng=self.rng,
            refs=self.refs,
            category=self.top,
            subcategory=self.sub,
            anchor=self.anchor,
            age_days=self.age_days,
        )
        self._set_pace()
        self._receive()
        final = self.final
        if final in {Status.RECEIVED, Status.REJECTED}:
            self.initial_severity = self.case.severity
        self._first_contact()
        if final == Status.RECEIVED:
            if self.rng.random() < 0.4:
                self._assign()
        elif final == Status.REJECTED:
            self._rejected()
        else:
            self._worked(final)
        return self._finish()

    def _rejected(self) -> None:
        if self.rng.random() < 0.5:
            self._assign()
            self._transition(Action.VERIFY, Status.VERIFYING, self.assignee, 0.1, 4)
            self._verify(VerificationResult.NOT_CONFIRMED, 1, 24)
            by = self.assignee
        else:
            by = self.owner
        reason = self.rng.choice(texts.REJECT_REASONS)
        self.case.rejection_reason = reason
        self._transition(Action.REJECT, Status.REJECTED, by, 0.5, 8, reason)

    def _worked(self, final: Status) -> None:
        rng = self.rng
        self._assign()
        self._maybe_hand_over()
        self._maybe_reclassify()
        self._transition(Action.VERIFY, Status.VERIFYING, self.assignee, 0.1, 2)
        self._maybe_communicate()
        if final == Status.VERIFYING:
            if rng.random() < 0.5:
                self._verify(self._verification_result(), 0.5, 12)
            return
        if final == Status.AWAITING_CUSTOMER and rng.random() < 0.4:
            self._await()
            return
        if rng.random() < 0.15:
            self._await()
            self._resume()
        self._verify(self._verification_result(), 0.5, 8)
        self._transition(Action.HANDLE, Status.HANDLING, self.assignee, 0.1, 1)
        is_open = final in {Status.HANDLING, Status.AWAITING_CUSTOMER}
        if rng.random() < 0.12:
            self._collaborate(answered=not is_open or rng.random() < 0.5)
        if is_open:
            # A case in hand for over a day has its plan, unless it is running late.
            if rng.random() < 0.6 or self._available() > self._plan_due():
                self._propose(settle=rng.random() < 0.6, at=self._plan_at())
            self._maybe_note()
            if final == Status.AWAITING_CUSTOMER:
                self._await()
            return
        self._settle_and_resolve(started=0)
        self._after_resolution(final)

    def _after_resolution(self, final: Status) -> None:
        rng = self.rng
        if final == Status.FEEDBACK:
            self._follow_up(FeedbackResult.SATISFIED, only_if_past=True)
            return
        if final == Status.REOPENED or rng.random() < 0.08:
            self._reopen_cycle(stop=final == Status.REOPENED)
            if final == Status.REOPENED:
                return
        result = rng.choices(
            [
                FeedbackResult.SATISFIED,
                FeedbackResult.PARTLY_SATISFIED,
                FeedbackResult.UNREACHABLE,
            ],
            weights=[0.7, 0.2, 0.1],
        )[0]
        self._follow_up(result)
        self._transition(Action.ARCHIVE, Status.ARCHIVED, self.owner, 0.5, 24)

    def _reopen_cycle(self, *, stop: bool) -> None:
        rng = self.rng
        reason = rng.choice(texts.REOPEN_REASONS)
        if stop and rng.random() < 0.4:
            # Archived, then the customer came back days later.
            self._follow_up(FeedbackResult.SATISFIED)
            self._transition(Action.ARCHIVE, Status.ARCHIVED, self.owner, 0.5, 24)
            self._advance(48, 480)
        else:
            self._follow_up(FeedbackResult.DISSATISFIED)
            self._advance(0.5, 24)
        if stop and self.pace.on_track():
            # Still open now and inside its fresh deadline: the reopening is recent.
            recent = self._available() - self.rng.uniform(0.05, 0.3) * DAY_MINUTES
            self.minute = max(self.minute, recent)
        self._record_transition(Action.REOPEN, Status.REOPENED, self.owner, reason)
        if stop:
            return
        self._transition(Action.HANDLE, Status.HANDLING, self.assignee, 0.5, 8)
        self._settle_and_resolve(started=self.minute)

    def _settle_and_resolve(self, *, started: float) -> None:
        self._propose(settle=True, at=self._plan_at() if not started else None)
        self._maybe_communicate()
        self._maybe_note()
        due = self.pace.target_minutes(
            TargetKind.RESOLUTION,
            start_minute=started,
            resolution_type=self.plans[-1].resolution_type,
            pauses=self.pauses,
        )
        self.minute = self.pace.milestone(self.minute, due, RESOLUTION_ON_TIME)
        self._record_transition(
            Action.RESOLVE,
            Status.FEEDBACK,
            self.assignee,
            resolution_note=self.rng.choice(texts.RESOLUTION_NOTES),
        )

    # -- pace: when the deadlines fall, and keeping to them ----------------------

    def _set_pace(self) -> None:
        self.resolution = self.rng.choice(RESOLUTIONS[self.top.code])
        budget = self._resolution_due()
        # Steps take at most half their nominal time; a case due within the day is
        # worked in hours: its steps shrink with its target.
        self.tempo = min(0.5, budget / (3 * DAY_MINUTES))
        self.budget = budget
        self._keep_open_case_current(budget)

    def _resolution_due(self) -> float:
        return self.pace.target_minutes(
            TargetKind.RESOLUTION, resolution_type=self.resolution
        )

    def _plan_due(self) -> float:
        return self.pace.target_minutes(TargetKind.PLAN)

    def _plan_at(self) -> float:
        # The plan leaves time to carry it out before the resolution falls due.
        due = min(self._plan_due(), self.budget * 0.6)
        return self.pace.milestone(self.minute, due, PLAN_ON_TIME)

    def _available(self) -> float:
        """Minutes from receipt to the demo's "now"."""
        return (self.anchor - self.case.received_at).total_seconds() / 60 - 1

    def _keep_open_case_current(self, budget: float) -> None:
        """Most open cases are younger than their next deadline; the rest are overdue.

        The age the generator drew is kept for closed cases; an open case on track
        is received within its next deadline instead (open work is young work).
        """
        if self.final not in BEFORE_PLAN | {Status.HANDLING}:
            return
        if self.final in BEFORE_PLAN:
            budget = min(budget, self._plan_due())
        if self._available() <= budget or not self.pace.on_track():
            return
        age = budget * self.rng.uniform(0.1, 0.95)
        self.case.received_at = self.anchor - dt.timedelta(minutes=age)

    def _first_contact(self) -> None:
        """首问负责: the owner calls back inside the response target, mostly."""
        # Replayed clocks take the case's present severity (see `clocks_replay`).
        due = self.pace.target_minutes(TargetKind.RESPONSE)
        at = self.pace.milestone(self.minute, due, FIRST_CONTACT_ON_TIME)
        if self.final == Status.RECEIVED and at > self._available():
            return  # not called back yet: its response clock is still running
        self.minute = at
        self._communicate(self.owner, texts.FIRST_CONTACTS)

    def _follow_up(self, result: str, *, only_if_past: bool = False) -> None:
        # The 72-hour follow-up call is the first contact's job (首问负责).
        due = self.pace.target_minutes(TargetKind.FOLLOW_UP, start_minute=self.minute)
        at = self.pace.milestone(self.minute, due, FOLLOW_UP_ON_TIME)
        if only_if_past and at > self._available():
            return  # the call is still to come
        self.minute = at
        self._record_feedback(result)

    # -- steps of the plot ------------------------------------------------------

    def _await(self) -> None:
        reason = self.rng.choice(texts.WAIT_REASONS)
        self._transition(
            Action.AWAIT_CUSTOMER,
            Status.AWAITING_CUSTOMER,
            self.assignee,
            0.5,
            8,
            reason,
        )

    def _resume(self) -> None:
        target = Status(self.case.status_before_wait)
        self._transition(Action.RESUME, target, self.assignee, 4, 48)

    def _verification_result(self) -> str:
        return self.rng.choices(
            [VerificationResult.CONFIRMED, VerificationResult.PARTLY_CONFIRMED],
            weights=[0.75, 0.25],
        )[0]

    # -- from minutes to timestamps ---------------------------------------------

    def _finish(self) -> PlannedCase:
        case = self.case
        available = self._available()
        # Squeeze the story into the time between receipt and "now".
        scale = min(1.0, available / self.minute) if self.minute else 1.0

        def at(minute: float) -> dt.datetime:
            return case.received_at + dt.timedelta(minutes=minute * scale)

        for position, event in enumerate(self.events):
            # Strictly increasing timestamps even where the squeeze is tight.
            event.minute = event.minute * scale + position / 1000
        case.created_at = case.received_at
        case.updated_at = at(self.minute) + dt.timedelta(
            minutes=len(self.events) / 1000
        )
        case.status_changed_at = at(self.marks.get("status_changed_at", 0))
        case.resolved_at = (
            at(self.marks["resolved_at"]) if "resolved_at" in self.marks else None
        )
        case.closed_at = (
            at(self.marks["closed_at"]) if "closed_at" in self.marks else None
        )
        case.owner = self.owner
        for plan in self.plans:
            plan.minute *= scale
            if plan.decided_minute is not None:
                plan.decided_minute *= scale
        for item in self.requests:
            item.minute *= scale
            if item.answered_minute is not None:
                item.answered_minute *= scale
        return PlannedCase(
            case, self.customer_index, self.events, self.plans, self.requests
        )
