"""Concurrent identical submissions make exactly one case (R-IN-5).

Commits for real (`transaction=True`): each thread has its own connection, as in a
threaded server; the unique constraints decide the race, not a lookup.
"""

from __future__ import annotations

import pytest

from kesu.cases.models import Case
from kesu.intake.models import IntakeRecord
from kesu.intake.services import Receipt, intake_receive
from tests.cases.test_numbering_concurrency import run_in_threads

THREADS = 8


def receive_concurrently(
    make_submission, **fields: object
) -> tuple[list[Receipt], list[BaseException]]:
    receipts: list[Receipt] = []

    def work(index: int) -> None:
        receipts.append(intake_receive(submission=make_submission(**fields)))

    errors = run_in_threads(THREADS, work)
    return receipts, errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "fields", [{"idempotency_key": "api:1:same"}, {"external_id": "order-77"}]
)
def test_concurrent_identical_requests_make_exactly_one_case(submission, agent, fields):
    receipts, errors = receive_concurrently(submission, **fields)

    assert errors == []
    assert Case.objects.count() == 1
    assert IntakeRecord.objects.count() == 1
    assert {receipt.case.number for receipt in receipts} == {Case.objects.get().number}
    assert sum(receipt.created for receipt in receipts) == 1
