"""What makes intake idempotent: one record per accepted submission (R-IN-5)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesu.cases.models import Case, Channel


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
