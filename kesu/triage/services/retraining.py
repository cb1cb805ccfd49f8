"""Retraining runs: queue one (button, command, schedule), run it, and the periodic
check that queues one when enough new overrides came in.

django-tasks has no periodic scheduler, so the check is a self-renewing chain on the
SLA app's `Sweep` table, exactly like the deadline reconcile: a round continues the
chain only if it moves the slot's `next_run_at` forward itself.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kesu.accounts.models import User
from kesu.accounts.permissions import Capability, has_capability
from kesu.core.errors import DomainError, PermissionDenied
from kesu.sla.models import Sweep
from kesu.triage import model_selectors, tasks
from kesu.triage.models import RetrainRun, RetrainStatus, RetrainTrigger
from kesu.triage.services.training import model_retrain

logger = logging.getLogger(__name__)

RETRAIN_SWEEP = "triage.retrain"
RETRAIN_CHECK_MINUTES = 60
# A run pending this long lost its worker (training takes a minute at most): it is
# failed so that it no longer blocks the next one.
STALE_AFTER = dt.timedelta(hours=2)


def retrain_request(
    *, trigger: str, by: User | None = None, enqueue: bool = True
) -> tuple[RetrainRun, bool]:
    """Queue a retraining unless one is already queued or running.

    Returns the pending run and whether this call created it: a double click, or the
    schedule firing while staff asked, queues one run and one task.
    """
    if by is not None and not has_capability(by, Capability.MODELS_MANAGE):
        raise PermissionDenied("you may not retrain the triage model")
    with transaction.atomic():
        _fail_stale()
        pending = RetrainRun.objects.filter(is_pending=True).first()
        if pending is not None:
            return pending, False
        try:
            with transaction.atomic():
                run = RetrainRun.objects.create(trigger=trigger, requested_by=by)
        except IntegrityError:
            # A concurrent request inserted its run first (the partial unique index).
            return RetrainRun.objects.get(is_pending=True), False
        if enqueue:
            transaction.on_commit(partial(tasks.model_retrain_run.enqueue, run.pk))
    return run, True


def _fail_stale() -> None:
    RetrainRun.objects.filter(
        is_pending=True, requested_at__lt=timezone.now() - STALE_AFTER
    ).update(
        status=RetrainStatus.FAILED,
        is_pending=False,
        finished_at=timezone.now(),
        message="no result after two hours: the task worker may have stopped",
    )


def retrain_run_execute(
    *, run_id: int, data_dir: str | None = None
) -> RetrainRun | None:
    """Run a queued retraining; None if it already ran (a task may run twice)."""
    claimed = RetrainRun.objects.filter(pk=run_id, status=RetrainStatus.QUEUED).update(
        status=RetrainStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    try:
        candidate = model_retrain(data_dir=data_dir)
    except DomainError as exc:
        return _finish(run_id, RetrainStatus.FAILED, message=exc.message)
    except Exception:
        _finish(run_id, RetrainStatus.FAILED, message="unexpected error: see the log")
        raise
    # The candidate carries the verdict: the page shows it in the reader's language.
    return _finish(run_id, RetrainStatus.DONE, message="", candidate_id=candidate.pk)


def _finish(
    run_id: int, status: str, *, message: str, candidate_id: int | None = None
) -> RetrainRun:
    RetrainRun.objects.filter(pk=run_id).update(
        status=status,
        is_pending=False,
        finished_at=timezone.now(),
        message=message[:500],
        candidate_id=candidate_id,
    )
    return RetrainRun.objects.get(pk=run_id)


def retrain_if_due() -> RetrainRun | None:
    """Queue a retraining once KESU_TRIAGE_RETRAIN_MIN_NEW overrides are new."""
    threshold = settings.KESU_TRIAGE_RETRAIN_MIN_NEW
    if threshold <= 0 or model_selectors.new_override_count() < threshold:
        return None
    run, created = retrain_request(trigger=RetrainTrigger.SCHEDULE)
    return run if created else None


def retrain_sweep_claim(*, now: dt.datetime | None = None) -> dt.datetime | None:
    """Claim this round of the periodic check; returns when the next one is due.

    None means another chain holds the schedule: the caller neither checks nor
    enqueues a successor.
    """
    return Sweep.objects.claim(
        RETRAIN_SWEEP,
        every=dt.timedelta(minutes=RETRAIN_CHECK_MINUTES),
        now=now or timezone.now(),
    )


def retrain_sweep_start() -> None:
    """Start the periodic check chain (called when the task worker starts).

    Safe to call any number of times: a duplicate chain stops at its first claim.
    """
    tasks.model_retrain_sweep.enqueue()
