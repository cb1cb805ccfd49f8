"""Import jobs and presets: upload, map, check (dry run), commit, resume."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import Store, User
from kesu.accounts.permissions import Capability, has_capability
from kesu.core.errors import Conflict, InvalidInput, PermissionDenied
from kesu.intake.imports.mapping import mapping_clean
from kesu.intake.imports.readers import Table, file_format, table_open
from kesu.intake.models import ImportJob, ImportPreset, ImportStatus
from kesu.intake.tasks import import_job_task

# A running job whose last batch committed longer ago than this has lost its worker.
STALL_AFTER = dt.timedelta(minutes=5)
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def _require_import(user: User | None) -> None:
    # Importing makes cases, so it takes the same capability as recording one.
    if user is not None and not has_capability(user, Capability.CASE_CREATE):
        raise PermissionDenied(_("Your role cannot receive complaints."))


def job_table(job: ImportJob, binary: Any) -> Table:
    """The job's file opened as a table (the caller keeps `binary` open)."""
    return table_open(binary, job.original_name)


def import_job_create(
    *,
    file: File[bytes],
    name: str,
    preset: ImportPreset,
    store: Store | None,
    by: User | None,
) -> ImportJob:
    """Store an uploaded file as a job; the preset's mapping is used if it fits.

    `by` is None on the command line, where the operator already runs as the system.
    """
    _require_import(by)
    file_format(name)
    if (file.size or 0) > MAX_UPLOAD_BYTES:
        raise InvalidInput(
            _("Files up to %(mb)d MB can be imported.")
            % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
            field="file",
        )
    table = table_open(file, name)
    try:
        mapping = mapping_clean(preset.mapping, table.headers)
    except InvalidInput:
        mapping = {}  # the user maps the columns next
    job = ImportJob(
        preset=preset,
        store=store or preset.store,
        original_name=name[:200],
        mapping=mapping,
        encoding=table.encoding,
        created_by=by,
    )
    file.seek(0)
    job.file.save(name, file, save=False)
    job.save()
    return job


@transaction.atomic
def import_upload(*, data: dict[str, Any], by: User) -> ImportJob:
    """An uploaded file as a job, with its preset (made here for a new source)."""
    preset = data.get("preset") or import_preset_create(
        name=data["name"], platform=data["platform"], channel=data["channel"], by=by
    )
    upload = data["file"]
    return import_job_create(
        file=upload, name=upload.name, preset=preset, store=data.get("store"), by=by
    )


@transaction.atomic
def import_job_map(
    *, job: ImportJob, mapping: dict[str, Any], by: User, save_to_preset: bool
) -> ImportJob:
    """Set the job's column mapping, and keep it on the preset for the next file."""
    _require_import(by)
    _require_idle(job)
    with job.file.open("rb") as binary:
        headers = job_table(job, binary).headers
    job.mapping = mapping_clean(mapping, headers)
    job.save(update_fields=["mapping"])
    if save_to_preset:
        job.preset.mapping = job.mapping
        job.preset.save(update_fields=["mapping", "updated_at"])
    return job


@transaction.atomic
def import_job_check(
    *, job: ImportJob, mapping: dict[str, Any], by: User, save_to_preset: bool
) -> ImportJob:
    """Set the mapping and queue the dry run that lists every bad row."""
    import_job_map(job=job, mapping=mapping, by=by, save_to_preset=save_to_preset)
    return import_job_start(job=job, dry_run=True, by=by)


@transaction.atomic
def import_job_start(
    *, job: ImportJob, dry_run: bool, by: User | None, enqueue: bool = True
) -> ImportJob:
    """Queue a fresh run: a dry run that only checks, or the real import.

    `enqueue=False` leaves the run to the caller (the command line runs it itself).
    """
    _require_import(by)
    _require_idle(job)
    if not job.mapping:
        raise InvalidInput(_("Map the columns first."), field="mapping")
    if job.status == ImportStatus.DONE:
        raise Conflict(_("This file has been imported."), code="import_done")
    job.errors.all().delete()
    job.is_dry_run = dry_run
    job.processed_rows = job.last_row_number = 0
    job.created_count = job.duplicate_count = job.error_count = 0
    job.failure = ""
    job.started_at = job.finished_at = None
    return _queue(job, enqueue=enqueue)


@transaction.atomic
def import_job_resume(
    *, job: ImportJob, by: User | None, enqueue: bool = True
) -> ImportJob:
    """Queue a failed or stalled run again; it continues after its last batch."""
    _require_import(by)
    if not (job.status == ImportStatus.FAILED or import_job_is_stalled(job)):
        raise Conflict(_("Only a failed or stalled import can resume."))
    return _queue(job, enqueue=enqueue)


def import_job_is_stalled(job: ImportJob, now: dt.datetime | None = None) -> bool:
    """A running job that has not committed a batch for STALL_AFTER."""
    moment = job.heartbeat_at or job.started_at
    now = now or timezone.now()
    return job.status == ImportStatus.RUNNING and (
        moment is None or now - moment > STALL_AFTER
    )


def _require_idle(job: ImportJob) -> None:
    if job.is_active and not import_job_is_stalled(job):
        raise Conflict(_("This file is being processed."), code="import_running")


def _queue(job: ImportJob, *, enqueue: bool) -> ImportJob:
    job.status = ImportStatus.QUEUED
    job.save()
    if enqueue:
        job_id = job.pk
        transaction.on_commit(lambda: import_job_task.enqueue(job_id))
    return job


@transaction.atomic
def import_preset_create(
    *, name: str, platform: str, channel: str, label: str = "", by: User | None
) -> ImportPreset:
    """A new, empty preset for a source; its mapping comes with the first file."""
    _require_import(by)
    if ImportPreset.objects.filter(name=name).exists():
        raise Conflict(_("A preset with this name exists."), field="name")
    preset = ImportPreset(name=name, platform=platform, channel=channel, label=label)
    try:
        preset.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise InvalidInput(messages[0], field=field) from None
    preset.save()
    return preset
