"""Batched import runs: shared reads, yet each row its case, event, clocks, record."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.files.base import ContentFile

from kesu.accounts.models import Role, Store
from kesu.cases.models import Case, CaseEvent, Channel
from kesu.cases.services import intake as case_services
from kesu.core.errors import InvalidInput
from kesu.intake.imports import runner, services
from kesu.intake.models import ImportJob, ImportPreset, IntakeRecord
from kesu.sla.models import Clock
from tests.factories import UserFactory

HEADER = "编号,用户,内容,时间,邮箱"
MAPPING = {
    "external_id": ["编号"],
    "customer_name": ["用户"],
    "description": ["内容"],
    "received_at": ["时间"],
    "customer_email": ["邮箱"],
}


@pytest.fixture(autouse=True)
def _big_batches(monkeypatch) -> None:
    # Every row in one or two batches, so the shared reads really are shared.
    monkeypatch.setattr(runner, "FIRST_BATCH_ROWS", 50)
    monkeypatch.setattr(runner, "SQLITE_PAUSE_SECONDS", 0)


@pytest.fixture
def preset(db) -> ImportPreset:
    return ImportPreset.objects.create(
        name="shop-reviews", platform="shop", channel=Channel.IMPORT, mapping=MAPPING
    )


def csv_file(rows: list[str]) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8-sig")


def good_rows(count: int, first: int = 1) -> list[str]:
    return [
        f"R-{n},网友{n},第{n}台冰箱不制冷,2026-09-{1 + n % 28:02d} 10:00,"
        for n in range(first, first + count)
    ]


def run_file(preset: ImportPreset, store: Store, content: bytes) -> ImportJob:
    job = services.import_job_create(
        file=ContentFile(content, name="reviews.csv"),
        name="reviews.csv",
        preset=preset,
        store=store,
        by=None,
    )
    services.import_job_start(job=job, dry_run=False, by=None, enqueue=False)
    return runner.import_job_run(job.pk)


def test_each_imported_row_gets_its_case_event_clocks_and_record(preset, store):
    agents = [
        UserFactory(username=f"agent-{n}", role=Role.AGENT, stores=[store])
        for n in range(3)
    ]
    job = run_file(preset, store, csv_file(good_rows(12)))
    assert (job.created_count, job.error_count) == (12, 0)
    cases = Case.objects.filter(channel=Channel.IMPORT)
    assert cases.count() == 12
    received = CaseEvent.objects.filter(case__in=cases, type="case.received")
    assert received.count() == 12
    assert Clock.objects.filter(case__in=cases).count() == 3 * 12
    assert IntakeRecord.objects.filter(case__in=cases, backend="import").count() == 12
    # Owners spread as one-by-one picks would: 4 each over 3 idle agents.
    assert Counter(cases.values_list("owner", flat=True)) == {a.pk: 4 for a in agents}


def test_the_original_time_is_kept_and_clocks_start_from_it(preset, store, agent):
    run_file(preset, store, csv_file(good_rows(1, first=5)))
    case = Case.objects.get(channel=Channel.IMPORT)
    assert case.received_at.date().isoformat() == "2026-09-06"
    assert {c.started_at for c in case.clocks.all()} == {case.received_at}


def test_reimporting_the_file_creates_no_duplicates(preset, store, agent):
    content = csv_file(good_rows(8))
    first = run_file(preset, store, content)
    again = run_file(preset, store, content)
    assert first.created_count == 8
    assert (again.created_count, again.duplicate_count) == (0, 8)
    assert Case.objects.filter(channel=Channel.IMPORT).count() == 8
    assert IntakeRecord.objects.filter(channel=Channel.IMPORT).count() == 8


def test_bad_rows_are_reported_and_good_rows_of_the_batch_kept(preset, store, agent):
    rows = [
        *good_rows(3),
        "R-bad-1,网友,,2026-09-01,",  # no description
        "R-bad-2,网友,洗衣机漏水,下个月,",  # unreadable date
        "R-bad-3,网友,空调异响,2026-09-02,not-an-address",
        *good_rows(2, first=10),
    ]
    job = run_file(preset, store, csv_file(rows))
    assert (job.created_count, job.error_count) == (5, 3)
    assert sorted(job.errors.values_list("row_number", "column")) == [
        (5, "内容"),
        (6, "时间"),
        (7, "邮箱"),
    ]
    assert not IntakeRecord.objects.filter(external_id__contains="R-bad").exists()


def test_a_row_refused_by_intake_rolls_back_alone(preset, store, agent, monkeypatch):
    checks = case_services._validate

    def refuse_leaks(data, now):
        # A refusal only the case service makes (the row itself reads fine).
        if "漏水" in data.description:
            raise InvalidInput("refused", field="description")
        checks(data, now)

    monkeypatch.setattr(case_services, "_validate", refuse_leaks)
    rows = [*good_rows(2), "R-odd,网友,冰箱漏水,2026-09-03,", *good_rows(2, first=7)]
    job = run_file(preset, store, csv_file(rows))
    assert (job.created_count, job.error_count) == (4, 1)
    assert list(job.errors.values_list("row_number", "column")) == [(4, "内容")]
    assert not Case.objects.filter(description__contains="漏水").exists()
    assert Clock.objects.count() == 3 * 4
    assert IntakeRecord.objects.count() == 4
