"""The create split: reads and computing before the transaction, INSERTs inside it."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks import default_task_backend
from django_tasks_db.models import DBTaskResult

from kesu.cases import search
from kesu.cases.models import Case, Customer
from kesu.cases.services import CaseInput, case_receive, customer_get_or_create
from kesu.cases.services.customers import customer_prepare, customer_save
from kesu.core.errors import InvalidInput
from kesu.core.tasks import enqueue_with_write
from kesu.intake.services import intake_receive
from kesu.sla.models import Clock, SlaPolicy
from kesu.triage.tasks import case_triage

CLOCK_CHECK = "kesu.sla.tasks.clock_check"
TRIAGE = "kesu.triage.tasks.case_triage"


@pytest.fixture
def general_policy(transactional_db) -> None:
    # A transactional test before this one may have flushed the seeded policies.
    SlaPolicy.objects.all().delete()
    policy = SlaPolicy.objects.create(name="一般", name_en="general")
    for kind, amount, unit in [
        ("response", 2, "hours"),
        ("plan", 1, "working_days"),
        ("resolution", 3, "working_days"),
    ]:
        policy.targets.create(kind=kind, amount=amount, unit=unit)


@pytest.fixture
def db_tasks(settings) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default"],
        }
    }


def _queued(path: str) -> int:
    return DBTaskResult.objects.filter(task_path=path).count()


def test_the_search_text_is_the_one_indexing_the_case_would_give(
    agent, store, submission
):
    receipt = intake_receive(
        submission=submission(
            description="电池鼓包，充电时发烫。KS-1 型号",
            product_model="扫地机器人 K300",
            order_number="SO0012345678",
            demand="退货退款",
        )
    )

    case = Case.objects.get(pk=receipt.case.pk)
    assert case.search_text == search.search_text_for(case)
    assert case.number.lower().split("-")[1] in case.search_text.split()


def test_prepared_clocks_match_clocks_started_in_the_transaction(
    agent, store, submission
):
    prepared = intake_receive(submission=submission(external_id="prepared")).case
    inline = case_receive(
        data=CaseInput(
            channel="api",
            store=store,
            description="冰箱不制冷，买了三天就坏了。",
            customer_phone="13900001111",
            received_at=prepared.received_at,
        ),
        owner=agent,
    )

    def shape(case: Case) -> list[tuple[object, ...]]:
        return list(
            Clock.objects.filter(case=case)
            .order_by("kind")
            .values_list("kind", "due_at", "next_check_at", "version", "amount")
        )

    assert len(shape(prepared)) == 3
    assert shape(prepared) == shape(inline)
    received = prepared.events.get(type="case.received")
    assert [e["change"] for e in received.data["sla"]] == ["started"] * 3


def test_a_customer_made_by_a_concurrent_intake_is_found_again_inside(db):
    draft = customer_prepare(name="王女士", phone="138 0013 8000")
    twin = customer_get_or_create(name="王女士", phone="13800138000")

    with transaction.atomic():
        saved = customer_save(draft=draft)

    assert saved == twin
    assert Customer.objects.count() == 1


def test_bad_contact_details_are_refused_before_anything_is_written(
    agent, store, submission
):
    with pytest.raises(InvalidInput) as error:
        intake_receive(submission=submission(customer_phone="12ab"))

    assert error.value.field == "customer_phone"
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_clock_checks_are_queued_in_the_create_transaction(
    db_tasks, general_policy, agent, store, submission
):
    queued_inside = []

    def create_then_fail() -> None:
        with transaction.atomic():
            intake_receive(submission=submission(external_id="rolled-back"))
            queued_inside.append(_queued(CLOCK_CHECK))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        create_then_fail()

    assert queued_inside == [3]  # written with the case, not after its commit
    assert Case.objects.count() == 0
    assert _queued(CLOCK_CHECK) == 0
    assert _queued(TRIAGE) == 0

    receipt = intake_receive(submission=submission(external_id="kept"))

    assert _queued(CLOCK_CHECK) == 3
    assert _queued(TRIAGE) == 1
    checks = DBTaskResult.objects.filter(task_path=CLOCK_CHECK)
    clocks = {c.pk: c for c in Clock.objects.filter(case=receipt.case)}
    for check in checks:
        clock_id, version = check.args_kwargs["args"]
        assert check.run_after == clocks[clock_id].next_check_at
        assert version == clocks[clock_id].version


@pytest.mark.django_db(transaction=True)
def test_other_task_backends_get_the_task_only_after_commit(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}
    }
    queued_inside = []

    with transaction.atomic():
        enqueue_with_write(case_triage, 1)
        queued_inside.append(len(default_task_backend.results))

    assert queued_inside == [0]
    assert [r.args for r in default_task_backend.results] == [[1]]
