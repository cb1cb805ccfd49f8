"""The acknowledgement mail (R-IN-3), sent through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest
from django.utils import translation

from kesu.cases.models import Case
from kesu.intake.acknowledgement import acknowledgement_send
from kesu.intake.models import SentMail
from kesu.intake.selectors import first_response_due
from kesu.intake.services import intake_receive
from tests.intake.smtp_server import free_port
from tests.intake.test_views import URL, form_data

pytestmark = pytest.mark.django_db


def test_web_complaint_is_acknowledged_over_smtp_in_chinese(
    client, store, agent, smtp, django_capture_on_commit_callbacks
):
    """R-IN-3: number and promised first-response time, subject in Chinese."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, form_data(store), HTTP_ACCEPT_LANGUAGE="zh-hans")

    case = Case.objects.get()
    (delivery,) = smtp.deliveries
    assert delivery.recipients == ["zhao@example.com"]
    assert delivery.sender == "service@kesu.example"
    message = delivery.message
    assert message["Subject"] == f"投诉 {case.number} 已受理"
    assert "投诉".encode() not in delivery.raw.split(b"\r\n\r\n")[0]  # RFC 2047
    body = message.get_content()
    assert f"投诉编号为 {case.number}" in body
    due = first_response_due(case)
    assert due is not None
    local_due = due.astimezone(case.store.zone).strftime("%Y-%m-%d %H:%M")
    assert f"我们将在 {local_due} 前与您联系" in body


def test_acknowledgement_message_id_is_recorded_on_the_case(
    submission, agent, smtp, django_capture_on_commit_callbacks
):
    with (
        translation.override("en"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        case = intake_receive(
            submission=submission(customer_email="li@example.com")
        ).case

    (delivery,) = smtp.deliveries
    sent = SentMail.objects.get(case=case)
    assert delivery.message["Message-ID"] == sent.message_id
    assert sent.message_id.endswith("@kesu.example>")
    assert sent.kind == "acknowledgement"
    event = case.events.get(type="acknowledgement.sent")
    assert event.data == {"message_id": sent.message_id}
    assert event.visibility == "customer"
    assert event.actor is None


def test_each_acknowledgement_gets_its_own_message_id(submission, agent, smtp):
    case = intake_receive(
        submission=submission(customer_email="li@example.com", acknowledge=False)
    ).case

    acknowledgement_send(case=case)
    acknowledgement_send(case=case)

    ids = [delivery.message["Message-ID"] for delivery in smtp.deliveries]
    assert len(set(ids)) == 2
    assert set(SentMail.objects.values_list("message_id", flat=True)) == set(ids)


def test_mail_server_down_keeps_the_case_and_records_nothing_sent(
    submission, agent, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there

    with django_capture_on_commit_callbacks(execute=True):
        receipt = intake_receive(submission=submission(customer_email="li@example.com"))

    assert receipt.created is True
    assert acknowledgement_send(case=receipt.case) == 0
    assert not SentMail.objects.exists()
    assert not receipt.case.events.filter(type="acknowledgement.sent").exists()


def test_no_acknowledgement_without_an_address(submission, agent, smtp):
    case = intake_receive(submission=submission(customer_email="")).case

    assert acknowledgement_send(case=case) == 0
    assert smtp.deliveries == []
    assert not SentMail.objects.exists()
