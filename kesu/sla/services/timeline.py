"""Deadline clocks follow the case's timeline (R-SLA-3/4).

`on_case_event` sees every case event just before it is written, inside the writing
transaction; it starts, meets, pauses, resumes and recomputes clocks and returns what
it changed, which is stored in that same event's data under "sla" — so one change is
still one event. A new case's starting clocks can be worked out before its write
transaction (`clocks_prepared`, `clocks_prepared_many`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from kesu.cases.models import Case, CaseEvent
from kesu.core.bulk import instances_insert
from kesu.sla.models import Clock, TargetKind
from kesu.sla.services.running import (
    STARTED_ON_RECEIPT,
    clock_enqueue,
    clock_new,
    clock_pause,
    clock_restart,
    clock_resume,
    clock_start,
    clocks_meet,
    clocks_recompute,
    clocks_stop,
    effects_of,
    rule_for,
)
from kesu.sla.services.state import (
    Effects,
    PreparedRun,
    current_replay,
    event_reads,
    prepared_case,
    prepared_run,
)


@contextmanager
def clocks_prepared(case: Case) -> Iterator[None]:
    """Work out a new, unsaved case's starting clocks before its write transaction.

    The rules, policy and calendar are read and the due times and checkpoints computed
    here; the case's `case.received` event, appended inside the block, then only
    inserts the clocks and queues their checks. A new case has no plan and no clocks
    yet, so neither is looked up.
    """
    token = prepared_case.set((case, clocks_for_new_case(case)))
    try:
        yield
    finally:
        prepared_case.reset(token)


def clocks_for_new_case(case: Case) -> list[Clock]:
    """A new, unsaved case's starting clocks, unsaved: rules read, due times and
    checkpoints computed; call outside the write transaction."""
    reads = event_reads.set({})
    try:
        return [
            clock_new(case, rule, case.received_at)
            for kind in STARTED_ON_RECEIPT
            if (rule := rule_for(case, kind, resolution_type="")) is not None
        ]
    finally:
        event_reads.reset(reads)


@contextmanager
def clocks_prepared_many(clocks: dict[int, list[Clock]]) -> Iterator[None]:
    """`clocks_prepared` for a run of new cases written together (an import batch).

    `clocks` maps id(case) to its `clocks_for_new_case`. The cases' `case.received`
    events, appended inside the block, claim them; they are inserted in one statement
    and their checks queued when the block ends without error.
    """
    run = PreparedRun(clocks=clocks)
    token = prepared_run.set(run)
    try:
        yield
    finally:
        prepared_run.reset(token)
    instances_insert(run.started)
    for clock in run.started:
        clock_enqueue(clock)


def on_case_event(event: CaseEvent) -> dict[str, object]:
    """Keep the case's clocks in step with one new (unsaved) timeline event."""
    handler = _HANDLERS.get(event.type)
    if handler is None:
        return {}
    reads = event_reads.set({})
    try:
        effects = handler(event)
    finally:
        event_reads.reset(reads)
    return {"sla": effects} if effects else {}


def _on_received(event: CaseEvent) -> Effects:
    case = event.case
    run = prepared_run.get()
    if run is not None and id(case) in run.clocks and current_replay.get() is None:
        started = run.clocks.pop(id(case))
        run.started.extend(started)
        return effects_of("started", started)
    prepared = prepared_case.get()
    if prepared is not None and prepared[0] is case and current_replay.get() is None:
        started = prepared[1]
        Clock.objects.bulk_create(started)  # one INSERT for the three
        for clock in started:
            clock_enqueue(clock)
        return effects_of("started", started)
    return effects_of(
        "started",
        [clock_start(case, kind, case.received_at) for kind in STARTED_ON_RECEIPT],
    )


# A message the customer sent (their mail, their SMS) is not an answer to them; a
# call or visit they started is, since staff spoke with them.
_CUSTOMER_MESSAGES = {"email", "sms"}


def _on_first_contact(event: CaseEvent) -> Effects:
    data = event.data or {}
    if data.get("direction") == "inbound" and data.get("kind") in _CUSTOMER_MESSAGES:
        return []
    return clocks_meet(event.case, [TargetKind.RESPONSE], event.created_at)


def _on_plan(event: CaseEvent) -> Effects:
    case = event.case
    met = clocks_meet(case, [TargetKind.PLAN], event.created_at)
    return met + clocks_recompute(case, event.created_at)


def _on_transition(event: CaseEvent) -> Effects:
    case, data, at = event.case, event.data, event.created_at
    source, target = data.get("from"), data.get("to")
    effects: Effects = []
    if source == "received":
        effects += clocks_meet(case, [TargetKind.RESPONSE], at)
    if target == "awaiting_customer":
        effects += clock_pause(case, at)
    elif source == "awaiting_customer":
        effects += clock_resume(case, at)
    if target == "feedback":
        effects += clocks_meet(case, [TargetKind.RESOLUTION], at)
        effects += effects_of("started", [clock_start(case, TargetKind.FOLLOW_UP, at)])
    elif target in ("archived", "rejected"):
        effects += clocks_stop(case, at)
    elif target == "reopened":
        effects += clock_restart(case, TargetKind.RESOLUTION, at)
    return effects


def _on_feedback(event: CaseEvent) -> Effects:
    return clocks_meet(event.case, [TargetKind.FOLLOW_UP], event.created_at)


def _on_classified(event: CaseEvent) -> Effects:
    return clocks_recompute(event.case, event.created_at)


_HANDLERS: dict[str, Callable[[CaseEvent], Effects]] = {
    "case.received": _on_received,
    "communication.logged": _on_first_contact,
    "reply.sent": _on_first_contact,
    "plan.proposed": _on_plan,
    "case.transitioned": _on_transition,
    "feedback.recorded": _on_feedback,
    "case.classified": _on_classified,
}
