"""intake_receive: validation, first contact, idempotency, all-or-nothing (R-IN-5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from kesu.accounts.models import Role
from kesu.cases.models import Attachment, Case, Customer
from kesu.core.errors import Conflict, InvalidInput
from kesu.intake.models import IntakeRecord
from kesu.intake.selectors import first_contact_owner, first_response_due
from kesu.intake.services import intake_receive
from kesu.sla.models import Clock, SlaPolicy
from tests.factories import StoreFactory, UserFactory
from tests.intake.conftest import EXE, MP3, PDF, stored_files

pytestmark = pytest.mark.django_db


def test_receive_creates_case_owned_by_store_agent_without_actor(
    submission, store_agent, agent, store
):
    """The customer filed it: the store's least-busy agent owns it, no clerk acted."""
    receipt = intake_receive(submission=submission(external_id="app-1"))

    case = receipt.case
    assert receipt.created is True
    assert case.channel == "api"
    assert case.owner in (agent, store_agent)
    event = case.events.get(type="case.received")
    assert event.actor is None
    assert event.data["via"] == "api"
    record = IntakeRecord.objects.get(case=case)
    assert (record.channel, record.external_id) == ("api", "app-1")


def test_owner_is_the_agent_with_fewest_open_cases(submission, agent, store_agent):
    first = intake_receive(submission=submission()).case
    second = intake_receive(submission=submission(customer_phone="13900002222")).case

    assert {first.owner, second.owner} == {agent, store_agent}


def test_owner_falls_back_to_configured_user_then_any_agent(settings, submission):
    other_store = StoreFactory(code="bj")
    elsewhere = UserFactory(username="bj_agent", role=Role.AGENT, stores=[other_store])
    supervisor = UserFactory(username="desk", role=Role.SUPERVISOR)
    settings.KESU_INTAKE_OWNER = "desk"
    assert intake_receive(submission=submission()).case.owner == supervisor

    settings.KESU_INTAKE_OWNER = ""
    store = submission().store
    assert first_contact_owner(store) == elsewhere


def test_no_agent_anywhere_is_a_conflict_and_creates_nothing(submission, store):
    with pytest.raises(Conflict) as exc:
        intake_receive(submission=submission())

    assert exc.value.code == "no_first_contact"
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 0


def test_same_key_and_body_returns_the_same_case(submission, agent):
    first = intake_receive(submission=submission(idempotency_key="api:1:k"))
    again = intake_receive(submission=submission(idempotency_key="api:1:k"))

    assert again.created is False
    assert again.case.pk == first.case.pk
    assert Case.objects.count() == 1


def test_same_key_with_different_body_is_refused(submission, agent):
    intake_receive(submission=submission(idempotency_key="api:1:k"))

    with pytest.raises(Conflict) as exc:
        intake_receive(
            submission=submission(idempotency_key="api:1:k", description="另一件事")
        )

    assert exc.value.code == "idempotency_conflict"
    assert exc.value.field == "idempotency_key"
    assert Case.objects.count() == 1


def test_same_key_with_different_attachment_content_is_refused(
    submission, agent, upload
):
    intake_receive(
        submission=submission(idempotency_key="k", attachments=[upload("a.pdf", PDF)])
    )

    with pytest.raises(Conflict):
        intake_receive(
            submission=submission(
                idempotency_key="k", attachments=[upload("a.pdf", PDF + b"x")]
            )
        )


def test_external_id_is_unique_per_channel(submission, agent):
    first = intake_receive(submission=submission(external_id="wx-9"))

    assert intake_receive(submission=submission(external_id="wx-9")).case == first.case
    with pytest.raises(Conflict) as exc:
        intake_receive(submission=submission(external_id="wx-9", demand="退款"))
    assert exc.value.field == "external_id"
    other = intake_receive(submission=submission(channel="social", external_id="wx-9"))
    assert other.created is True


def test_attachments_are_stored_with_type_read_from_content(
    submission, agent, upload, media
):
    case = intake_receive(
        submission=submission(
            attachments=[
                upload("receipt.pdf", PDF, "application/octet-stream"),
                upload("voice.mp3", MP3, "text/plain"),
            ]
        )
    ).case

    types = sorted(case.attachments.values_list("content_type", flat=True))
    assert types == ["application/pdf", "audio/mpeg"]
    assert case.attachments.filter(uploaded_by__isnull=True).count() == 2
    assert len(stored_files(media)) == 2


def test_wrong_type_by_content_is_refused_on_the_attachments_field(
    submission, agent, upload
):
    with pytest.raises(InvalidInput) as exc:
        intake_receive(
            submission=submission(attachments=[upload("photo.jpg", EXE, "image/jpeg")])
        )

    assert exc.value.field == "attachments"
    assert "photo.jpg" in exc.value.message


def test_invalid_input_creates_nothing(submission, agent, upload, media):
    with pytest.raises(InvalidInput) as exc:
        intake_receive(
            submission=submission(
                attachments=[upload(f"{n}.png") for n in range(6)],
            )
        )

    assert exc.value.field == "attachments"
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"store": None}, "store"),
        ({"description": "  "}, "description"),
        ({"customer_phone": "", "customer_email": ""}, "customer_phone"),
        ({"customer_phone": "12"}, "customer_phone"),
        ({"purchased_on": dt.date(2999, 1, 1)}, "purchased_on"),
        ({"external_id": "x" * 201}, "external_id"),
    ],
)
def test_bad_fields_are_named(submission, agent, overrides, field):
    with pytest.raises(InvalidInput) as exc:
        intake_receive(submission=submission(**overrides))

    assert exc.value.field == field
    assert Case.objects.count() == 0


def test_inactive_store_is_refused(submission, agent, store):
    store.is_active = False
    store.save()

    with pytest.raises(InvalidInput) as exc:
        intake_receive(submission=submission())
    assert exc.value.field == "store"


def test_failure_after_files_are_stored_removes_them_and_the_case(
    submission, agent, upload, media, monkeypatch
):
    def broken(**kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(IntakeRecord.objects, "create", broken)

    with pytest.raises(RuntimeError):
        intake_receive(submission=submission(attachments=[upload("a.pdf", PDF)]))

    assert Case.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_acknowledgement_mail_has_number_and_response_time(
    submission, agent, django_capture_on_commit_callbacks
):
    """R-IN-3. Uses Django's test outbox (locmem) in this slice."""
    with django_capture_on_commit_callbacks(execute=True):
        case = intake_receive(
            submission=submission(customer_email="li@example.com")
        ).case

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["li@example.com"]
    assert case.number in message.subject
    assert case.number in message.body
    due = first_response_due(case)
    assert due is not None
    assert due.astimezone(case.store.zone).strftime("%H:%M") in message.body


def test_no_mail_without_address_or_on_replay(
    submission, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        intake_receive(submission=submission())
        intake_receive(
            submission=submission(customer_email="a@example.com", external_id="e")
        )
        intake_receive(
            submission=submission(customer_email="a@example.com", external_id="e")
        )

    assert len(mail.outbox) == 1


def test_first_response_due_prefers_the_clock_then_the_policy(submission, agent):
    case = intake_receive(submission=submission()).case
    clock = Clock.objects.filter(case=case, kind="response").first()
    by_policy = case.received_at + dt.timedelta(minutes=30)  # default: general, 30 min

    assert clock is not None  # the SLA event handler starts it on receipt
    clock.due_at = case.received_at + dt.timedelta(hours=5)
    clock.save()
    assert first_response_due(case) == clock.due_at
    clock.delete()
    assert first_response_due(case) == by_policy


def test_first_response_due_is_none_without_any_target(submission, agent):
    case = intake_receive(submission=submission()).case
    Clock.objects.filter(case=case).delete()
    SlaPolicy.objects.update(is_active=False)

    assert first_response_due(case) is None
