"""Repeat complaints (R-CL-5): same customer, same product or category, recently."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from kesu.cases.models import Case, Severity
from kesu.cases.services import event_append
from kesu.cases.services.work import case_classify_by_system

SEVERITY_STEPS = list(Severity.values)  # general < urgent < major


def repeat_earlier(case: Case) -> Case | None:
    """The latest earlier case this one repeats, within KESU_REPEAT_WINDOW_DAYS.

    The same customer is the same row, or another with the same phone or e-mail
    blind index (a customer record may have been created twice).
    """
    subject = Q(pk__in=[])
    if case.product_id:
        subject |= Q(product_id=case.product_id)
    if case.category_id:
        subject |= Q(category_id=case.category_id)
    customer = case.customer
    same = Q(customer_id=customer.pk)
    if customer.phone_index:
        same |= Q(customer__phone_index=customer.phone_index)
    if customer.email_index:
        same |= Q(customer__email_index=customer.email_index)
    since = case.received_at - dt.timedelta(days=settings.KESU_REPEAT_WINDOW_DAYS)
    return (
        Case.objects.filter(same, subject, received_at__range=(since, case.received_at))
        .exclude(pk=case.pk)
        .order_by("-received_at", "-pk")
        .first()
    )


def severity_raised(severity: str) -> str:
    """One step up: general → urgent → major (major stays major)."""
    step = SEVERITY_STEPS.index(severity) + 1
    return SEVERITY_STEPS[min(step, len(SEVERITY_STEPS) - 1)]


@transaction.atomic
def case_repeat_link(*, case: Case, may_raise: bool = True) -> Case:
    """Link a repeat complaint to the earlier case and raise its severity one step.

    Does nothing for a case already linked; `may_raise` is False once staff have
    classified the case (their severity stands). Returns the case as it is now.
    """
    if case.events.filter(type="case.repeat_linked").exists():
        return case
    earlier = repeat_earlier(case)
    if earlier is None:
        return case
    match = (
        "product"
        if case.product_id and case.product_id == earlier.product_id
        else "category"
    )
    event_append(
        case=case,
        type="case.repeat_linked",
        actor=None,
        data={
            "earlier": earlier.pk,
            "earlier_number": earlier.number,
            "match": match,
            "window_days": settings.KESU_REPEAT_WINDOW_DAYS,
        },
    )
    raised = severity_raised(case.severity)
    if not may_raise or raised == case.severity:
        return case
    return case_classify_by_system(
        case=case,
        category=case.category,
        subcategory=case.subcategory,
        severity=raised,
        impact_grade=case.impact_grade,
        data={"repeat_of": earlier.pk},
    )
