"""Routing (R-CL-4): rules pick the department, the lightest workload the handler."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Q

from kesu.accounts.models import Department, Role, User
from kesu.cases.models import Case, Severity
from kesu.cases.services.work import case_assign_by_system
from kesu.triage.models import RoutingRule

WORK_WEIGHTS: dict[str, int] = {
    Severity.GENERAL: 1,
    Severity.URGENT: 3,
    Severity.MAJOR: 5,
}


def routing_rule_for(
    *,
    category_id: int | None,
    subcategory_id: int | None = None,
    product_id: int | None = None,
    store_id: int | None = None,
) -> RoutingRule | None:
    """The most specific active rule matching these values (empty fields match all)."""
    matching = RoutingRule.objects.filter(
        Q(category__isnull=True) | Q(category_id=category_id),
        Q(subcategory__isnull=True) | Q(subcategory_id=subcategory_id),
        Q(product__isnull=True) | Q(product_id=product_id),
        Q(store__isnull=True) | Q(store_id=store_id),
        is_active=True,
        department__is_active=True,
    ).select_related("department")
    return min(matching, key=lambda r: (-r.specificity, r.priority, r.pk), default=None)


def handler_workloads(department: Department) -> dict[User, int]:
    """Present handlers of the department and their severity-weighted open work."""
    handlers = list(
        User.objects.filter(
            departments=department, role=Role.HANDLER, is_active=True, is_absent=False
        ).order_by("pk")
    )
    counts = (
        Case.objects.open()
        .filter(assignee__in=handlers)
        .values("assignee", "severity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    load: dict[int, int] = defaultdict(int)
    for row in counts:
        load[row["assignee"]] += WORK_WEIGHTS.get(row["severity"], 1) * row["n"]
    return {user: load[user.pk] for user in handlers}


def handler_pick(department: Department) -> User | None:
    """The department's present handler with the least weighted open work."""
    workloads = handler_workloads(department)
    return min(workloads, key=lambda u: (workloads[u], u.pk), default=None)


@transaction.atomic
def case_route_apply(*, case: Case) -> bool:
    """Give a classified case without a department to its department and a handler.

    The first-contact owner stays (首问负责, R-CL-4); a case already given to a
    department, or matching no rule, is left alone. Returns whether it was routed.
    """
    if case.department_id is not None or case.is_closed:
        return False
    rule = routing_rule_for(
        category_id=case.category_id,
        subcategory_id=case.subcategory_id,
        product_id=case.product_id,
        store_id=case.store_id,
    )
    if rule is None:
        return False
    assignee = case.assignee
    if assignee is None or not assignee.departments.filter(pk=rule.department_id):
        assignee = handler_pick(rule.department)
    case_assign_by_system(
        case=case,
        department=rule.department,
        assignee=assignee,
        data={"routing": {"rule": rule.pk}},
    )
    return True
