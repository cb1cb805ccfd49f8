"""Reads for intake: who becomes first contact, and what response time we promise."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from kesu.accounts.models import Role, Store, User
from kesu.cases.models import Case
from kesu.cases.workflow import CLOSED_STATES
from kesu.core.errors import Conflict
from kesu.sla.models import Clock, TargetKind
from kesu.sla.policies import due_at
from kesu.sla.selectors import calendar_for_store, case_target


def first_contact_owner(store: Store) -> User:
    """The agent who owns a complaint that arrived without staff (首问负责, R-CL-4).

    The requirements make the receiving agent the customer's single contact. A web,
    API or mail complaint has no receiving agent, so it goes to an agent of the store
    it names (the one with the fewest open cases, so the work spreads), else to
    KESU_INTAKE_OWNER, else to the least-busy agent anywhere. Absent staff are skipped.
    """
    agents = User.objects.filter(is_active=True, is_absent=False, role=Role.AGENT)
    owner = _least_busy(agents.filter(stores=store))
    if owner is None and settings.KESU_INTAKE_OWNER:
        owner = User.objects.filter(
            is_active=True, username=settings.KESU_INTAKE_OWNER
        ).first()
    owner = owner or _least_busy(agents)
    if owner is None:
        raise Conflict(
            _("No agent can receive this complaint; set KESU_INTAKE_OWNER."),
            code="no_first_contact",
        )
    return owner


def _least_busy(users: QuerySet[User]) -> User | None:
    open_cases = Count("owned_cases", filter=~Q(owned_cases__status__in=CLOSED_STATES))
    return users.annotate(load=open_cases).order_by("load", "pk").first()


def first_response_due(case: Case) -> dt.datetime | None:
    """When we promise the customer a first response: the case's clock, else policy."""
    clock_due = (
        Clock.objects.filter(case=case, kind=TargetKind.RESPONSE)
        .values_list("due_at", flat=True)
        .first()
    )
    if clock_due is not None:
        return clock_due
    rule = case_target(case, TargetKind.RESPONSE)
    if rule is None:
        return None
    return due_at(
        case.received_at, rule.amount, rule.unit, calendar_for_store(case.store)
    )
