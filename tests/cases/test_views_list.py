"""The staff case list: queues, filters, search, pagination, scope (R-SEC-1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kesu.cases.models import Severity
from kesu.cases.services import case_assign, case_transition
from tests.factories import StoreFactory, UserFactory, make_case, top_category

pytestmark = pytest.mark.django_db

URL = reverse("cases:list")


@pytest.fixture(autouse=True)
def _english(client):
    """Assertions read the English source strings, whatever the default language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def numbers_in(response) -> set[str]:
    return {case.number for case in response.context["page"].object_list}


@pytest.mark.parametrize("persona", ["agent", "handler", "supervisor", "manager"])
def test_list_renders_for_each_staff_role(client, request, persona, agent, store):
    make_case(by=agent, store=store)
    client.force_login(request.getfixturevalue(persona))

    response = client.get(URL)

    assert response.status_code == 200
    assert b'id="results"' in response.content
    assert b"style=" not in response.content  # CSP: style-src 'self'
    assert b"<script>" not in response.content


def test_list_shows_masked_customer_and_store_local_time(client, agent, store):
    received = dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai
    case = make_case(by=agent, store=store, received_at=received)
    client.force_login(agent)

    html = client.get(URL).content.decode()

    assert case.number in html
    assert reverse("cases:detail", args=[case.number]) in html
    assert "张**" in html
    assert "138****1234" in html
    assert "张三" not in html
    assert "13812341234" not in html
    assert "2026-03-01 09:30" in html


def test_login_is_required(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert reverse("web:login") in response["Location"]


def test_handler_sees_only_own_departments_cases(
    client, agent, handler, store, after_sales, logistics
):
    """R-SEC-1: another department's case is absent from the list."""
    mine = make_case(by=agent, store=store, department=after_sales)
    theirs = make_case(by=agent, store=store, department=logistics)
    client.force_login(handler)

    response = client.get(URL)

    assert numbers_in(response) == {mine.number}
    assert theirs.number not in response.content.decode()


def test_filter_by_status_and_severity(client, agent, store):
    urgent = make_case(by=agent, store=store, severity=Severity.URGENT)
    general = make_case(by=agent, store=store)
    case_transition(case=general, action="verify", by=agent)
    client.force_login(agent)

    by_status = client.get(URL, {"status": ["verifying"]})
    by_severity = client.get(URL, {"severity": "urgent"})

    assert numbers_in(by_status) == {general.number}
    assert numbers_in(by_severity) == {urgent.number}


def test_filter_by_category_channel_store_and_dates(client, manager, agent, store):
    quality = make_case(
        by=agent, store=store, category=top_category(), channel="walk_in"
    )
    january = make_case(
        by=agent,
        store=StoreFactory(),
        received_at=dt.datetime(2026, 1, 5, 4, tzinfo=dt.UTC),
    )
    client.force_login(manager)

    by_category = client.get(URL, {"category": top_category().pk})
    by_channel = client.get(URL, {"channel": "walk_in"})
    by_store = client.get(URL, {"store": store.pk})
    by_dates = client.get(
        URL, {"received_from": "2026-01-01", "received_to": "2026-01-31"}
    )

    assert numbers_in(by_category) == {quality.number}
    assert numbers_in(by_channel) == {quality.number}
    assert numbers_in(by_store) == {quality.number}
    assert numbers_in(by_dates) == {january.number}


def test_filter_by_department_assignee_and_owner(
    client, manager, agent, supervisor, handler, store, after_sales
):
    assigned = make_case(by=agent, store=store)
    case_assign(case=assigned, department=after_sales, assignee=handler, by=supervisor)
    by_supervisor = make_case(by=supervisor, store=store)
    client.force_login(manager)

    by_department = client.get(URL, {"department": after_sales.pk})
    by_assignee = client.get(URL, {"assignee": handler.pk})
    by_owner = client.get(URL, {"owner": supervisor.pk})

    assert numbers_in(by_department) == {assigned.number}
    assert numbers_in(by_assignee) == {assigned.number}
    assert numbers_in(by_owner) == {by_supervisor.number}


def test_search_finds_chinese_words_inside_a_description(client, agent, store):
    leaking = make_case(by=agent, store=store, description="洗衣机漏水")
    make_case(by=agent, store=store, description="冰箱不制冷")
    client.force_login(agent)

    response = client.get(URL, {"q": "漏水"})

    assert numbers_in(response) == {leaking.number}


def test_queues_mine_team_and_unassigned(
    client, agent, supervisor, handler, store, after_sales, logistics
):
    owned = make_case(by=supervisor, store=store, department=logistics)
    team = make_case(by=agent, store=store, department=after_sales)
    assigned = make_case(by=agent, store=store, department=after_sales)
    case_assign(case=assigned, department=after_sales, assignee=handler, by=supervisor)
    client.force_login(supervisor)

    mine = client.get(URL, {"queue": "mine"})
    team_queue = client.get(URL, {"queue": "team"})
    unassigned = client.get(URL, {"queue": "unassigned"})

    assert numbers_in(mine) == {owned.number}
    assert numbers_in(team_queue) == {team.number, assigned.number}
    assert numbers_in(unassigned) == {owned.number, team.number}


def test_bad_filter_values_show_errors_and_the_list_still_renders(client, agent, store):
    case = make_case(by=agent, store=store)
    client.force_login(agent)

    response = client.get(
        URL,
        {"severity": "apocalyptic", "received_from": "yesterday", "store": "999999"},
    )

    form = response.context["form"]
    assert response.status_code == 200
    assert set(form.errors) == {"severity", "received_from", "store"}
    assert numbers_in(response) == {case.number}
    assert b'class="error"' in response.content


def test_end_date_before_start_date_is_an_error(client, agent):
    client.force_login(agent)

    response = client.get(
        URL, {"received_from": "2026-02-01", "received_to": "2026-01-01"}
    )

    assert "received_to" in response.context["form"].errors


def test_pagination_keeps_filters_in_page_links(client, settings, agent, store):
    settings.KESU_PAGE_SIZE = 2
    for _ in range(5):
        make_case(by=agent, store=store, severity=Severity.URGENT)
    client.force_login(agent)

    first = client.get(URL, {"severity": "urgent"})
    last = client.get(URL, {"severity": "urgent", "page": 3})

    assert first.context["page"].paginator.num_pages == 3
    assert "?severity=urgent&amp;page=2" in first.content.decode()
    assert len(last.context["page"].object_list) == 1


def test_out_of_range_page_shows_the_last_page(client, settings, agent, store):
    settings.KESU_PAGE_SIZE = 2
    for _ in range(3):
        make_case(by=agent, store=store)
    client.force_login(agent)

    response = client.get(URL, {"page": "99"})

    assert response.context["page"].number == 2


def test_htmx_request_gets_only_the_results_partial(client, agent, store):
    case = make_case(by=agent, store=store)
    client.force_login(agent)

    response = client.get(
        URL, {"q": ""}, headers={"HX-Request": "true", "HX-Target": "results"}
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert case.number in html
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_empty_list_says_so(client, agent):
    client.force_login(agent)

    response = client.get(URL)

    assert "No cases match." in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_list_query_count_does_not_grow_with_cases(
    client,
    django_assert_num_queries,
    agent,
    supervisor,
    handler,
    store,
    after_sales,
    count,
):
    for _ in range(count):
        case = make_case(
            by=agent, store=store, department=after_sales, category=top_category()
        )
    case_assign(case=case, department=after_sales, assignee=handler, by=supervisor)
    client.force_login(agent)

    # session, user, the agent's stores (their scope), count, 5 filter choice
    # lists (category, department, store, assignee, owner), the page's case ids,
    # those cases with their relations joined, their owners and assignees, their
    # open deadline clocks, the unread notification count.
    with django_assert_num_queries(14):
        response = client.get(URL)

    assert len(response.context["page"].object_list) == min(count, 25)


def test_other_staff_filter_choices_do_not_widen_scope(client, agent, store):
    stranger = UserFactory()
    hidden = make_case(by=stranger, store=StoreFactory())
    client.force_login(agent)

    response = client.get(URL, {"owner": stranger.pk})

    assert hidden.number not in numbers_in(response)
    assert numbers_in(response) == set()


def test_whole_scope_count_is_capped_but_filtered_count_is_exact(
    client, monkeypatch, agent, store
):
    monkeypatch.setattr("kesu.cases.views.listing.LIST_COUNT_CAP", 2)
    monkeypatch.setattr("django.conf.settings.KESU_PAGE_SIZE", 1)
    newest = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    cases = [
        make_case(by=agent, store=store, received_at=newest - dt.timedelta(days=n))
        for n in range(3)
    ]
    client.force_login(agent)

    whole = client.get(URL)
    filtered = client.get(URL, {"store": store.pk})
    second = client.get(URL, {"page": 2})

    assert whole.context["page"].paginator.capped
    assert "2+ cases" in whole.content.decode()
    assert "Page 1 of 2+" in whole.content.decode()
    assert not filtered.context["page"].paginator.capped
    assert "3 cases" in filtered.content.decode()
    assert numbers_in(second) == {cases[1].number}


def test_cases_received_on_the_last_local_day_are_included_up_to_midnight(
    client, agent, store
):
    # 23:59 on 31 January in Shanghai, 00:00 on 1 February in Shanghai.
    inside = make_case(
        by=agent,
        store=store,
        received_at=dt.datetime(2026, 1, 31, 15, 59, tzinfo=dt.UTC),
    )
    outside = make_case(
        by=agent, store=store, received_at=dt.datetime(2026, 1, 31, 16, tzinfo=dt.UTC)
    )
    client.force_login(agent)

    january = client.get(
        URL, {"received_from": "2026-01-31", "received_to": "2026-01-31"}
    )
    february = client.get(URL, {"received_from": "2026-02-01"})

    assert numbers_in(january) == {inside.number}
    assert numbers_in(february) == {outside.number}


def test_needs_triage_queue_holds_open_unclassified_cases(
    client, agent, store, settings
):
    # Without automatic triage, so no model decides which case stays unclassified.
    settings.KESU_CASE_EVENT_HANDLERS = ["kesu.sla.services.on_case_event"]
    unclassified = make_case(by=agent, store=store)
    make_case(by=agent, store=store, category=top_category())
    closed = make_case(by=agent, store=store)
    case_transition(case=closed, action="reject", by=agent, reason="重复投诉")
    client.force_login(agent)

    listed = client.get(URL, {"queue": "triage"}).context["page"].object_list

    assert [case.pk for case in listed] == [unclassified.pk]
