"""Customer replies by mail: threaded onto their case, files kept on it (real IMAP)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import translation

from kesu.cases.models import Attachment, Case
from kesu.cases.services.intake import MAX_ATTACHMENT_BYTES
from kesu.intake.backends import mail as mail_backend
from kesu.intake.mail.polling import mailbox_poll
from kesu.intake.models import MailMessage, MailOutcome, SentMail
from kesu.intake.services import intake_receive
from tests.intake.conftest import EXE, PDF, PNG, stored_files
from tests.intake.test_mail import deliver, make_mail


@pytest.fixture(autouse=True)
def _english(settings) -> Iterator[None]:
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def case(imap_server, folder, mailbox) -> Case:
    """A case made from the customer's first mail."""
    deliver(imap_server, folder, make_mail(message_id="<first@example.com>"))
    mailbox_poll(mailbox=mailbox)
    return Case.objects.get()


def test_reply_attachments_are_stored_on_the_case_and_listed_on_its_page(
    imap_server, folder, mailbox, case, media, client
):
    """Same checks as a new complaint: type by content, at most 10 MB each."""
    reply = make_mail(
        subject=f"Re: Complaint {case.number} received",
        body="发票和照片补上。",
        attachments=(
            ("发票.pdf", PDF),
            ("照片.png", PNG),
            ("setup.exe", EXE),
            ("huge.png", PNG + b"\0" * MAX_ATTACHMENT_BYTES),
        ),
    )
    deliver(imap_server, folder, reply)

    counts = mailbox_poll(mailbox=mailbox)

    assert counts == {MailOutcome.REPLY: 1}
    kept = list(case.attachments.order_by("pk"))
    assert [(a.original_name, a.content_type) for a in kept] == [
        ("发票.pdf", "application/pdf"),
        ("照片.png", "image/png"),
    ]
    assert all(a.uploaded_by is None for a in kept)
    assert len(stored_files(media)) == 2
    assert kept[1].file.read() == PNG
    event = case.events.get(type="communication.logged")
    assert "Attachments added to the case: 发票.pdf, 照片.png" in event.message
    assert "setup.exe (not a photo, PDF or audio)" in event.message
    assert "huge.png (larger than 10 MB)" in event.message

    client.force_login(case.owner)
    page = client.get(reverse("cases:detail", args=[case.number]))
    download = client.get(reverse("cases:attachment", args=[case.number, kept[1].pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "发票.pdf" in html
    assert reverse("cases:attachment", args=[case.number, kept[1].pk]) in html
    assert b"".join(download.streaming_content) == PNG


def test_reply_files_are_removed_when_its_transaction_rolls_back(
    imap_server, folder, mailbox, case, media, monkeypatch
):
    deliver(
        imap_server,
        folder,
        make_mail(subject=f"Re: {case.number}", attachments=(("a.png", PNG),)),
    )

    def broken(**kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(MailMessage.objects, "create", broken)
    with pytest.raises(RuntimeError):
        mailbox_poll(mailbox=mailbox)
    monkeypatch.undo()

    assert Attachment.objects.count() == 0
    assert stored_files(media) == []
    assert not case.events.filter(type="communication.logged").exists()

    assert mailbox_poll(mailbox=mailbox) == {MailOutcome.REPLY: 1}
    assert case.attachments.count() == 1


def test_new_mail_files_are_removed_when_its_record_fails(
    imap_server, folder, mailbox, media, monkeypatch
):
    deliver(imap_server, folder, make_mail(attachments=(("a.png", PNG),)))

    def broken(**kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(MailMessage.objects, "create", broken)
    with pytest.raises(RuntimeError):
        mailbox_poll(mailbox=mailbox)

    assert Case.objects.count() == 0
    assert stored_files(media) == []


def test_refused_reply_keeps_no_files(imap_server, folder, mailbox, case, media):
    """The owner can no longer work on cases: the mail is listed as failed."""
    type(case.owner).objects.filter(pk=case.owner_id).update(role="quality")
    deliver(
        imap_server,
        folder,
        make_mail(subject=f"Re: {case.number}", attachments=(("a.png", PNG),)),
    )

    counts = mailbox_poll(mailbox=mailbox)

    assert counts == {MailOutcome.FAILED: 1}
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_reply_to_the_acknowledgement_threads_onto_the_case(
    imap_server,
    folder,
    mailbox,
    submission,
    smtp,
    django_capture_on_commit_callbacks,
):
    """R-IN-3 end to end: ack over SMTP, reply by In-Reply-To only, poll, timeline."""
    with django_capture_on_commit_callbacks(execute=True):
        case = intake_receive(
            submission=submission(
                channel="web", backend="web", customer_email="li@example.com"
            )
        ).case
    (ack,) = smtp.deliveries
    ack_id = ack.message["Message-ID"]
    assert SentMail.objects.get().message_id == ack_id
    reply = make_mail(
        subject="Re: 您的投诉",  # no case number: only the header can thread it
        body="师傅什么时候上门？",
        sender="李四 <li@example.com>",
        headers={"In-Reply-To": ack_id, "References": ack_id},
        attachments=(("录音.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\0" * 64),),
    )
    deliver(imap_server, folder, reply)

    counts = mailbox_poll(mailbox=mailbox)

    assert counts == {MailOutcome.REPLY: 1}
    assert Case.objects.count() == 1
    event = case.events.get(type="communication.logged")
    assert "师傅什么时候上门？" in event.message
    assert "other than the customer" not in event.message
    assert MailMessage.objects.get().case == case
    assert [a.original_name for a in case.attachments.all()] == ["录音.mp3"]


def test_reply_naming_an_unknown_message_id_is_a_new_case(
    imap_server, folder, mailbox, case
):
    deliver(
        imap_server,
        folder,
        make_mail(
            subject="Re: 您的投诉",
            headers={"In-Reply-To": "<never-sent@kesu.example>"},
        ),
    )

    counts = mailbox_poll(mailbox=mailbox)

    assert counts == {MailOutcome.CASE: 1}
    assert Case.objects.count() == 2


def test_thread_case_prefers_our_own_message_ids(case, store_agent, submission):
    other = intake_receive(submission=submission(external_id="other")).case
    SentMail.objects.create(case=other, message_id="<ack@kesu.example>", kind="x")
    parsed = mail_backend.parse_mail(
        make_mail(
            headers={
                "In-Reply-To": "<ack@kesu.example>",
                "References": "<first@example.com> <ack@kesu.example>",
            }
        )
    )

    assert mail_backend.thread_case(parsed) == other
