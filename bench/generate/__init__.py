"""`kesu bench generate`: years of realistic cases, fast enough for a million.

Every case is a copy of a played story (`pool.py`: the demo's `Story`, which records
a case the way the services do) moved to its own day, customer and number, its
timeline squeezed when the case is younger than the story. The choices per case are
numpy arrays (`plan.py`: seasonal and weekly days, statuses by age, a long tail over
stores, repeat customers from a bounded pool of encrypted ones, numbers continuing
the day counters); the database then makes the rows with set-based INSERT … SELECT
per chunk of cases (`load.py`). Customer data is encrypted as `EncryptedTextField`
does, blind indexes are `kesu.privacy.crypto`'s, search text is the case number's
and the story's jieba tokens (plus the FTS5 rows on SQLite), and the day counters
and id sequences end past what was used, so the app goes on numbering.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Max

from bench.generate import customers, load
from bench.generate.plan import Plan, plan_cases
from bench.generate.pool import Pool, play_pool
from bench.generate.shape import (
    DEFAULT_ANCHOR,
    DEFAULT_SEED,
    DETAILS,
    HISTORY_DAYS,
    LONG_TIMELINE_EVENTS,
    LONG_TIMELINE_EVERY,
    REPEAT_SHARE,
    bracket_of,
    day_weights,
    parse_size,
    store_weights,
)
from kesu.cases.models import (
    Case,
    CaseEvent,
    CaseNumberCounter,
    CollaborationRequest,
    Customer,
    HandlingPlan,
)
from kesu.demo.generator import ensure_reference_data
from kesu.demo.tables import STATUS_BY_AGE

__all__ = [
    "DEFAULT_ANCHOR",
    "DEFAULT_SEED",
    "DETAILS",
    "HISTORY_DAYS",
    "LONG_TIMELINE_EVENTS",
    "LONG_TIMELINE_EVERY",
    "REPEAT_SHARE",
    "STATUS_BY_AGE",
    "GenerateResult",
    "bracket_of",
    "day_weights",
    "generate",
    "parse_size",
    "plan",
    "store_weights",
]

Progress = Callable[[str], None]
STORIES_PER_GROUP = 60


@dataclass
class GenerateResult:
    cases: int
    customers: int
    events: int
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)
    median_cases_per_second: float = 0.0  # of the chunks
    median_events_per_second: float = 0.0

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _processes() -> int:
    # Forked children must not share an open transaction's connection state.
    return 1 if connection.in_atomic_block else min(2, os.cpu_count() or 1)


def plan(
    *, size: int, seed: int, anchor: dt.datetime, progress: Progress
) -> tuple[Pool, Plan]:
    """The played stories and every case's choices; nothing is written."""
    refs = ensure_reference_data(progress=progress)
    per_group = max(3, min(STORIES_PER_GROUP, size // 200))
    pool = play_pool(
        refs, seed=seed, anchor=anchor, per_group=per_group, processes=_processes()
    )
    first_ids = {
        name: (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        for name, model in (
            ("case", Case),
            ("customer", Customer),
            ("event", CaseEvent),
            ("plan", HandlingPlan),
            ("request", CollaborationRequest),
        )
    }
    counters = dict(CaseNumberCounter.objects.values_list("day", "last"))
    chosen = plan_cases(
        size=size,
        seed=seed,
        anchor=anchor,
        pool=pool,
        first_ids=first_ids,
        counters=counters,
    )
    return pool, chosen


def generate(
    *,
    size: int,
    seed: int = DEFAULT_SEED,
    anchor: dt.datetime = DEFAULT_ANCHOR,
    progress: Progress = lambda message: None,
) -> GenerateResult:
    """Add `size` generated cases (with customers, plans, requests and timelines)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    started = time.monotonic()
    phases: dict[str, float] = {}
    pool, chosen = plan(size=size, seed=seed, anchor=anchor, progress=progress)
    phases["plan"] = time.monotonic() - started
    progress(
        f"planned {size:,} cases from {len(pool.templates):,} stories "
        f"in {phases['plan']:.1f} s"
    )
    began = time.monotonic()
    rows = customers.encrypt_all(chosen.customers, _processes())
    phases["customers"] = time.monotonic() - began
    progress(f"encrypted {len(rows):,} customers in {phases['customers']:.1f} s")
    existing = Case.objects.count()
    loaded = load.load(chosen, pool, rows, existing=existing, progress=progress)
    phases.update(loaded.phases)
    return GenerateResult(
        cases=size,
        customers=len(rows),
        events=chosen.events,
        seconds=time.monotonic() - started,
        phases=phases,
        median_cases_per_second=loaded.median_rate(loaded.chunk_cases),
        median_events_per_second=loaded.median_rate(loaded.chunk_events),
    )
