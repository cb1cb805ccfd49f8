"""Inbound e-mail: channel `email` (README: Inbound e-mail).

`MailBackend.import_message` takes one raw message of a polled mailbox
(kesu.intake.mail.polling) and, in one transaction, decides what it is — a new
complaint, a customer's reply to a case, an auto-reply or bounce, or a message seen
before — acts on it and records it with the mailbox's new position. A crash before
the commit leaves nothing behind (files it stored are removed again); after it, the
message is never read again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import PurePosixPath

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.cases.models import Attachment, Case, Channel
from kesu.cases.services import communication_log
from kesu.cases.services.intake import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from kesu.core.errors import InvalidInput, PermissionDenied
from kesu.intake.backends.base import ChannelBackend
from kesu.intake.mail.parsing import Attachment as MailPart
from kesu.intake.mail.parsing import ParsedMail, parse_mail
from kesu.intake.models import Mailbox, MailMessage, MailOutcome, SentMail
from kesu.intake.services import MAX_KEY_LENGTH, Submission, attachment_type
from kesu.privacy import crypto

CASE_NUMBER = re.compile(r"\bKS-\d{8}-\d{4,}\b")
MAX_TEXT_LENGTH = 20_000


class MailBackend(ChannelBackend):
    """Turns mails of configured mailboxes into cases or case timeline entries."""

    name = "mail"
    channel = Channel.EMAIL

    def import_message(
        self, *, mailbox: Mailbox, uidvalidity: int, uid: int, raw: bytes
    ) -> MailMessage | None:
        """Act on one message and record it, once; None if it was already recorded."""
        parsed = parse_mail(raw)
        stored: list[str] = []
        try:
            with transaction.atomic():
                # The row lock (PostgreSQL; SQLite's write lock) serialises two polls
                # of one mailbox, so the position check below cannot race.
                box = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
                if box.uidvalidity != uidvalidity or uid <= box.last_uid:
                    return None
                outcome, case, reason = self._dispose(box, uid, parsed, stored)
                record = MailMessage.objects.create(
                    mailbox=box,
                    uidvalidity=uidvalidity,
                    uid=uid,
                    message_id=parsed.message_id,
                    case=case,
                    outcome=outcome,
                    reason=reason[:300],
                )
                Mailbox.objects.filter(pk=box.pk).update(last_uid=uid)
        except BaseException:
            # The rows are rolled back; the reply's files must not outlive them.
            for name in stored:
                default_storage.delete(name)
            raise
        mailbox.last_uid = uid
        return record

    def _dispose(
        self, box: Mailbox, uid: int, parsed: ParsedMail, stored: list[str]
    ) -> tuple[str, Case | None, str]:
        if parsed.automatic:
            return MailOutcome.IGNORED, None, parsed.automatic
        # Message-ID, not UID, identifies a mail across UIDVALIDITY resets and
        # across mailboxes that both received it.
        earlier = (
            MailMessage.objects.filter(message_id=parsed.message_id)
            .order_by("pk")
            .first()
        )
        if earlier is not None:
            return MailOutcome.DUPLICATE, earlier.case, f"first seen as {earlier.pk}"
        case = thread_case(parsed)
        if case is not None:
            try:
                reply_add(case, parsed, stored)
            except PermissionDenied as error:
                # The owner left or changed role: keep polling, show the mail.
                return MailOutcome.FAILED, case, str(error)
            return MailOutcome.REPLY, case, ""
        try:
            receipt = self.receive(self._submission(box, uid, parsed))
        except InvalidInput as error:
            if error.field == "store":
                # The mailbox's set-up, not this mail, is wrong: stop until fixed.
                raise
            # A mail that can never become a case (no sender address …) must not
            # block the mailbox; it stays on the server and is listed as failed.
            return MailOutcome.FAILED, None, f"{error.field}: {error}"
        if receipt.created:
            # Committed only with this mail's record: clean up if that fails.
            stored.extend(receipt.case.attachments.values_list("file", flat=True))
        return MailOutcome.CASE, receipt.case, ""

    def _submission(self, box: Mailbox, uid: int, parsed: ParsedMail) -> Submission:
        kept, notes = keep_attachments(parsed.attachments)
        return self.submission(
            store=box.store,
            description=_describe(parsed, notes),
            customer_name=parsed.sender_name,
            customer_email=parsed.sender_address,
            received_at=_received_at(parsed.sent_at),
            attachments=kept,
            external_id=external_id(parsed.message_id),
            source={"mailbox": box.name, "uid": uid},
        )


def external_id(message_id: str) -> str:
    """The Message-ID as the intake external id, hashed if it is too long to store."""
    if len(message_id) <= MAX_KEY_LENGTH:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode()).hexdigest()


def thread_case(parsed: ParsedMail) -> Case | None:
    """The case a mail answers: its number in the subject, else a known Message-ID.

    Known IDs are those of our own mails (the acknowledgement) and of mails the
    customer sent before.
    """
    numbers = CASE_NUMBER.findall(parsed.subject)
    if numbers:
        case = Case.objects.filter(number__in=numbers).order_by("pk").first()
        if case is not None:
            return case
    ids = parsed.thread_ids()
    if not ids:
        return None
    sent = (
        SentMail.objects.filter(message_id__in=ids)
        .select_related("case")
        .order_by("-pk")
        .first()
    )
    if sent is not None:
        return sent.case
    record = (
        MailMessage.objects.filter(message_id__in=ids, case__isnull=False)
        .select_related("case")
        .order_by("-pk")
        .first()
    )
    return record.case if record else None


def keep_attachments(
    files: list[MailPart],
) -> tuple[list[UploadedFile[bytes]], list[str]]:
    """The files intake accepts, and a note for each one it would refuse."""
    kept: list[UploadedFile[bytes]] = []
    notes: list[str] = []
    for item in files:
        name = PurePosixPath(item.name.replace("\\", "/")).name or "attachment"
        if len(item.content) > MAX_ATTACHMENT_BYTES:
            notes.append(_("%(name)s (larger than 10 MB)") % {"name": name})
            continue
        upload = SimpleUploadedFile(name, item.content)
        try:
            upload.content_type = attachment_type(upload)
        except InvalidInput:
            notes.append(_("%(name)s (not a photo, PDF or audio)") % {"name": name})
            continue
        if len(kept) == MAX_ATTACHMENTS:
            notes.append(_("%(name)s (more than 5 files)") % {"name": name})
            continue
        kept.append(upload)
    return kept, notes


def _describe(parsed: ParsedMail, notes: list[str]) -> str:
    parts = [parsed.subject, parsed.body]
    if notes:
        parts.append(_("Attachments not kept: %(files)s") % {"files": "; ".join(notes)})
    text = "\n\n".join(part for part in parts if part.strip())
    if len(text) > MAX_TEXT_LENGTH:
        # Quoted threads and newsletters can run to megabytes; the mail keeps them.
        text = text[:MAX_TEXT_LENGTH] + "\n\n" + _("[shortened; see the e-mail]")
    return text or _("(empty e-mail)")


def _received_at(sent_at: dt.datetime | None) -> dt.datetime | None:
    """The Date header, unless it lies in the future (a wrong clock at the sender)."""
    if sent_at is None or sent_at > timezone.now():
        return None
    return sent_at


def reply_add(case: Case, parsed: ParsedMail, stored: list[str]) -> None:
    """Add the customer's mail to the case timeline, its files to the case.

    Files pass the checks of a new complaint (type by content, 10 MB, five per mail);
    the names of stored files are appended to `stored` for the caller's clean-up.
    """
    kept, notes = keep_attachments(parsed.attachments)
    lines = [_describe(parsed, notes)]
    if kept:
        names = ", ".join(upload.name or "" for upload in kept)
        lines.append(_("Attachments added to the case: %(files)s") % {"files": names})
    if crypto.email_index(parsed.sender_address) != case.customer.email_index:
        # Anyone can quote a case number; say so when it is not the customer.
        lines.insert(0, _("From an address other than the customer's."))
    # The first-contact owner is the customer's single contact (R-CL-4), so the
    # mail lands in their timeline entry; the direction says the customer wrote.
    # Logged first: a refusal (PermissionDenied) must come before any file is stored.
    communication_log(
        case=case,
        by=case.owner,
        kind="email",
        direction="inbound",
        summary="\n\n".join(lines),
    )
    now = timezone.now()
    for upload in kept:
        attachment = Attachment.objects.create(
            case=case,
            file=upload,
            original_name=upload.name or "",
            content_type=upload.content_type or "",
            size=upload.size or 0,
            uploaded_by=None,  # the customer, not a member of staff
            uploaded_at=now,
        )
        stored.append(str(attachment.file.name))
