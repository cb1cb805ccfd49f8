"""Reads for intake: who becomes first contact, and what response time we promise."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from kesu.accounts.models import Role, Store, User
from kesu.cases.models import Case
from kesu.cases.workflow import OPEN_STATES
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
    agents = _agents()
    owner = _least_busy(list(agents.filter(stores=store)))
    owner = owner or _intake_owner() or _least_busy(list(agents))
    if owner is None:
        raise _no_first_contact()
    return owner


class FirstContactPicker:
    """`first_contact_owner` for a run of complaints (an import batch).

    The agents, their stores and open-case counts are read once; each case handed
    out counts towards its owner, so the picks are those made one by one.
    """

    def __init__(self) -> None:
        self._agents = list(_agents().prefetch_related("stores"))
        self._stores = {a.pk: {s.pk for s in a.stores.all()} for a in self._agents}
        self._load = _open_cases(self._agents)
        self._fallback = _intake_owner()

    def pick(self, store: Store) -> User:
        """The first contact for one more complaint at `store`."""
        local = [a for a in self._agents if store.pk in self._stores[a.pk]]
        owner = self._least(local) or self._fallback or self._least(self._agents)
        if owner is None:
            raise _no_first_contact()
        self._load[owner.pk] = self._load.get(owner.pk, 0) + 1
        return owner

    def _least(self, users: list[User]) -> User | None:
        return min(users, key=lambda u: (self._load.get(u.pk, 0), u.pk), default=None)


def _agents() -> QuerySet[User]:
    return User.objects.filter(
        is_active=True, is_absent=False, role=Role.AGENT
    ).order_by("pk")


def _intake_owner() -> User | None:
    if not settings.KESU_INTAKE_OWNER:
        return None
    return User.objects.filter(
        is_active=True, username=settings.KESU_INTAKE_OWNER
    ).first()


def _no_first_contact() -> Conflict:
    return Conflict(
        _("No agent can receive this complaint; set KESU_INTAKE_OWNER."),
        code="no_first_contact",
    )


def _open_cases(users: list[User]) -> dict[int, int]:
    # Counted per owner over the open states only, so the (owner, status) index
    # answers it without touching the closed cases (the bulk of a long history).
    return dict(
        Case.objects.filter(owner__in=users, status__in=OPEN_STATES)
        .order_by()
        .values_list("owner")
        .annotate(n=Count("pk"))
        .values_list("owner", "n")
    )


def _least_busy(users: list[User]) -> User | None:
    if not users:
        return None
    load = _open_cases(users)
    return min(users, key=lambda user: (load.get(user.pk, 0), user.pk))


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
