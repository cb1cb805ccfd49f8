"""Deadline work for the task worker. Every task is idempotent (see services)."""

from __future__ import annotations

from django_tasks import task

from kesu.cases.models import Case


@task()
def clock_check(clock_id: int, version: int) -> list[str]:
    """Handle the clock's passed checkpoints, unless its schedule moved since."""
    from kesu.sla.services import clock_advance

    return clock_advance(clock_id=clock_id, version=version)


@task()
def deadline_notify(case_id: int, kind: str, checkpoint: str, due_at: str = "") -> int:
    """Tell the people concerned that a deadline checkpoint passed."""
    from kesu.sla.notifications import deadline_notify as notify

    return notify(
        case=Case.objects.select_related("owner", "assignee").get(pk=case_id),
        kind=kind,
        checkpoint=checkpoint,
        due_at=due_at,
    )


@task()
def clocks_reconcile() -> int:
    """The periodic sweep that catches checkpoints missed while no worker ran.

    Re-enqueues itself for the next round, unless another chain holds the schedule.
    """
    from kesu.sla.services import clocks_reconcile as reconcile
    from kesu.sla.services import reconcile_sweep_claim

    following = reconcile_sweep_claim()
    if following is None:
        return 0
    advanced = reconcile()
    if clocks_reconcile.get_backend().supports_defer:
        clocks_reconcile.using(run_after=following).enqueue()
    return advanced
