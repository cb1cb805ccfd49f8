"""Demo stories keep their deadlines the way a well-run shop does (R-SLA-5 figures)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.db.models import F

from kesu.accounts.models import User
from kesu.cases.models import Case
from kesu.cases.selectors import CaseFilters, case_list
from kesu.cases.workflow import CLOSED_STATES
from kesu.demo import generator
from kesu.demo.pace import Pace
from kesu.sla.models import Clock, TargetKind
from kesu.sla.selectors import compliance, late_clock_q

pytestmark = pytest.mark.django_db

ANCHOR = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)
CASES = 400


@pytest.fixture
def demo():
    with time_machine.travel(ANCHOR, tick=False):
        generator.load_demo(count=CASES, anchor=ANCHOR)
        yield


def _on_time_rates() -> tuple[float, float]:
    rows = compliance(
        cases=Case.objects.all(),
        group="month",
        received_from=dt.date(2000, 1, 1),
        received_to=ANCHOR.date(),
        now=ANCHOR,
    )
    response = sum(r.response_on_time for r in rows) / sum(r.response_due for r in rows)
    resolution = sum(r.resolution_on_time for r in rows) / sum(
        r.resolution_due for r in rows
    )
    return response, resolution


def test_most_deadlines_are_kept_and_a_tail_is_missed(demo):
    """R-SLA-5: first response and resolution on time in a realistic share."""
    response, resolution = _on_time_rates()
    plans = Clock.objects.filter(kind=TargetKind.PLAN, met_at__isnull=False)

    assert 0.85 <= response <= 0.95
    assert 0.85 <= resolution <= 0.95
    assert plans.filter(met_at__lte=F("due_at")).count() >= 0.8 * plans.count()


def test_breaching_soon_queue_holds_some_open_cases_not_all(demo):
    manager = User.objects.get(username="manager")
    open_cases = Case.objects.exclude(status__in=CLOSED_STATES)
    overdue = open_cases.filter(
        late_clock_q(ANCHOR, prefix="clocks__"), clocks__stopped_at__isnull=True
    ).distinct()

    with time_machine.travel(ANCHOR, tick=False):
        queue = list(case_list(user=manager, filters=CaseFilters(queue="breaching")))

    assert 0 < overdue.count() < 0.25 * open_cases.count()
    assert overdue.count() < len(queue) < 0.5 * open_cases.count()
    assert all(case.status not in CLOSED_STATES for case in queue)


def test_the_same_seed_paces_cases_the_same(db):
    refs = generator.ensure_reference_data(progress=lambda message: None)

    def timings(seed: int) -> list[list[float]]:
        planned, _customers = generator.plan_cases(
            refs, count=40, seed=seed, anchor=ANCHOR
        )
        return [[event.minute for event in item.events] for item in planned]

    assert timings(3) == timings(3)
    assert timings(3) != timings(4)


def test_a_milestone_kept_falls_inside_its_target_and_a_missed_one_after(store):
    case = Case(received_at=ANCHOR, store=store)
    pace = Pace(random.Random(1), case, rules=[], calendar=None)

    draws = [pace.milestone(10, 30, on_time_share=1.0) for _n in range(50)]
    late = [pace.milestone(10, 30, on_time_share=0.0) for _n in range(50)]
    overdue = pace.milestone(45, 30, on_time_share=1.0)

    assert all(10 < minute < 30 for minute in draws)
    assert all(minute > 30 for minute in late)
    assert overdue > 45
