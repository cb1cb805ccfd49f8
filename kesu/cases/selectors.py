"""Reads of cases, always scoped to the user (R-SEC-1): out of scope is not found."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kesu.accounts.models import Role, User
from kesu.accounts.permissions import Capability, has_capability
from kesu.cases import search
from kesu.cases.models import Case, CaseEvent, CaseQuerySet, Visibility
from kesu.core.errors import NotFound


def case_scope(user: User) -> Q:
    """The cases a user may see: everything, their departments', or their own."""
    if has_capability(user, Capability.CASE_SEE_ALL):
        return Q()
    own = Q(owner=user) | Q(assignee=user)
    if user.role in {Role.HANDLER, Role.SUPERVISOR}:
        return own | Q(department__in=user.departments.values("pk"))
    if user.role == Role.AGENT:
        return own | Q(store__in=user.stores.values("pk"))
    return own


def _scoped(user: User) -> CaseQuerySet:
    if not user.is_active:
        return Case.objects.none()
    return Case.objects.filter(case_scope(user))


@dataclass
class CaseFilters:
    """The filters of the case list, in the UI and the API alike."""

    status: list[str] | None = None
    category: int | None = None
    severity: str = ""
    department: int | None = None
    store: int | None = None
    assignee: int | None = None
    owner: int | None = None
    channel: str = ""
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    text: str = ""


def case_list(*, user: User, filters: CaseFilters | None = None) -> CaseQuerySet:
    """Cases in the user's scope matching the filters, newest first."""
    f = filters or CaseFilters()
    queryset = _scoped(user).with_list_relations()
    exact = {
        "category_id": f.category,
        "severity": f.severity,
        "department_id": f.department,
        "store_id": f.store,
        "assignee_id": f.assignee,
        "owner_id": f.owner,
        "channel": f.channel,
        "received_at__date__gte": f.received_from,
        "received_at__date__lte": f.received_to,
    }
    queryset = queryset.filter(
        **{k: v for k, v in exact.items() if v not in (None, "")}
    )
    if f.status:
        queryset = queryset.filter(status__in=f.status)
    if f.text.strip():
        queryset = search.filter_by_text(queryset, f.text)
    return queryset.order_by("-received_at", "-id")


def case_get(*, user: User, number: str) -> Case:
    """One case by number, or NotFound when it does not exist or is out of scope."""
    case = _scoped(user).with_list_relations().filter(number=number).first()
    if case is None:
        raise NotFound(_("No case %(number)s.") % {"number": number})
    return case


def case_timeline(*, case: Case, user: User) -> QuerySet[CaseEvent]:
    """The case's events in order; internal ones only for roles that may see them."""
    events = case.events.select_related("actor").order_by("created_at", "id")
    if not has_capability(user, Capability.CASE_SEE_INTERNAL):
        events = events.filter(visibility=Visibility.CUSTOMER)
    return events
