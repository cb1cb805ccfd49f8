"""Set-based import writes: each case stored exactly as a single intake stores it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kesu.cases import search
from kesu.cases.models import Case, Channel, Customer
from kesu.intake.backends.imports import ImportBackend
from kesu.intake.imports import runner
from kesu.intake.imports.mapping import ParsedRow
from kesu.intake.models import ImportJob, ImportPreset, IntakeRecord
from kesu.privacy import crypto
from kesu.sla.models import Clock
from tests.intake.test_import import MAPPING
from tests.intake.test_import_batching import run_file

HEADER = "编号,用户,内容,时间,电话"
# A handle only, two rows sharing a phone, one phone already a customer's.
CONTENT = [
    "网友甲,冰箱不制冷三天了,2026-09-01 10:00,",
    "网友乙,洗衣机漏水 型号XQB80,2026-09-01 11:30,13800138000",
    "网友丙,空调异响,2026-09-02 09:15,13800138000",
    "网友丁,热水器不加热,2026-09-02 20:45,13900139000",
    # An hour old: its clocks have checks still to come, queued as tasks.
    f"网友戊,电视黑屏,{timezone.localtime() - dt.timedelta(hours=1):%Y-%m-%d %H:%M},",
]


@pytest.fixture(autouse=True)
def _database_queue(settings) -> None:
    # The shipped backend: tasks are rows written with the intake.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.fixture(autouse=True)
def _no_pause(monkeypatch) -> None:
    monkeypatch.setattr(runner, "SQLITE_PAUSE_SECONDS", 0)


@pytest.fixture
def preset(db) -> ImportPreset:
    return ImportPreset.objects.create(
        name="shop-reviews", platform="shop", channel=Channel.IMPORT, mapping=MAPPING
    )


def csv_file(prefix: str, rows: list[str]) -> bytes:
    lines = [f"{prefix}-{n},{row}" for n, row in enumerate(rows, start=1)]
    return ("\r\n".join([HEADER, *lines]) + "\r\n").encode("utf-8-sig")


def one_by_one(monkeypatch) -> None:
    """Every batch goes through the row-by-row path (`intake_receive` per row)."""

    def refuse(items: list[Any]) -> None:
        raise runner.DatabaseError("bulk write refused")

    monkeypatch.setattr(runner, "intake_write_many", refuse)


def stored(case: Case) -> dict[str, Any]:
    """Everything stored for the case, with what must differ between twins left out."""
    fields = model_to_dict(case, exclude=["id", "number", "customer", "search_text"])
    customer = case.customer
    event = case.events.get()
    record = IntakeRecord.objects.get(case=case)
    clocks = [
        model_to_dict(clock, exclude=["id", "case"])
        for clock in Clock.objects.filter(case=case).order_by("kind")
    ]
    checks = {("kesu.triage.tasks.case_triage", case.pk)} | {
        ("kesu.sla.tasks.clock_check", clock.pk) for clock in case.clocks.all()
    }
    tasks = sorted(
        (task.task_path, task.run_after, task.args_kwargs["args"][1:])
        for task in DBTaskResult.objects.all()
        if (task.task_path, task.args_kwargs["args"][0]) in checks
    )
    fts = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT body FROM {search.FTS_TABLE} WHERE rowid = %s",  # noqa: S608
                [case.pk],
            )
            (fts,) = cursor.fetchone()
    return {
        "case": fields,
        "number_day": case.number[:12],
        "search": case.search_text.split()[3:],  # after the number's tokens
        "fts_is_search_text": fts in (None, case.search_text),
        "customer": (customer.name, customer.phone, customer.phone_index),
        "event": (
            event.type,
            event.actor_id,
            event.data,
            event.message.replace(case.number, "#"),
            event.visibility,
        ),
        "record": (
            record.channel,
            record.backend,
            record.external_id.split("-")[-1],
            {**record.source, "job": None},
            record.idempotency_key,
        ),
        "clocks": clocks,
        "tasks": tasks,
    }


def test_a_bulk_imported_case_is_stored_as_one_received_singly(
    preset, store, agent, monkeypatch
):
    Customer.objects.create(
        name="老客户",
        phone="13900139000",
        phone_index=crypto.phone_index("13900139000"),
    )
    with monkeypatch.context() as patch:
        one_by_one(patch)
        singly = run_file(preset, store, csv_file("S", CONTENT))
    bulk = run_file(preset, store, csv_file("B", CONTENT))
    assert (singly.created_count, bulk.created_count) == (5, 5)
    single_cases = list(
        Case.objects.filter(intake_record__external_id__startswith="shop:S")
    )
    bulk_cases = list(
        Case.objects.filter(intake_record__external_id__startswith="shop:B")
    )
    single_cases.sort(key=lambda c: c.intake_record.external_id)
    bulk_cases.sort(key=lambda c: c.intake_record.external_id)
    for one, many in zip(single_cases, bulk_cases, strict=True):
        assert stored(many) == stored(one)
    # Numbers continue the day's counter in row order.
    assert [c.number[-4:] for c in bulk_cases] == [
        "0003",
        "0004",
        "0003",
        "0004",
        "0002",
    ]
    assert len(stored(bulk_cases[4])["tasks"]) == 4  # triage and three clock checks
    # Customers found and made as one by one: handles get their own, phones share.
    customers = [c.customer for c in bulk_cases]
    assert customers[1] == customers[2] != customers[0]
    assert customers[3].name == "老客户"
    assert [c.customer for c in single_cases][1] == customers[1]
    # The text is searchable, by number too.
    found = search.filter_by_text(Case.objects.all(), bulk_cases[1].number)
    assert list(found) == [bulk_cases[1]]
    assert set(search.filter_by_text(Case.objects.all(), "漏水")) == {
        single_cases[1],
        bulk_cases[1],
    }


def test_reimporting_a_bulk_imported_file_creates_nothing(preset, store, agent):
    content = csv_file("R", [*CONTENT, CONTENT[0]])  # the last row repeats no id
    first = run_file(preset, store, content)
    counts = (
        Case.objects.count(),
        Customer.objects.count(),
        DBTaskResult.objects.count(),
    )
    again = run_file(preset, store, content)
    assert (first.created_count, first.duplicate_count) == (6, 0)
    assert (again.created_count, again.duplicate_count) == (0, 6)
    assert (
        Case.objects.count(),
        Customer.objects.count(),
        DBTaskResult.objects.count(),
    ) == counts


def test_a_batch_the_database_refuses_keeps_its_good_rows(
    preset, store, agent, monkeypatch
):
    """A twin of one row commits between the batch's checks and its write (a second
    run of the same file): the bulk INSERT hits the unique external id, and the batch
    is written again row by row."""
    prepare = runner._prepare

    def twin_commits(job: ImportJob, rows: list[ParsedRow], bad: dict) -> list:
        items = prepare(job, rows, bad)
        twin = next(row for row in rows if row.external_id == "shop:T-2")
        ImportBackend().receive_row(twin, job=job)
        return items

    monkeypatch.setattr(runner, "_prepare", twin_commits)
    bad_row = "网友戊,,2026-09-03 10:00,"
    job = run_file(preset, store, csv_file("T", [*CONTENT, bad_row]))
    assert (job.created_count, job.duplicate_count, job.error_count) == (4, 1, 1)
    assert list(job.errors.values_list("row_number", "column")) == [(7, "内容")]
    assert IntakeRecord.objects.filter(external_id__startswith="shop:T").count() == 5
    assert Clock.objects.count() == 3 * 5
    assert job.last_row_number == 7


def test_a_batch_takes_as_many_queries_whatever_its_size(
    preset, store, agent, monkeypatch
):
    """Set-based: no query per row (a batch of 40 rows as one of 10)."""
    monkeypatch.setattr(runner, "FIRST_BATCH_ROWS", 100)
    counts = []
    for prefix, size in (("Q", 10), ("P", 40)):
        rows = [f"网友{n},第{n}台冰箱不制冷,2026-09-01 10:00," for n in range(size)]
        with CaptureQueriesContext(connection) as queries:
            job = run_file(preset, store, csv_file(prefix, rows))
        assert job.created_count == size
        counts.append(len(queries))

    assert counts[0] == counts[1]
