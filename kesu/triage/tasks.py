"""Triage work for the task worker. Each task takes an ID and is idempotent.

Schedules: `model_retrain_sweep` checks every hour for new staff overrides and
re-enqueues itself (a chain on `kesu.sla.models.Sweep`, seeded at worker start by
`kesu.triage.services.retraining.retrain_sweep_start`); `model_retrain_run` runs once
per queued retraining.
"""

from __future__ import annotations

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def case_triage(case_id: int) -> str:
    """Classify, link and route a newly received case (R-CL-3/4/5)."""
    from kesu.triage.services import case_triage as triage

    return triage(case_id=case_id)


@task()
def case_route(case_id: int) -> bool:
    """Route a case that staff classified and that has no department yet (R-CL-4)."""
    from kesu.triage.services import case_route as route

    return route(case_id=case_id)


@task()
def model_retrain_run(run_id: int) -> int | None:
    """Run a queued retraining; the candidate model version's id."""
    from kesu.triage.services.retraining import retrain_run_execute

    run = retrain_run_execute(run_id=run_id)
    return run.candidate_id if run else None


@task()
def model_retrain_sweep() -> int | None:
    """The periodic check: queue a retraining when enough overrides are new.

    Re-enqueues itself for the next round, unless another chain holds the schedule.
    """
    from kesu.triage.services.retraining import retrain_if_due, retrain_sweep_claim

    following = retrain_sweep_claim()
    if following is None:
        return None
    if model_retrain_sweep.get_backend().supports_defer:
        model_retrain_sweep.using(run_after=following).enqueue()
    else:
        # The immediate backend (tests, no worker) would recurse instead of waiting.
        logger.info("task backend cannot defer; retrain check ran once")
    run = retrain_if_due()
    return run.pk if run else None
