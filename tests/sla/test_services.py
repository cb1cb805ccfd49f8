"""R-SLA-3/4: clocks follow the case; checkpoints warn, breach and escalate."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django_tasks import default_task_backend

from kesu.cases.models import CaseEvent
from kesu.cases.services import (
    case_assign,
    case_classify,
    case_transition,
    communication_log,
    plan_propose,
)
from kesu.sla import tasks
from kesu.sla.models import Clock
from kesu.sla.services import clock_advance, clocks_reconcile
from tests.factories import make_case, top_category

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _deferring_backend(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}
    }


@pytest.fixture
def clock_time():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def case_count_with_warnings() -> int:
    return CaseEvent.objects.filter(type="sla.warned").count()


def clock(case, kind: str) -> Clock:
    return Clock.objects.get(case=case, kind=kind)


def local(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(SHANGHAI)


@pytest.mark.django_db
def test_new_case_starts_response_plan_and_resolution_clocks(clock_time, agent, store):
    """R-SLA-1: general case → respond in 30 min, plan in 24 h, resolve in 24 h."""
    case = make_case(by=agent, store=store, category=top_category("other"))

    dues = {c.kind: local(c.due_at) for c in case.clocks.all()}
    received = case.events.get(type="case.received")

    assert dues == {
        "response": MONDAY_10 + dt.timedelta(minutes=30),
        "plan": MONDAY_10 + dt.timedelta(hours=24),
        "resolution": MONDAY_10 + dt.timedelta(hours=24),
    }
    assert {e["kind"] for e in received.data["sla"]} == set(dues)
    assert case.events.count() == 1  # the clocks ride on the same event


@pytest.mark.django_db
def test_each_started_clock_enqueues_a_deferred_check(
    clock_time, agent, store, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_case(by=agent, store=store)

    runs = sorted(
        local(result.task.run_after)
        for result in default_task_backend.results
        if result.task.func is tasks.clock_check.func  # not triage's task
    )

    assert len(runs) == 3
    assert runs[0] == MONDAY_10 + dt.timedelta(minutes=15)  # response at 50 %


@pytest.mark.django_db
def test_grade_one_case_is_due_in_three_working_days(agent, store):
    """The issue's example, through the whole stack."""
    received = dt.datetime(2026, 9, 30, 16, tzinfo=SHANGHAI)
    with time_machine.travel(received, tick=False):
        case = make_case(
            by=agent, store=store, category=top_category("product_quality")
        )

    assert local(clock(case, "resolution").due_at) == dt.datetime(
        2026, 10, 10, 18, tzinfo=SHANGHAI
    )


@pytest.mark.django_db
def test_verifying_meets_the_response_clock(clock_time, agent, store):
    case = make_case(by=agent, store=store)
    clock_time.shift(dt.timedelta(minutes=10))

    case_transition(case=case, action="verify", by=agent)

    response = clock(case, "response")
    assert local(response.met_at) == MONDAY_10 + dt.timedelta(minutes=10)
    assert response.next_check_at is None
    assert case.events.latest("id").data["sla"][0]["change"] == "met"


@pytest.mark.django_db
def test_the_customers_own_mail_is_not_a_first_response(clock_time, agent, store):
    """Only staff reaching the customer meets the response clock, not their mail."""
    case = make_case(by=agent, store=store)
    clock_time.shift(dt.timedelta(minutes=5))

    communication_log(
        case=case, by=agent, kind="email", direction="inbound", summary="客户来信"
    )
    assert clock(case, "response").met_at is None

    clock_time.shift(dt.timedelta(minutes=5))
    communication_log(
        case=case, by=agent, kind="call", direction="inbound", summary="客户来电已沟通"
    )
    assert local(clock(case, "response").met_at) == MONDAY_10 + dt.timedelta(minutes=10)


@pytest.mark.django_db
def test_waiting_on_the_customer_pauses_and_moves_the_resolution_clock(
    clock_time, agent, store
):
    """R-SLA-3: the pause is part of the await/resume events; due moves by the gap."""
    case = make_case(by=agent, store=store, category=top_category("other"))
    case_transition(case=case, action="verify", by=agent)
    case_transition(case=case, action="await_customer", by=agent, reason="等照片")
    paused = case.events.latest("id")
    clock_time.shift(dt.timedelta(hours=5))

    case_transition(case=case, action="resume", by=agent)

    resumed = case.events.latest("id")
    assert [e["change"] for e in paused.data["sla"]] == ["paused"]
    assert [e["change"] for e in resumed.data["sla"]] == ["resumed"]
    assert local(clock(case, "resolution").due_at) == MONDAY_10 + dt.timedelta(hours=29)


@pytest.mark.django_db
def test_raising_severity_recomputes_the_due_time(clock_time, agent, supervisor, store):
    """R-SLA-1: recomputed and recorded when severity changes."""
    case = make_case(by=agent, store=store, category=top_category("other"))

    case_classify(
        case=case,
        by=supervisor,
        category=case.category,
        subcategory=None,
        severity="urgent",
        impact_grade=case.impact_grade,
    )

    event = case.events.get(type="case.classified")
    assert local(clock(case, "resolution").due_at) == MONDAY_10 + dt.timedelta(hours=8)
    assert {e["kind"] for e in event.data["sla"]} == {"response", "resolution"}


@pytest.mark.django_db
def test_repair_plan_gives_ten_working_days(clock_time, agent, store):
    case = make_case(by=agent, store=store, category=top_category("other"))
    case_transition(case=case, action="verify", by=agent)

    plan_propose(case=case, by=agent, resolution_type="repair", description="返厂维修")

    resolution = clock(case, "resolution")
    assert (resolution.amount, resolution.unit) == (10, "working_days")
    assert clock(case, "plan").met_at is not None


@pytest.mark.django_db
def test_warning_breach_and_escalation_chain(
    clock_time, agent, supervisor, manager, store, after_sales
):
    """R-SLA-4: 50 %, 80 %, breach, then +2 h to the supervisor, +4 h to managers."""
    case = make_case(by=agent, store=store, category=top_category("other"))
    case_assign(case=case, department=after_sales, assignee=None, by=supervisor)
    response = clock(case, "response")

    clock_time.move_to(MONDAY_10 + dt.timedelta(minutes=16))
    assert clock_advance(clock_id=response.pk) == ["warning:50"]
    clock_time.move_to(MONDAY_10 + dt.timedelta(minutes=31))
    assert clock_advance(clock_id=response.pk) == ["warning:80", "breach"]
    clock_time.move_to(MONDAY_10 + dt.timedelta(hours=4, minutes=31))
    assert clock_advance(clock_id=response.pk) == ["escalation:1", "escalation:2"]

    types = list(
        case.events.filter(type__startswith="sla.").values_list("type", flat=True)
    )
    assert types == ["sla.warned", "sla.breached", "sla.escalated"]
    assert clock(case, "response").breached_at is not None


@pytest.mark.django_db
def test_stale_task_for_a_moved_deadline_does_nothing(clock_time, agent, store):
    case = make_case(by=agent, store=store)
    response = clock(case, "response")
    stale_version = response.version
    case_transition(case=case, action="verify", by=agent)  # meets it: version bumps
    clock_time.move_to(MONDAY_10 + dt.timedelta(hours=1))

    assert clock_advance(clock_id=response.pk, version=stale_version) == []
    assert not case.events.filter(type__startswith="sla.").exists()


@pytest.mark.django_db
def test_reconcile_catches_checkpoints_missed_while_the_worker_was_down(
    clock_time, agent, store
):
    cases = [make_case(by=agent, store=store) for _ in range(3)]
    case_transition(case=cases[0], action="verify", by=agent)
    clock_time.move_to(MONDAY_10 + dt.timedelta(minutes=20))
    default_task_backend.clear()

    queued = clocks_reconcile()
    checks = [r for r in default_task_backend.results if r.task == tasks.clock_check]
    for result in checks:
        result.task.call(*result.args)

    # Two cases' response clocks passed 50 %; the met one and the others did not.
    assert queued == 2
    assert [r.args[0] for r in checks] == [
        clock(cases[1], "response").pk,
        clock(cases[2], "response").pk,
    ]
    assert clocks_reconcile() == 0
    assert case_count_with_warnings() == 2


@pytest.mark.django_db
def test_breach_mails_the_supervisor_without_customer_data(
    clock_time,
    agent,
    supervisor,
    store,
    after_sales,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }
    supervisor.email = "lead@example.com"
    supervisor.save()
    case = make_case(by=agent, store=store)
    case_assign(case=case, department=after_sales, assignee=None, by=supervisor)
    clock_time.move_to(MONDAY_10 + dt.timedelta(minutes=31))

    with django_capture_on_commit_callbacks(execute=True):
        clock_advance(clock_id=clock(case, "response").pk)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lead@example.com"]
    assert case.number in message.subject
    assert "张三" not in message.body
    assert "13812341234" not in message.body


@pytest.mark.django_db
def test_archiving_stops_every_clock(clock_time, agent, store):
    case = make_case(by=agent, store=store)

    case_transition(case=case, action="reject", by=agent, reason="重复投诉")

    assert not Clock.objects.filter(case=case, stopped_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_case_received_long_ago_records_its_past_breach_without_announcing_it(
    clock_time, agent, store, django_capture_on_commit_callbacks
):
    """An import of old complaints must not flood anyone with escalations."""
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(
            by=agent, store=store, received_at=MONDAY_10 - dt.timedelta(days=3)
        )

    response = clock(case, "response")
    assert response.breached_at == response.due_at
    assert response.next_check_at is None  # every checkpoint lies in the past
    assert not case.events.filter(type__startswith="sla.").exists()
    assert mail.outbox == []
