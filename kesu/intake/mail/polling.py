"""Fetching new mail over IMAP, one message per transaction (README: Inbound e-mail).

The mailbox's position is (UIDVALIDITY, last UID). Messages are fetched in UID order
and each is committed with the new position, so a poll killed between two messages
resumes after the last one committed. When the server reports another UIDVALIDITY
the UIDs mean nothing any more: the folder is read again from the start and the
Message-ID check in the backend skips what was already imported.
"""

from __future__ import annotations

import datetime as dt
import imaplib
import logging
import ssl
from collections import Counter

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError

from kesu.core.errors import DomainError, InvalidInput
from kesu.intake.backends.mail import MailBackend
from kesu.intake.models import Mailbox, TlsMode, is_loopback

logger = logging.getLogger(__name__)

# A poll that has held its mailbox this long is taken to have died.
LEASE = dt.timedelta(minutes=10)
# Messages per poll; the rest wait for the next run, so one poll stays short.
BATCH = 200
TIMEOUT_SECONDS = 60
POLL_ERRORS = (OSError, imaplib.IMAP4.error, ImapToolsError, DomainError)


def mailbox_connect(mailbox: Mailbox) -> BaseMailBox:
    """A logged-in IMAP session on the mailbox's folder; TLS verifies the host."""
    client: BaseMailBox
    if mailbox.tls_mode == TlsMode.IMPLICIT:
        client = MailBox(
            mailbox.host,
            mailbox.port,
            timeout=TIMEOUT_SECONDS,
            ssl_context=tls_context(mailbox),
        )
    elif mailbox.tls_mode == TlsMode.STARTTLS:
        # The connect fails when the server does not offer or refuses STARTTLS
        # (imaplib, imap-tools): the login never goes out unencrypted.
        client = MailBoxStartTls(
            mailbox.host,
            mailbox.port,
            timeout=TIMEOUT_SECONDS,
            ssl_context=tls_context(mailbox),
        )
    elif mailbox.tls_mode == TlsMode.PLAIN and is_loopback(mailbox.host):
        client = MailBoxUnencrypted(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)
    else:
        raise InvalidInput(
            _("Unencrypted IMAP is allowed only to this machine; choose TLS."),
            field="tls_mode",
        )
    return client.login(mailbox.username, mailbox.password, initial_folder=None)


def tls_context(mailbox: Mailbox) -> ssl.SSLContext:
    """Certificate and host name checked; against the mailbox's own CA file if set."""
    try:
        return ssl.create_default_context(cafile=mailbox.ca_file or None)
    except OSError as error:  # ssl.SSLError too: not a PEM certificate
        raise InvalidInput(
            _("The CA certificate file %(path)s cannot be read: %(error)s")
            % {"path": mailbox.ca_file, "error": error},
            field="ca_file",
        ) from error


def mailbox_poll(*, mailbox: Mailbox, limit: int = BATCH) -> Counter[str]:
    """Import the mailbox's new messages, each exactly once; counts by outcome."""
    counts: Counter[str] = Counter()
    backend = MailBackend()
    with mailbox_connect(mailbox) as imap:
        imap.folder.set(mailbox.folder, readonly=True)
        status = imap.folder.status(mailbox.folder, ["UIDVALIDITY"])
        _position_check(mailbox, status["UIDVALIDITY"])
        for uid in new_uids(imap, mailbox.last_uid)[:limit]:
            raw = _fetch(imap, uid)
            if raw is None:
                continue
            record = backend.import_message(
                mailbox=mailbox, uidvalidity=status["UIDVALIDITY"], uid=uid, raw=raw
            )
            if record is not None:
                counts[record.outcome] += 1
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_polled_at=timezone.now(), last_error=""
    )
    return counts


def mailbox_poll_leased(*, mailbox_id: int) -> dict[str, int] | None:
    """Poll unless another poll holds the mailbox (None); errors are recorded."""
    now = timezone.now()
    free = Q(poll_started_at__isnull=True) | Q(poll_started_at__lt=now - LEASE)
    taken = Mailbox.objects.filter(free, pk=mailbox_id, is_active=True).update(
        poll_started_at=now
    )
    if not taken:
        return None
    mailbox = Mailbox.objects.select_related("store").get(pk=mailbox_id)
    try:
        return dict(mailbox_poll(mailbox=mailbox))
    except POLL_ERRORS as error:
        # The next run retries; the admin shows why this one failed. The password
        # is never part of imaplib's or imap-tools' error text.
        logger.warning("polling mailbox %s failed: %s", mailbox.name, error)
        Mailbox.objects.filter(pk=mailbox_id).update(
            last_polled_at=timezone.now(), last_error=str(error)[:2000]
        )
        return {}
    finally:
        Mailbox.objects.filter(pk=mailbox_id).update(poll_started_at=None)


def new_uids(imap: BaseMailBox, last_uid: int) -> list[int]:
    """UIDs above `last_uid`, ascending.

    `UID n:*` always matches the newest message even when its UID is below n, hence
    the filter.
    """
    found = imap.uids(f"UID {last_uid + 1}:*")
    return sorted(uid for uid in map(int, found) if uid > last_uid)


def _fetch(imap: BaseMailBox, uid: int) -> bytes | None:
    """The message's exact bytes (BODY.PEEK leaves it unread), None if expunged."""
    status, data = imap.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if status != "OK":
        # Skipping would let the next message's commit move the position past it.
        raise imaplib.IMAP4.error(f"FETCH of UID {uid} failed: {data!r}")
    for item in data:
        if isinstance(item, tuple):
            return bytes(item[1])
    return None


def _position_check(mailbox: Mailbox, uidvalidity: int) -> None:
    if mailbox.uidvalidity == uidvalidity:
        return
    if mailbox.uidvalidity is not None:
        logger.warning(
            "mailbox %s: UIDVALIDITY changed from %s to %s; reading the folder again",
            mailbox.name,
            mailbox.uidvalidity,
            uidvalidity,
        )
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity, last_uid=0)
    mailbox.uidvalidity = uidvalidity
    mailbox.last_uid = 0
