"""Deadline clocks: the services (see `timeline` for how clocks follow a case).

Import from here; the modules group them: `timeline` (clocks kept in step with each
new event, starting clocks prepared before a write), `running` (the clock operations
the events trigger), `checkpoints` (passed checkpoints, replays), `sweep` (the
periodic reconcile) and `state` (what they share while an event, a batch or a replay
is handled).
"""

from kesu.sla.services.checkpoints import (
    clock_advance,
    clocks_replay,
    clocks_replay_many,
)
from kesu.sla.services.state import reads_shared
from kesu.sla.services.sweep import (
    clocks_reconcile,
    reconcile_sweep_claim,
    reconcile_sweep_start,
)
from kesu.sla.services.timeline import (
    clocks_for_new_case,
    clocks_prepared,
    clocks_prepared_many,
    on_case_event,
)

__all__ = [
    "clock_advance",
    "clocks_for_new_case",
    "clocks_prepared",
    "clocks_prepared_many",
    "clocks_reconcile",
    "clocks_replay",
    "clocks_replay_many",
    "on_case_event",
    "reads_shared",
    "reconcile_sweep_claim",
    "reconcile_sweep_start",
]
