"""Checkpoints that have passed (warnings, breach, escalations), and replays.

`clock_advance` handles a clock's passed checkpoints and appends its own `sla.*`
event; the deferred task and the reconcile sweep call it. `clocks_replay` gives a case
without clocks the clocks its timeline implies.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from kesu.cases.models import Case, CaseEvent, HandlingPlan
from kesu.cases.services import event_append
from kesu.sla import tasks
from kesu.sla.clocks import BREACH, Checkpoint, next_checkpoint
from kesu.sla.models import Clock
from kesu.sla.services.running import clock_enqueue, clock_reschedule, clock_schedule
from kesu.sla.services.state import Replay, current_replay
from kesu.sla.services.timeline import on_case_event

CHECKPOINT_EVENTS = {
    "warning": "sla.warned",
    BREACH: "sla.breached",
    "escalation": "sla.escalated",
}


@transaction.atomic
def clock_advance(*, clock_id: int, version: int | None = None) -> list[str]:
    """Handle every checkpoint of the clock that has passed; returns their codes."""
    clock = (
        Clock.objects.select_for_update()
        .select_related("case", "case__store")
        .filter(pk=clock_id)
        .first()
    )
    if clock is None or not clock.is_running:
        return []
    if version is not None and version != clock.version:
        return []  # the schedule changed since this task was enqueued
    return _advance(clock, timezone.now())


def _advance(clock: Clock, now: dt.datetime) -> list[str]:
    """Pass the clock's checkpoints up to `now`: one `sla.*` event, one notification.

    The event is dated at the last checkpoint passed, not when it was noticed, so a
    timeline stays in the order things happened even after the worker was down.
    """
    points = clock_schedule(clock, clock.case)
    handled: list[Checkpoint] = []
    while (
        point := next_checkpoint(points, clock.checkpoints_done)
    ) and point.at <= now:
        handled.append(point)
        clock.checkpoints_done += 1
        if point.code == BREACH:
            clock.breached_at = point.at
    if not handled:
        return []
    clock_reschedule(clock, clock.case)
    last = handled[-1].code
    event_type = CHECKPOINT_EVENTS[last.split(":")[0]]
    data = {
        "kind": clock.kind,
        "checkpoints": [point.code for point in handled],
        "due_at": clock.due_at.isoformat(),
    }
    replay = current_replay.get()
    if replay is not None:
        replay.events.append(
            CaseEvent(
                case=clock.case, type=event_type, data=data, created_at=handled[-1].at
            )
        )
    else:
        event_append(
            case=clock.case, type=event_type, actor=None, data=data, at=handled[-1].at
        )
    if replay is None:
        case_id, kind, due = clock.case_id, clock.kind, clock.due_at.isoformat()
        transaction.on_commit(
            lambda: tasks.deadline_notify.enqueue(case_id, kind, last, due)
        )
    return [point.code for point in handled]


@transaction.atomic
def clocks_replay(
    *,
    case: Case,
    events: list[CaseEvent] | None = None,
    now: dt.datetime | None = None,
    reads: dict[object, object] | None = None,
) -> int:
    """Give a case without clocks the clocks its timeline implies; returns the clocks.

    For databases from before clocks existed, imports and the demo: the events are
    replayed in order as if each had just been written, the checkpoints passed in
    between are recorded at their own time, and nobody is notified of the past. Unsaved
    `events` get what they changed in their data, as live ones do; stored events are
    append-only and keep theirs. Targets come from the case's present classification.
    `reads` may be shared by the replays of a batch of cases (policies, calendars).
    """
    if events is None:
        events = list(case.events.order_by("created_at", "id"))
    return clocks_replay_many(timelines=[(case, events)], now=now, reads=reads)


@transaction.atomic
def clocks_replay_many(
    *,
    timelines: list[tuple[Case, list[CaseEvent]]],
    now: dt.datetime | None = None,
    reads: dict[object, object] | None = None,
) -> int:
    """`clocks_replay` for a batch of (case, events); returns the clocks created.

    The same replay, with the database read and written once per batch instead of
    once per case: which cases have clocks already, their current plans, and the new
    clocks and `sla.*` events.
    """
    now = now or timezone.now()
    reads = reads if reads is not None else {}
    ids = [case.pk for case, _events in timelines]
    done = set(Clock.objects.filter(case_id__in=ids).values_list("case_id", flat=True))
    plans: dict[int, HandlingPlan] = {}
    for plan in HandlingPlan.objects.filter(case_id__in=ids).order_by(
        "case_id", "-proposed_at", "-id"
    ):
        plans.setdefault(plan.case_id, plan)
    clocks: list[Clock] = []
    passed: list[CaseEvent] = []
    for case, events in timelines:
        if case.pk in done:
            continue
        reads[("plan", case.pk)] = plans.get(case.pk)  # as `current_plan` reads it
        replay = Replay(reads=reads)
        _replay_timeline(replay, case, events, now)
        clocks += replay.clocks.values()
        passed += replay.events
    clocks = Clock.objects.bulk_create(clocks)
    CaseEvent.objects.bulk_create(passed)
    _touch_cases(passed)
    for clock in clocks:
        if clock.is_running:
            clock_enqueue(clock)
    return len(clocks)


def _replay_timeline(
    replay: Replay, case: Case, events: list[CaseEvent], now: dt.datetime
) -> None:
    token = current_replay.set(replay)
    try:
        for event in sorted(events, key=lambda e: e.created_at):
            _advance_replayed(replay, case, event.created_at)
            effects = on_case_event(event)
            if effects and event.pk is None:
                event.data = {**event.data, **effects}
        _advance_replayed(replay, case, now)
    finally:
        current_replay.reset(token)


def _touch_cases(events: list[CaseEvent]) -> None:
    """A case's `updated_at` moves up to its latest replayed checkpoint."""
    latest: dict[int, dt.datetime] = {}
    for event in events:
        latest[event.case_id] = max(
            event.created_at, latest.get(event.case_id, event.created_at)
        )
    stale = [
        Case(pk=pk, updated_at=latest[pk])
        for pk, updated_at in Case.objects.filter(pk__in=list(latest))
        .order_by()
        .values_list("pk", "updated_at")
        if updated_at < latest[pk]
    ]
    Case.objects.bulk_update(stale, ["updated_at"], batch_size=500)


def _advance_replayed(replay: Replay, case: Case, now: dt.datetime) -> None:
    due = [
        clock
        for clock in replay.clocks.values()
        if clock.is_running and clock.next_check_at and clock.next_check_at <= now
    ]
    for clock in sorted(due, key=lambda clock: clock.kind):
        clock.case = case
        _advance(clock, now)
