"""Sending and reading staff notifications."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils import timezone, translation

from kesu.accounts.models import User
from kesu.cases.models import Case
from kesu.notifications.models import Notification


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: Callable[[], str],
    key: str,
    case: Case | None = None,
    url: str = "",
) -> int:
    """Put a notification in each active recipient's centre, once per key.

    `title` is called once per interface language. Returns how many were new:
    sending the same key again (a retried task) adds none.
    """
    now = timezone.now()
    titles = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            titles[code] = title()[:200]
    active = {user.pk: user for user in recipients if user.is_active}
    already = set(
        Notification.objects.filter(recipient__in=active, key=key).values_list(
            "recipient_id", flat=True
        )
    )
    rows = [
        Notification(
            recipient=user,
            case=case,
            kind=kind,
            titles=titles,
            url=url,
            key=key,
            created_at=now,
        )
        for pk, user in active.items()
        if pk not in already
    ]
    # ignore_conflicts: two workers racing on the same key still leave one row each.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read: the given ones, or all of them."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
