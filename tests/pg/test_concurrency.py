"""Concurrency on PostgreSQL: numbering across threads and processes, row locks on
transitions (R-IN-3, R-WF-1). Every test commits for real (`transaction=True`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from kesu.cases.models import Case, CaseEvent
from kesu.cases.services import case_record_verification, case_transition
from kesu.cases.workflow import Status, TransitionNotAllowed
from tests.cases.test_numbering_concurrency import (
    RECEIVED_AT,
    create_cases_concurrently,
    expected_numbers,
    run_in_threads,
)
from tests.factories import make_case

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]

# Run by each worker process: receive `count` cases once the shared start time comes.
WORKER = """
import datetime as dt, sys, time
import django
django.setup()
from kesu.accounts.models import Store, User
from tests.factories import make_case
store_id, user_id, count, start_at, received_at, worker = sys.argv[1:]
store, user = Store.objects.get(pk=store_id), User.objects.get(pk=user_id)
time.sleep(max(0.0, float(start_at) - time.time()))
for n in range(int(count)):
    make_case(
        by=user,
        store=store,
        received_at=dt.datetime.fromisoformat(received_at),
        customer_phone=f"137{int(worker):04d}{n:04d}",
    )
"""


def worker_database_url() -> str:
    """The URL of the test database this session created."""
    db = connection.settings_dict
    credentials = quote(db["USER"], safe="") + ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def test_threads_get_unique_consecutive_numbers(agent, store):
    """R-IN-3: 8 threads × 10 cases for one store and day: 0001…0080, no errors."""
    errors = create_cases_concurrently(by=agent, store=store, threads=8, per_thread=10)

    assert errors == []
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert numbers == expected_numbers(store, 80)


def test_processes_get_unique_consecutive_numbers(agent, store):
    """R-IN-3: 4 processes × 10 cases (like 4 server workers)."""
    env = {**os.environ, "KESU_DATABASE_URL": worker_database_url()}
    start_at = time.time() + 4  # time enough for every worker to import Django
    workers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [
                sys.executable,
                "-c",
                WORKER,
                str(store.pk),
                str(agent.pk),
                "10",
                str(start_at),
                RECEIVED_AT.isoformat(),
                str(worker),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(4)
    ]
    results = [worker.communicate(timeout=120) for worker in workers]

    errors = [err for _out, err in results]
    assert [worker.returncode for worker in workers] == [0] * 4, errors
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert numbers == expected_numbers(store, 40)


def verifying_case(agent, store) -> Case:
    case = make_case(by=agent, store=store)
    case = case_transition(case=case, action="verify", by=agent)
    return case_record_verification(case=case, result="confirmed", note="", by=agent)


@pytest.mark.parametrize("attempt", range(20))
def test_conflicting_transitions_exactly_one_wins(agent, handler, store, attempt):
    """R-WF-1: handle and reject at the same moment; the row lock lets one through."""
    case = verifying_case(agent, store)
    actions = [
        {"action": "handle", "by": agent},
        {"action": "reject", "by": handler, "reason": "重复投诉"},
    ]
    won: list[str] = []

    def apply(index: int) -> None:
        # Each thread starts from the same stale copy, as two browser tabs would.
        case_transition(case=case, **actions[index])
        won.append(actions[index]["action"])

    errors = run_in_threads(2, apply)

    assert len(won) == 1
    assert [type(error) for error in errors] == [TransitionNotAllowed]
    moves = CaseEvent.objects.filter(
        case=case, type="case.transitioned", data__from=Status.VERIFYING
    )
    assert moves.count() == 1
    expected = Status.HANDLING if won == ["handle"] else Status.REJECTED
    assert moves.get().data["to"] == expected
    assert Case.objects.get(pk=case.pk).status == expected
