"""The operations on a case's clocks: start, meet, stop, pause, resume, recompute.

Each returns what it changed (`Effects`), which the event that caused it stores.
During a replay the clocks live in memory (`state.current_replay`), else in the
database, locked by the writing transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from kesu.accounts.models import Store
from kesu.cases.models import Case
from kesu.cases.services.workflow import current_plan
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
from kesu.sla.models import Clock, SlaPolicy, TargetKind
from kesu.sla.policies import TargetRule, due_at
from kesu.sla.selectors import calendar_for_store, case_target, target_rules
from kesu.sla.services.state import Effects, current_replay, read_once

STARTED_ON_RECEIPT = (TargetKind.RESPONSE, TargetKind.PLAN, TargetKind.RESOLUTION)


def _resolution_type(case: Case) -> str:
    plan = read_once(("plan", case.pk), lambda: current_plan(case))
    return plan.resolution_type if plan else ""


def rule_for(
    case: Case, kind: str, *, resolution_type: str | None = None
) -> TargetRule | None:
    rules = read_once("rules", target_rules)
    if resolution_type is None:
        resolution_type = _resolution_type(case)
    return case_target(case, kind, resolution_type=resolution_type, rules=rules)


def store_calendar(store: Store) -> BusinessCalendar:
    return read_once(("calendar", store.pk), lambda: calendar_for_store(store))


def clock_start(case: Case, kind: str, at: dt.datetime) -> Clock | None:
    rule = rule_for(case, kind)
    if rule is None or _has_clock(case, kind):
        return None
    clock = clock_new(case, rule, at)
    _save(clock)
    clock_enqueue(clock)
    return clock


def clock_new(case: Case, rule: TargetRule, at: dt.datetime) -> Clock:
    """An unsaved clock for the rule, started at `at`, its next checkpoint set."""
    policy = read_once(
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
        due_at=due_at(at, rule.amount, rule.unit, store_calendar(case.store)),
    )
    # Replayed timelines pass their checkpoints as history happened instead.
    started = at if current_replay.get() is not None else timezone.now()
    _plan_checkpoints(clock, case, now=started, history=True)
    return clock


def _has_clock(case: Case, kind: str) -> bool:
    replay = current_replay.get()
    if replay is not None:
        return kind in replay.clocks
    return Clock.objects.filter(case=case, kind=kind).exists()


def _save(clock: Clock) -> None:
    replay = current_replay.get()
    if replay is not None:
        replay.clocks[clock.kind] = clock
    else:
        clock.save()


def _open_clocks(case: Case, kinds: Iterable[str] | None = None) -> list[Clock]:
    replay = current_replay.get()
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


def clocks_meet(case: Case, kinds: list[str], at: dt.datetime) -> Effects:
    met = _open_clocks(case, kinds)
    for clock in met:
        clock.met_at = clock.stopped_at = at
        if at > clock.due_at and clock.breached_at is None:
            clock.breached_at = clock.due_at  # late, even if no worker noticed
        _unschedule(clock)
    return effects_of("met", met)


def clocks_stop(case: Case, at: dt.datetime) -> Effects:
    stopped = _open_clocks(case)
    for clock in stopped:
        clock.stopped_at = at
        _unschedule(clock)
    return effects_of("stopped", stopped)


def clock_pause(case: Case, at: dt.datetime) -> Effects:
    paused = [
        clock
        for clock in _open_clocks(case, [TargetKind.RESOLUTION])
        if clock.pauses_while_waiting and clock.paused_at is None
    ]
    for clock in paused:
        clock.paused_at = at
        _unschedule(clock)
    return effects_of("paused", paused)


def clock_resume(case: Case, at: dt.datetime) -> Effects:
    calendar = store_calendar(case.store)
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
        clock_reschedule(clock, case, now=at)
        resumed.append(clock)
    return effects_of("resumed", resumed)


def clock_restart(case: Case, kind: str, at: dt.datetime) -> Effects:
    """A reopened case gets a fresh resolution clock; the old one's fate is in
    the timeline already."""
    replay = current_replay.get()
    if replay is not None:
        replay.clocks.pop(kind, None)
    else:
        Clock.objects.filter(case=case, kind=kind).delete()
    return effects_of("started", [clock_start(case, kind, at)])


def clocks_recompute(case: Case, at: dt.datetime) -> Effects:
    """Severity, category or resolution type changed: the due times follow."""
    changed = []
    calendar = store_calendar(case.store)
    for clock in _open_clocks(case):
        rule = rule_for(case, clock.kind)
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
            clock_reschedule(clock, case, now=at)
        else:
            _unschedule(clock)
        changed.append(clock)
    return effects_of("recomputed", changed)


def clock_schedule(clock: Clock, case: Case) -> list[Checkpoint]:
    return checkpoints(
        started_at=clock.started_at,
        due_at=clock.due_at,
        unit=clock.unit,
        calendar=store_calendar(case.store),
        warning_percents=clock.warning_percents,
        escalation_minutes=clock.escalation_minutes,
    )


def clock_reschedule(
    clock: Clock, case: Case, now: dt.datetime | None = None, *, history: bool = False
) -> None:
    """Save the clock with its next checkpoint, and enqueue the task for it."""
    _plan_checkpoints(clock, case, now, history=history)
    _save(clock)
    clock_enqueue(clock)


def _plan_checkpoints(
    clock: Clock, case: Case, now: dt.datetime | None = None, *, history: bool = False
) -> None:
    """Set the clock's checkpoints done and its next one; saves nothing.

    Warnings whose moment is already past are skipped rather than sent late. With
    `history` (a clock started for a case received earlier: an import, a call logged
    afterwards) every checkpoint already past is recorded, a breach included, but
    announced to nobody: nobody could have acted on it.
    """
    points = clock_schedule(clock, case)
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


def clock_enqueue(clock: Clock) -> None:
    # A backend that cannot defer (the immediate one) leaves it to the reconcile sweep.
    if (
        clock.next_check_at is None
        or current_replay.get() is not None
        or not tasks.clock_check.get_backend().supports_defer
    ):
        return
    check = tasks.clock_check.using(run_after=clock.next_check_at)
    enqueue_with_write(check, clock.pk, clock.version)


def effects_of(change: str, clocks: Iterable[Clock | None]) -> Effects:
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
