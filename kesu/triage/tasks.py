"""Triage work for the task worker. Each task takes an ID and is idempotent."""

from __future__ import annotations

from django_tasks import task


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
