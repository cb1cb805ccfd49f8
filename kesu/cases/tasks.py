"""Background work for cases, run by the task worker (`kesu db_worker`).

Tasks take IDs and are idempotent enough for retries: each sends one e-mail about the
state it finds when it runs.
"""

from __future__ import annotations

from django_tasks import task

from kesu.accounts.models import User
from kesu.cases import notifications
from kesu.cases.models import Case, HandlingPlan


@task()
def notify_assignee(case_id: int, user_id: int) -> int:
    """E-mail the assignee, unless the case has been reassigned since."""
    case = Case.objects.select_related("owner").get(pk=case_id)
    if case.assignee_id != user_id:
        return 0
    return notifications.assignment_notify(
        case=case, assignee=User.objects.get(pk=user_id)
    )


@task()
def notify_approvers(plan_id: int) -> int:
    """E-mail the approvers, unless the plan has been decided since."""
    plan = HandlingPlan.objects.select_related("case", "proposed_by").get(pk=plan_id)
    if plan.approval_status != "pending":
        return 0
    return notifications.approval_request_notify(plan=plan)
