"""The import run: rows read, checked and received in batches, each its own transaction.

A batch's cases, its bad rows and the job's progress commit together. A run that
dies (worker killed, deploy) loses at most the batch under way, and running the job
again continues after the last committed row; the external ids make even a batch
replayed twice harmless. Within a batch, the first-contact owners and the deadline
rules and calendars are read once (`intake_batch`); every row still goes through
`intake_receive` for its own checks, case, event, clocks and intake record.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.core.errors import DomainError
from kesu.intake.backends.imports import ImportBackend
from kesu.intake.imports.mapping import (
    ParsedRow,
    RowContext,
    RowProblem,
    row_parse,
    store_lookup,
)
from kesu.intake.imports.readers import table_open
from kesu.intake.models import ImportJob, ImportRowError, ImportStatus, IntakeRecord
from kesu.intake.services import intake_batch

logger = logging.getLogger(__name__)

# Each batch is one transaction, so it holds the (SQLite: only) write lock while it
# runs. Batches are sized to last about BATCH_SECONDS, measured as the run goes:
# receiving a case costs far more than checking a row, and a fixed row count would
# keep the web process's own writes waiting for many seconds.
BATCH_SECONDS = 1.0
# SQLite's busy handler re-tries a waiting writer every 100 ms at most; without a
# pause the next batch would take the lock again first, and the web would starve.
SQLITE_PAUSE_SECONDS = 0.12
FIRST_BATCH_ROWS = 10
MAX_BATCH_ROWS = 500
RUNNABLE = (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.FAILED)

Progress = Callable[[ImportJob], None]


def import_job_run(job_id: int, *, progress: Progress | None = None) -> ImportJob:
    """Run (or resume) the job from its last committed row to the end of the file."""
    job = ImportJob.objects.select_related("preset", "store").get(pk=job_id)
    if job.status not in RUNNABLE:
        return job  # finished already: a duplicate task is a no-op
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING,
        started_at=job.started_at or now,
        heartbeat_at=now,
        failure="",
    )
    job.refresh_from_db()
    try:
        _run(job, progress)
    except Exception as error:
        logger.exception("import job %s failed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, failure=f"{type(error).__name__}: {error}"[:500]
        )
        raise
    finished = ImportStatus.PREVIEWED if job.is_dry_run else ImportStatus.DONE
    ImportJob.objects.filter(pk=job.pk).update(
        status=finished, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def _run(job: ImportJob, progress: Progress | None) -> None:
    # Dates without a zone are the store's local time; rows naming other stores in
    # other zones are rare enough to read in the file's store zone too.
    zone = job.store.zone if job.store else ZoneInfo(settings.TIME_ZONE)
    context = RowContext(
        mapping=job.mapping,
        platform=job.preset.platform,
        zone=zone,
        stores=store_lookup(),
        default_store=job.store,
        now=timezone.now(),
    )
    with job.file.open("rb") as binary:
        table = table_open(binary, job.original_name)
        if not job.total_rows:
            # Counted here, not at upload: a 100,000-row XLSX takes a while to read.
            job.total_rows = table.count_rows()
            job.save(update_fields=["total_rows"])
        rows = table.rows(skip=max(0, job.last_row_number - 1))
        size = min(FIRST_BATCH_ROWS, MAX_BATCH_ROWS)
        while batch := list(itertools.islice(rows, size)):
            started = time.monotonic()
            parsed = [row_parse(number, values, context) for number, values in batch]
            _batch_commit(job, parsed)
            size = _next_size(len(batch), time.monotonic() - started)
            if progress is not None:
                progress(job)
            if connection.vendor == "sqlite":
                time.sleep(SQLITE_PAUSE_SECONDS)


def _next_size(rows: int, seconds: float) -> int:
    per_row = max(seconds / rows, 1e-6)
    return max(1, min(MAX_BATCH_ROWS, int(BATCH_SECONDS / per_row)))


@transaction.atomic
def _batch_commit(job: ImportJob, rows: list[ParsedRow]) -> None:
    good = [row for row in rows if not row.problems]
    bad = {row.number: row.problems for row in rows if row.problems}
    known = set(
        IntakeRecord.objects.filter(
            channel=job.preset.channel,
            external_id__in=[row.external_id for row in good],
        ).values_list("external_id", flat=True)
    )
    created = duplicates = 0
    with intake_batch():
        for row in good:
            if row.external_id in known:
                duplicates += 1
                continue
            known.add(row.external_id)  # the same row twice in one file
            if job.is_dry_run:
                created += 1
                continue
            outcome = _receive(row, job)
            if isinstance(outcome, RowProblem):
                bad[row.number] = [outcome]
            elif outcome:
                created += 1
            else:
                duplicates += 1
    ImportRowError.objects.bulk_create(
        ImportRowError(
            job=job,
            row_number=number,
            column=problem.column[:200],
            reason=problem.reason[:500],
        )
        for number, problems in bad.items()
        for problem in problems
    )
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=F("processed_rows") + len(rows),
        last_row_number=rows[-1].number,
        created_count=F("created_count") + created,
        duplicate_count=F("duplicate_count") + duplicates,
        error_count=F("error_count") + len(bad),
        heartbeat_at=timezone.now(),
    )
    job.refresh_from_db()


def _receive(row: ParsedRow, job: ImportJob) -> bool | RowProblem:
    """True: a case was made; False: it existed; a RowProblem: intake refused it."""
    try:
        # A savepoint: a refused row takes its customer record back with it.
        with transaction.atomic():
            return ImportBackend().receive_row(row, job=job).created
    except DomainError as error:
        return RowProblem(_column_for(error.field, job.mapping), error.message)


def _column_for(field: str | None, mapping: dict[str, Any]) -> str:
    columns = mapping.get(field or "", [])
    return columns[0] if columns else (field or _("row"))
