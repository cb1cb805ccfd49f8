"""`case_scope` with id lists finds exactly the cases the sub-query form found.

The scope used to be an OR over sub-queries (the user's departments, the cases
their departments were asked to help on, their stores); it now reads the
departments and stores first. `_subquery_scope` is that former form, kept here
as the reference. Runs on SQLite and, with KESU_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db.models import Q
from django.utils import timezone

from kesu.accounts.models import Role, User
from kesu.accounts.permissions import Capability, has_capability
from kesu.cases.models import Case, CollaborationRequest
from kesu.cases.selectors import CaseFilters, case_list, case_scope
from tests.factories import DepartmentFactory, StoreFactory, UserFactory, make_case


def _subquery_scope(user: User) -> Q:
    if has_capability(user, Capability.CASE_SEE_ALL):
        return Q()
    own = Q(owner=user) | Q(assignee=user)
    mine = user.departments.values("pk")
    helping = Q(
        pk__in=CollaborationRequest.objects.filter(department__in=mine).values(
            "case_id"
        )
    )
    departments = Q(department__in=mine) | helping
    if user.role == Role.SUPERVISOR:
        unrouted = Q(department__isnull=True)
        return own | departments | unrouted | Q(store__in=user.stores.values("pk"))
    if user.role == Role.HANDLER:
        return own | departments
    if user.role == Role.AGENT:
        return own | Q(store__in=user.stores.values("pk"))
    return own


@pytest.fixture
def world(db):
    """Cases over every combination of department, store, owner and assignee."""
    deps = [DepartmentFactory(code=f"scope-d{i}") for i in range(3)]
    stores = [StoreFactory(code=f"scope-s{i}") for i in range(3)]
    d0, d1, d2 = deps
    s0, s1, s2 = stores
    users = [
        UserFactory(username="sup", role=Role.SUPERVISOR, departments=[d0, d1]),
        UserFactory(username="sup_store", role=Role.SUPERVISOR, stores=[s2]),
        UserFactory(
            username="sup_both", role=Role.SUPERVISOR, departments=[d2], stores=[s0]
        ),
        UserFactory(username="hand", role=Role.HANDLER, departments=[d1]),
        UserFactory(username="hand_alone", role=Role.HANDLER),
        UserFactory(username="hand_store", role=Role.HANDLER, stores=[s1]),
        UserFactory(username="ag", role=Role.AGENT, stores=[s0, s1]),
        UserFactory(username="ag_alone", role=Role.AGENT),
        UserFactory(username="ag_dept", role=Role.AGENT, departments=[d0]),
        UserFactory(username="qual", role=Role.QUALITY, departments=[d2]),
        UserFactory(username="mgr", role=Role.MANAGER),
    ]
    people = [None, *users[:4], users[6]]
    creator = users[6]
    combos = itertools.product([None, *deps], stores, people[:4], people[::2])
    for index, (dep, shop, owner, assignee) in enumerate(combos):
        case = make_case(by=creator, store=shop)
        Case.objects.filter(pk=case.pk).update(
            department=dep,
            owner=owner or creator,
            assignee=assignee,
            received_at=timezone.now() - dt.timedelta(hours=index),
        )
        # Help asked of a department on some cases, routed or not, its own or not.
        if index % 5 == 0:
            CollaborationRequest.objects.create(
                case=case,
                department=deps[index % 3],
                request="请协助",
                due_at=timezone.now(),
                requested_by=creator,
            )
    return users


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_the_scope_finds_the_same_cases_as_the_subquery_form(world):
    seen = []
    for user in world:
        expected = _ids(Case.objects.filter(_subquery_scope(user)))
        assert _ids(Case.objects.filter(case_scope(user))) == expected, user.username
        seen.append(len(expected))
    # The data set tells the users apart: no trivially equal answers.
    assert len(set(seen)) >= 6
    assert 0 < min(n for n in seen if n) < max(seen) == Case.objects.count()


def test_filtered_lists_match_too(world):
    manager = world[-1]
    for user in world:
        old = _ids(Case.objects.filter(_subquery_scope(user)))
        assert _ids(case_list(user=user)) == old, user.username
        for filters in (
            CaseFilters(status=["received"]),
            CaseFilters(queue="unassigned"),
        ):
            everywhere = _ids(case_list(user=manager, filters=filters))
            found = _ids(case_list(user=user, filters=filters))
            assert found == old & everywhere, (user.username, filters)


def test_an_inactive_user_sees_nothing(world):
    supervisor = world[0]
    supervisor.is_active = False
    supervisor.save()

    assert not case_list(user=supervisor).exists()


def test_the_departments_are_read_when_the_scope_is_built(world):
    """A department added later counts from the next query on, not retroactively."""
    handler = world[4]  # no department yet: own cases only
    before = _ids(Case.objects.filter(case_scope(handler)))
    handler.departments.add(world[0].departments.first())

    after = _ids(Case.objects.filter(case_scope(handler)))

    assert before < after
    assert after == _ids(Case.objects.filter(_subquery_scope(handler)))
