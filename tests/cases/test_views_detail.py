"""The case detail page: what each persona sees (R-WF-1..6, R-CL-4, R-SEC-2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kesu.accounts.models import Role
from kesu.accounts.permissions import ROLE_CAPABILITIES, Capability
from kesu.cases import services
from kesu.cases.models import Attachment
from tests.factories import StoreFactory, make_case


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def case(agent, store, after_sales):
    return make_case(by=agent, store=store, department=after_sales)


def detail(client, user, case, **headers):
    client.force_login(user)
    return client.get(reverse("cases:detail", args=[case.number]), **headers)


def handling(case, by):
    services.case_transition(case=case, action="verify", by=by)
    services.case_record_verification(case=case, result="confirmed", note="", by=by)
    return services.case_transition(case=case, action="handle", by=by)


def archived(case, by):
    handling(case, by)
    services.plan_propose(case=case, by=by, resolution_type="repair", description="修")
    services.case_transition(case=case, action="resolve", by=by)
    services.case_record_feedback(case=case, result="satisfied", note="", by=by)
    return services.case_transition(case=case, action="archive", by=by)


def action_urls(case):
    return {
        name: reverse(f"cases:{name}", args=[case.number])
        for name in ("assign", "plan_propose", "note", "unmask", "feedback")
    } | {
        "approve": reverse("cases:plan_decide", args=[case.number, 1]),
        "verify": reverse("cases:action", args=[case.number, "verify"]),
        "reopen": reverse("cases:action", args=[case.number, "reopen"]),
    }


def test_owner_agent_sees_workflow_steps_but_not_assign_or_approve(client, agent, case):
    """R-WF-1: an agent may start verification or reject; assigning is for leads."""
    response = detail(client, agent, case)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="panel-verify"' in html
    assert 'id="panel-reject"' in html
    assert 'id="panel-assign"' not in html
    assert 'id="panel-plan_decide"' not in html
    assert 'id="panel-archive"' not in html


def test_header_shows_owner_store_and_local_received_time(client, agent, after_sales):
    """R-CL-4: the owner is shown as first contact; times in the store's zone."""
    store = StoreFactory(code="ny", name="纽约店", time_zone="America/New_York")
    received = dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.UTC)
    case = make_case(by=agent, store=store, received_at=received)

    html = detail(client, agent, case).content.decode()

    assert case.number in html
    assert "2026-11-20 10:30" in html
    assert "America/New_York" in html
    assert "Owner (first contact)" in html
    assert str(agent) in html


def test_supervisor_sees_approve_on_pending_plan(
    client, agent, handler, supervisor, case
):
    """R-WF-2: a plan above the threshold waits for a supervisor's decision."""
    handling(case, handler)
    services.plan_propose(
        case=case,
        by=handler,
        resolution_type="compensation_cash",
        description="赔偿",
        compensation_amount=Decimal(1000),
    )

    supervisor_html = detail(client, supervisor, case).content.decode()
    handler_html = detail(client, handler, case).content.decode()

    assert 'id="panel-plan_decide"' in supervisor_html
    assert 'value="approve"' in supervisor_html
    assert "Pending approval" in supervisor_html
    assert 'id="panel-plan_decide"' not in handler_html


def test_archived_case_offers_reopen_only_to_working_roles(
    client, agent, quality, case
):
    """R-WF-1: reopening needs the work capability; quality only reads."""
    archived(case, agent)

    agent_html = detail(client, agent, case).content.decode()
    quality_html = detail(client, quality, case).content.decode()

    assert 'id="panel-reopen"' in agent_html
    assert 'id="panel-classify"' not in agent_html
    assert 'id="panel-reopen"' not in quality_html
    assert "Nothing you can do on this case now." in quality_html


def test_customer_is_masked_by_default_with_unmask_button(client, agent, case):
    """R-SEC-2: personal data masked; permitted roles get an unmask button."""
    html = detail(client, agent, case).content.decode()

    assert "张**" in html
    assert "138****1234" in html
    assert "13812341234" not in html
    assert reverse("cases:unmask", args=[case.number]) in html


def test_quality_cannot_unmask(client, quality, case):
    html = detail(client, quality, case).content.decode()

    assert "138****1234" in html
    assert reverse("cases:unmask", args=[case.number]) not in html


def test_handler_of_other_department_gets_404_on_detail_and_actions(
    client, other_handler, case
):
    """R-SEC-1: out of scope is not found, for the page and every action."""
    client.force_login(other_handler)

    page = client.get(reverse("cases:detail", args=[case.number]))
    posts = [client.post(url, {}) for url in action_urls(case).values()]

    assert page.status_code == 404
    assert {response.status_code for response in posts} == {404}


def test_unknown_case_number_is_404(client, agent):
    client.force_login(agent)

    response = client.get(reverse("cases:detail", args=["KS-19990101-0001"]))

    assert response.status_code == 404


def test_timeline_shows_labels_actor_visibility_and_summary(client, agent, case):
    services.case_transition(case=case, action="verify", by=agent)
    services.note_add(case=case, by=agent, text="客户情绪激动")

    html = detail(client, agent, case).content.decode()

    assert "Complaint received" in html
    assert "Status changed" in html
    assert "Start verification: Received → Verifying" in html
    assert "Internal note" in html
    assert "客户情绪激动" in html
    assert "badge visibility-internal" in html
    assert "badge visibility-customer" in html


def test_internal_events_hidden_without_capability(
    client, agent, quality, case, monkeypatch
):
    """R-WF-3: internal notes stay apart from what others may see."""
    services.note_add(case=case, by=agent, text="内部备注")
    monkeypatch.setitem(
        ROLE_CAPABILITIES, Role.QUALITY, frozenset({Capability.CASE_SEE_ALL})
    )

    html = detail(client, quality, case).content.decode()

    assert "Complaint received" in html
    assert "内部备注" not in html
    assert "Internal note" not in html


def test_htmx_timeline_request_gets_the_partial_only(client, agent, case):
    response = detail(
        client, agent, case, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="timeline"
    )

    html = response.content.decode()
    assert 'id="timeline"' in html
    assert "<html" not in html
    assert "panel-verify" not in html


def test_attachment_is_served_only_within_scope(
    client, agent, other_handler, case, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    attachment = Attachment(
        case=case, original_name="photo.jpg", content_type="image/jpeg", size=5
    )
    attachment.file.save("photo.jpg", ContentFile(b"jpeg!"), save=False)
    attachment.save()
    url = reverse("cases:attachment", args=[case.number, attachment.pk])

    page = detail(client, agent, case).content.decode()
    own = client.get(url)
    client.force_login(other_handler)
    foreign = client.get(url)

    assert url in page
    assert own.status_code == 200
    assert b"".join(own.streaming_content) == b"jpeg!"
    assert "attachment" in own["Content-Disposition"]
    assert foreign.status_code == 404


def test_blocked_step_explains_its_guard(client, handler, case):
    """R-WF-2: resolving waits for approval; the page says why, button disabled."""
    handling(case, handler)
    services.plan_propose(
        case=case,
        by=handler,
        resolution_type="compensation_cash",
        description="赔偿",
        compensation_amount=Decimal(1000),
    )

    html = detail(client, handler, case).content.decode()

    panel = html.split('id="panel-resolve"')[1].split("</form>")[0]
    assert "a supervisor must approve it" in panel
    assert "disabled" in panel
    assert (
        "disabled" not in html.split('id="panel-await_customer"')[1].split("</form>")[0]
    )


def test_timeline_query_count_does_not_grow_with_events(
    client, agent, supervisor, case, after_sales, django_assert_max_num_queries
):
    services.case_assign(
        case=case, department=after_sales, assignee=None, by=supervisor
    )
    detail(client, agent, case)
    with CaptureQueriesContext(connection) as few:
        detail(client, agent, case)
    for index in range(10):
        services.note_add(case=case, by=agent, text=f"备注 {index}")
        services.case_assign(
            case=case, department=after_sales, assignee=None, by=supervisor
        )

    with django_assert_max_num_queries(len(few)):
        detail(client, agent, case)


def test_timeline_summary_uses_the_chinese_colon(client, agent, case):
    """Summaries are translated as a whole, not glued with an ASCII colon."""
    from kesu.cases.services import case_transition

    case_transition(case=case, action="verify", by=agent)
    client.force_login(agent)

    page = client.get(
        reverse("cases:detail", args=[case.number]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()

    assert "开始核实：受理 → 核实中" in page


def test_detail_page_query_count_is_pinned_for_a_30_event_timeline(
    client, agent, case, django_assert_num_queries
):
    handling(case, agent)
    services.plan_propose(
        case=case, by=agent, resolution_type="repair", description="修"
    )
    while case.events.count() < 30:
        services.note_add(case=case, by=agent, text="备注")
    client.force_login(agent)

    # session, user, the agent's stores (their scope), the case with its
    # relations, its owner and assignee, the plans (the table and the available
    # actions), the current plan once more (blocked steps), collaborations,
    # events with their actors, attachments, deadline clocks, unread
    # notifications: none of them grows with the timeline. The collapsed panels'
    # choice lists and the triage card come with their own requests.
    with django_assert_num_queries(12):
        response = client.get(reverse("cases:detail", args=[case.number]))

    assert response.status_code == 200
    assert len(response.context["events"]) >= 30


def panel_fragment(client, case, key, **extra):
    url = reverse("cases:detail", args=[case.number])
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": f"panel-{key}"}
    return client.get(url, {"panel": key}, **headers, **extra)


def test_collapsed_work_panels_are_sent_without_their_forms(
    client, agent, supervisor, case
):
    """The page sends titles; the select lists come when a panel is opened."""
    html = detail(client, supervisor, case).content.decode()

    assign = html.split('id="panel-assign"')[1].split("</details>")[0]
    url = reverse("cases:detail", args=[case.number]) + "?panel=assign"
    assert f'hx-get="{url}"' in assign
    assert 'hx-trigger="toggle once"' in assign
    assert "<select" not in assign
    assert "<form" not in assign
    assert "<form" in html.split('id="panel-verify"')[1].split("</details>")[0]


def test_opening_a_panel_fetches_its_form_alone(
    client, supervisor, handler, case, after_sales, django_assert_num_queries
):
    client.force_login(supervisor)

    # session, user, the supervisor's departments and stores (scope), the case,
    # its people, the current plan (available actions), the two choice lists.
    with django_assert_num_queries(9):
        response = panel_fragment(client, case, "assign")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.strip().startswith('<details id="panel-assign"')
    assert " open>" in html.split("\n")[1]
    assert f'action="{reverse("cases:assign", args=[case.number])}"' in html
    assert f'<option value="{after_sales.pk}"' in html  # selected once routed
    assert f'<option value="{handler.pk}"' in html
    assert "HX-Target" in response["Vary"]


def test_a_panel_the_user_may_not_use_is_404(client, agent, quality, case):
    """An agent may not assign; quality may not work: no form for them."""
    client.force_login(agent)
    assign = panel_fragment(client, case, "assign")
    unknown = panel_fragment(client, case, "no_such_panel")
    step = panel_fragment(client, case, "verify")
    client.force_login(quality)
    note = panel_fragment(client, case, "note")

    assert assign.status_code == 404
    assert unknown.status_code == 404
    assert step.status_code == 404  # workflow steps are always on the page
    assert note.status_code == 404


def test_a_panel_of_a_case_out_of_scope_is_404(client, other_handler, case):
    client.force_login(other_handler)

    response = panel_fragment(client, case, "note")

    assert response.status_code == 404


def test_without_javascript_the_panel_link_opens_the_page_with_its_form(
    client, supervisor, case, after_sales
):
    html = detail(client, supervisor, case).content.decode()
    link = html.split('id="panel-assign"')[1].split("</details>")[0]
    client.force_login(supervisor)

    opened = client.get(
        reverse("cases:detail", args=[case.number]), {"panel": "assign"}
    )
    ignored = client.get(reverse("cases:detail", args=[case.number]), {"panel": "x"})

    assert "?panel=assign#panel-assign" in link
    page = opened.content.decode()
    panel = page.split('id="panel-assign"')[1].split("</details>")[0]
    assert panel.startswith(' class="card action-panel" open>')
    assert f'<option value="{after_sales.pk}"' in panel
    assert "<select" not in page.split('id="panel-handover"')[1].split("</details>")[0]
    assert ignored.status_code == 200
    assert "<select" not in ignored.content.decode().split('id="panel-assign"')[1]
