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
def deadline_notify(case_id: int, kind: str, checkpoint: str) -> int:
    """Tell the people concerned that a deadline checkpoint passed."""
    from kesu.sla.notifications import deadline_notify as notify

    return notify(
        case=Case.objects.select_related("owner", "assignee").get(pk=case_id),
        kind=kind,
        checkpoint=checkpoint,
    )


@task()
def clocks_reconcile() -> int:
    """The periodic sweep that catches checkpoints missed while no worker ran."""
    from kesu.sla.services import clocks_reconcile as reconcile

    return reconcile()
