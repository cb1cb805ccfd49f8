"""What makes intake idempotent: one record per accepted submission (R-IN-5)."""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesu.cases.models import Case, Channel
from kesu.privacy.fields import EncryptedTextField


class IntakeRecord(models.Model):
    """Which channel item (external id, idempotency key, body) made which case.

    The unique constraints, not a lookup before the insert, are what keep two
    concurrent retries from making two cases: the loser's insert fails and it
    returns the winner's case.
    """

    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="intake_record"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    backend = models.CharField(_("backend"), max_length=40)
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    # Namespaced by the backend (e.g. per API user) so clients cannot collide.
    idempotency_key = models.CharField(_("idempotency key"), max_length=300, blank=True)
    fingerprint = models.CharField(_("body fingerprint"), max_length=64)
    # Where it came from: client name, token id, user agent. Never personal data.
    source = models.JSONField(_("source"), default=dict, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("intake record")
        verbose_name_plural = _("intake records")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="intake_unique_external_id",
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="intake_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id or self.idempotency_key or self.pk}"


class ImportChannel(models.TextChoices):
    """The Channel values an imported case may keep (R-IN-1)."""

    IMPORT = Channel.IMPORT.value, Channel.IMPORT.label
    SOCIAL = Channel.SOCIAL.value, Channel.SOCIAL.label


class ImportPreset(models.Model):
    """How one source's export maps onto Kesu's fields, saved for the next file.

    `mapping` maps a Kesu field (kesu.intake.imports.mapping.FIELDS) to a column
    header; `description` may name several columns, joined in order.
    """

    name = models.SlugField(_("name"), max_length=60, unique=True)
    label = models.CharField(_("label"), max_length=120, blank=True)
    platform = models.SlugField(
        _("source platform"),
        max_length=40,
        help_text=_("Kept on every imported case, e.g. taobao, weibo, cfpb."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=20,
        choices=ImportChannel.choices,
        default=ImportChannel.IMPORT,
    )
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    store = models.ForeignKey(
        "accounts.Store",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default store"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("import preset")
        verbose_name_plural = _("import presets")

    def __str__(self) -> str:
        return self.label or self.name


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    PREVIEWED = "previewed", _("Checked")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One uploaded file and its run: checked (dry run), then committed in batches.

    `processed_rows` and `last_row_number` commit together with the cases and row
    errors of their batch, so a run that dies resumes right after its last batch.
    """

    preset = models.ForeignKey(
        ImportPreset, on_delete=models.PROTECT, related_name="jobs"
    )
    store = models.ForeignKey(
        "accounts.Store",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store"),
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    # A snapshot: editing the preset later does not change a job under way.
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    is_dry_run = models.BooleanField(_("dry run"), default=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ImportStatus.choices,
        default=ImportStatus.UPLOADED,
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    # The spreadsheet row number of the last row whose batch committed.
    last_row_number = models.PositiveIntegerField(_("last row done"), default=0)
    created_count = models.PositiveIntegerField(_("cases created"), default=0)
    duplicate_count = models.PositiveIntegerField(_("already imported"), default=0)
    error_count = models.PositiveIntegerField(_("bad rows"), default=0)
    failure = models.TextField(_("failure"), blank=True)
    created_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Bumped with every committed batch: a running job that stops moving has died.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in {ImportStatus.QUEUED, ImportStatus.RUNNING}

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return (
                100 if self.status in {ImportStatus.PREVIEWED, ImportStatus.DONE} else 0
            )
        return min(100, self.processed_rows * 100 // self.total_rows)


class ImportRowError(models.Model):
    """One bad row of a job: its spreadsheet row number, column and reason (R-IN-5)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="errors")
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=500)

    class Meta:
        ordering = ["row_number", "pk"]
        verbose_name = _("import row error")
        verbose_name_plural = _("import row errors")

    def __str__(self) -> str:
        return f"{self.row_number}: {self.column} {self.reason}"


class TlsMode(models.TextChoices):
    IMPLICIT = "tls", _("TLS (IMAPS, port 993)")
    STARTTLS = "starttls", _("STARTTLS (port 143)")
    PLAIN = "plain", _("None: loopback only")


LOOPBACK_HOSTS = {"localhost", "localhost.localdomain"}


def is_loopback(host: str) -> bool:
    """True for a host name or address that never leaves this machine."""
    if host.lower() in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Mailbox(models.Model):
    """An IMAP folder polled for complaints (README: Inbound e-mail).

    `uidvalidity` and `last_uid` are the position reached: every message up to
    `last_uid` has a MailMessage committed with it, in the same transaction.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    store = models.ForeignKey(
        "accounts.Store",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("store"),
        help_text=_("New complaints from this mailbox are filed under this store."),
    )
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    tls_mode = models.CharField(
        _("TLS"),
        max_length=10,
        choices=TlsMode.choices,
        default=TlsMode.IMPLICIT,
        help_text=_(
            "TLS from the start (port 993) or STARTTLS (port 143). Unencrypted only "
            "to this machine (127.0.0.1, ::1, localhost), e.g. a local test server."
        ),
    )
    # A server with a private CA: its certificate (PEM) is trusted for this mailbox
    # alone. The host name is still checked; verification is never switched off.
    ca_file = models.CharField(
        _("CA certificate file"),
        max_length=500,
        blank=True,
        help_text=_("Path of a PEM file; empty: the system's trusted CAs."),
    )
    username = models.CharField(_("user name"), max_length=255)
    # An app password, encrypted at rest like personal data (kesu.privacy).
    password = EncryptedTextField(_("password"), blank=True)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    poll_seconds = models.PositiveIntegerField(_("poll every (seconds)"), default=60)
    is_active = models.BooleanField(_("active"), default=True)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, editable=False)
    last_uid = models.BigIntegerField(_("last UID"), default=0, editable=False)
    # The one live poll chain: a task carrying another token ends its chain.
    poll_chain = models.UUIDField(_("poll chain"), null=True, editable=False)
    # A lease, so overlapping runs of the chain do not poll at the same time.
    poll_started_at = models.DateTimeField(null=True, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.tls_mode == TlsMode.PLAIN and not is_loopback(self.host):
            raise ValidationError(
                {
                    "tls_mode": _(
                        "Without TLS the password would cross the network in clear: "
                        "only a server on this machine may be reached unencrypted."
                    )
                }
            )
        if self.tls_mode == TlsMode.STARTTLS and self.port == 993:
            raise ValidationError(
                {
                    "port": _(
                        "Port 993 speaks TLS from the start: choose TLS, not STARTTLS."
                    )
                }
            )


class MailOutcome(models.TextChoices):
    CASE = "case", _("New case")
    REPLY = "reply", _("Added to a case")
    DUPLICATE = "duplicate", _("Already imported")
    IGNORED = "ignored", _("Auto-reply or bounce")
    FAILED = "failed", _("Not importable")


class MailMessage(models.Model):
    """One message of a mailbox, recorded with what it became (exactly once)."""

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.PROTECT, related_name="messages"
    )
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"))
    uid = models.BigIntegerField(_("UID"))
    message_id = models.CharField(_("Message-ID"), max_length=998, db_index=True)
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mail_messages",
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=MailOutcome.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = _("mail message")
        verbose_name_plural = _("mail messages")
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"],
                name="intake_mail_unique_uid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id}:{self.uidvalidity}:{self.uid}"


class SentMail(models.Model):
    """A mail Kesu sent about a case, by its Message-ID (R-IN-3).

    A customer's reply names it in In-Reply-To/References; this is how inbound mail
    finds the case without the case number in the subject.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="sent_mails")
    message_id = models.CharField(_("Message-ID"), max_length=998, unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("sent mail")
        verbose_name_plural = _("sent mails")

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"
