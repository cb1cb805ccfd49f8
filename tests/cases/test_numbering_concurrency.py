"""Case numbers stay unique and gap-free when many clerks receive at once (R-IN-3).

These tests commit for real (`transaction=True`): each thread has its own database
connection, as in a threaded server.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from kesu.accounts.models import Store, User
from kesu.cases import search
from kesu.cases.models import Case
from kesu.cases.numbering import local_day
from tests.factories import make_case

RECEIVED_AT = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)


def run_in_threads(count: int, work: Callable[[int], object]) -> list[BaseException]:
    """Run `work(i)` in `count` threads released together; return their errors."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(index)
        except BaseException as exc:  # the test reports every error
            errors.append(exc)
        finally:
            # Django opens one connection per thread; leave none behind.
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def create_cases_concurrently(
    *, by: User, store: Store, threads: int, per_thread: int
) -> list[BaseException]:
    """Each thread receives `per_thread` cases for the same store and day."""

    def work(index: int) -> None:
        for n in range(per_thread):
            make_case(
                by=by,
                store=store,
                received_at=RECEIVED_AT,
                customer_phone=f"139{index:04d}{n:04d}",
            )

    return run_in_threads(threads, work)


def expected_numbers(store: Store, count: int) -> list[str]:
    day = local_day(RECEIVED_AT, store.time_zone)
    return [f"KS-{day}-{n:04d}" for n in range(1, count + 1)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_intake_gives_unique_consecutive_numbers(agent, store):
    """R-IN-3: 8 threads × 10 cases, same store and day: 0001…0080, no errors."""
    errors = create_cases_concurrently(by=agent, store=store, threads=8, per_thread=10)

    assert errors == []
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert numbers == expected_numbers(store, 80)


class IndexingFailed(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_rolled_back_intake_returns_its_number(agent, store, monkeypatch):
    """The counter moves inside the case's transaction, so a rollback gives it back."""
    index_case = search.index_case

    def flaky_index(case: Case) -> None:
        if "fail" in case.description:
            raise IndexingFailed
        index_case(case)

    monkeypatch.setattr(search, "index_case", flaky_index)

    errors = run_in_threads(
        6,
        lambda index: make_case(
            by=agent,
            store=store,
            received_at=RECEIVED_AT,
            customer_phone=f"1390000000{index}",
            description="fail" if index % 2 else "洗衣机漏水",
        ),
    )

    assert [type(error) for error in errors] == [IndexingFailed] * 3
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert numbers == expected_numbers(store, 3)
