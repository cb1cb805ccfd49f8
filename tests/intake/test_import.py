"""Bulk import: readers, dates, batched runs, dedupe, resume, the command (R-IN-5)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import translation

from kesu.accounts.models import Store, User
from kesu.cases.models import Case, Channel
from kesu.core.errors import InvalidInput
from kesu.intake.imports import runner, services
from kesu.intake.imports.dates import DateError, parse_date, parse_datetime
from kesu.intake.imports.readers import table_open
from kesu.intake.models import ImportJob, ImportPreset, ImportStatus, IntakeRecord

ZONE = ZoneInfo("Asia/Shanghai")
HEADER = ["编号", "用户", "内容", "时间", "电话"]
ROWS = [
    ["T-1", "网友甲", "冰箱不制冷", "2026年9月30日 14:05", ""],
    ["T-2", "网友乙", "洗衣机漏水", "2026/9/29", "13900001111"],
    ["T-3", "网友丙", "", "2026-09-28", ""],  # no description
    ["T-4", "网友丁", "空调异响", "明天", "12"],  # bad date and bad phone
]
MAPPING = {
    "external_id": ["编号"],
    "customer_name": ["用户"],
    "description": ["内容"],
    "received_at": ["时间"],
    "customer_phone": ["电话"],
}


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(row) for row in [HEADER, *rows]]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def preset(db) -> ImportPreset:
    return ImportPreset.objects.create(
        name="weibo-posts", platform="weibo", channel=Channel.SOCIAL, mapping=MAPPING
    )


def make_job(
    preset: ImportPreset,
    store: Store | None,
    content: bytes,
    name: str = "posts.csv",
    by: User | None = None,
) -> ImportJob:
    return services.import_job_create(
        file=ContentFile(content, name=name),
        name=name,
        preset=preset,
        store=store,
        by=by,
    )


def run(job: ImportJob, *, dry_run: bool = False) -> ImportJob:
    services.import_job_start(job=job, dry_run=dry_run, by=None, enqueue=False)
    return runner.import_job_run(job.pk)


def errors_of(job: ImportJob) -> list[tuple[int, str]]:
    return list(job.errors.values_list("row_number", "column"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-30", dt.datetime(2026, 9, 30, tzinfo=ZONE)),
        ("2026/9/30", dt.datetime(2026, 9, 30, tzinfo=ZONE)),
        ("2026年9月30日", dt.datetime(2026, 9, 30, tzinfo=ZONE)),
        ("2026年9月30日 14时05分", dt.datetime(2026, 9, 30, 14, 5, tzinfo=ZONE)),
        ("2026/9/30 下午 3:05:09", dt.datetime(2026, 9, 30, 15, 5, 9, tzinfo=ZONE)),
        ("2026-09-30T08:00:00Z", dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC)),
        ("２０２６年９月３０日", dt.datetime(2026, 9, 30, tzinfo=ZONE)),
        ("20260930", dt.datetime(2026, 9, 30, tzinfo=ZONE)),
        (46295.5, dt.datetime(2026, 9, 30, 12, tzinfo=ZONE)),
    ],
)
def test_dates_in_chinese_iso_and_excel_forms_are_read(text, expected):
    assert parse_datetime(text, ZONE) == expected


@pytest.mark.parametrize("text", ["明天", "2026-02-30", "2026-13-01", 12.5, "1234"])
def test_unreadable_dates_are_refused(text):
    with pytest.raises(DateError):
        parse_datetime(text, ZONE)


def test_a_date_column_drops_the_time_of_day():
    assert parse_date("2026/9/30 23:59", ZONE) == dt.date(2026, 9, 30)


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_from_chinese_excel_and_utf8_with_or_without_bom_is_read(encoding):
    table = table_open(io.BytesIO(csv_bytes(ROWS, encoding)), "posts.csv")

    rows = list(table.rows())

    assert table.headers == HEADER
    assert rows[0] == (2, dict(zip(HEADER, ROWS[0], strict=True)))
    assert table.count_rows() == len(ROWS)


def test_a_file_that_is_neither_csv_nor_xlsx_is_refused():
    with pytest.raises(InvalidInput) as refused:
        table_open(io.BytesIO(b"x"), "posts.txt")

    assert refused.value.field == "file"


def test_a_csv_in_no_known_encoding_is_refused():
    with pytest.raises(InvalidInput, match="GBK"):
        table_open(io.BytesIO(b"\xff\xfe\xff,a\r\n"), "posts.csv")


def test_good_rows_become_cases_and_bad_rows_are_reported(preset, store, agent):
    """R-IN-5: good rows kept, each bad row with its row number, column and reason."""
    job = make_job(preset, store, csv_bytes(ROWS, "gbk"))

    job = run(job)

    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.error_count, job.duplicate_count) == (2, 2, 0)
    assert errors_of(job) == [(4, "内容"), (5, "电话"), (5, "时间")]
    case = Case.objects.get(intake_record__external_id="weibo:T-1")
    assert case.channel == Channel.SOCIAL
    assert case.received_at == dt.datetime(2026, 9, 30, 14, 5, tzinfo=ZONE)
    assert case.customer.name == "网友甲"
    assert case.intake_record.source["platform"] == "weibo"
    assert case.intake_record.source["row"] == 2


def test_a_dry_run_lists_every_bad_row_and_creates_nothing(preset, store, agent):
    job = make_job(preset, store, csv_bytes(ROWS))

    job = run(job, dry_run=True)

    assert job.status == ImportStatus.PREVIEWED
    assert job.created_count == 2
    assert len(errors_of(job)) == 3
    assert not Case.objects.exists()


def test_importing_the_same_file_again_creates_no_duplicates(preset, store, agent):
    run(make_job(preset, store, csv_bytes(ROWS)))

    again = run(make_job(preset, store, csv_bytes(ROWS)))

    assert (again.created_count, again.duplicate_count) == (0, 2)
    assert Case.objects.count() == 2


def test_without_an_id_column_the_row_content_identifies_it(preset, store, agent):
    preset.mapping = {k: v for k, v in MAPPING.items() if k != "external_id"}
    preset.save()
    run(make_job(preset, store, csv_bytes(ROWS[:2])))

    again = run(make_job(preset, store, xlsx_bytes(ROWS[:2]), name="posts.xlsx"))

    assert again.duplicate_count == 2
    ids = IntakeRecord.objects.values_list("external_id", flat=True)
    assert all(external_id.startswith("weibo:#") for external_id in ids)


def test_xlsx_cells_with_dates_and_serial_numbers_are_imported(preset, store, agent):
    excel_time = dt.datetime(2026, 9, 1, 9, 30)  # noqa: DTZ001 - Excel has no zones
    rows = [
        [101, "网友甲", "屏幕碎了", excel_time, None],
        [102, "网友乙", "电池鼓包", 46295, None],
    ]

    job = run(make_job(preset, store, xlsx_bytes(rows), name="posts.xlsx"))

    assert job.created_count == 2
    received = Case.objects.order_by("received_at").values_list(
        "received_at", flat=True
    )
    assert list(received) == [
        dt.datetime(2026, 9, 1, 9, 30, tzinfo=ZONE),
        dt.datetime(2026, 9, 30, tzinfo=ZONE),
    ]
    assert IntakeRecord.objects.filter(external_id="weibo:101").exists()


def test_a_row_without_any_store_is_a_bad_row(preset, agent):
    job = run(make_job(preset, None, csv_bytes(ROWS[:1])))

    assert job.error_count == 1
    assert job.errors.get().reason.startswith("No store")


def test_a_job_resumes_after_its_last_committed_batch(
    preset, store, agent, monkeypatch
):
    """A worker that dies mid-file loses nothing and doubles nothing on resume."""
    rows = [[f"R-{n}", "网友", f"投诉内容 {n}", "2026-09-01", ""] for n in range(7)]
    rows[4][2] = ""  # one bad row, spreadsheet row 6
    job = make_job(preset, store, csv_bytes(rows))
    services.import_job_start(job=job, dry_run=False, by=None, enqueue=False)
    monkeypatch.setattr(runner, "MAX_BATCH_ROWS", 3)
    batches = []

    def crash(job: ImportJob) -> None:
        batches.append(job.processed_rows)
        if len(batches) == 2:
            raise SystemError("worker killed")

    with pytest.raises(SystemError):
        runner.import_job_run(job.pk, progress=crash)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert 2 <= job.processed_rows < 7
    assert job.last_row_number == job.processed_rows + 1
    assert Case.objects.count() == job.created_count

    services.import_job_resume(job=job, by=None, enqueue=False)
    job = runner.import_job_run(job.pk)

    assert job.status == ImportStatus.DONE
    assert (job.processed_rows, job.created_count, job.error_count) == (7, 6, 1)
    assert job.duplicate_count == 0
    assert Case.objects.count() == 6
    assert errors_of(job) == [(6, "内容")]


def test_batches_shrink_when_rows_are_slow_to_receive():
    """Slow rows make short batches (transactions), so web writes wait less."""
    assert runner._next_size(10, 20.0) == 1
    assert runner._next_size(10, 0.1) == 100
    assert runner._next_size(100, 0.0) == runner.MAX_BATCH_ROWS


def test_the_ui_path_queues_the_run_as_a_task(
    preset, store, agent, django_capture_on_commit_callbacks
):
    job = make_job(preset, store, csv_bytes(ROWS), by=agent)

    with django_capture_on_commit_callbacks(execute=True):
        services.import_job_check(
            job=job, mapping=MAPPING, by=agent, save_to_preset=True
        )
    job.refresh_from_db()

    assert job.status == ImportStatus.PREVIEWED
    assert job.error_count == 2


def test_a_role_that_cannot_record_complaints_cannot_import(preset, store, quality):
    with pytest.raises(services.PermissionDenied):
        make_job(preset, store, csv_bytes(ROWS), by=quality)


def test_a_mapping_naming_a_missing_column_is_refused(preset, store, agent):
    job = make_job(preset, store, csv_bytes(ROWS), by=agent)

    with pytest.raises(InvalidInput) as refused:
        services.import_job_map(
            job=job,
            mapping={"description": ["内容"], "received_at": ["日期"]},
            by=agent,
            save_to_preset=False,
        )

    assert refused.value.field == "received_at"


def test_the_command_imports_with_a_progress_bar(preset, store, agent, tmp_path: Path):
    path = tmp_path / "posts.csv"
    path.write_bytes(csv_bytes(ROWS, "gbk"))
    report = tmp_path / "bad.csv"
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "import",
        str(path),
        preset="weibo-posts",
        store=store.code,
        errors=str(report),
        stdout=out,
        stderr=err,
    )

    assert "2 cases created" in out.getvalue()
    assert Case.objects.count() == 2
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 4
    assert lines[1].startswith("4,内容,")


def test_the_command_dry_run_creates_nothing(preset, store, agent, tmp_path, capsys):
    path = tmp_path / "posts.csv"
    path.write_bytes(csv_bytes(ROWS))
    out = io.StringIO()

    call_command(
        "import",
        str(path),
        preset="weibo-posts",
        store=store.code,
        dry_run=True,
        stdout=out,
    )

    assert "2 cases would create" in out.getvalue()
    assert "4/4 rows" in capsys.readouterr().err
    assert not Case.objects.exists()


def test_the_shipped_presets_are_installed(db):
    names = set(ImportPreset.objects.values_list("name", flat=True))

    assert {"tipdm-messages", "cfpb"} <= names
