"""The periodic reconcile: one self-renewing chain, however often it is seeded."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_tasks import default_task_backend

from kesu.sla import tasks
from kesu.sla.services import reconcile_sweep_claim, reconcile_sweep_start

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, tzinfo=SHANGHAI)


@pytest.fixture
def deferring(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}
    }
    settings.KESU_SLA_RECONCILE_MINUTES = 5
    default_task_backend.clear()


@pytest.mark.django_db
def test_a_claim_holds_the_schedule_until_the_next_round():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        first = reconcile_sweep_claim()
        second = reconcile_sweep_claim()
        traveller.shift(dt.timedelta(minutes=5))
        third = reconcile_sweep_claim()

    assert first == MONDAY_10 + dt.timedelta(minutes=5)
    assert second is None
    assert third == MONDAY_10 + dt.timedelta(minutes=10)


@pytest.mark.django_db
def test_each_round_enqueues_the_next_and_a_second_chain_dies_out(deferring):
    with time_machine.travel(MONDAY_10, tick=False):
        reconcile_sweep_start()
        reconcile_sweep_start()  # seeded again, e.g. by a restart
        seeds = list(default_task_backend.results)
        tasks.clocks_reconcile.call()  # the first seed runs
        tasks.clocks_reconcile.call()  # the duplicate runs

    successors = default_task_backend.results[len(seeds) :]
    assert len(seeds) == 2
    assert [r.task.run_after for r in successors] == [
        MONDAY_10 + dt.timedelta(minutes=5)
    ]
