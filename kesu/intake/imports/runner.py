"""The import run: rows read, checked and received in batches, each its own transaction.

A batch's cases, its bad rows and the job's progress commit together. A run that
dies (worker killed, deploy) loses at most the batch under way, and running the job
again continues after the last committed row; the external ids make even a batch
replayed twice harmless. A batch's rows are checked and prepared first, outside the
transaction (`intake_prepare`: validation, customer lookup, search tokens, clocks,
with the owners and deadline rules read once by `intake_batch`), then written
set-based (`intake_write_many`): each case gets what `intake_receive` would give it,
in a few multi-row INSERTs. A batch whose bulk write the database refuses is written
again row by row, so its good rows still go in and the bad one is reported.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, connection, transaction
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
from kesu.intake.services import (
    PreparedIntake,
    intake_batch,
    intake_prepare,
    intake_write_many,
)

logger = logging.getLogger(__name__)

# Each batch's transaction holds the (SQLite: only) write lock while it runs.
# Batches are sized so that it lasts about BATCH_SECONDS, measured as the run goes: a
# fixed row count would keep the web process's own writes waiting for seconds on a
# slow or busy machine. Checking and preparing rows happens before the transaction,
# without the lock, so only the transaction's time counts.
BATCH_SECONDS = 1.0
# SQLite's busy handler re-tries a waiting writer every 100 ms at most: the lock stays
# free at least this long between two batches (reading and preparing the next batch
# usually takes longer), or the next batch would take it again first and the web
# would starve.
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
        lock_freed = 0.0
        while batch := list(itertools.islice(rows, size)):
            parsed = [row_parse(number, values, context) for number, values in batch]
            held = _batch_commit(job, parsed, lock_freed=lock_freed)
            lock_freed = time.monotonic()
            size = _next_size(len(batch), held)
            if progress is not None:
                progress(job)


def _next_size(rows: int, seconds: float) -> int:
    per_row = max(seconds / rows, 1e-6)
    return max(1, min(MAX_BATCH_ROWS, int(BATCH_SECONDS / per_row)))


def _batch_commit(job: ImportJob, rows: list[ParsedRow], *, lock_freed: float) -> float:
    """Check, prepare and write one batch; returns the seconds its write took."""
    bad = {row.number: row.problems for row in rows if row.problems}
    good = [row for row in rows if not row.problems]
    known = set(
        IntakeRecord.objects.filter(
            channel=job.preset.channel,
            external_id__in=[row.external_id for row in good],
        )
        .exclude(external_id="")
        .values_list("external_id", flat=True)
    )
    fresh = []
    for row in good:
        if row.external_id not in known:
            known.add(row.external_id)  # the same row twice in one file
            fresh.append(row)
    tally = _Tally(bad=bad, duplicates=len(good) - len(fresh))
    if job.is_dry_run:
        tally.created = len(fresh)
        _wait_turn(lock_freed)
        started = time.monotonic()
        with transaction.atomic():
            _progress_record(job, rows, tally)
        return time.monotonic() - started
    with intake_batch():
        # Checked and worked out before the transaction: on SQLite its lock is what
        # the web process's writes wait for, so it holds only the INSERTs.
        items = _prepare(job, fresh, bad)
        _wait_turn(lock_freed)
        started = time.monotonic()
        try:
            with transaction.atomic():
                intake_write_many([item for _row, item in items])
                tally.created = len(items)
                _progress_record(job, rows, tally)
            return time.monotonic() - started
        except DatabaseError:
            # A twin committed meanwhile, or a row the checks let through that the
            # database refuses: one by one, so the good rows still go in.
            logger.warning(
                "import job %s: bulk write failed, row by row", job.pk, exc_info=True
            )
    tally.created = 0
    started = time.monotonic()
    with intake_batch(), transaction.atomic():
        for row, _item in items:
            outcome = _receive(row, job)
            if isinstance(outcome, RowProblem):
                bad[row.number] = [outcome]
            elif outcome:
                tally.created += 1
            else:
                tally.duplicates += 1
        _progress_record(job, rows, tally)
    return time.monotonic() - started


@dataclass
class _Tally:
    bad: dict[int, list[RowProblem]]
    duplicates: int
    created: int = 0


def _wait_turn(lock_freed: float) -> None:
    if connection.vendor == "sqlite":
        time.sleep(max(0.0, lock_freed + SQLITE_PAUSE_SECONDS - time.monotonic()))


def _prepare(
    job: ImportJob, rows: list[ParsedRow], bad: dict[int, list[RowProblem]]
) -> list[tuple[ParsedRow, PreparedIntake]]:
    backend = ImportBackend()
    items = []
    for row in rows:
        try:
            submission = backend.row_submission(row, job=job)
            items.append((row, intake_prepare(submission=submission)))
        except DomainError as error:
            bad[row.number] = [
                RowProblem(_column_for(error.field, job.mapping), error.message)
            ]
    return items


def _progress_record(job: ImportJob, rows: list[ParsedRow], tally: _Tally) -> None:
    ImportRowError.objects.bulk_create(
        ImportRowError(
            job=job,
            row_number=number,
            column=problem.column[:200],
            reason=problem.reason[:500],
        )
        for number, problems in tally.bad.items()
        for problem in problems
    )
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=F("processed_rows") + len(rows),
        last_row_number=rows[-1].number,
        created_count=F("created_count") + tally.created,
        duplicate_count=F("duplicate_count") + tally.duplicates,
        error_count=F("error_count") + len(tally.bad),
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
