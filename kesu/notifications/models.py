"""The staff notification centre: what needs someone's attention, read or unread."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one staff member, with a link to what it is about.

    `titles` holds the line in every interface language (written once, read in the
    reader's language) and never customer personal data. `key` makes sending
    idempotent: a retried task does not notify twice.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=40)
    titles = models.JSONField(_("title"), default=dict)
    url = models.CharField(_("link"), max_length=200, blank=True)
    key = models.CharField(max_length=120)
    created_at = models.DateTimeField(_("created"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], name="notification_once_per_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        """The line in the current language, else in the default one."""
        return str(
            self.titles.get(get_language() or "")
            or self.titles.get(settings.LANGUAGE_CODE)
            or next(iter(self.titles.values()), "")
        )
