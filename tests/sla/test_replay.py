"""Clocks for cases from before clocks existed: their timelines replayed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from kesu.cases.services import case_transition
from kesu.notifications.models import Notification
from kesu.sla.models import Clock
from kesu.sla.services import clocks_replay
from tests.factories import make_case, top_category

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, tzinfo=SHANGHAI)


@pytest.fixture
def old_case(settings, agent, store):
    """A case worked while no deadline handler was installed."""
    settings.KESU_CASE_EVENT_HANDLERS = []
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        case = make_case(by=agent, store=store, category=top_category("other"))
        traveller.shift(dt.timedelta(hours=2))  # responded late: due after 30 min
        case_transition(case=case, action="verify", by=agent)
    settings.KESU_CASE_EVENT_HANDLERS = ["kesu.sla.services.on_case_event"]
    return case


@pytest.mark.django_db
def test_replay_gives_the_clocks_the_timeline_implies(old_case):
    now = MONDAY_10 + dt.timedelta(hours=3)

    created = clocks_replay(case=old_case, now=now)

    clocks = {c.kind: c for c in Clock.objects.filter(case=old_case)}
    assert created == 3
    response = clocks["response"]
    assert response.met_at == MONDAY_10 + dt.timedelta(hours=2)
    assert response.breached_at == MONDAY_10 + dt.timedelta(minutes=30)
    assert clocks["resolution"].is_running
    assert clocks["resolution"].checkpoints_done == 0  # 3 h of 24 h: no warning yet


@pytest.mark.django_db
def test_replayed_checkpoints_are_dated_when_they_passed_and_notify_nobody(
    old_case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        clocks_replay(case=old_case, now=MONDAY_10 + dt.timedelta(hours=3))

    # The checkpoints passed before the next event are one event, as in a live sweep.
    passed = old_case.events.get(type__startswith="sla.")
    assert passed.type == "sla.breached"
    assert passed.created_at == MONDAY_10 + dt.timedelta(minutes=30)
    assert passed.data["checkpoints"] == ["warning:50", "warning:80", "breach"]
    assert mail.outbox == []
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_replaying_twice_changes_nothing(old_case):
    now = MONDAY_10 + dt.timedelta(hours=3)
    clocks_replay(case=old_case, now=now)
    events = old_case.events.count()

    assert clocks_replay(case=old_case, now=now) == 0
    assert old_case.events.count() == events


@pytest.mark.django_db
def test_unsaved_events_get_what_they_changed_stored_events_keep_their_data(
    old_case,
):
    received = old_case.events.get(type="case.received")

    clocks_replay(case=old_case, now=MONDAY_10 + dt.timedelta(hours=3))

    received.refresh_from_db()
    assert "sla" not in received.data  # the timeline is append-only
