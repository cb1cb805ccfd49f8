"""R-SEC-1: who sees which case."""

from __future__ import annotations

import pytest

from kesu.accounts.models import Role
from kesu.cases.selectors import case_list
from kesu.cases.services import case_assign
from tests.factories import StoreFactory, UserFactory, make_case


@pytest.mark.django_db
def test_supervisor_sees_unrouted_cases_so_they_can_route_them(agent, supervisor):
    """A new case has no department yet; its router must be able to find it."""
    case = make_case(by=agent, store=StoreFactory(code="elsewhere"))

    assert list(case_list(user=supervisor)) == [case]


@pytest.mark.django_db
def test_supervisor_does_not_see_other_departments_cases_of_other_stores(
    agent, supervisor, manager, logistics
):
    case = make_case(by=agent, store=StoreFactory(code="elsewhere"))
    case_assign(case=case, department=logistics, assignee=None, by=manager)

    assert list(case_list(user=supervisor)) == []


@pytest.mark.django_db
def test_store_supervisor_sees_everything_received_in_their_store(
    agent, store, manager, logistics
):
    store_lead = UserFactory(username="lead", role=Role.SUPERVISOR, stores=[store])
    case = make_case(by=agent, store=store)
    case_assign(case=case, department=logistics, assignee=None, by=manager)

    assert list(case_list(user=store_lead)) == [case]


@pytest.mark.django_db
def test_handler_does_not_see_unrouted_cases(agent, handler):
    make_case(by=agent)

    assert list(case_list(user=handler)) == []


@pytest.mark.django_db
def test_department_asked_for_help_can_read_the_case(agent, other_handler, logistics):
    """R-WF-3: the helping department sees the case it was asked about."""
    import datetime as dt

    from django.utils import timezone

    from kesu.cases.services import collaboration_request

    case = make_case(by=agent)
    collaboration_request(
        case=case,
        by=agent,
        department=logistics,
        request="查物流",
        due_at=timezone.now() + dt.timedelta(hours=2),
    )

    assert list(case_list(user=other_handler)) == [case]
