"""Deadline clocks follow the case's timeline (R-SLA-3/4).

`on_case_event` sees every case event just before it is written, inside the writing
transaction; it starts, meets, pauses, resumes and recomputes clocks and returns what it
changed, which is stored in that same event's data under "sla" — so one change is still
one event. `clock_advance` handles the checkpoints that have passed (warnings, breach,
escalations) and appends its own `sla.*` event; the deferred task and the reconcile
sweep call it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kesu.accounts.models import Store
from kesu.cases.models import Case, CaseEvent, HandlingPlan
from kesu.cases.services import event_append
from kesu.cases.services.workflow import current_plan
from kesu.core.bulk import instances_insert
from kesu.core.tasks import enqueue_with_write
from kesu.sla import tasks
from kesu.sla.calendar import BusinessCalendar
from kesu.sla.clocks import (
    BREACH,
    Checkpoint,
    checkpoints,
    due_after_pause,
    next_checkpoint,
)
from kesu.sla.models import Clock, SlaPolicy, Sweep, TargetKind
from kesu.sla.policies import TargetRule, due_at
from kesu.sla.selectors import calendar_for_store, case_target, target_rules

STARTED_ON_RECEIPT = (TargetKind.RESPONSE, TargetKind.PLAN, TargetKind.RESOLUTION)
CHECKPOINT_EVENTS = {
    "warning": "sla.warned",
    BREACH: "sla.breached",
    "escalation": "sla.escalated",
}


Effects = list[dict[str, object]]
T = TypeVar("T")


# Set while a timeline is replayed: no tasks or notifications (they are for the
# present only), calendars and targets are read once, and the case's clocks live in
# memory until the replay writes them all at once.
@dataclass
class _Replay:
    reads: dict[object, object] = field(default_factory=dict)
    clocks: dict[str, Clock] = field(default_factory=dict)  # by kind
    events: list[CaseEvent] = field(default_factory=list)  # checkpoints passed


_replay: ContextVar[_Replay | None] = ContextVar("sla_replay", default=None)
# The reads made while one event is handled: a received case starts three clocks,
# which share the rules, the policy and the store's calendar instead of reading
# each once per clock (and the calendar twice).
_event_reads: ContextVar[dict[object, object] | None] = ContextVar(
    "sla_event_reads", default=None
)
# Set by `reads_shared` (an import batch): rules, policies and calendars read once for
# all its events. Plans are still read per event: one may change between two events.
_shared_reads: ContextVar[dict[object, object] | None] = ContextVar(
    "sla_shared_reads", default=None
)


# Set by `clocks_prepared`: a new case and its starting clocks, worked out before its
# write transaction.
_prepared: ContextVar[tuple[Case, list[Clock]] | None] = ContextVar(
    "sla_prepared", default=None
)


@contextmanager
def reads_shared() -> Iterator[None]:
    """Read the deadline rules, policies and calendars once for a block of events.

    For a run of new cases (an import batch) inside one transaction, in which no
    policy or calendar changes.
    """
    token = _shared_reads.set({})
    try:
        yield
    finally:
        _shared_reads.reset(token)


@contextmanager
def clocks_prepared(case: Case) -> Iterator[None]:
    """Work out a new, unsaved case's starting clocks before its write transaction.

    The rules, policy and calendar are read and the due times and checkpoints computed
    here; the case's `case.received` event, appended inside the block, then only
    inserts the clocks and queues their checks. A new case has no plan and no clocks
    yet, so neither is looked up.
    """
    token = _prepared.set((case, clocks_for_new_case(case)))
    try:
        yield
    finally:
        _prepared.reset(token)


# Set by `clocks_prepared_many`: the starting clocks of a run of new cases, by case,
# and those whose `case.received` event was handled, inserted together at the end.
@dataclass
class _PreparedRun:
    clocks: dict[int, list[Clock]]
    started: list[Clock] = field(default_factory=list)


_prepared_run: ContextVar[_PreparedRun | None] = ContextVar(
    "sla_prepared_run", default=None
)


def clocks_for_new_case(case: Case) -> list[Clock]:
    """A new, unsaved case's starting clocks, unsaved: rules read, due times and
    checkpoints computed; call outside the write transaction."""
    reads = _event_reads.set({})
    try:
        return [
            _clock_new(case, rule, case.received_at)
            for kind in STARTED_ON_RECEIPT
            if (rule := _rule_for(case, kind, resolution_type="")) is not None
        ]
    finally:
        _event_reads.reset(reads)


@contextmanager
def clocks_prepared_many(clocks: dict[int, list[Clock]]) -> Iterator[None]:
    """`clocks_prepared` for a run of new cases written together (an import batch).

    `clocks` maps id(case) to its `clocks_for_new_case`. The cases' `case.received`
    events, appended inside the block, claim them; they are inserted in one statement
    and their checks queued when the block ends without error.
    """
    run = _PreparedRun(clocks=clocks)
    token = _prepared_run.set(run)
    try:
        yield
    finally:
        _prepared_run.reset(token)
    instances_insert(run.started)
    for clock in run.started:
        _enqueue(clock)


def on_case_event(event: CaseEvent) -> dict[str, object]:
    """Keep the case's clocks in step with one new (unsaved) timeline event."""
    handler = _HANDLERS.get(event.type)
    if handler is None:
        return {}
    reads = _event_reads.set({})
    try:
        effects = handler(event)
    finally:
        _event_reads.reset(reads)
    return {"sla": effects} if effects else {}


def _on_received(event: CaseEvent) -> Effects:
    case = event.case
    run = _prepared_run.get()
    if run is not None and id(case) in run.clocks and _replay.get() is None:
        started = run.clocks.pop(id(case))
        run.started.extend(started)
        return _effects("started", started)
    prepared = _prepared.get()
    if prepared is not None and prepared[0] is case and _replay.get() is None:
        started = prepared[1]
        Clock.objects.bulk_create(started)  # one INSERT for the three
        for clock in started:
            _enqueue(clock)
        return _effects("started", started)
    return _effects(
        "started",
        [_clock_start(case, kind, case.received_at) for kind in STARTED_ON_RECEIPT],
    )


# A message the customer sent (their mail, their SMS) is not an answer to them; a
# call or visit they started is, since staff spoke with them.
_CUSTOMER_MESSAGES = {"email", "sms"}


def _on_first_contact(event: CaseEvent) -> Effects:
    data = event.data or {}
    if data.get("direction") == "inbound" and data.get("kind") in _CUSTOMER_MESSAGES:
        return []
    return _clocks_meet(event.case, [TargetKind.RESPONSE], event.created_at)


def _on_plan(event: CaseEvent) -> Effects:
    case = event.case
    met = _clocks_meet(case, [TargetKind.PLAN], event.created_at)
    return met + _clocks_recompute(case, event.created_at)


def _on_transition(event: CaseEvent) -> Effects:
    case, data, at = event.case, event.data, event.created_at
    source, target = data.get("from"), data.get("to")
    effects: Effects = []
    if source == "received":
        effects += _clocks_meet(case, [TargetKind.RESPONSE], at)
    if target == "awaiting_customer":
        effects += _clock_pause(case, at)
    elif source == "awaiting_customer":
        effects += _clock_resume(case, at)
    if target == "feedback":
        effects += _clocks_meet(case, [TargetKind.RESOLUTION], at)
        effects += _effects("started", [_clock_start(case, TargetKind.FOLLOW_UP, at)])
    elif target in ("archived", "rejected"):
        effects += _clocks_stop(case, at)
    elif target == "reopened":
        effects += _clock_restart(case, TargetKind.RESOLUTION, at)
    return effects


def _on_feedback(event: CaseEvent) -> Effects:
    return _clocks_meet(event.case, [TargetKind.FOLLOW_UP], event.created_at)


def _on_classified(event: CaseEvent) -> Effects:
    return _clocks_recompute(event.case, event.created_at)


_HANDLERS: dict[str, Callable[[CaseEvent], Effects]] = {
    "case.received": _on_received,
    "communication.logged": _on_first_contact,
    "reply.sent": _on_first_contact,
    "plan.proposed": _on_plan,
    "case.transitioned": _on_transition,
    "feedback.recorded": _on_feedback,
    "case.classified": _on_classified,
}


def _resolution_type(case: Case) -> str:
    plan = _replayed(("plan", case.pk), lambda: current_plan(case))
    return plan.resolution_type if plan else ""


def _rule_for(
    case: Case, kind: str, *, resolution_type: str | None = None
) -> TargetRule | None:
    rules = _replayed("rules", target_rules)
    if resolution_type is None:
        resolution_type = _resolution_type(case)
    return case_target(case, kind, resolution_type=resolution_type, rules=rules)


def _calendar(store: Store) -> BusinessCalendar:
    return _replayed(("calendar", store.pk), lambda: calendar_for_store(store))


def _reads_for(key: object) -> dict[object, object] | None:
    shared = _shared_reads.get()
    if shared is not None and not (isinstance(key, tuple) and key[0] == "plan"):
        return shared
    return _event_reads.get()


def _replayed(key: object, read: Callable[[], T]) -> T:
    replay = _replay.get()
    reads = replay.reads if replay is not None else _reads_for(key)
    if reads is None:
        return read()
    if key not in reads:
        reads[key] = read()
    return reads[key]  # type: ignore[return-value]


def _clock_start(case: Case, kind: str, at: dt.datetime) -> Clock | None:
    rule = _rule_for(case, kind)
    if rule is None or _has_clock(case, kind):
        return None
    clock = _clock_new(case, rule, at)
    _save(clock)
    _enqueue(clock)
    return clock


def _clock_new(case: Case, rule: TargetRule, at: dt.datetime) -> Clock:
    """An unsaved clock for the rule, started at `at`, its next checkpoint set."""
    policy = _replayed(
        ("policy", rule.policy_id), lambda: SlaPolicy.objects.get(pk=rule.policy_id)
    )
    clock = Clock(
        case=case,
        kind=rule.kind,
        target_id=rule.target_id,
        amount=rule.amount,
        unit=rule.unit,
        pauses_while_waiting=policy.pauses_while_waiting,
        warning_percents=policy.warning_percents,
        escalation_minutes=policy.escalation_minutes,
        started_at=at,
        due_at=due_at(at, rule.amount, rule.unit, _calendar(case.store)),
    )
    # Replayed timelines pass their checkpoints as history happened instead.
    started = at if _replay.get() is not None else timezone.now()
    _plan_checkpoints(clock, case, now=started, history=True)
    return clock


def _has_clock(case: Case, kind: str) -> bool:
    replay = _replay.get()
    if replay is not None:
        return kind in replay.clocks
    return Clock.objects.filter(case=case, kind=kind).exists()


def _save(clock: Clock) -> None:
    replay = _replay.get()
    if replay is not None:
        replay.clocks[clock.kind] = clock
    else:
        clock.save()


def _open_clocks(case: Case, kinds: Iterable[str] | None = None) -> list[Clock]:
    replay = _replay.get()
    if replay is not None:
        wanted = set(kinds) if kinds is not None else None
        return sorted(
            (
                clock
                for clock in replay.clocks.values()
                if clock.stopped_at is None and (wanted is None or clock.kind in wanted)
            ),
            key=lambda clock: clock.kind,
        )
    clocks = Clock.objects.select_for_update().filter(
        case=case, stopped_at__isnull=True
    )
    if kinds is not None:
        clocks = clocks.filter(kind__in=list(kinds))
    return list(clocks.order_by("kind"))


def _clocks_meet(case: Case, kinds: list[str], at: dt.datetime) -> Effects:
    met = _open_clocks(case, kinds)
    for clock in met:
        clock.met_at = clock.stopped_at = at
        if at > clock.due_at and clock.breached_at is None:
            clock.breached_at = clock.due_at  # late, even if no worker noticed
        _unschedule(clock)
    return _effects("met", met)


def _clocks_stop(case: Case, at: dt.datetime) -> Effects:
    stopped = _open_clocks(case)
    for clock in stopped:
        clock.stopped_at = at
        _unschedule(clock)
    return _effects("stopped", stopped)


def _clock_pause(case: Case, at: dt.datetime) -> Effects:
    paused = [
        clock
        for clock in _open_clocks(case, [TargetKind.RESOLUTION])
        if clock.pauses_while_waiting and clock.paused_at is None
    ]
    for clock in paused:
        clock.paused_at = at
        _unschedule(clock)
    return _effects("paused", paused)


def _clock_resume(case: Case, at: dt.datetime) -> Effects:
    calendar = _calendar(case.store)
    resumed = []
    for clock in _open_clocks(case, [TargetKind.RESOLUTION]):
        if clock.paused_at is None:
            continue
        clock.due_at = due_after_pause(
            due_at=clock.due_at,
            paused_at=clock.paused_at,
            resumed_at=at,
            unit=clock.unit,
            calendar=calendar,
        )
        clock.paused_at = None
        _reschedule(clock, case, now=at)
        resumed.append(clock)
    return _effects("resumed", resumed)


def _clock_restart(case: Case, kind: str, at: dt.datetime) -> Effects:
    """A reopened case gets a fresh resolution clock; the old one's fate is in
    the timeline already."""
    replay = _replay.get()
    if replay is not None:
        replay.clocks.pop(kind, None)
    else:
        Clock.objects.filter(case=case, kind=kind).delete()
    return _effects("started", [_clock_start(case, kind, at)])


def _clocks_recompute(case: Case, at: dt.datetime) -> Effects:
    """Severity, category or resolution type changed: the due times follow."""
    changed = []
    calendar = _calendar(case.store)
    for clock in _open_clocks(case):
        rule = _rule_for(case, clock.kind)
        if rule is None or (rule.amount, rule.unit) == (clock.amount, clock.unit):
            continue
        clock.target_id, clock.amount, clock.unit = (
            rule.target_id,
            rule.amount,
            rule.unit,
        )
        clock.due_at = due_at(clock.started_at, rule.amount, rule.unit, calendar)
        clock.breached_at = clock.breached_at if clock.due_at <= at else None
        clock.checkpoints_done = 0
        if clock.paused_at is None:
            _reschedule(clock, case, now=at)
        else:
            _unschedule(clock)
        changed.append(clock)
    return _effects("recomputed", changed)


def _schedule(clock: Clock, case: Case) -> list[Checkpoint]:
    return checkpoints(
        started_at=clock.started_at,
        due_at=clock.due_at,
        unit=clock.unit,
        calendar=_calendar(case.store),
        warning_percents=clock.warning_percents,
        escalation_minutes=clock.escalation_minutes,
    )


def _reschedule(
    clock: Clock, case: Case, now: dt.datetime | None = None, *, history: bool = False
) -> None:
    """Save the clock with its next checkpoint, and enqueue the task for it."""
    _plan_checkpoints(clock, case, now, history=history)
    _save(clock)
    _enqueue(clock)


def _plan_checkpoints(
    clock: Clock, case: Case, now: dt.datetime | None = None, *, history: bool = False
) -> None:
    """Set the clock's checkpoints done and its next one; saves nothing.

    Warnings whose moment is already past are skipped rather than sent late. With
    `history` (a clock started for a case received earlier: an import, a call logged
    afterwards) every checkpoint already past is recorded, a breach included, but
    announced to nobody: nobody could have acted on it.
    """
    points = _schedule(clock, case)
    if now is not None:
        passed = [p for p in points if p.at <= now]
        if not history:
            passed = [p for p in passed if p.code.startswith("warning")]
        clock.checkpoints_done = max(clock.checkpoints_done, len(passed))
        breach = next((p for p in passed if p.code == BREACH), None)
        if breach is not None and clock.breached_at is None:
            clock.breached_at = breach.at
    upcoming = next_checkpoint(points, clock.checkpoints_done)
    clock.next_check_at = upcoming.at if upcoming else None
    clock.version += 1


def _unschedule(clock: Clock) -> None:
    clock.next_check_at = None
    clock.version += 1  # any task already queued for this clock now does nothing
    _save(clock)


def _enqueue(clock: Clock) -> None:
    # A backend that cannot defer (the immediate one) leaves it to the reconcile sweep.
    if (
        clock.next_check_at is None
        or _replay.get() is not None
        or not tasks.clock_check.get_backend().supports_defer
    ):
        return
    check = tasks.clock_check.using(run_after=clock.next_check_at)
    enqueue_with_write(check, clock.pk, clock.version)


def _effects(change: str, clocks: Iterable[Clock | None]) -> Effects:
    return [
        {
            "change": change,
            "kind": clock.kind,
            "due_at": clock.due_at.isoformat(),
            "amount": clock.amount,
            "unit": clock.unit,
        }
        for clock in clocks
        if clock is not None
    ]


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
    points = _schedule(clock, clock.case)
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
    _reschedule(clock, clock.case)
    last = handled[-1].code
    event_type = CHECKPOINT_EVENTS[last.split(":")[0]]
    data = {
        "kind": clock.kind,
        "checkpoints": [point.code for point in handled],
        "due_at": clock.due_at.isoformat(),
    }
    replay = _replay.get()
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
        replay = _Replay(reads=reads)
        _replay_timeline(replay, case, events, now)
        clocks += replay.clocks.values()
        passed += replay.events
    clocks = Clock.objects.bulk_create(clocks)
    CaseEvent.objects.bulk_create(passed)
    _touch_cases(passed)
    for clock in clocks:
        if clock.is_running:
            _enqueue(clock)
    return len(clocks)


def _replay_timeline(
    replay: _Replay, case: Case, events: list[CaseEvent], now: dt.datetime
) -> None:
    token = _replay.set(replay)
    try:
        for event in sorted(events, key=lambda e: e.created_at):
            _advance_replayed(replay, case, event.created_at)
            effects = on_case_event(event)
            if effects and event.pk is None:
                event.data = {**event.data, **effects}
        _advance_replayed(replay, case, now)
    finally:
        _replay.reset(token)


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


def _advance_replayed(replay: _Replay, case: Case, now: dt.datetime) -> None:
    due = [
        clock
        for clock in replay.clocks.values()
        if clock.is_running and clock.next_check_at and clock.next_check_at <= now
    ]
    for clock in sorted(due, key=lambda clock: clock.kind):
        clock.case = case
        _advance(clock, now)


def clocks_reconcile(*, now: dt.datetime | None = None, limit: int = 50_000) -> int:
    """Queue a check for every running clock whose checkpoint passed unnoticed.

    One set-based query over the partial index on `next_check_at`; the checks
    themselves are the worker's (each is idempotent: a clock already advanced by its
    own deferred task, or queued twice, is left alone). Returns how many were queued.
    """
    now = now or timezone.now()
    overdue = list(
        Clock.objects.needing_attention(now)
        .order_by("next_check_at")
        .values_list("pk", "version")[:limit]
    )
    for clock_id, version in overdue:
        tasks.clock_check.enqueue(clock_id, version)
    return len(overdue)


RECONCILE_SWEEP = "sla.reconcile"


def reconcile_sweep_claim(*, now: dt.datetime | None = None) -> dt.datetime | None:
    """Claim this round of the periodic reconcile; returns when the next one is due.

    None means another chain holds the schedule (its next run is still ahead), so
    the caller must neither sweep nor enqueue a successor.
    """
    now = now or timezone.now()
    following = now + dt.timedelta(minutes=settings.KESU_SLA_RECONCILE_MINUTES)
    Sweep.objects.get_or_create(name=RECONCILE_SWEEP, defaults={"next_run_at": now})
    claimed = Sweep.objects.filter(name=RECONCILE_SWEEP, next_run_at__lte=now).update(
        next_run_at=following
    )
    return following if claimed else None


def reconcile_sweep_start() -> None:
    """Start the periodic reconcile chain (called when the task worker starts).

    Safe to call any number of times: a duplicate chain stops at its first claim.
    """
    tasks.clocks_reconcile.enqueue()
