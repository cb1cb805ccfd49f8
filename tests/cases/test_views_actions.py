"""The case action views: forms, services, htmx partials (R-WF-1..6, R-SEC-2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kesu.accounts.models import Role
from kesu.cases import services
from kesu.cases.models import (
    ApprovalStatus,
    CaseEvent,
    CollaborationRequest,
    CollaborationStatus,
    ReplyTemplate,
)
from kesu.cases.workflow import Status
from tests.factories import DepartmentFactory, UserFactory, make_case, top_category

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def case(agent, store, after_sales):
    return make_case(by=agent, store=store, department=after_sales)


def url(case, name, *args):
    return reverse(f"cases:{name}", args=[case.number, *args])


def post(client, user, target, data=None, *, panel="", htmx=True):
    client.force_login(user)
    headers = {**HX, "HTTP_HX_TARGET": f"panel-{panel}"} if htmx else {}
    return client.post(target, data or {}, **headers)


def handling(case, by):
    services.case_transition(case=case, action="verify", by=by)
    services.case_record_verification(case=case, result="confirmed", note="", by=by)
    return services.case_transition(case=case, action="handle", by=by)


def events(case):
    return list(case.events.order_by("id").values_list("type", flat=True))


def test_verify_moves_case_and_redraws_case_area_with_toast(client, agent, case):
    """R-WF-1: an htmx step returns the case area retargeted, and a toast."""
    before = events(case)

    response = post(client, agent, url(case, "action", "verify"), panel="verify")

    case.refresh_from_db()
    assert response.status_code == 200
    assert case.status == Status.VERIFYING
    assert events(case) == [*before, "case.transitioned"]
    assert response["HX-Retarget"] == "#case-area"
    assert "toast" in response["HX-Trigger"]
    html = response.content.decode()
    assert 'id="case-area"' in html
    assert "<html" not in html
    assert 'id="panel-verification"' in html


def test_plain_post_redirects_to_detail(client, agent, case):
    response = post(client, agent, url(case, "action", "verify"), htmx=False)

    case.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == url(case, "detail")
    assert case.status == Status.VERIFYING


def test_reject_without_reason_is_a_field_error(client, agent, case):
    """R-WF-1: rejecting needs a reason; nothing changes without one."""
    before = events(case)

    response = post(
        client, agent, url(case, "action", "reject"), {"reason": " "}, panel="reject"
    )

    case.refresh_from_db()
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="panel-reject"' in html
    assert "has-error" in html
    assert "<html" not in html
    assert case.status == Status.RECEIVED
    assert events(case) == before


def test_reject_with_reason(client, agent, case):
    response = post(
        client, agent, url(case, "action", "reject"), {"reason": "重复投诉"}
    )

    case.refresh_from_db()
    assert response.status_code == 200
    assert case.status == Status.REJECTED
    assert case.rejection_reason == "重复投诉"


def test_plain_post_with_errors_renders_whole_page(client, agent, case):
    response = post(client, agent, url(case, "action", "reject"), htmx=False)

    assert response.status_code == 422
    assert "<html" in response.content.decode()


def test_unknown_action_is_404(client, agent, case):
    response = post(client, agent, url(case, "action", "explode"))

    assert response.status_code == 404


def test_guard_failure_is_a_form_message_not_a_500(client, agent, case):
    """R-IN-4: handling needs a verification result first (409)."""
    services.case_transition(case=case, action="verify", by=agent)

    response = post(client, agent, url(case, "action", "handle"), panel="handle")

    case.refresh_from_db()
    assert response.status_code == 409
    assert "Record the verification result" in response.content.decode()
    assert case.status == Status.VERIFYING


def test_record_verification_then_handle(client, agent, case):
    services.case_transition(case=case, action="verify", by=agent)
    before = events(case)

    response = post(
        client,
        agent,
        url(case, "verification"),
        {"result": "confirmed", "note": "现场确认"},
    )
    handle = post(client, agent, url(case, "action", "handle"))

    case.refresh_from_db()
    assert response.status_code == handle.status_code == 200
    assert case.verification_result == "confirmed"
    assert case.verification_note == "现场确认"
    assert case.status == Status.HANDLING
    assert events(case) == [*before, "case.verified", "case.transitioned"]


def test_verification_requires_a_result(client, agent, case):
    services.case_transition(case=case, action="verify", by=agent)

    response = post(client, agent, url(case, "verification"), {"result": "maybe"})

    assert response.status_code == 422


def propose(client, user, case, amount):
    return post(
        client,
        user,
        url(case, "plan_propose"),
        {
            "resolution_type": "compensation_cash",
            "compensation_amount": str(amount),
            "description": "现金补偿",
            "responsibility": "manufacturer",
        },
        panel="plan_propose",
    )


def test_compensation_above_threshold_waits_for_supervisor(
    client, handler, supervisor, case, settings
):
    """R-WF-2: no feedback stage until a supervisor approves large compensation."""
    settings.KESU_COMPENSATION_APPROVAL_THRESHOLD = 500
    handling(case, handler)

    proposed = propose(client, handler, case, 800)
    blocked = post(client, handler, url(case, "action", "resolve"), panel="resolve")
    plan = case.plans.get()
    approved = post(
        client,
        supervisor,
        url(case, "plan_decide", plan.pk),
        {"decision": "approve", "note": ""},
        panel="plan_decide",
    )
    resolved = post(
        client,
        handler,
        url(case, "action", "resolve"),
        {"resolution_note": "已付款", "customer_accepted": "true"},
    )

    case.refresh_from_db()
    plan.refresh_from_db()
    assert proposed.status_code == 200
    assert blocked.status_code == 409
    assert "supervisor must approve" in blocked.content.decode()
    assert approved.status_code == 200
    assert plan.approval_status == ApprovalStatus.APPROVED
    assert plan.decided_by == supervisor
    assert resolved.status_code == 200
    assert case.status == Status.FEEDBACK
    assert case.compensation_amount == Decimal(800)
    assert case.customer_accepted is True
    assert case.resolution_note == "已付款"


def test_self_approval_is_refused_with_a_message(client, supervisor, case):
    handling(case, supervisor)
    propose(client, supervisor, case, 900)
    plan = case.plans.get()
    before = events(case)

    response = post(
        client,
        supervisor,
        url(case, "plan_decide", plan.pk),
        {"decision": "approve"},
        panel="plan_decide",
    )

    plan.refresh_from_db()
    assert response.status_code == 403
    assert "You cannot approve your own plan." in response.content.decode()
    assert plan.approval_status == ApprovalStatus.PENDING
    assert events(case) == before


def test_refusing_needs_a_note(client, handler, supervisor, case):
    handling(case, handler)
    propose(client, handler, case, 900)
    plan = case.plans.get()

    response = post(
        client, supervisor, url(case, "plan_decide", plan.pk), {"decision": "refuse"}
    )

    plan.refresh_from_db()
    assert response.status_code == 422
    assert "Say why the plan is refused." in response.content.decode()
    assert plan.approval_status == ApprovalStatus.PENDING


def test_agent_cannot_approve(client, agent, handler, case):
    handling(case, handler)
    propose(client, handler, case, 900)
    plan = case.plans.get()

    response = post(
        client, agent, url(case, "plan_decide", plan.pk), {"decision": "approve"}
    )

    plan.refresh_from_db()
    assert response.status_code == 403
    assert plan.approval_status == ApprovalStatus.PENDING


def test_plan_amount_must_be_a_number(client, handler, case):
    handling(case, handler)

    response = propose(client, handler, case, "lots")

    assert response.status_code == 422
    assert not case.plans.exists()


def test_feedback_archive_and_reopen(client, agent, case):
    handling(case, agent)
    services.plan_propose(
        case=case, by=agent, resolution_type="repair", description="上门维修"
    )
    services.case_transition(case=case, action="resolve", by=agent)
    before = events(case)

    feedback = post(client, agent, url(case, "feedback"), {"result": "satisfied"})
    archive = post(client, agent, url(case, "action", "archive"))
    no_reason = post(client, agent, url(case, "action", "reopen"))
    reopen = post(client, agent, url(case, "action", "reopen"), {"reason": "故障复发"})

    case.refresh_from_db()
    assert [feedback.status_code, archive.status_code] == [200, 200]
    assert no_reason.status_code == 422
    assert reopen.status_code == 200
    assert case.status == Status.REOPENED
    assert case.reopen_count == 1
    assert events(case) == [
        *before,
        "feedback.recorded",
        "case.transitioned",
        "case.transitioned",
    ]


def test_await_customer_and_resume(client, agent, case):
    services.case_transition(case=case, action="verify", by=agent)

    wait = post(
        client, agent, url(case, "action", "await_customer"), {"reason": "等照片"}
    )
    resume = post(client, agent, url(case, "action", "resume"))

    case.refresh_from_db()
    assert wait.status_code == resume.status_code == 200
    assert case.status == Status.VERIFYING


def test_supervisor_assigns_and_owner_stays(
    client, agent, handler, supervisor, case, after_sales
):
    """R-CL-4: assignment delegates the work; the first contact stays the owner."""
    before = events(case)

    response = post(
        client,
        supervisor,
        url(case, "assign"),
        {"department": after_sales.pk, "assignee": handler.pk},
    )

    case.refresh_from_db()
    assert response.status_code == 200
    assert case.assignee == handler
    assert case.owner == agent
    assert events(case) == [*before, "case.assigned"]
    assert "Department: After-sales · Handler: handler" in response.content.decode()


def test_assignee_outside_department_is_a_field_error(
    client, supervisor, other_handler, case, after_sales
):
    response = post(
        client,
        supervisor,
        url(case, "assign"),
        {"department": after_sales.pk, "assignee": other_handler.pk},
        panel="assign",
    )

    case.refresh_from_db()
    assert response.status_code == 422
    assert "not a member of that department" in response.content.decode()
    assert case.assignee is None


def test_agent_cannot_assign(client, agent, case, after_sales):
    response = post(client, agent, url(case, "assign"), {"department": after_sales.pk})

    assert response.status_code == 403


def test_owner_hands_over_with_reason(client, agent, store, case):
    colleague = UserFactory(username="colleague", role=Role.AGENT, stores=[store])
    before = events(case)

    missing = post(client, agent, url(case, "handover"), {"new_owner": colleague.pk})
    response = post(
        client,
        agent,
        url(case, "handover"),
        {"new_owner": colleague.pk, "reason": "调岗"},
    )

    case.refresh_from_db()
    assert missing.status_code == 422
    assert response.status_code == 200
    assert case.owner == colleague
    assert events(case) == [*before, "case.handed_over"]


def test_classify(client, agent, case):
    category = top_category()
    before = events(case)

    response = post(
        client,
        agent,
        url(case, "classify"),
        {"category": category.pk, "severity": "urgent", "impact_grade": "B"},
    )

    case.refresh_from_db()
    assert response.status_code == 200
    assert (case.category, case.severity, case.impact_grade) == (
        category,
        "urgent",
        "B",
    )
    assert events(case) == [*before, "case.classified"]


def test_note_internal_and_customer_visible(client, agent, case):
    """R-WF-3: internal notes apart from customer-visible replies."""
    internal = post(
        client, agent, url(case, "note"), {"text": "内部", "visibility": "internal"}
    )
    reply = post(
        client, agent, url(case, "note"), {"text": "已安排", "visibility": "customer"}
    )
    empty = post(client, agent, url(case, "note"), {"visibility": "internal"})

    latest = list(case.events.order_by("-id")[:2])
    assert internal.status_code == reply.status_code == 200
    assert empty.status_code == 422
    assert [(e.type, e.visibility) for e in latest] == [
        ("reply.sent", "customer"),
        ("note.added", "internal"),
    ]


def test_communication_log_and_template_fill(client, agent, case):
    """R-WF-6: a reply template fills the summary; the log is an event."""
    template = ReplyTemplate.objects.create(
        title="T", stage="apology", language="zh-hans", body="{case_number} 抱歉"
    )
    client.force_login(agent)

    filled = client.get(
        url(case, "communication"),
        {"template": template.pk, "kind": "call"},
        **HX,
        HTTP_HX_TARGET="panel-communication",
    )
    logged = post(
        client,
        agent,
        url(case, "communication"),
        {
            "kind": "call",
            "direction": "inbound",
            "template": template.pk,
            "summary": "电话沟通",
        },
    )

    event = case.events.latest("id")
    assert filled.status_code == 200
    assert f"{case.number} 抱歉" in filled.content.decode()
    assert "<html" not in filled.content.decode()
    assert logged.status_code == 200
    assert event.type == "communication.logged"
    assert event.data["kind"] == "call"
    assert event.data["direction"] == "inbound"
    assert event.data["template"] == template.pk
    assert [e["change"] for e in event.data["sla"]] == ["met"]  # a call answers


def test_collaboration_request_and_answer(
    client, agent, other_handler, case, logistics
):
    """R-WF-3: a request to another department with its own due time."""
    due = timezone.localtime(timezone.now() + dt.timedelta(days=2), case.store.zone)

    past = post(
        client,
        agent,
        url(case, "collaboration_request"),
        {"department": logistics.pk, "request": "查物流", "due_at": "2020-01-01T10:00"},
    )
    requested = post(
        client,
        agent,
        url(case, "collaboration_request"),
        {
            "department": logistics.pk,
            "request": "查物流",
            "due_at": due.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    item = CollaborationRequest.objects.get(case=case)
    answered = post(
        client,
        other_handler,
        url(case, "collaboration_answer", item.pk),
        {"response": "已发货", "outcome": "done"},
        panel=f"collaboration_answer-{item.pk}",
    )

    item.refresh_from_db()
    assert past.status_code == 422
    assert "must lie in the future" in past.content.decode()
    assert requested.status_code == answered.status_code == 200
    assert item.due_at == due.replace(second=0, microsecond=0)
    assert item.status == CollaborationStatus.DONE
    assert events(case)[-2:] == ["collaboration.requested", "collaboration.answered"]


def test_unmask_shows_plaintext_once_and_is_audited(client, agent, case):
    """R-SEC-2: the reveal is logged without the personal values."""
    client.force_login(agent)
    response = client.post(url(case, "unmask"), **HX, HTTP_HX_TARGET="customer")
    response_html = response.content.decode()
    later = client.get(url(case, "detail")).content.decode()

    event = case.events.latest("id")
    assert response.status_code == 200
    assert "13812341234" in response_html
    assert "张三" in response_html
    assert "<html" not in response_html
    assert response["Cache-Control"] == "no-store"
    assert "13812341234" not in later
    assert event.type == "pii.unmasked"
    assert event.actor == agent
    assert "13812341234" not in str(event.data)
    assert "张三" not in str(event.data)


def test_quality_cannot_unmask(client, quality, case):
    response = post(client, quality, url(case, "unmask"))

    assert response.status_code == 403
    assert "13812341234" not in response.content.decode()
    assert not CaseEvent.objects.filter(case=case, type="pii.unmasked").exists()


def test_other_department_gets_404_on_every_action(
    client, other_handler, handler, case
):
    """R-SEC-1: actions on out-of-scope cases are not found."""
    handling(case, handler)
    plan = services.plan_propose(
        case=case, by=handler, resolution_type="repair", description="修"
    )
    item = services.collaboration_request(
        case=case,
        by=handler,
        department=DepartmentFactory(code="quality"),
        request="帮忙",
        due_at=timezone.now() + dt.timedelta(days=1),
    )
    urls = [
        url(case, "action", "resolve"),
        url(case, "verification"),
        url(case, "plan_propose"),
        url(case, "plan_decide", plan.pk),
        url(case, "feedback"),
        url(case, "assign"),
        url(case, "handover"),
        url(case, "classify"),
        url(case, "unmask"),
        url(case, "note"),
        url(case, "communication"),
        url(case, "collaboration_request"),
        url(case, "collaboration_answer", item.pk),
    ]
    before = events(case)

    statuses = {post(client, other_handler, target).status_code for target in urls}

    assert statuses == {404}
    assert events(case) == before


def test_anonymous_is_sent_to_login(client, case):
    response = client.post(url(case, "note"), {"text": "x"})

    assert response.status_code == 302
    assert "/login/" in response["Location"]
