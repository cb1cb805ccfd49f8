"""Appending to a case's timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from kesu.accounts.models import User
from kesu.cases.models import Case, CaseEvent, Visibility
from kesu.core.bulk import instances_insert

EventHandler = Callable[[CaseEvent], dict[str, Any]]


@cache
def _load(paths: tuple[str, ...]) -> tuple[EventHandler, ...]:
    return tuple(import_string(path) for path in paths)


def event_handlers() -> tuple[EventHandler, ...]:
    """The feature apps' handlers listed in settings.KESU_CASE_EVENT_HANDLERS.

    Explicit wiring instead of signals: `cases` never imports a feature app, and each
    handler runs inside the writing transaction, before the event is stored, so what it
    changed is recorded in the same event (one change, one event).
    """
    return _load(tuple(settings.KESU_CASE_EVENT_HANDLERS))


def event_append(
    *,
    case: Case,
    type: str,
    actor: User | None,
    data: dict[str, Any] | None = None,
    message: str = "",
    visibility: str = Visibility.INTERNAL,
    at: dt.datetime | None = None,
    touch_case: bool = True,
) -> CaseEvent:
    """Append one event to the case timeline and touch the case's updated_at.

    `at` dates an event that happened earlier than it is written (a deadline passed
    while no worker ran, a timeline replayed); it defaults to now. `touch_case=False`
    when the caller has just written the case row with its updated_at.
    """
    now = timezone.now()
    event = CaseEvent(
        case=case,
        type=type,
        actor=actor,
        data=data or {},
        message=message,
        visibility=visibility,
        created_at=at or now,
    )
    for handler in event_handlers():
        event.data = {**event.data, **handler(event)}
    event.save()
    if touch_case:
        Case.objects.filter(pk=case.pk).update(updated_at=now)
    return event


def events_append_many(events: list[CaseEvent]) -> list[CaseEvent]:
    """Store new events of a run of cases in one INSERT, each seen by the handlers.

    For events whose case rows were just written (an import batch): the cases'
    updated_at is left as written.
    """
    handlers = event_handlers()
    for event in events:
        for handler in handlers:
            event.data = {**event.data, **handler(event)}
    instances_insert(events)
    return events
