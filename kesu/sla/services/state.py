"""What the clock services share while one event, a batch or a replay is handled.

Context variables, not arguments: the clock operations run deep inside
`event_append` (through `on_case_event`), which knows nothing of imports or replays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from kesu.cases.models import Case, CaseEvent
from kesu.sla.models import Clock

Effects = list[dict[str, object]]


T = TypeVar("T")


# Set while a timeline is replayed: no tasks or notifications (they are for the
# present only), calendars and targets are read once, and the case's clocks live in
# memory until the replay writes them all at once.
@dataclass
class Replay:
    reads: dict[object, object] = field(default_factory=dict)
    clocks: dict[str, Clock] = field(default_factory=dict)  # by kind
    events: list[CaseEvent] = field(default_factory=list)  # checkpoints passed


current_replay: ContextVar[Replay | None] = ContextVar("sla_replay", default=None)


# The reads made while one event is handled: a received case starts three clocks,
# which share the rules, the policy and the store's calendar instead of reading
# each once per clock (and the calendar twice).
event_reads: ContextVar[dict[object, object] | None] = ContextVar(
    "sla_event_reads", default=None
)


# Set by `reads_shared` (an import batch): rules, policies and calendars read once for
# all its events. Plans are still read per event: one may change between two events.
shared_reads: ContextVar[dict[object, object] | None] = ContextVar(
    "sla_shared_reads", default=None
)


# Set by `clocks_prepared`: a new case and its starting clocks, worked out before its
# write transaction.
prepared_case: ContextVar[tuple[Case, list[Clock]] | None] = ContextVar(
    "sla_prepared", default=None
)


# Set by `clocks_prepared_many`: the starting clocks of a run of new cases, by case,
# and those whose `case.received` event was handled, inserted together at the end.
@dataclass
class PreparedRun:
    clocks: dict[int, list[Clock]]
    started: list[Clock] = field(default_factory=list)


prepared_run: ContextVar[PreparedRun | None] = ContextVar(
    "sla_prepared_run", default=None
)


@contextmanager
def reads_shared() -> Iterator[None]:
    """Read the deadline rules, policies and calendars once for a block of events.

    For a run of new cases (an import batch) inside one transaction, in which no
    policy or calendar changes.
    """
    token = shared_reads.set({})
    try:
        yield
    finally:
        shared_reads.reset(token)


def _reads_for(key: object) -> dict[object, object] | None:
    shared = shared_reads.get()
    if shared is not None and not (isinstance(key, tuple) and key[0] == "plan"):
        return shared
    return event_reads.get()


def read_once(key: object, read: Callable[[], T]) -> T:
    """`read()`, once per key while a replay, a batch or an event is handled."""
    replay = current_replay.get()
    reads = replay.reads if replay is not None else _reads_for(key)
    if reads is None:
        return read()
    if key not in reads:
        reads[key] = read()
    return reads[key]  # type: ignore[return-value]
