"""IMAP over TLS or STARTTLS, verified against a throw-away CA (real dovecot).

The test dovecot (tests/intake/mail_server.py) offers STARTTLS on its plain port and
TLS on its IMAPS port, with a self-signed certificate made for each run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kesu.cases.models import Case
from kesu.intake.mail.polling import mailbox_poll_leased
from kesu.intake.models import Mailbox, MailOutcome, TlsMode, is_loopback
from tests.intake.test_mail import deliver, make_mail


@pytest.fixture(autouse=True)
def _english(settings, monkeypatch) -> Iterator[None]:
    """English messages, and no CA from the environment: only ca_file may help."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def login_lines(imap_server) -> list[str]:
    log = (imap_server.root / "dovecot.log").read_text()
    return [line for line in log.splitlines() if "Login: user=" in line]


def test_starttls_mailbox_verifies_the_server_against_its_ca_file(
    imap_server, folder, mailbox
):
    Mailbox.objects.filter(pk=mailbox.pk).update(
        tls_mode=TlsMode.STARTTLS, ca_file=str(imap_server.ca_file)
    )
    deliver(imap_server, folder, make_mail())

    counts = mailbox_poll_leased(mailbox_id=mailbox.pk)

    assert counts == {MailOutcome.CASE: 1}
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""
    # Dovecot marks a login made after STARTTLS with "TLS".
    assert ", TLS" in login_lines(imap_server)[-1]


def test_starttls_without_the_servers_ca_refuses_to_log_in(
    imap_server, folder, mailbox
):
    Mailbox.objects.filter(pk=mailbox.pk).update(tls_mode=TlsMode.STARTTLS)
    deliver(imap_server, folder, make_mail())
    logins = len(login_lines(imap_server))

    assert mailbox_poll_leased(mailbox_id=mailbox.pk) == {}

    mailbox.refresh_from_db()
    assert "CERTIFICATE_VERIFY_FAILED" in mailbox.last_error
    assert Case.objects.count() == 0
    assert len(login_lines(imap_server)) == logins  # the password never went out


def test_implicit_tls_mailbox_uses_its_ca_file(imap_server, folder, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(
        tls_mode=TlsMode.IMPLICIT,
        port=imap_server.tls_port,
        ca_file=str(imap_server.ca_file),
    )
    deliver(imap_server, folder, make_mail())

    assert mailbox_poll_leased(mailbox_id=mailbox.pk) == {MailOutcome.CASE: 1}


@pytest.mark.parametrize(
    "content", [None, b"not a certificate"], ids=["missing", "junk"]
)
def test_unreadable_ca_file_is_recorded_as_the_polls_error(
    imap_server, mailbox, tmp_path, content
):
    ca_file = tmp_path / "ca.pem"
    if content is not None:
        ca_file.write_bytes(content)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        tls_mode=TlsMode.STARTTLS, ca_file=str(ca_file)
    )

    assert mailbox_poll_leased(mailbox_id=mailbox.pk) == {}

    mailbox.refresh_from_db()
    assert f"The CA certificate file {ca_file} cannot be read" in mailbox.last_error


def test_plain_imap_to_another_machine_is_refused_before_connecting(mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(host="imap.example.com")

    assert mailbox_poll_leased(mailbox_id=mailbox.pk) == {}

    mailbox.refresh_from_db()
    assert "Unencrypted IMAP is allowed only to this machine" in mailbox.last_error


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("LOCALHOST", True),
        ("10.0.0.1", False),
        ("imap.example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_is_loopback(host, expected):
    assert is_loopback(host) is expected


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tls_mode": TlsMode.PLAIN, "host": "imap.example.com"}, "tls_mode"),
        ({"tls_mode": TlsMode.STARTTLS, "port": 993}, "port"),
    ],
)
def test_mailbox_validation_refuses_unsafe_settings(store, changes, field):
    mailbox = Mailbox(
        name="x", store=store, host="127.0.0.1", username="u", password="p"
    )
    for name, value in changes.items():
        setattr(mailbox, name, value)

    with pytest.raises(ValidationError) as refused:
        mailbox.full_clean()

    assert field in refused.value.message_dict


def test_admin_refuses_plain_imap_to_another_machine(admin_client, store):
    response = admin_client.post(
        "/admin/intake/mailbox/add/",
        {
            "name": "remote",
            "store": store.pk,
            "host": "imap.example.com",
            "port": 143,
            "tls_mode": TlsMode.PLAIN,
            "ca_file": "",
            "username": "u",
            "password": "app-password",
            "folder": "INBOX",
            "poll_seconds": 60,
        },
    )

    assert response.status_code == 200
    assert "password would cross the network in clear" in response.content.decode()
    assert not Mailbox.objects.exists()
