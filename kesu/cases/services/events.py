"""Appending to a case's timeline."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kesu.accounts.models import User
from kesu.cases.models import Case, CaseEvent, Visibility


def event_append(
    *,
    case: Case,
    type: str,
    actor: User | None,
    data: dict[str, Any] | None = None,
    message: str = "",
    visibility: str = Visibility.INTERNAL,
) -> CaseEvent:
    """Append one event to the case timeline and touch the case's updated_at."""
    now = timezone.now()
    event = CaseEvent.objects.create(
        case=case,
        type=type,
        actor=actor,
        data=data or {},
        message=message,
        visibility=visibility,
        created_at=now,
    )
    Case.objects.filter(pk=case.pk).update(updated_at=now)
    return event
