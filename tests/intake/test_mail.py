"""Inbound e-mail against a real IMAP server (dovecot, tests/intake/mail_server.py)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import pytest
from django.core import mail as outbox
from django.db import connection
from django.utils import translation

from kesu.accounts.models import Role, Store, User
from kesu.cases.models import Case, Channel
from kesu.cases.services import customer_get_or_create
from kesu.intake.mail.polling import mailbox_poll, mailbox_poll_leased
from kesu.intake.models import IntakeRecord, Mailbox, MailMessage, MailOutcome
from tests.intake.conftest import EXE, PNG, stored_files
from tests.intake.mail_server import ImapServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _english(settings) -> Iterator[None]:
    """Assertions read the English source strings, whatever is translated."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def make_mail(
    *,
    subject: str = "冰箱不制冷",
    body: str = "买了三天就坏了，要求退货。",
    sender: str = "王芳 <wangfang@example.com>",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, bytes], ...] = (),
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "service@kesu.example"
    message["Subject"] = subject
    message["Date"] = formatdate()
    message["Message-ID"] = message_id or make_msgid(domain="example.com")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content in attachments:
        message.add_attachment(
            content, maintype="application", subtype="octet-stream", filename=filename
        )
    return message.as_bytes()


def deliver(server: ImapServer, folder: str, *mails: bytes) -> list[int]:
    return [server.append(folder, raw) for raw in mails]


def test_new_mail_becomes_a_case_with_customer_and_attachments(
    imap_server, folder, mailbox, media, django_capture_on_commit_callbacks
):
    """R-IN-1: a new mail is a case of channel e-mail, files checked by content."""
    customer = customer_get_or_create(name="王芳", email="WangFang@example.com")
    deliver(
        imap_server,
        folder,
        make_mail(
            message_id="<first@example.com>",
            attachments=(("收据.png", PNG), ("invoice.exe", EXE)),
        ),
    )

    with django_capture_on_commit_callbacks(execute=True):
        counts = mailbox_poll(mailbox=mailbox)

    assert counts == {MailOutcome.CASE: 1}
    case = Case.objects.get()
    assert case.channel == Channel.EMAIL
    assert case.customer == customer
    assert case.description.startswith("冰箱不制冷\n\n买了三天就坏了，要求退货。")
    assert "invoice.exe" in case.description
    assert [a.original_name for a in case.attachments.all()] == ["收据.png"]
    assert len(stored_files(media)) == 1
    record = IntakeRecord.objects.get(case=case)
    assert (record.backend, record.external_id) == ("mail", "<first@example.com>")
    assert MailMessage.objects.get().case == case
    assert case.number in outbox.outbox[0].subject


def test_polling_again_imports_nothing_twice(imap_server, folder, mailbox):
    """R-IN-5: UIDs already read are not read again."""
    deliver(imap_server, folder, make_mail(), make_mail())
    mailbox_poll(mailbox=mailbox)

    counts = mailbox_poll(mailbox=mailbox)

    assert counts == {}
    assert Case.objects.count() == 2
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 2


def test_reply_with_case_number_in_subject_goes_to_the_case_timeline(
    imap_server, folder, mailbox
):
    deliver(imap_server, folder, make_mail())
    mailbox_poll(mailbox=mailbox)
    case = Case.objects.get()
    deliver(
        imap_server,
        folder,
        make_mail(subject=f"Re: Complaint {case.number} received", body="还没人联系我"),
    )

    counts = mailbox_poll(mailbox=mailbox)

    assert counts == {MailOutcome.REPLY: 1}
    assert Case.objects.count() == 1
    event = case.events.get(type="communication.logged")
    assert event.data["direction"] == "inbound"
    assert event.data["kind"] == "email"
    assert "还没人联系我" in event.message
    assert "other than the customer" not in event.message


def test_reply_found_by_references_without_case_number(imap_server, folder, mailbox):
    deliver(imap_server, folder, make_mail(message_id="<orig@example.com>"))
    mailbox_poll(mailbox=mailbox)
    case = Case.objects.get()
    reply = make_mail(
        subject="回复：冰箱不制冷",
        body="补充：型号 BCD-218",
        sender="someone@else.example",
        headers={
            "In-Reply-To": "<ack@kesu.example>",
            "References": "<orig@example.com> <ack@kesu.example>",
        },
    )
    deliver(imap_server, folder, reply)

    mailbox_poll(mailbox=mailbox)

    event = case.events.get(type="communication.logged")
    assert "型号 BCD-218" in event.message
    assert "other than the customer" in event.message
    assert MailMessage.objects.filter(outcome=MailOutcome.REPLY, case=case).exists()


def test_unknown_case_number_in_subject_makes_a_new_case(imap_server, folder, mailbox):
    deliver(imap_server, folder, make_mail(subject="Re: KS-20000101-0001"))

    counts = mailbox_poll(mailbox=mailbox)

    assert counts == {MailOutcome.CASE: 1}


AUTOMATIC = [
    {"Auto-Submitted": "auto-replied"},
    {"Auto-Submitted": "auto-generated; type=vacation"},
    {"Precedence": "bulk"},
    {"Precedence": "junk"},
    {"Precedence": "auto_reply"},
    {"X-Autoreply": "yes"},
]


def test_auto_replies_and_bounces_are_ignored_and_counted(imap_server, folder, mailbox):
    """RFC 3834 auto-replies, DSNs and MAILER-DAEMON mail make no case."""
    dsn = (
        b"From: Mail Delivery System <postmaster@mx.example.com>\r\n"
        b"To: service@kesu.example\r\nSubject: Delivery Status Notification\r\n"
        b"Message-ID: <dsn@mx.example.com>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n'
        b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; x@y\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n\r\n--b--\r\n"
    )
    bounce = make_mail(sender="MAILER-DAEMON@mx.example.com", subject="Undeliverable")
    mails = [make_mail(headers=headers) for headers in AUTOMATIC] + [dsn, bounce]
    person = make_mail(headers={"Auto-Submitted": "no"})
    deliver(imap_server, folder, *mails, person)

    counts = mailbox_poll(mailbox=mailbox)

    assert counts == {MailOutcome.IGNORED: len(mails), MailOutcome.CASE: 1}
    reasons = set(
        MailMessage.objects.filter(outcome=MailOutcome.IGNORED).values_list(
            "reason", flat=True
        )
    )
    assert "report: delivery-status" in reasons
    assert "bounce: mailer-daemon" in reasons


def _b64(text: str, codec: str) -> str:
    return base64.b64encode(text.encode(codec)).decode()


def test_chinese_charsets_and_encoded_headers_decode(imap_server, folder, mailbox):
    """GB2312 labels with GBK characters (镕, 珺) decode as GB18030; Big5 too."""
    gb = (
        f"From: =?gb2312?B?{_b64('朱镕', 'gb18030')}?= <zhu@example.com>\r\n"
        f"Subject: =?gb2312?B?{_b64('投诉：洗衣机漏水', 'gb18030')}?=\r\n"
        "Message-ID: <gb@example.com>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=gb2312\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{_b64('王珺说洗衣机漏水，地板泡坏了。', 'gb18030')}\r\n"
    ).encode()
    big5 = (
        f"From: =?big5?B?{_b64('陳先生', 'big5')}?= <chen@example.com.tw>\r\n"
        f"Subject: =?big5?B?{_b64('退貨申請', 'big5')}?=\r\n"
        "Message-ID: <big5@example.com>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=big5\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + "電視機無法開機。\r\n".encode("big5")
    deliver(imap_server, folder, gb, big5)

    mailbox_poll(mailbox=mailbox)

    first, second = Case.objects.order_by("pk")
    assert first.description == "投诉：洗衣机漏水\n\n王珺说洗衣机漏水，地板泡坏了。"
    assert first.customer.name == "朱镕"
    assert second.description == "退貨申請\n\n電視機無法開機。"
    assert second.customer.name == "陳先生"


def test_html_mail_is_sanitised_to_text(imap_server, folder, mailbox):
    html = (
        "<html><head><style>p {color: red}</style>"
        "<script>alert('x')</script></head><body>"
        "<p>空调&nbsp;不制冷 &amp; 有异响</p>"
        '<div><a href="javascript:alert(1)">点击</a>'
        '<img src="x" onerror="alert(1)"></div></body></html>'
    )
    message = EmailMessage()
    message["From"] = "li@example.com"
    message["Subject"] = "HTML"
    message["Message-ID"] = "<html@example.com>"
    message.set_content(html, subtype="html")
    deliver(imap_server, folder, message.as_bytes())

    mailbox_poll(mailbox=mailbox)

    description = Case.objects.get().description
    assert "空调\xa0不制冷 & 有异响" in description
    assert "点击" in description
    for unsafe in ("alert", "<", "color: red", "javascript"):
        assert unsafe not in description


def test_mail_without_sender_address_is_recorded_as_failed_and_skipped(
    imap_server, folder, mailbox
):
    deliver(
        imap_server,
        folder,
        make_mail(sender="undisclosed-recipients:;"),
        make_mail(),
    )

    counts = mailbox_poll(mailbox=mailbox)

    assert counts == {MailOutcome.FAILED: 1, MailOutcome.CASE: 1}
    failed = MailMessage.objects.get(outcome=MailOutcome.FAILED)
    assert failed.case is None
    assert failed.reason.startswith("customer_")


def test_same_message_in_two_mailboxes_is_one_case(imap_server, folder, mailbox, store):
    other_name = f"o{uuid.uuid4().hex[:12]}"
    imap_server.create(other_name)
    other = Mailbox.objects.create(
        name="sales",
        store=store,
        host=imap_server.host,
        port=imap_server.port,
        tls_mode="plain",
        username=imap_server.user,
        password=imap_server.password,
        folder=other_name,
    )
    raw = make_mail(message_id="<cc@example.com>")
    deliver(imap_server, folder, raw)
    deliver(imap_server, other_name, raw)

    mailbox_poll(mailbox=mailbox)
    counts = mailbox_poll(mailbox=other)

    assert counts == {MailOutcome.DUPLICATE: 1}
    assert Case.objects.count() == 1


def test_uidvalidity_change_rescans_without_duplicates(imap_server, folder, mailbox):
    """R-IN-5: new UIDVALIDITY: read again from UID 1, Message-ID dedup."""
    old = [make_mail(), make_mail()]
    deliver(imap_server, folder, *old)
    mailbox_poll(mailbox=mailbox)
    first_validity = Mailbox.objects.get().uidvalidity
    imap_server.recreate(folder)
    deliver(imap_server, folder, *old, make_mail(subject="新的投诉"))

    counts = mailbox_poll(mailbox=mailbox)

    assert counts == {MailOutcome.DUPLICATE: 2, MailOutcome.CASE: 1}
    assert Case.objects.count() == 3
    mailbox.refresh_from_db()
    assert mailbox.uidvalidity != first_validity
    assert mailbox.last_uid == 3


def _poll_killed(mailbox: Mailbox, *, after_commits: int, inside: bool) -> int:
    database = connection.settings_dict
    if connection.vendor != "sqlite":
        pytest.skip("the kill test shares the SQLite test database with a subprocess")
    from django.conf import settings

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kesu.settings",
        "KESU_DATABASE_URL": f"sqlite:///{database['NAME']}",
        "KESU_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "KESU_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    code = (
        "from tests.intake.mail_server import killed_poll; "
        f"killed_poll({mailbox.pk}, after_commits={after_commits}, inside={inside})"
    )
    result = subprocess.run(  # noqa: S603 - our interpreter and our code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == -9, result.stderr.decode()[-3000:]
    return result.returncode


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("inside", [False, True], ids=["after-commit", "mid-commit"])
def test_poll_killed_between_messages_loses_and_repeats_nothing(
    imap_server, folder, mailbox, inside
):
    """R-IN-5: SIGKILL in the middle of a batch; the next poll completes it once."""
    uids = deliver(
        imap_server, folder, *(make_mail(subject=f"投诉 {n}") for n in range(4))
    )

    _poll_killed(mailbox, after_commits=1, inside=inside)

    assert Case.objects.count() == 1
    assert list(MailMessage.objects.values_list("uid", flat=True)) == uids[:1]
    mailbox.refresh_from_db()
    assert mailbox.last_uid == uids[0]

    counts = mailbox_poll(mailbox=mailbox)

    assert counts == {MailOutcome.CASE: 3}
    descriptions = sorted(
        case.description.split("\n")[0] for case in Case.objects.all()
    )
    assert descriptions == [f"投诉 {n}" for n in range(4)]
    assert sorted(MailMessage.objects.values_list("uid", flat=True)) == uids


def test_tls_mailbox_verifies_the_server_certificate(
    imap_server, folder, mailbox, monkeypatch
):
    """TLS is on by default and the certificate is checked."""
    Mailbox.objects.filter(pk=mailbox.pk).update(
        tls_mode="tls", port=imap_server.tls_port
    )
    deliver(imap_server, folder, make_mail())
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)

    mailbox_poll_leased(mailbox_id=mailbox.pk)

    mailbox.refresh_from_db()
    assert "CERTIFICATE_VERIFY_FAILED" in mailbox.last_error
    assert Case.objects.count() == 0

    monkeypatch.setenv("SSL_CERT_FILE", str(imap_server.ca_file))

    counts = mailbox_poll_leased(mailbox_id=mailbox.pk)

    assert counts == {MailOutcome.CASE: 1}
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


def test_wrong_password_is_recorded_not_raised(imap_server, folder, mailbox):
    mailbox.password = "wrong"  # noqa: S105
    mailbox.save()

    counts = mailbox_poll_leased(mailbox_id=mailbox.pk)

    assert counts == {}
    mailbox.refresh_from_db()
    assert mailbox.last_error
    assert "wrong" not in mailbox.last_error
    assert mailbox.poll_started_at is None


def test_very_long_mail_is_shortened_in_the_description(imap_server, folder, mailbox):
    deliver(imap_server, folder, make_mail(body="太长了。" * 10_000))

    mailbox_poll(mailbox=mailbox)

    description = Case.objects.get().description
    assert len(description) < 20_100
    assert description.endswith("[shortened; see the e-mail]")


def test_reply_to_a_case_whose_owner_cannot_work_is_recorded_as_failed(
    imap_server, folder, mailbox
):
    deliver(imap_server, folder, make_mail())
    mailbox_poll(mailbox=mailbox)
    case = Case.objects.select_related("owner").get()
    User.objects.filter(pk=case.owner_id).update(role=Role.QUALITY)
    deliver(imap_server, folder, make_mail(subject=f"Re: {case.number}"))

    counts = mailbox_poll(mailbox=mailbox)

    assert counts == {MailOutcome.FAILED: 1}
    assert MailMessage.objects.get(outcome=MailOutcome.FAILED).case == case


def test_no_agent_to_own_a_case_stops_the_poll_until_one_exists(
    imap_server, folder, mailbox, store_agent, store
):
    User.objects.filter(pk=store_agent.pk).update(is_active=False)
    deliver(imap_server, folder, make_mail())

    failed = mailbox_poll_leased(mailbox_id=mailbox.pk)

    mailbox.refresh_from_db()
    assert failed == {}
    assert "KESU_INTAKE_OWNER" in mailbox.last_error
    assert (mailbox.last_uid, MailMessage.objects.count()) == (0, 0)

    User.objects.filter(pk=store_agent.pk).update(is_active=True)

    assert mailbox_poll_leased(mailbox_id=mailbox.pk) == {MailOutcome.CASE: 1}


def test_inactive_store_stops_the_poll_instead_of_failing_mails(
    imap_server, folder, mailbox, store
):
    Store.objects.filter(pk=store.pk).update(is_active=False)
    deliver(imap_server, folder, make_mail())

    mailbox_poll_leased(mailbox_id=mailbox.pk)

    mailbox.refresh_from_db()
    assert "no longer takes complaints" in mailbox.last_error
    assert (mailbox.last_uid, MailMessage.objects.count()) == (0, 0)
