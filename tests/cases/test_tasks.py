"""Side effects run after commit, through the task backend, with no customer data."""

from __future__ import annotations

import pytest
from django.core import mail

from kesu.cases.services import (
    case_assign,
    case_record_verification,
    case_transition,
    plan_decide,
    plan_propose,
)
from kesu.cases.tasks import notify_approvers
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_assignee_is_emailed_after_commit_without_customer_data(
    agent, supervisor, handler, after_sales, store, django_capture_on_commit_callbacks
):
    handler.email = "handler@example.com"
    handler.save()
    case = make_case(by=agent, store=store)

    with django_capture_on_commit_callbacks(execute=True):
        case_assign(case=case, department=after_sales, assignee=handler, by=supervisor)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["handler@example.com"]
    assert case.number in message.subject
    assert "13812341234" not in message.body
    assert "张三" not in message.body


def test_no_email_before_commit(agent, supervisor, handler, after_sales, store):
    handler.email = "handler@example.com"
    handler.save()
    case = make_case(by=agent, store=store)

    case_assign(case=case, department=after_sales, assignee=handler, by=supervisor)

    assert mail.outbox == []


def test_approvers_are_asked_when_compensation_needs_approval(
    agent, supervisor, after_sales, store, django_capture_on_commit_callbacks
):
    supervisor.email = "lead@example.com"
    supervisor.save()
    case = make_case(by=agent, store=store, department=after_sales)
    case = case_transition(case=case, action="verify", by=agent)
    case = case_record_verification(case=case, result="confirmed", note="", by=agent)
    case = case_transition(case=case, action="handle", by=agent)

    with django_capture_on_commit_callbacks(execute=True):
        plan_propose(
            case=case,
            by=agent,
            resolution_type="compensation_cash",
            compensation_amount="1200",
            description="赔偿",
        )

    assert [m.to for m in mail.outbox] == [["lead@example.com"]]
    assert "1200" in mail.outbox[0].subject


def test_decided_plan_sends_no_late_approval_request(
    agent, supervisor, after_sales, store
):
    supervisor.email = "lead@example.com"
    supervisor.save()
    case = make_case(by=agent, store=store, department=after_sales)
    case = case_transition(case=case, action="verify", by=agent)
    case = case_record_verification(case=case, result="confirmed", note="", by=agent)
    case = case_transition(case=case, action="handle", by=agent)
    plan = plan_propose(
        case=case,
        by=agent,
        resolution_type="compensation_cash",
        compensation_amount="1200",
        description="赔偿",
    )
    plan_decide(case=case, by=supervisor, approve=True)

    sent = notify_approvers.call(plan.pk)

    assert sent == 0
    assert mail.outbox == []
