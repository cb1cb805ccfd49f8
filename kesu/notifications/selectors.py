"""Reading a staff member's notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from kesu.accounts.models import User
from kesu.notifications.models import Notification


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread (the top bar's badge)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_list(
    *, user: User, unread_only: bool = False
) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    rows = Notification.objects.filter(recipient=user).select_related("case")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows


def notification_get(*, user: User, pk: int) -> Notification:
    """One of the user's own notifications (404 for anyone else's)."""
    return Notification.objects.get(recipient=user, pk=pk)
