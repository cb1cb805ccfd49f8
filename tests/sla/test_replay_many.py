"""Timelines replayed in a batch: the clocks each gets alone, with fewer queries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kesu.cases.models import Case
from kesu.cases.services import (
    case_record_verification,
    case_transition,
    plan_propose,
)
from kesu.sla.models import Clock
from kesu.sla.services import clocks_replay, clocks_replay_many
from tests.factories import make_case, top_category

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, tzinfo=SHANGHAI)
NOW = MONDAY_10 + dt.timedelta(days=2)

pytestmark = pytest.mark.django_db


def _old_cases(settings, agent, store, count: int) -> list[Case]:
    """Cases worked while no deadline handler was installed; the first has a plan."""
    settings.KESU_CASE_EVENT_HANDLERS = []
    cases = []
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        for _n in range(count):
            case = make_case(by=agent, store=store, category=top_category("other"))
            traveller.shift(dt.timedelta(hours=2))
            cases.append(case_transition(case=case, action="verify", by=agent))
        verified = case_record_verification(
            case=cases[0], result="confirmed", note="属实", by=agent
        )
        handled = case_transition(case=verified, action="handle", by=agent)
        plan_propose(
            case=handled,
            by=agent,
            resolution_type="repair",
            compensation_amount="0",
            description="上门维修",
        )
    settings.KESU_CASE_EVENT_HANDLERS = ["kesu.sla.services.on_case_event"]
    return cases


def _clocks(case: Case) -> list[tuple[str, object, object, object]]:
    return sorted(
        (c.kind, c.due_at, c.met_at, c.breached_at)
        for c in Clock.objects.filter(case=case)
    )


def _timelines(cases: list[Case]) -> list[tuple[Case, list]]:
    loaded = Case.objects.select_related("store").filter(pk__in=[c.pk for c in cases])
    return [(case, list(case.events.order_by("created_at", "id"))) for case in loaded]


def test_a_batch_gets_the_clocks_each_case_gets_alone(settings, agent, store):
    cases = _old_cases(settings, agent, store, 3)
    clocks_replay(case=cases[0], now=NOW)
    alone = _clocks(cases[0])
    Clock.objects.all().delete()

    created = clocks_replay_many(timelines=_timelines(cases), now=NOW)

    assert created == 9
    assert _clocks(cases[0]) == alone
    resolution = Clock.objects.get(case=cases[0], kind="resolution")
    assert (resolution.amount, resolution.unit) == (10, "working_days")  # the plan's
    assert Clock.objects.get(case=cases[1], kind="resolution").unit == "hours"


def test_a_batch_skips_cases_that_have_clocks(settings, agent, store):
    cases = _old_cases(settings, agent, store, 2)
    clocks_replay(case=cases[0], now=NOW)
    before = _clocks(cases[0])

    created = clocks_replay_many(timelines=_timelines(cases), now=NOW)

    assert created == 3
    assert _clocks(cases[0]) == before


def test_a_batch_reads_and_writes_once_per_table(
    settings, agent, store, django_assert_max_num_queries
):
    cases = _old_cases(settings, agent, store, 4)
    timelines = _timelines(cases)
    reads: dict[object, object] = {}
    clocks_replay_many(timelines=timelines[:1], now=NOW, reads=reads)  # warm reads

    with django_assert_max_num_queries(8):
        clocks_replay_many(timelines=timelines[1:], now=NOW, reads=reads)

    assert Clock.objects.count() == 12
