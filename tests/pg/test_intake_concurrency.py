"""Idempotent intake on PostgreSQL: concurrent identical requests, one case (R-IN-5)."""

from __future__ import annotations

import pytest

from kesu.cases.models import Case
from kesu.intake.models import IntakeRecord
from kesu.intake.services import Submission
from tests.intake.test_concurrency import receive_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "fields", [{"idempotency_key": "api:1:pg"}, {"external_id": "order-pg"}]
)
def test_concurrent_identical_requests_make_exactly_one_case(store, agent, fields):
    def make(**overrides: object) -> Submission:
        return Submission(
            channel="api",
            backend="api",
            store=store,
            description="冰箱不制冷。",
            customer_phone="13900001111",
            **overrides,  # type: ignore[arg-type]
        )

    receipts, errors = receive_concurrently(make, **fields)

    assert errors == []
    assert Case.objects.count() == 1
    assert IntakeRecord.objects.count() == 1
    assert sum(receipt.created for receipt in receipts) == 1
    assert len({receipt.case.pk for receipt in receipts}) == 1
