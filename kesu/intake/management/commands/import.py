"""`kesu import FILE --preset NAME [--dry-run]`: bulk import with a progress bar.

The run happens in this process (the command line is already out of the web
process); the job and its bad rows are stored as for an upload, so the UI shows it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kesu.accounts.models import Store
from kesu.core.errors import DomainError
from kesu.intake.imports import services
from kesu.intake.imports.report import error_csv_lines
from kesu.intake.imports.runner import import_job_run
from kesu.intake.models import ImportJob, ImportPreset

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Import complaints from a CSV or XLSX file with a saved column preset."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="the .csv or .xlsx file")
        parser.add_argument("--preset", help="preset name (see --list-presets)")
        parser.add_argument("--store", help="store code for rows that name none")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row, import nothing"
        )
        parser.add_argument("--errors", help="write the bad rows to this CSV file")
        parser.add_argument("--resume", type=int, help="resume the job with this id")
        parser.add_argument("--list-presets", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list_presets"]:
            for preset in ImportPreset.objects.all():
                self.stdout.write(f"{preset.name}\t{preset.platform}\t{preset}")
            return
        try:
            job = self._job(options)
            done_before, started = job.processed_rows, time.monotonic()
            job = import_job_run(job.pk, progress=self._bar)
        except DomainError as error:
            raise CommandError(f"{error.field or 'error'}: {error.message}") from None
        sys.stderr.write("\n")
        rows = job.processed_rows - done_before
        self._summary(job, rows, time.monotonic() - started, options["errors"])

    def _job(self, options: dict[str, Any]) -> ImportJob:
        if options["resume"]:
            job = ImportJob.objects.filter(pk=options["resume"]).first()
            if job is None:
                raise CommandError(f"No import job {options['resume']}.")
            return services.import_job_resume(job=job, by=None, enqueue=False)
        if not options["file"] or not options["preset"]:
            raise CommandError("Give a FILE and --preset NAME (or --resume JOB).")
        preset = ImportPreset.objects.filter(name=options["preset"]).first()
        if preset is None:
            raise CommandError(f"No preset {options['preset']}; see --list-presets.")
        store = None
        if options["store"]:
            store = Store.objects.filter(code=options["store"]).first()
            if store is None:
                raise CommandError(f"No store with code {options['store']}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        with path.open("rb") as binary:
            job = services.import_job_create(
                file=File(binary), name=path.name, preset=preset, store=store, by=None
            )
        return services.import_job_start(
            job=job, dry_run=options["dry_run"], by=None, enqueue=False
        )

    def _bar(self, job: ImportJob) -> None:
        total = job.total_rows or 1
        filled = BAR_WIDTH * job.processed_rows // total
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
            f"{job.processed_rows}/{job.total_rows} rows, {job.error_count} bad"
        )
        sys.stderr.flush()

    def _summary(
        self, job: ImportJob, rows: int, seconds: float, errors: str | None
    ) -> None:
        verb = "would create" if job.is_dry_run else "created"
        rate = rows / seconds if seconds else 0
        self.stdout.write(
            f"job {job.pk}: {rows} rows in {seconds:.1f} s ({rate:.0f} rows/s), "
            f"{job.processed_rows} of {job.total_rows} in all: "
            f"{job.created_count} cases {verb}, "
            f"{job.duplicate_count} already imported, {job.error_count} bad rows"
        )
        if errors:
            with Path(errors).open("w", encoding="utf-8", newline="") as out:
                out.writelines(error_csv_lines(job))
            self.stdout.write(f"bad rows written to {errors}")
