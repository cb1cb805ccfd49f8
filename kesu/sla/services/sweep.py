"""The periodic reconcile: checks for clocks whose checkpoint passed unnoticed."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from kesu.sla import tasks
from kesu.sla.models import Clock, Sweep


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
    return Sweep.objects.claim(
        RECONCILE_SWEEP,
        every=dt.timedelta(minutes=settings.KESU_SLA_RECONCILE_MINUTES),
        now=now or timezone.now(),
    )


def reconcile_sweep_start() -> None:
    """Start the periodic reconcile chain (called when the task worker starts).

    Safe to call any number of times: a duplicate chain stops at its first claim.
    """
    tasks.clocks_reconcile.enqueue()
