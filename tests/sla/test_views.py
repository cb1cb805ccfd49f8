"""R-SLA-5 in the UI: deadline badges, the breaching-soon queue, compliance figures."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from kesu.accounts.models import Role
from kesu.cases.services import case_assign, case_transition
from kesu.notifications.models import Notification
from kesu.sla.models import Clock
from kesu.sla.services import clock_advance
from kesu.sla.tasks import deadline_notify
from tests.factories import UserFactory, make_case, top_category

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, tzinfo=SHANGHAI)
LIST = reverse("cases:list")
COMPLIANCE = reverse("sla:compliance")


@pytest.fixture
def clock_time():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


@pytest.fixture
def worked(clock_time, agent, supervisor, handler, store, after_sales):
    """Three cases: answered in time, answered late, and one left waiting."""
    on_time, late, waiting = (
        make_case(by=agent, store=store, category=top_category("other"))
        for _ in range(3)
    )
    for case in (on_time, late, waiting):
        case_assign(case=case, department=after_sales, assignee=handler, by=supervisor)
    clock_time.shift(dt.timedelta(minutes=10))
    case_transition(case=on_time, action="verify", by=agent)
    clock_time.shift(dt.timedelta(hours=1))
    case_transition(case=late, action="verify", by=agent)
    return on_time, late, waiting


def test_list_shows_each_case_next_deadline_as_a_countdown_badge(
    client, clock_time, agent, store
):
    case = make_case(by=agent, store=store, category=top_category("other"))
    client.force_login(agent)

    page = client.get(LIST).content.decode()

    due = Clock.objects.get(case=case, kind="response").due_at
    assert f'data-due="{due.astimezone(SHANGHAI).isoformat()}"' in page
    assert 'data-state="ok"' in page
    assert "data-deadline-left=" in page  # the wording the countdown script uses


def test_badge_turns_to_warning_and_breached_as_time_passes(
    client, clock_time, agent, store
):
    make_case(by=agent, store=store, category=top_category("other"))
    client.force_login(agent)

    clock_time.shift(dt.timedelta(minutes=20))
    warning = client.get(LIST).content.decode()
    clock_time.shift(dt.timedelta(minutes=20))
    breached = client.get(LIST).content.decode()

    assert 'data-state="warning"' in warning
    assert 'data-state="breached"' in breached


def test_breaching_soon_queue_holds_overdue_and_nearly_due_cases_soonest_first(
    client, clock_time, worked, agent, store, settings
):
    settings.KESU_SLA_SOON_HOURS = 4
    on_time, late, waiting = worked
    client.force_login(agent)

    cases = list(client.get(LIST, {"queue": "breaching"}).context["page"].object_list)

    # The waiting case's response is overdue; the others' next deadlines are 24 h off.
    assert cases == [waiting]


def test_breached_filter_lists_cases_that_missed_that_deadline(
    client, worked, supervisor
):
    on_time, late, waiting = worked
    client.force_login(supervisor)

    missed = client.get(LIST, {"breached": "response"}).context["page"].object_list

    assert {case.pk for case in missed} == {late.pk, waiting.pk}


def test_detail_page_lists_every_clock_with_its_state(client, worked, agent):
    on_time, late, waiting = worked
    client.force_login(agent)

    page = client.get(reverse("cases:detail", args=[late.number])).content.decode()

    assert 'id="deadlines"' in page
    assert 'data-kind="response"' in page
    assert 'data-state="met_late"' in page
    assert 'data-kind="resolution"' in page


def test_compliance_counts_on_time_and_missed_responses_per_department(
    client, worked, supervisor, after_sales
):
    client.force_login(supervisor)

    response = client.get(COMPLIANCE, {"group": "department"})

    (row,) = response.context["rows"]
    assert row.label == after_sales.display_name
    assert (row.figures.response_due, row.figures.response_on_time) == (3, 1)
    assert row.figures.resolution_due == 0  # still running inside its 24 h
    assert "<svg" in response.content.decode()
    missed = client.get(row.response_missed_url).context["page"].object_list
    assert len(missed) == 2


@pytest.mark.parametrize("group", ["store", "person", "week", "month"])
def test_compliance_groups_the_same_deadlines_other_ways(
    client, worked, supervisor, group
):
    client.force_login(supervisor)

    rows = client.get(COMPLIANCE, {"group": group}).context["rows"]

    assert sum(row.figures.response_due for row in rows) == 3
    assert sum(row.figures.response_on_time for row in rows) == 1
    assert all(row.response_missed_url for row in rows)


def test_compliance_rejects_a_reversed_period(client, worked, supervisor):
    client.force_login(supervisor)

    response = client.get(
        COMPLIANCE, {"received_from": "2026-11-30", "received_to": "2026-11-01"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["received_to"]
    assert response.context["rows"] == []


def test_compliance_is_for_leads_only(client, agent):
    client.force_login(agent)

    assert client.get(COMPLIANCE).status_code == 403


def test_compliance_counts_only_cases_in_the_viewers_scope(client, worked, logistics):
    other_lead = UserFactory(role=Role.SUPERVISOR, departments=[logistics])
    client.force_login(other_lead)

    rows = client.get(COMPLIANCE).context["rows"]

    assert rows == []


def test_a_breach_lands_in_the_notification_centre_once(
    clock_time, worked, supervisor, handler, django_capture_on_commit_callbacks
):
    on_time, late, waiting = worked
    response = Clock.objects.get(case=waiting, kind="response")
    clock_time.shift(dt.timedelta(minutes=30))

    with django_capture_on_commit_callbacks(execute=True):
        clock_advance(clock_id=response.pk)  # the immediate backend notifies here
    deadline_notify.call(waiting.pk, "response", "breach", response.due_at.isoformat())

    received = Notification.objects.filter(case=waiting, kind="deadline.breach")
    assert {n.recipient for n in received} >= {supervisor, handler}
    assert received.count() == len({n.recipient_id for n in received})
    assert all(waiting.number in n.title for n in received)
